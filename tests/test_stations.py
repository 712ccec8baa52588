"""Ground stations: built-in data, and the lunar site seen from Earth against skyfield."""

from __future__ import annotations

import numpy as np
import pytest

from ilrs.errors import UnknownNameError
from ilrs.sky import utc_range
from ilrs.sky.stations import ground_station, ground_stations, station_view

# Approximate positions from ../shared/FACTS.md (lat, east lon), for checking the data file.
FACTS_POSITIONS_DEG = {
    "kashi": (38.42, 76.71),
    "jiamusi": (46.49, 130.77),
    "neuquen": (-38.19, -70.15),
    "goldstone": (35.43, -116.89),
    "madrid": (40.43, -4.25),
    "canberra": (-35.40, 148.98),
}


def test_built_in_stations_match_published_positions():
    stations = ground_stations()
    assert set(stations) == set(FACTS_POSITIONS_DEG)
    for name, (lat, lon) in FACTS_POSITIONS_DEG.items():
        station_lat, station_lon, height = stations[name].geodetic
        assert station_lat == pytest.approx(lat, abs=0.01)
        assert station_lon == pytest.approx(lon, abs=0.01)
        assert -100 < height < 3000
        assert stations[name].source


def test_unknown_station_lists_the_known_ones():
    with pytest.raises(UnknownNameError, match="known stations: kashi, jiamusi"):
        ground_station("arecibo")


@pytest.mark.parametrize("name", sorted(FACTS_POSITIONS_DEG))
def test_site_seen_from_station_matches_skyfield(skyfield_world, name):
    """skyfield builds Earth orientation its own way (IAU 2000A, its own UT1 and polar
    motion); ours takes UT1 = UTC, so agreement is to arcseconds, not milliarcseconds."""
    world = skyfield_world
    lat, lon, height = -89.45, 222.69, 2.0
    times = utc_range("2026-03-01", "2026-04-15", "5h")
    view = station_view(name, lat, lon, times, height)
    station_lat, station_lon, station_height = ground_station(name).geodetic
    observer = world["eph"]["earth"] + world["api"].wgs84.latlon(
        station_lat, station_lon, station_height
    )
    site = world["eph"]["moon"] + world["pc"].build_latlon_degrees(world["frame"], lat, lon, height)
    t = world["ts"].tdb_jd(2451545.0 + times.tdb_s / 86400.0)
    altitude, azimuth, distance = observer.at(t).observe(site).apparent().altaz()
    assert np.max(np.abs(view.elevation_deg - altitude.degrees)) < 0.003
    azimuth_error = (view.azimuth_deg - azimuth.degrees + 180) % 360 - 180
    assert np.max(np.abs(azimuth_error) * np.cos(altitude.radians)) < 0.003
    assert np.max(np.abs(view.distance_m - distance.m)) < 200.0
    mask = ground_station(name).elevation_mask_deg
    assert np.array_equal(view.above_mask, view.elevation_deg >= mask)
    # The Moon is up for roughly half of each day at every station.
    assert 0.3 < view.above_mask.mean() < 0.7


def test_stations_around_the_globe_cover_the_moon():
    """Kashi, Jiamusi and Neuquen, or the three DSN complexes, spread in longitude so that
    one of them has the Moon up nearly all the time."""
    times = utc_range("2030-01-01", "2030-02-01", "1h")
    for network in (("kashi", "jiamusi", "neuquen"), ("goldstone", "madrid", "canberra")):
        any_up = np.zeros(len(times), dtype=bool)
        for name in network:
            any_up |= station_view(name, -89.5, 0.0, times).above_mask
        assert any_up.mean() > 0.85
