"""Relay orbits: checked against two-body analytic solutions, the analytic J2 node rate,
direct force sums from DE421, and the frozen-orbit behaviour the Earth's pull predicts.

The figures in the frozen-orbit tests were measured with this propagator (one year,
2026, every force, 2 h sampling) and are stated with their margins where they are asserted.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.sky import Times, default_ephemeris, utc_range
from ilrs.sky.orbits import (
    EARTH_GM_M3_S2,
    MOON_GM_M3_S2,
    MOON_J2,
    MOON_J2_REFERENCE_RADIUS_M,
    SUN_GM_M3_S2,
    OrbitElements,
    RelayTrack,
    builtin_orbits,
    elements_from_state,
    moon_orbit_plane_axes,
    propagate,
    state_from_elements,
)

EPOCH = "2026-01-01T00:00:00Z"
YEAR = utc_range("2026-01-01", "2027-01-01", "2h")


@pytest.fixture(scope="module")
def kernel():
    from ilrs.sky import _orbit_kernel

    return _orbit_kernel


def _angle_change_deg(angles_deg, reference_deg):
    return (np.asarray(angles_deg) - reference_deg + 180.0) % 360.0 - 180.0


def _kepler_position(elements: OrbitElements, dt_s: float) -> np.ndarray:
    """Two-body position [m] in ICRF at ``dt_s`` past the epoch, written out plainly."""
    a, e = elements.semi_major_axis_m, elements.eccentricity
    mean_motion = math.sqrt(MOON_GM_M3_S2 / a**3)
    mean = math.radians(elements.mean_anomaly_deg) + mean_motion * dt_s
    eccentric = mean
    for _ in range(100):
        eccentric -= (eccentric - e * math.sin(eccentric) - mean) / (1 - e * math.cos(eccentric))
    perifocal = np.array(
        [a * (math.cos(eccentric) - e), a * math.sqrt(1 - e * e) * math.sin(eccentric), 0.0]
    )

    def about_z(angle_deg):
        c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
        return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])

    def about_x(angle_deg):
        c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
        return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])

    to_frame = (
        about_z(elements.raan_deg)
        @ about_x(elements.inclination_deg)
        @ about_z(elements.arg_perilune_deg)
    )
    me_to_icrf, _ = default_ephemeris().moon_me_to_icrf(np.array([elements.epoch_tdb_s]))
    return me_to_icrf[0] @ to_frame @ perifocal


# --- the integrator and the force model -------------------------------------------------


def test_dormand_prince_tableau_satisfies_the_order_conditions(kernel):
    a, b, b_star, c = kernel.DP_A, kernel.DP_B, kernel.DP_B_STAR, kernel.DP_C
    assert np.allclose(a.sum(axis=1), c, atol=1e-15)  # row sums are the nodes
    # Conditions up to order 4 for both weights (Butcher trees), and order 5's quadrature.
    for weights in (b, b_star):
        assert weights.sum() == pytest.approx(1.0, abs=1e-15)
        assert weights @ c == pytest.approx(1 / 2, abs=1e-15)
        assert weights @ c**2 == pytest.approx(1 / 3, abs=1e-15)
        assert weights @ (a @ c) == pytest.approx(1 / 6, abs=1e-15)
        assert weights @ c**3 == pytest.approx(1 / 4, abs=1e-15)
        assert weights @ (c * (a @ c)) == pytest.approx(1 / 8, abs=1e-15)
        assert weights @ (a @ c**2) == pytest.approx(1 / 12, abs=1e-15)
        assert weights @ (a @ (a @ c)) == pytest.approx(1 / 24, abs=1e-15)
    assert b @ c**4 == pytest.approx(1 / 5, abs=1e-15)
    assert b @ (a @ (a @ (a @ c))) == pytest.approx(1 / 120, abs=1e-15)
    assert b_star @ c**4 != pytest.approx(1 / 5, abs=1e-6)  # the partner is of order 4 only


def test_tabulated_earth_sun_and_pole_interpolate_de421_within_a_metre(kernel):
    from ilrs.sky.orbits import _perturber_table

    ephemeris = default_ephemeris()
    start = builtin_orbits()["queqiao-2-24h"].epoch_tdb_s
    table, t0, step = _perturber_table(ephemeris, start, start + 20 * 86400.0)
    assert step == pytest.approx(3600.0, rel=1e-3)
    # Half-way between nodes, where the Hermite error is largest.
    times = t0 + step * (np.arange(table.shape[0] - 1) + 0.5)
    for column, body in ((0, "earth"), (6, "sun")):
        interpolated = kernel.hermite_table(table, t0, step, times, column)
        exact, _ = ephemeris.relative_state_m(body, "moon", times)
        assert np.max(np.linalg.norm(interpolated - exact, axis=1)) < 0.1  # measured 0.014 m
    pole = kernel.hermite_table(table, t0, step, times, 12)
    exact_pole = ephemeris.moon_me_to_icrf(times)[0][:, :, 2]
    assert np.max(np.linalg.norm(pole - exact_pole, axis=1)) < 1e-10  # measured 7e-14


def test_accelerations_match_direct_sums_from_barycentric_de421(kernel):
    """Third bodies from barycentric positions (a different route from the kernel's
    Moon-relative difference), J2 from a numerical gradient of its potential."""
    from ilrs.sky.orbits import _perturber_table

    ephemeris = default_ephemeris()
    epoch = builtin_orbits()["queqiao-2-24h"].epoch_tdb_s
    table, t0, step = _perturber_table(ephemeris, epoch, epoch + 3 * 86400.0)
    params = np.array(
        [
            MOON_GM_M3_S2,
            MOON_J2 * MOON_J2_REFERENCE_RADIUS_M**2,
            EARTH_GM_M3_S2,
            SUN_GM_M3_S2,
            1_737_400.0,
        ]
    )
    state = np.array([1.2e6, -2.3e6, 1.4e6, 100.0, 900.0, -1200.0])
    t = epoch + 1.37 * 86400.0  # between nodes
    out = np.empty(6)

    def acceleration(flags):
        kernel._derivative(t - epoch, state, params, flags, table, t0 - epoch, step, out)
        return out[3:].copy()

    point_mass = acceleration(0)
    r = state[:3]
    assert point_mass == pytest.approx(-MOON_GM_M3_S2 * r / np.linalg.norm(r) ** 3, rel=1e-14)

    moon_bary, _ = ephemeris.state_m("moon", np.array([t]))
    for flags, body, gm in (
        (kernel.FORCE_EARTH, "earth", EARTH_GM_M3_S2),
        (kernel.FORCE_SUN, "sun", SUN_GM_M3_S2),
    ):
        body_bary, _ = ephemeris.state_m(body, np.array([t]))
        on_satellite = gm * (body_bary[0] - (moon_bary[0] + r))
        on_satellite /= np.linalg.norm(body_bary[0] - (moon_bary[0] + r)) ** 3
        on_moon = (
            gm * (body_bary[0] - moon_bary[0]) / np.linalg.norm(body_bary[0] - moon_bary[0]) ** 3
        )
        expected = on_satellite - on_moon
        assert acceleration(flags) - point_mass == pytest.approx(expected, rel=1e-7)

    pole = ephemeris.moon_me_to_icrf(np.array([t]))[0][0, :, 2]

    def j2_potential(position):
        radius = np.linalg.norm(position)
        sine = position @ pole / radius
        return (
            -MOON_GM_M3_S2
            * MOON_J2
            * MOON_J2_REFERENCE_RADIUS_M**2
            / radius**3
            * (3 * sine**2 - 1)
            / 2
        )

    gradient = np.array(
        [(j2_potential(r + d) - j2_potential(r - d)) / 2.0 for d in np.eye(3) * 1.0]
    )
    assert acceleration(kernel.FORCE_J2) - point_mass == pytest.approx(gradient, rel=1e-6)


# --- two-body motion ---------------------------------------------------------------------


def test_point_mass_orbit_matches_kepler_within_a_metre():
    elements = OrbitElements(
        semi_major_axis_m=5.0e6,
        eccentricity=0.55,
        inclination_deg=75.0,
        raan_deg=40.0,
        arg_perilune_deg=250.0,
        mean_anomaly_deg=30.0,
        epoch_utc=EPOCH,
    )
    period_s = elements.period_s
    offsets_s = np.linspace(-period_s, 3 * period_s, 23)  # before the epoch too
    track = propagate(elements, Times(elements.epoch_tdb_s + offsets_s), forces=())
    expected = np.array([_kepler_position(elements, dt) for dt in offsets_s])
    errors_m = np.linalg.norm(track.position_icrf_m - expected, axis=1)
    assert np.max(errors_m) < 1.0  # measured 0.5 mm


def test_point_mass_orbit_keeps_period_energy_and_angular_momentum():
    elements = builtin_orbits()["queqiao-2-24h"]
    period_s = elements.period_s
    assert period_s / 3600.0 == pytest.approx(24.32, abs=0.01)  # a = 9837.4 km
    offsets_s = np.linspace(0.0, 10 * period_s, 101)
    track = propagate(elements, Times(elements.epoch_tdb_s + offsets_s), forces=())
    r, v = track.position_icrf_m, track.velocity_icrf_m_s
    energy = np.einsum("ij,ij->i", v, v) / 2 - MOON_GM_M3_S2 / np.linalg.norm(r, axis=1)
    momentum = np.cross(r, v)
    assert energy[0] == pytest.approx(-MOON_GM_M3_S2 / (2 * elements.semi_major_axis_m), rel=1e-12)
    assert np.max(np.abs(energy / energy[0] - 1)) < 1e-9  # measured 6e-11
    assert (
        np.max(np.linalg.norm(momentum - momentum[0], axis=1)) / np.linalg.norm(momentum[0]) < 1e-9
    )  # measured 4e-12
    # Every tenth sample is a whole number of Keplerian periods: back where it started.
    returns_m = np.linalg.norm(r[::10] - r[0], axis=1)
    assert returns_m[1] < 0.01  # one period: measured 1 mm
    assert np.max(returns_m) < 1.0  # ten periods: measured 0.08 m


def test_elements_state_elements_round_trip():
    cases = [
        (9.8374e6, 0.803, 62.4, 273.28, 90.0, 0.0),
        (5.0e6, 0.3, 120.0, 10.0, 300.0, 200.0),  # retrograde
        (2.0e6, 0.01, 89.0, 359.0, 45.0, 359.0),
        (4.5e6, 0.6, 5.0, 180.0, 180.0, 90.0),
    ]
    for a, e, i, raan, w, mean in cases:
        elements = OrbitElements(a, e, i, raan, w, mean, EPOCH)
        position_m, velocity_m_s = state_from_elements(elements)
        back = elements_from_state(position_m, velocity_m_s)
        assert back["semi_major_axis_m"][0] == pytest.approx(a, rel=1e-12)
        assert back["eccentricity"][0] == pytest.approx(e, abs=1e-12)
        assert back["inclination_deg"][0] == pytest.approx(i, abs=1e-9)
        for key, value in (("raan_deg", raan), ("arg_perilune_deg", w), ("mean_anomaly_deg", mean)):
            assert abs(_angle_change_deg(back[key][0], value)) < 1e-8, key
    # Through the propagator and the epoch frame: the track at the epoch gives the input.
    elements = builtin_orbits()["queqiao-2-12h"]
    track = propagate(elements, EPOCH)
    osculating = track.osculating_elements()
    assert osculating["semi_major_axis_m"][0] == pytest.approx(
        elements.semi_major_axis_m, rel=1e-12
    )
    assert osculating["eccentricity"][0] == pytest.approx(elements.eccentricity, abs=1e-12)
    assert osculating["inclination_deg"][0] == pytest.approx(elements.inclination_deg, abs=1e-9)
    assert osculating["raan_deg"][0] == pytest.approx(elements.raan_deg, abs=1e-9)
    assert osculating["arg_perilune_deg"][0] == pytest.approx(elements.arg_perilune_deg, abs=1e-8)


def test_from_altitudes_and_the_derived_radii():
    elements = OrbitElements.from_altitudes(200e3, 16_000e3, 62.4, 0.0, 90.0, 0.0, EPOCH)
    assert elements.semi_major_axis_m == pytest.approx(9_837_400.0)
    assert elements.perilune_radius_m == pytest.approx(1_937_400.0)
    assert elements.apolune_radius_m == pytest.approx(17_737_400.0)
    assert elements.eccentricity == pytest.approx(15_800 / 19_674.8)


# --- perturbations -----------------------------------------------------------------------


def test_j2_node_regression_matches_the_analytic_rate():
    elements = OrbitElements(
        semi_major_axis_m=1_737_400.0 + 100e3,
        eccentricity=0.001,
        inclination_deg=30.0,
        raan_deg=20.0,
        arg_perilune_deg=0.0,
        mean_anomaly_deg=0.0,
        epoch_utc=EPOCH,
    )
    times = utc_range("2026-01-01", "2026-01-11", "5min")
    node_deg = np.unwrap(
        np.radians(propagate(elements, times, forces=("j2",)).osculating_elements()["raan_deg"])
    )
    elapsed_s = times.tdb_s - times.tdb_s[0]
    fitted_rad_s = np.polyfit(elapsed_s, node_deg, 1)[0]
    # Mean-element rate: dOmega/dt = -3/2 n J2 (R/p)^2 cos i (e.g. Vallado 2013, ch. 9).
    a, e = elements.semi_major_axis_m, elements.eccentricity
    n = math.sqrt(MOON_GM_M3_S2 / a**3)
    p = a * (1 - e * e)
    analytic_rad_s = (
        -1.5 * n * MOON_J2 * (MOON_J2_REFERENCE_RADIUS_M / p) ** 2 * math.cos(math.radians(30.0))
    )
    assert math.degrees(analytic_rad_s) * 86400 == pytest.approx(-1.04, abs=0.01)  # deg/day
    assert fitted_rad_s == pytest.approx(analytic_rad_s, rel=0.02)  # measured 0.14% apart


@pytest.mark.parametrize(
    ("name", "kozai_deg", "to_moon_orbit_plane_deg"),
    [("queqiao-2-24h", 62.51, 62.4), ("queqiao-2-12h", 54.93, 54.5)],
)
def test_builtin_orbits_are_set_against_the_moon_orbit_plane(
    name, kozai_deg, to_moon_orbit_plane_deg
):
    """The published 62.4 deg is the frozen (Kozai) inclination for e = 0.803 relative to
    the Moon's orbit plane: cos^2 i = 3/5 (1 - e^2) gives 62.5 deg."""
    elements = builtin_orbits()[name]
    assert math.degrees(math.acos(math.sqrt(0.6 * (1 - elements.eccentricity**2)))) == (
        pytest.approx(kozai_deg, abs=0.01)
    )
    axes = moon_orbit_plane_axes(elements.epoch_utc)
    assert math.degrees(math.acos(axes[2, 2])) == pytest.approx(6.58, abs=0.01)
    position_m, velocity_m_s = state_from_elements(elements)
    in_plane_axes = elements_from_state(axes.T @ position_m, axes.T @ velocity_m_s)
    assert in_plane_axes["inclination_deg"][0] == pytest.approx(to_moon_orbit_plane_deg, abs=0.01)
    assert in_plane_axes["arg_perilune_deg"][0] == pytest.approx(90.0, abs=0.01)


def test_frozen_24h_orbit_holds_eccentricity_and_perilune_for_a_year():
    elements = builtin_orbits()["queqiao-2-24h"]
    osculating = propagate(elements, YEAR).osculating_elements()
    change_e = osculating["eccentricity"] - elements.eccentricity
    change_w = _angle_change_deg(osculating["arg_perilune_deg"], elements.arg_perilune_deg)
    # Measured over 2026: e within [-0.036, +0.015] (the Earth's semi-monthly tide is +-0.015
    # of it; the perilune altitude dips to 50 km), perilune argument within [-8.7, +9.5] deg.
    assert change_e.min() > -0.045 and change_e.max() < 0.02
    assert np.max(np.abs(change_w)) < 11.0
    # The node circles (the Earth's pull turns it about the Moon's orbit normal), so the
    # inclination to the equator swings by about twice 6.6 deg: measured 55.6-69.5 deg.
    assert np.ptp(osculating["inclination_deg"]) > 12.0
    # ... and the apolune stays in the south: latitude of the apolune direction < 0.
    perilune_latitude = np.sin(np.radians(osculating["inclination_deg"])) * np.sin(
        np.radians(osculating["arg_perilune_deg"])
    )
    assert np.all(perilune_latitude > 0.6)


def test_the_published_numbers_read_in_the_equatorial_frame_are_not_frozen():
    """62.4 deg to the lunar equator with the node on the Moon's orbit node is 55.8 deg to
    the orbit plane, far from the frozen 62.5: e falls by 0.14 and the perilune argument
    swings by 16 deg within the year (measured), four and 1.7 times the frozen drifts; with
    the perilune argument at 0 or 30 deg instead of 90 the orbit hits the Moon in 4-5 days."""
    frozen = builtin_orbits()["queqiao-2-24h"]
    elements = OrbitElements(
        frozen.semi_major_axis_m, frozen.eccentricity, 62.4, 93.28, 90.0, 0.0, EPOCH
    )
    osculating = propagate(elements, YEAR).osculating_elements()
    change_e = osculating["eccentricity"] - elements.eccentricity
    change_w = _angle_change_deg(osculating["arg_perilune_deg"], 90.0)
    assert change_e.min() < -0.12
    assert np.max(np.abs(change_w)) > 14.0


def test_frozen_12h_orbit_holds_eccentricity_and_perilune_for_a_year():
    elements = builtin_orbits()["queqiao-2-12h"]
    assert elements.period_s / 3600.0 == pytest.approx(12.13, abs=0.01)
    osculating = propagate(elements, YEAR).osculating_elements()
    change_e = osculating["eccentricity"] - elements.eccentricity
    change_w = _angle_change_deg(osculating["arg_perilune_deg"], elements.arg_perilune_deg)
    # Measured over 2026: e within [-0.039, +0.0001], perilune argument within [-8.6, +1.1]
    # deg (over 2026-2035: [-0.049, +0.006] and +-8.6 deg).
    assert change_e.min() > -0.045 and change_e.max() < 0.005
    assert np.max(np.abs(change_w)) < 10.0


def test_an_orbit_brought_down_by_the_earth_is_reported_with_its_date():
    # The 24 h orbit with its node a quarter turn away: the semi-monthly tide first raises e
    # and the 200 km perilune reaches the ground within days.
    elements = OrbitElements.from_altitudes(200e3, 16_000e3, 62.4, 0.0, 90.0, 0.0, EPOCH)
    with pytest.raises(InputError, match=r"reaches the lunar surface .* at 2026-01-"):
        propagate(elements, utc_range("2026-01-01", "2026-02-01", "1h"))
    # The same orbit under the Moon alone is fine.
    assert len(propagate(elements, utc_range("2026-01-01", "2026-02-01", "1h"), forces=())) == 745


# --- frames and outputs -----------------------------------------------------------------


def test_moon_fixed_positions_are_the_icrf_positions_rotated():
    elements = builtin_orbits()["queqiao-2-24h"]
    times = utc_range("2026-03-01", "2026-03-04", "17min")
    track = propagate(elements, times)
    assert isinstance(track, RelayTrack)
    assert track.position_me_m.shape == track.position_icrf_m.shape == (len(times), 3)
    assert np.linalg.norm(track.position_me_m, axis=1) == pytest.approx(
        np.linalg.norm(track.position_icrf_m, axis=1), rel=1e-14
    )
    me_to_icrf, _ = default_ephemeris().moon_me_to_icrf(times.tdb_s)
    rotated_back = np.einsum("nij,nj->ni", me_to_icrf, track.position_me_m)
    assert np.max(np.abs(rotated_back - track.position_icrf_m)) < 1e-6
    # The Moon turns under the orbit: the Moon-fixed track is not the inertial one.
    assert np.max(np.abs(track.position_me_m - track.position_icrf_m)) > 1e6


def test_apolune_is_over_the_south_at_the_epoch():
    elements = builtin_orbits()["queqiao-2-24h"]
    half_period = Times([elements.epoch_tdb_s + elements.period_s / 2])
    position = propagate(elements, half_period).position_me_m[0]
    latitude_deg = math.degrees(math.asin(position[2] / np.linalg.norm(position)))
    assert latitude_deg == pytest.approx(-elements.inclination_deg, abs=1.0)
    assert np.linalg.norm(position) == pytest.approx(elements.apolune_radius_m, rel=2e-3)


def test_one_year_with_every_force_takes_seconds():
    elements = builtin_orbits()["queqiao-2-24h"]
    times = utc_range("2026-01-01", "2027-01-01", "10min")
    propagate(elements, times[:10])  # compiled (or loaded from numba's cache) beforehand
    start = time.perf_counter()
    track = propagate(elements, times)
    elapsed_s = time.perf_counter() - start
    assert len(track) == 52_561
    assert elapsed_s < 5.0  # measured 0.3 s on a shared two-core machine


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"eccentricity": 1.2}, r"eccentricity 1\.2 is outside \[0, 1\)"),
        ({"eccentricity": -0.1}, r"eccentricity -0\.1 is outside"),
        ({"semi_major_axis_m": -5e6}, r"semi_major_axis_m must be positive"),
        ({"semi_major_axis_m": float("nan")}, r"semi_major_axis_m must be finite"),
        ({"inclination_deg": 200.0}, r"inclination_deg 200 is outside \[0, 180\]"),
        (
            {"semi_major_axis_m": 1_700_000.0, "eccentricity": 0.0},
            r"the perilune \(radius 1 700 000 m.*below the lunar surface \(1 737 400 m\)",
        ),
        ({"epoch_utc": "2026-13-01"}, r"epoch_utc.*not a valid UTC time"),
        ({"raan_deg": "east"}, r"raan_deg must be a number"),
    ],
)
def test_bad_elements_are_refused_naming_the_field(fields, message):
    values = {
        "semi_major_axis_m": 5e6,
        "eccentricity": 0.3,
        "inclination_deg": 60.0,
        "raan_deg": 0.0,
        "arg_perilune_deg": 90.0,
        "mean_anomaly_deg": 0.0,
        "epoch_utc": EPOCH,
    }
    values.update(fields)
    with pytest.raises(InputError, match=message):
        OrbitElements(**values)


def test_bad_altitudes_and_propagation_requests_are_refused():
    with pytest.raises(InputError, match=r"perilune \(radius 1 637 400 m.*below the lunar"):
        OrbitElements.from_altitudes(-100e3, 1000e3, 60.0, 0.0, 90.0, 0.0, EPOCH)
    with pytest.raises(InputError, match="apolune_altitude_m"):
        OrbitElements.from_altitudes(500e3, 100e3, 60.0, 0.0, 90.0, 0.0, EPOCH)
    elements = builtin_orbits()["queqiao-2-12h"]
    with pytest.raises(InputError, match="unknown force 'mars'"):
        propagate(elements, EPOCH, forces=("j2", "mars"))
    with pytest.raises(InputError, match="sorted"):
        propagate(elements, ["2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"])
    with pytest.raises(InputError, match="outside the span of the ephemeris"):
        propagate(elements, "2070-01-01T00:00:00Z")
