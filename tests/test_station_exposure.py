"""The site's exposure for the station: sunlight on arrays and the data links, checked
against independent computations from the sky engine and the link budget."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ilrs.cli import main
from ilrs.environment.disk import visible_disk_fraction
from ilrs.outfolder import MARKER
from ilrs.sky import topocentric, utc_range
from ilrs.sky.stations import station_view
from ilrs.station.exposure import (
    ASTRONOMICAL_UNIT_M,
    SOLAR_CONSTANT_W_M2,
    site_exposure,
)
from ilrs.station.links import Terminal, max_rate_bps
from ilrs.station.scenario import load_scenario

LAT, LON = -89.45, 222.69

SCENARIO = """\
name: flat horizon station
period: {start: 2026-03-01T00:00:00Z, end: 2026-03-08T00:00:00Z, step: 1h}
site: {lat_deg: -89.45, lon_deg: 222.69, horizon_csv: flat.csv}
surface:
  solar_arrays:
    - {name: tracker, area_m2: 10, cell_efficiency: 0.3}
    - {name: east panel, mount: fixed, azimuth_deg: 90, tilt_deg: 90, area_m2: 10,
       cell_efficiency: 0.3}
  storage: [{name: battery, capacity_wh: 50000}]
  loads: [{name: survival, power_w: 200, priority: 0, data_rate_bps: 1.0e6}]
  dte:
    terminal: {diameter_m: 1.0, rf_power_w: 20, losses_db: 1.0}
    frequency_hz: 8.45e9
    rate_steps_bps: [64000, 256000, 1000000, 2000000, 4000000]
ground:
  stations:
    - name: kashi
      hours_per_day: HOURS
      terminal: {diameter_m: 35, efficiency: 0.6, system_noise_temperature_k: 60}
"""


@pytest.fixture
def scenario_file(tmp_path):
    def write(hours=24, text=SCENARIO):
        (tmp_path / "flat.csv").write_text(
            "azimuth_deg,elevation_deg\n" + "".join(f"{a},0\n" for a in range(0, 360, 5)),
            encoding="utf-8",
        )
        path = tmp_path / "station.yaml"
        path.write_text(text.replace("HOURS", str(hours)), encoding="utf-8")
        return path

    return write


def test_sunlight_on_the_arrays_from_the_sky_engine(scenario_file):
    exposure = site_exposure(load_scenario(scenario_file()))
    times = utc_range("2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z", "1h")
    sun = topocentric("sun", LAT, LON, times, height_m=2.0)
    # A flat horizon at 0 deg: the disk's visible part from the Sun's elevation alone.
    radius_deg = np.degrees(np.arcsin(695_700_000.0 / sun.distance_m))
    expected_fraction = visible_disk_fraction(sun.elevation_deg, radius_deg)
    assert np.allclose(exposure.sunlit_fraction, expected_fraction, atol=1e-6)
    assert 0.0 < exposure.sunlit_fraction.mean() < 1.0  # the Sun crosses the horizon
    flux = SOLAR_CONSTANT_W_M2 * (ASTRONOMICAL_UNIT_M / sun.distance_m) ** 2
    assert np.allclose(exposure.solar_flux_w_m2, flux, rtol=1e-9)
    assert 1300 < flux.mean() < 1420  # 1361 W/m^2 within the year's +-3.4 %
    tracker = exposure.arrays["tracker"]
    assert np.allclose(tracker.incidence_cos, np.cos(np.radians(sun.elevation_deg)), atol=1e-9)
    # A vertical panel facing east: cos(elevation) sin(azimuth) where that is positive.
    east = exposure.arrays["east panel"]
    expected = np.cos(np.radians(sun.elevation_deg)) * np.sin(np.radians(sun.azimuth_deg))
    assert np.allclose(east.incidence_cos, np.maximum(expected, 0.0), atol=1e-9)


def _station_from_site_by_reversal(station_name, times, height_m):
    """The station's elevation in the lunar site's sky, as the reverse of the site's
    direction in the station's sky (station_view: light time and aberration from the
    Earth's side), turned into the site's frame: independent of stations_from_moon."""
    from ilrs.sky import default_ephemeris
    from ilrs.sky.geometry import local_axes
    from ilrs.sky.stations import ground_station, itrs_to_icrf

    station = ground_station(station_name)
    view = station_view(station, LAT, LON, times, height_m)
    lat_s, lon_s, _ = station.geodetic
    east, north, up = local_axes(np.radians(lat_s), np.radians(lon_s))
    az, el = np.radians(view.azimuth_deg), np.radians(view.elevation_deg)
    unit = (
        np.cos(el)[:, None] * (np.sin(az)[:, None] * east + np.cos(az)[:, None] * north)
        + np.sin(el)[:, None] * up
    )
    site_to_station_icrf = -np.einsum("tij,tj->ti", itrs_to_icrf(times.tdb_s), unit)
    me_to_icrf, _ = default_ephemeris().moon_me_to_icrf(times.tdb_s)
    in_me = np.einsum("tji,tj->ti", me_to_icrf, site_to_station_icrf)
    _, _, site_up = local_axes(np.radians(LAT), np.radians(LON))
    return np.degrees(np.arcsin(np.clip(in_me @ site_up, -1.0, 1.0)))


def test_direct_to_earth_rate_when_the_site_and_the_station_see_each_other(scenario_file):
    exposure = site_exposure(load_scenario(scenario_file()))
    times = exposure.times
    station_elevation = _station_from_site_by_reversal("kashi", times, 3.0)
    view = station_view("kashi", LAT, LON, times, 2.0)
    both = (station_elevation > 0.0) & view.above_mask
    lander = Terminal("lander", diameter_m=1.0, rf_power_w=20.0, losses_db=1.0)
    kashi = Terminal("kashi", diameter_m=35.0, efficiency=0.6, system_noise_temperature_k=60.0)
    rate = max_rate_bps(
        lander,
        kashi,
        distance_m=view.distance_m,
        frequency_hz=8.45e9,
        rate_steps_bps=[64000, 256000, 1000000, 2000000, 4000000],
        required_eb_n0_db=2.5,
        margin_db=3.0,
    )
    expected = np.where(both, rate, 0.0)
    # The station within 0.01 deg of the line: the two may differ by the tilt term.
    clear = np.abs(station_elevation) > 0.01
    assert np.array_equal(exposure.dte_rate_bps[clear], expected[clear])
    assert 0.05 < np.mean(exposure.dte_rate_bps > 0) < 0.6  # Kashi sits below the centre
    assert set(np.unique(exposure.dte_rate_bps)) <= {0.0, 2000000.0, 4000000.0}


def test_the_direct_link_follows_the_station_not_the_earths_centre(scenario_file):
    """At the pole the Earth skims the horizon: the station, up to asin(6378 / 384 400 km)
    = 0.95 deg from the Earth's centre, rises and sets hours from it. The window follows
    the station."""
    from ilrs.sky.stations import stations_from_moon

    text = SCENARIO.replace(
        "end: 2026-03-08T00:00:00Z, step: 1h", "end: 2026-04-01T00:00:00Z, step: 15min"
    )
    exposure = site_exposure(load_scenario(scenario_file(text=text)))
    times = exposure.times
    centre = topocentric("earth", LAT, LON, times, height_m=3.0)
    station = stations_from_moon(["kashi"], LAT, LON, times, 3.0)["kashi"]
    # The station's direction: within the Earth's angular radius of the centre, reaching it.
    separation = np.degrees(
        np.arccos(
            np.clip(
                np.cos(np.radians(centre.elevation_deg))
                * np.cos(np.radians(station.elevation_deg))
                * np.cos(np.radians(centre.azimuth_deg - station.azimuth_deg))
                + np.sin(np.radians(centre.elevation_deg))
                * np.sin(np.radians(station.elevation_deg)),
                -1.0,
                1.0,
            )
        )
    )
    earth_radius_deg = np.degrees(np.arcsin(6_378_137.0 / centre.distance_m))
    assert np.all(separation <= earth_radius_deg + 1e-3)
    assert separation.max() > 0.9
    # Against the reversed view from the station: the same elevation to 0.005 deg.
    reversed_deg = _station_from_site_by_reversal("kashi", times, 3.0)
    assert np.max(np.abs(reversed_deg - station.elevation_deg)) < 0.005
    # Where Kashi sees the Moon, the window is the station's, and it differs from the
    # centre's for hours: edges of the centre and the station hours apart.
    up = station_view("kashi", LAT, LON, times, 2.0).above_mask
    sending = exposure.dte_rate_bps > 0
    assert np.array_equal(sending[up], station.elevation_deg[up] > 0)
    step_h = 0.25
    differ_h = np.sum(up & ((centre.elevation_deg > 0) != (station.elevation_deg > 0))) * step_h
    assert differ_h >= 5.0
    centre_edges = np.flatnonzero(np.diff(centre.elevation_deg > 0))
    station_edges = np.flatnonzero(np.diff(station.elevation_deg > 0))
    assert len(centre_edges) == len(station_edges) > 0
    # The Earth's elevation at the pole swings about 7 deg a month: 0.95 deg is ~hours.
    shift_h = np.abs(centre_edges - station_edges) * step_h
    assert shift_h.max() >= 3.0


def test_a_station_gives_no_more_than_its_hours_a_day(scenario_file):
    exposure = site_exposure(load_scenario(scenario_file(hours=3)))
    days = np.array([text[:10] for text in exposure.times.utc_iso()])
    available = exposure.station_available["kashi"]
    for day in np.unique(days):
        assert available[days == day].sum() <= 3
    assert available.sum() >= 3 * 5  # the Moon rises over Kashi on most days


def test_the_cli_simulates_and_writes_everything_whole(scenario_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["station", "simulate", str(scenario_file()), "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == json.loads((out / "summary.json").read_text())
    written = sorted(p.name for p in out.iterdir())
    assert written == [MARKER, "contacts.csv", "series.csv", "station.png", "summary.json"]
    assert summary["survival"]["ok"] is True
    # Contact windows: one row per window in contacts.csv, their hours the time the link was up.
    rows = (out / "contacts.csv").read_text().splitlines()[1:]
    direct = summary["contacts"]["direct to Earth"]
    assert sum(row.startswith("direct to Earth,") for row in rows) == direct["windows"] > 0
    up_h = summary["data"]["direct_to_earth_fraction"] * (7 * 24 + 1)
    assert direct["total_h"] == pytest.approx(up_h, abs=direct["windows"] * 1.0)
    assert abs(summary["energy_wh"]["residual_wh"]) < 1e-6
    lines = (out / "series.csv").read_text().splitlines()
    assert lines[0].startswith("time_utc,sunlit_fraction,downlink_rate_bps,generated_w")
    assert len(lines) == 1 + 7 * 24 + 1
    assert (
        main(
            [
                "station",
                "simulate",
                str(scenario_file()),
                "--out",
                str(out),
                "--series-format",
                "parquet",
                "--no-plots",
            ]
        )
        == 0
    )
    import pyarrow.parquet as pq

    table = pq.read_table(out / "series.parquet")
    assert table.num_rows == 7 * 24 + 1
    assert table.column("stored_wh").to_pylist()[-1] == pytest.approx(
        float(lines[-1].split(",")[list(lines[0].split(",")).index("stored_wh")]), rel=1e-5
    )


def test_a_bad_scenario_leaves_the_output_folder_untouched(scenario_file, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    broken = scenario_file(text=SCENARIO.replace("area_m2: 10, cell", "area_m2: -1, cell"))
    assert main(["station", "simulate", str(broken), "--out", str(out)]) == 1
    assert "station.yaml:6: surface.solar_arrays[0].area_m2" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["summary.json"]
    assert (out / "summary.json").read_text() == "{}"
    assert not list(tmp_path.glob(".run.*"))


def test_one_antenna_serves_one_link_at_a_time():
    from ilrs.station.exposure import assign_stations

    through = {
        "direct": {"a": np.array([5.0, 0.0, 5.0, 2.0])},
        "relay": {"a": np.array([3.0, 3.0, 0.0, 4.0])},
    }
    one = assign_stations(through, {"a": 1}, 4)
    assert one["direct"].tolist() == [5.0, 0.0, 5.0, 0.0]
    assert one["relay"].tolist() == [0.0, 3.0, 0.0, 4.0]
    two = assign_stations(through, {"a": 2}, 4)
    assert two["direct"].tolist() == [5.0, 0.0, 5.0, 2.0]
    assert two["relay"].tolist() == [3.0, 3.0, 0.0, 4.0]
    # Two relays share the surface's one relay terminal: the better one works.
    relays = {
        "r1": {"a": np.array([3.0, 1.0]), "b": np.zeros(2)},
        "r2": {"a": np.zeros(2), "b": np.array([4.0, 0.5])},
    }
    shared = assign_stations(relays, {"a": 1, "b": 1}, 2, frozenset({"r1", "r2"}))
    assert shared["r1"].tolist() == [0.0, 1.0]
    assert shared["r2"].tolist() == [4.0, 0.0]


RELAY = """\
  relay_link:
    terminal: {diameter_m: 0.6, rf_power_w: 10}
    frequency_hz: 2.25e9
    rate_steps_bps: [250000, 1000000, 6000000]
orbital:
  relays:
    - name: Queqiao-2
      builtin: queqiao-2-12h
      proximity_terminal: {diameter_m: 4.2, system_noise_temperature_k: 300}
      to_earth:
        terminal: {diameter_m: 1.0, rf_power_w: 50}
        frequency_hz: 2.6e10
        rate_steps_bps: [10000000, 100000000]
"""


def test_the_relay_works_where_the_site_sees_it_and_it_sees_the_earth(scenario_file):
    from ilrs.sky import default_ephemeris, site_vector_m
    from ilrs.sky.orbits import builtin_orbits, propagate

    text = SCENARIO.replace("ground:\n", RELAY + "ground:\n")
    exposure = site_exposure(load_scenario(scenario_file(text=text)))
    relay = exposure.relay_rate_bps["Queqiao-2"]
    times = exposure.times
    # Independently, in ICRF: the site turned by the Moon's orientation, the relay's track.
    ephemeris = default_ephemeris()
    me_to_icrf, _ = ephemeris.moon_me_to_icrf(times.tdb_s)
    site = np.einsum("tij,j->ti", me_to_icrf, site_vector_m(LAT, LON, 3.0))
    track = propagate(builtin_orbits()["queqiao-2-12h"], times)
    to_relay = track.position_icrf_m - site
    up = site / np.linalg.norm(site, axis=1)[:, None]
    sine = np.sum(to_relay * up, axis=1) / np.linalg.norm(to_relay, axis=1)
    elevation = np.degrees(np.arcsin(sine))
    working = relay > 0
    assert 0.2 < working.mean() < 0.9
    assert (elevation[working] > 0).all()  # the flat horizon at 0 deg
    assert np.all(exposure.station_available["kashi"][working])
    # Where both the direct link and the relay would need Kashi's one dish, only one has it.
    assert not np.any((exposure.dte_rate_bps > 0) & working)
    assert exposure.downlink_rate_bps == pytest.approx(exposure.dte_rate_bps + relay)


def test_a_wall_all_round_cuts_every_link(scenario_file, tmp_path):
    text = SCENARIO.replace("ground:\n", RELAY + "ground:\n")
    path = scenario_file(text=text)
    (tmp_path / "flat.csv").write_text(
        "azimuth_deg,elevation_deg\n" + "".join(f"{a},80\n" for a in range(0, 360, 5)),
        encoding="utf-8",
    )
    exposure = site_exposure(load_scenario(path))
    assert exposure.sunlit_fraction.max() == 0.0
    assert exposure.downlink_rate_bps.max() == 0.0


def test_an_unmaintained_relay_orbit_is_flagged_with_the_delta_v_to_hold_it(scenario_file):
    """Issue 20 (6): the 24 h frozen orbit sinks under the modelled forces; the station
    says so and what holding its perilune would take, from sky.orbits.station_keeping
    (the same figure it gives over the same span)."""
    from ilrs.sky.orbits import builtin_orbits, station_keeping

    text = SCENARIO.replace(
        "ground:\n", RELAY.replace("queqiao-2-12h", "queqiao-2-24h") + "ground:\n"
    )
    text = text.replace("end: 2026-03-08T00:00:00Z", "end: 2026-05-01T00:00:00Z")
    exposure = site_exposure(load_scenario(scenario_file(text=text)))
    upkeep = exposure.relay_upkeep["Queqiao-2"]
    alone = station_keeping(
        builtin_orbits()["queqiao-2-24h"], "2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z"
    )
    assert upkeep["lowest_perilune_km"] == pytest.approx(
        alone.lowest_perilune_altitude_m / 1000, abs=0.1
    )
    assert upkeep["lowest_perilune_km"] < upkeep["start_perilune_km"] - 20.0  # it sinks
    assert upkeep["hold_delta_v_m_s_per_year"] > 0.5 and "unmaintained" in upkeep["note"]
