"""Where the Sun and the Earth stand in a lunar site's sky: against CSPICE and known facts."""

from __future__ import annotations

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.sky import (
    Times,
    angular_radius_deg,
    illuminated_fraction,
    site_vector_m,
    subpoint,
    topocentric,
    utc_range,
)
from ilrs.sky.geometry import local_axes

N_RANDOM = 300
TDB_2026_S, TDB_2045_S = 8.204e8, 1.4517e9  # 2026-01-01 and 2045-12-31


@pytest.fixture(scope="module")
def random_cases():
    rng = np.random.default_rng(20261124)
    return {
        "tdb_s": rng.uniform(TDB_2026_S, TDB_2045_S, N_RANDOM),
        "lat_deg": np.degrees(np.arcsin(rng.uniform(-1, 1, N_RANDOM))),
        "lon_deg": rng.uniform(-180, 360, N_RANDOM),
        "height_m": rng.uniform(0, 10_000, N_RANDOM),
    }


def _spice_az_el(spice, body, correction, lat_deg, lon_deg, height_m, et):
    """Azimuth/elevation from SPICE's spkcpo (observer fixed in MOON_ME), our ENU convention."""
    site_km = site_vector_m(lat_deg, lon_deg, height_m) / 1e3
    state, _ = spice.spkcpo(body, et, "MOON_ME", "OBSERVER", correction, site_km, "MOON", "MOON_ME")
    vector_km = np.array(state[:3])
    east, north, up = local_axes(np.radians(lat_deg), np.radians(lon_deg))
    distance_km = np.linalg.norm(vector_km)
    azimuth = np.degrees(np.arctan2(vector_km @ east, vector_km @ north)) % 360
    elevation = np.degrees(np.arcsin(vector_km @ up / distance_km))
    return azimuth, elevation, distance_km * 1e3


def _angle_error_deg(ours_az, ours_el, their_az, their_el):
    """Great-circle separation between two az/el directions [deg]."""

    def unit(azimuth_deg, elevation_deg):
        a, e = np.radians(azimuth_deg), np.radians(elevation_deg)
        return np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])

    first, second = unit(ours_az, ours_el), unit(their_az, their_el)
    # atan2 of |a x b| and a.b keeps full precision for tiny angles (arccos does not).
    return np.degrees(np.arctan2(np.linalg.norm(np.cross(first, second)), first @ second))


@pytest.mark.parametrize("body", ["sun", "earth"])
def test_matches_spice_converged_light_time(spice, random_cases, body):
    c = random_cases
    errors_deg, elevation_errors_deg, distance_errors_m = [], [], []
    for i in range(N_RANDOM):
        ours = topocentric(
            body, c["lat_deg"][i], c["lon_deg"][i], Times([c["tdb_s"][i]]), c["height_m"][i]
        )
        az, el, dist = _spice_az_el(
            spice, body, "CN+S", c["lat_deg"][i], c["lon_deg"][i], c["height_m"][i], c["tdb_s"][i]
        )
        errors_deg.append(_angle_error_deg(ours.azimuth_deg[0], ours.elevation_deg[0], az, el))
        elevation_errors_deg.append(abs(ours.elevation_deg[0] - el))
        distance_errors_m.append(abs(ours.distance_m[0] - dist))
    # The issue asks for 0.001 deg; the two implementations agree far better than that.
    assert max(elevation_errors_deg) < 1e-6
    assert max(errors_deg) < 1e-6
    assert max(distance_errors_m) < 1.0


@pytest.mark.parametrize("body", ["sun", "earth"])
def test_within_a_thousandth_of_a_degree_of_spice_lt_s(spice, random_cases, body):
    """SPICE's single-iteration LT+S differs from converged light time by ~4 m for the Earth
    (0.001 arcsec); still far inside the required 0.001 deg."""
    c = random_cases
    tdb = Times(c["tdb_s"][:50])
    for i in range(50):
        ours = topocentric(body, c["lat_deg"][i], c["lon_deg"][i], tdb[i : i + 1], c["height_m"][i])
        az, el, _ = _spice_az_el(
            spice, body, "LT+S", c["lat_deg"][i], c["lon_deg"][i], c["height_m"][i], c["tdb_s"][i]
        )
        assert abs(ours.elevation_deg[0] - el) < 1e-3
        azimuth_error = (ours.azimuth_deg[0] - az + 180) % 360 - 180
        assert abs(azimuth_error) * np.cos(np.radians(el)) < 1e-3


def test_sites_and_times_broadcast_like_single_calls():
    times = utc_range("2030-01-01", "2030-01-03", "12h")
    lat = np.array([[-89.5, -88.0], [10.0, 45.0]])
    lon = np.array([[222.7, 123.4], [0.0, -60.0]])
    grid = topocentric("earth", lat, lon, times, height_m=2.0)
    assert grid.elevation_deg.shape == (2, 2, len(times))
    for i in range(2):
        for j in range(2):
            one = topocentric("earth", lat[i, j], lon[i, j], times, height_m=2.0)
            assert np.allclose(grid.elevation_deg[i, j], one.elevation_deg, atol=1e-9)
            assert np.allclose(grid.azimuth_deg[i, j], one.azimuth_deg, atol=1e-9)


@pytest.fixture(scope="module")
def twenty_years():
    return utc_range("2026-01-01T00:00:00Z", "2045-12-31T00:00:00Z", "3h")


def test_sun_at_the_pole_never_climbs_past_about_1_54_deg(twenty_years):
    elevation = topocentric("sun", -90.0, 0.0, twenty_years).elevation_deg
    # The lunar equator is tilted 1.543 deg to the ecliptic (Cassini's laws); the Moon's
    # excursions above the ecliptic (+-0.013 deg of solar parallax) and the physical
    # libration of its axis (a few hundredths) add the rest.
    assert 1.54 < elevation.max() < 1.60
    assert -1.60 < elevation.min() < -1.54


def test_earth_at_the_pole_bobs_within_about_7_deg(twenty_years):
    elevation = topocentric("earth", -90.0, 0.0, twenty_years).elevation_deg
    assert 6.0 < elevation.max() < 7.2
    assert -7.2 < elevation.min() < -6.0
    # Optical libration in latitude: the Earth is up about half the time at the pole.
    assert 0.4 < np.mean(elevation > 0) < 0.6


def test_earth_never_rises_on_the_far_side(twenty_years):
    elevation = topocentric("earth", 0.0, 180.0, twenty_years).elevation_deg
    assert elevation.max() < -75.0


def test_earth_near_the_zenith_at_the_sub_earth_point(twenty_years):
    elevation = topocentric("earth", 0.0, 0.0, twenty_years).elevation_deg
    # Libration (6.7 deg in latitude, 7.9 in longitude) keeps it within ~10.5 deg of zenith.
    assert 79.0 < elevation.min() < 82.0


def test_subpoints_are_at_the_zenith():
    times = utc_range("2031-05-01", "2031-06-01", "1d")
    for body in ("sun", "earth"):
        lat_deg, lon_deg = subpoint(body, times)
        for index in range(len(times)):
            elevation = topocentric(body, lat_deg[index], lon_deg[index], times[index : index + 1])
            # Parallax from the centre to the surface: R_moon / distance.
            assert elevation.elevation_deg[0] > 89.7
    sun_lat, _ = subpoint("sun", utc_range("2026-01-01", "2045-12-31", "5d"))
    assert np.abs(sun_lat).max() < 1.6
    earth_lat, earth_lon = subpoint("earth", utc_range("2026-01-01", "2045-12-31", "5d"))
    assert 6.0 < np.abs(earth_lat).max() < 7.0  # optical libration in latitude, max 6.7 deg
    assert 7.0 < np.abs(earth_lon).max() < 8.2  # optical libration in longitude, max 7.9 deg


def test_angular_radius_of_the_sun():
    distance = topocentric(
        "sun", -89.5, 0.0, utc_range("2030-01-01", "2031-01-01", "7d")
    ).distance_m
    radius = angular_radius_deg("sun", distance)
    # 695 700 km at 1.471e11 m (perihelion) to 1.521e11 m (aphelion), +- the Moon's
    # 3.844e8 m: 0.2614 to 0.2717 deg.
    assert 0.2610 < radius.min() < 0.2625
    assert 0.2705 < radius.max() < 0.2720


def test_earth_phase_is_the_complement_of_the_moon_phase(skyfield_world):
    """Seen from the Moon, the Earth is full when the Moon is new: k_earth + k_moon ~ 1
    (to a few thousandths, the angle the Earth-Moon distance subtends at the Sun)."""
    from skyfield import almanac  # noqa: F401  (skyfield's own illumination code)
    from skyfield.framelib import ecliptic_frame  # noqa: F401

    times = utc_range("2033-01-01", "2033-03-01", "1d")
    ours = illuminated_fraction("earth", 0.0, 0.0, times, height_m=-1_737_400.0)
    ts, eph = skyfield_world["ts"], skyfield_world["eph"]
    t = ts.tdb_jd(2451545.0 + times.tdb_s / 86400.0)
    moon_fraction = (
        eph["earth"].at(t).observe(eph["moon"]).apparent().fraction_illuminated(eph["sun"])
    )
    assert np.max(np.abs(ours + moon_fraction - 1.0)) < 0.01
    assert ours.min() < 0.01 and ours.max() > 0.99


def test_bad_sites_and_bodies():
    times = "2030-01-01T00:00:00Z"
    with pytest.raises(InputError, match="latitude 91 degrees is outside -90..90"):
        topocentric("sun", 91.0, 0.0, times)
    with pytest.raises(InputError, match="stands on the Moon"):
        topocentric("moon", -89.0, 0.0, times)
    with pytest.raises(InputError, match="shines by itself"):
        illuminated_fraction("sun", -89.0, 0.0, times)
