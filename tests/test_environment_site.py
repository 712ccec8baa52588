"""Lighting and visibility at one site: the disk, the horizon line, intervals, statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ilrs.environment import (
    HorizonLine,
    analyze_site,
    intervals_where,
    longest_interval,
    read_horizon_csv,
    visible_disk_fraction,
)
from ilrs.environment.disk import centre_margin_deg
from ilrs.errors import InputError, TimeRangeError
from ilrs.sky import LunarObserver, angular_radius_deg, parse_utc, utc_range
from ilrs.sky.stations import station_view


def monte_carlo_fraction(margin_deg, radius_deg, slope, rng, samples=400_000):
    """Share of points spread evenly over a disk that lie above a straight horizon line
    through (0, -margin) with the given slope on the sky: counted, not integrated."""
    radial = radius_deg * np.sqrt(rng.random(samples))
    angle = rng.random(samples) * 2 * np.pi
    x, y = radial * np.cos(angle), radial * np.sin(angle)
    return np.mean(y > -margin_deg + slope * x)


@pytest.mark.parametrize(
    ("margin_deg", "slope"), [(0.0, 0.0), (0.1, 0.0), (-0.2, 0.0), (0.1, 1.5), (-0.05, -0.7)]
)
def test_disk_fraction_against_counted_points(margin_deg, slope):
    rng = np.random.default_rng(1)
    radius = 0.2666
    expected = monte_carlo_fraction(margin_deg, radius, slope, rng)
    across = centre_margin_deg(margin_deg, 0.0, slope, elevation_for_slope_deg=0.0)
    assert float(visible_disk_fraction(across, radius)) == pytest.approx(expected, abs=0.003)


def test_disk_fraction_limits():
    assert visible_disk_fraction([0.0, 1.0, -1.0, 5.0, -5.0], 1.0).tolist() == pytest.approx(
        [0.5, 1.0, 0.0, 1.0, 0.0]
    )


def test_horizon_line_interpolates_around_north():
    line = HorizonLine(np.array([350.0, 10.0, 180.0]), np.array([2.0, 4.0, 0.0]))
    assert line.elevation_at([0.0, 360.0, 355.0, 5.0]) == pytest.approx([3.0, 3.0, 2.5, 3.5])
    assert line.elevation_at(95.0) == pytest.approx(2.0)
    assert line.slope_at([0.0, 100.0]) == pytest.approx([0.1, -4.0 / 170.0])
    with pytest.raises(InputError, match="twice"):
        HorizonLine(np.array([10.0, 370.0]), np.array([1.0, 2.0]))


def test_horizon_csv_round_trip_and_errors(tmp_path):
    line = HorizonLine(np.arange(0.0, 360.0, 45.0), np.linspace(-1.0, 6.0, 8))
    back = read_horizon_csv(line.write_csv(tmp_path / "h.csv"))
    assert back.elevation_deg == pytest.approx(line.elevation_deg)
    cases = {
        "azimuth,elevation\n0,1\n": "lacks azimuth_deg, elevation_deg",
        "azimuth_deg,elevation_deg\n0,1\n90,x\n": r"h.csv:3: elevation_deg is not a number",
        "azimuth_deg,elevation_deg\n0,1\n# note\n\n90\n": r"h.csv:5: elevation_deg is missing",
        "azimuth_deg,elevation_deg\n0,1\n400,2\n": r"h.csv:3: azimuth_deg 400 is outside",
        "azimuth_deg,elevation_deg\n0,1\n90,91\n": r"h.csv:3: elevation_deg 91 is outside",
        "azimuth_deg,elevation_deg\n0,1\n360,2\n": r"h.csv:3: azimuth_deg 360 repeats line 2",
        "azimuth_deg,elevation_deg\n0,nan\n": r"h.csv:2: elevation_deg must be finite",
        "azimuth_deg,elevation_deg\n0,1\n": "at least two rows",
        "": "empty",
    }
    for text, message in cases.items():
        (tmp_path / "h.csv").write_text(text)
        with pytest.raises(InputError, match=message):
            read_horizon_csv(tmp_path / "h.csv")
    with pytest.raises(InputError, match="cannot read"):
        read_horizon_csv(tmp_path / "missing.csv")


def test_intervals_edges_where_a_sine_crosses_zero():
    period_s = 1000.0
    tdb_s = np.arange(0.0, 3100.0, 7.0)
    margin = np.sin(2 * np.pi * tdb_s / period_s + 0.3)
    spells = intervals_where(tdb_s, margin > 0, margin)
    # Zeros of sin(2 pi t / P + 0.3): t = (k pi - 0.3) P / 2 pi.
    zeros = [(k * np.pi - 0.3) * period_s / (2 * np.pi) for k in range(1, 8)]
    assert spells[0].open_start and spells[0].start_tdb_s == 0.0
    assert spells[0].end_tdb_s == pytest.approx(zeros[0], abs=0.05)
    assert (spells[1].start_tdb_s, spells[1].end_tdb_s) == pytest.approx(zeros[1:3], abs=0.05)
    assert spells[-1].open_end and spells[-1].end_tdb_s == tdb_s[-1]
    assert not spells[1].open_start and not spells[1].open_end
    assert longest_interval(spells).duration_h == pytest.approx(period_s / 2 / 3600, abs=1e-4)
    # Without a margin, a spell runs from its first sample to the first sample after it.
    plain = intervals_where(tdb_s, margin > 0)
    assert plain[1].start_tdb_s == tdb_s[np.searchsorted(tdb_s, zeros[1])]
    assert intervals_where(tdb_s, margin > 5) == []


@pytest.fixture(scope="module")
def pole_year():
    """A flat horizon at the south pole, 2026 at 1 h, with every built-in station."""
    times = utc_range("2026-01-01", "2027-01-01", "1h")
    flat = HorizonLine(np.array([0.0, 180.0]), np.array([0.0, 0.0]))
    return times, analyze_site(flat, -90.0, 0.0, times)


def test_flat_pole_matches_the_sun_elevation_alone(pole_year):
    times, result = pole_year
    sun = LunarObserver(-90.0, 0.0, times).topocentric("sun")
    radius = angular_radius_deg("sun", sun.distance_m)
    summary = result.summary()
    assert summary["sun_any_fraction"] == pytest.approx(
        np.mean(sun.elevation_deg + radius > 0), abs=1e-12
    )
    # The disk's visible share counted point by point for a sample of instants.
    rng = np.random.default_rng(2)
    for index in rng.choice(np.flatnonzero(np.abs(sun.elevation_deg) < radius), 5):
        expected = monte_carlo_fraction(sun.elevation_deg[index], radius[index], 0.0, rng)
        assert result.sun.disk_fraction[index] == pytest.approx(expected, abs=0.003)
    # About half the time lit; the longest night is the pole's half-year winter.
    assert 0.45 < summary["sunlit_fraction"] < 0.6
    dark = sun.elevation_deg + radius <= 0
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], dark, [0]]).astype(int))))[::2]
    assert summary["longest_darkness_h"] == pytest.approx(runs.max(), abs=1.0)
    assert 3000 < summary["longest_darkness_h"] < 4400


def test_station_contact_is_earth_above_horizon_and_moon_above_mask(pole_year):
    times, result = pole_year
    earth = LunarObserver(-90.0, 0.0, times).topocentric("earth")
    view = station_view("kashi", -90.0, 0.0, times)
    expected = np.mean((earth.elevation_deg > 0) & view.above_mask)
    assert result.summary()["stations"]["kashi"]["contact_fraction"] == pytest.approx(
        expected, abs=2 / len(times)
    )
    network = result.summary()["contact_fraction"]
    assert max(s["contact_fraction"] for s in result.summary()["stations"].values()) <= network
    assert network <= result.summary()["earth_visible_fraction"] + 1e-12
    years = result.per_year()
    assert [row["year"] for row in years] == [2026, 2027] and years[1]["samples"] == 1


def test_a_wall_all_round_is_dark_the_whole_period():
    times = utc_range("2026-03-01", "2026-04-01", "6h")
    wall = HorizonLine(np.array([0.0, 120.0, 240.0]), np.full(3, 30.0))
    result = analyze_site(wall, -89.5, 10.0, times, stations=[])
    summary = result.summary()
    assert summary["sunlit_fraction"] == 0 and summary["earth_visible_fraction"] == 0
    (night,) = result.intervals("darkness")
    assert night.open_start and night.open_end
    assert summary["longest_darkness_h"] == pytest.approx(31 * 24)
    assert "contact_fraction" not in summary


def test_site_errors():
    line = HorizonLine(np.array([0.0, 180.0]), np.array([0.0, 0.0]))
    with pytest.raises(TimeRangeError):
        analyze_site(line, -89.5, 0.0, utc_range("2060-01-01", "2060-01-02", "1h"))
    with pytest.raises(InputError, match="at least two instants"):
        analyze_site(line, -89.5, 0.0, utc_range("2026-01-01", "2026-01-01", "1h"))
    with pytest.raises(InputError, match="latitude"):
        analyze_site(line, -95.0, 0.0, utc_range("2026-01-01", "2026-01-02", "1h"))
    result = analyze_site(
        line, -89.5, 0.0, utc_range("2026-01-01", "2026-01-02", "1h"), stations=[]
    )
    with pytest.raises(InputError, match="no ground stations"):
        result.intervals("contact")
    with pytest.raises(InputError, match="unknown kind of interval"):
        result.intervals("moonlight")
    assert math.isfinite(result.summary()["sunlit_fraction"])
    uneven = parse_utc([f"2026-01-01T{hour:02d}:00" for hour in (0, 1, 2, 3, 5)])
    with pytest.raises(InputError, match="evenly spaced.*after 2026-01-01T03:00:00Z is 7200 s"):
        analyze_site(line, -89.5, 0.0, uneven, stations=[])


def test_figures_on_coarse_terrain_carry_their_spread_over_the_pixel():
    """On the 1600 m cap the figures at one point are one draw of many: the spread spans
    the neighbouring cells and an observer 100 m higher (a crest the pixel hides), and it
    holds the site's own figure. On terrain of 100 m pixels or finer there is none."""
    from affine import Affine

    from ilrs.environment.spread import CREST_ALLOWANCE_M, pixel_spread
    from ilrs.terrain import SOUTH_POLAR_STEREOGRAPHIC, Dem
    from ilrs.terrain.stack import TerrainStack

    times = utc_range("2026-01-01", "2026-03-01", "3h")
    stack = TerrainStack.default()
    lat, lon = -89.45, 222.69  # the Connecting Ridge's best-lit point (Mazarico 2011)
    spread = pixel_spread(stack, lat, lon, 2.0, times)
    on_site = HorizonLine.from_stack(stack, lat, lon, height_above_ground_m=2.0)
    raised = HorizonLine.from_stack(stack, lat, lon, height_above_ground_m=2.0 + CREST_ALLOWANCE_M)

    def sunlit(line, above_m):
        result = analyze_site(line, lat, lon, times, height_m=line.ground_m + above_m, stations=[])
        return result.summary()["sunlit_fraction"]

    low, high = spread["sunlit_fraction"]
    assert low <= sunlit(on_site, 2.0) <= high
    assert high == pytest.approx(sunlit(raised, 2.0 + CREST_ALLOWANCE_M))
    assert high - low > 0.2 and spread["pixel_m"] == 1600.0  # the cap cannot tell
    heights = np.full((100, 100), 1000.0)
    fine = Dem(heights, Affine(80.0, 0, -4000.0, 0, -80.0, 4000.0), SOUTH_POLAR_STEREOGRAPHIC, {})
    assert pixel_spread(TerrainStack([fine]), -89.95, 0.0, 2.0, times) is None  # 80 m
