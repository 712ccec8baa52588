"""Station keeping of the relay orbits (issue 20, item 6c): the burn formula against the
vis-viva equation, and what the unmaintained 24 h frozen orbit would cost to hold."""

from __future__ import annotations

import math

import pytest

from ilrs.sky.orbits import (
    MOON_GM_M3_S2,
    OrbitElements,
    builtin_orbits,
    perilune_hold_delta_v_m_s,
    station_keeping,
)


def _speed_m_s(radius_m: float, semi_major_axis_m: float) -> float:
    return math.sqrt(MOON_GM_M3_S2 * (2.0 / radius_m - 1.0 / semi_major_axis_m))


def test_the_burn_formula_matches_two_exact_vis_viva_burns():
    # Undo de = 0.001 on the 24 h orbit exactly: raise the perilune by a de at apolune, then
    # lower the apolune by a de at the new perilune.
    orbit = builtin_orbits()["queqiao-2-24h"]
    a_m, e, de = orbit.semi_major_axis_m, orbit.eccentricity, 1e-3
    r_p, r_a = a_m * (1 - e - de), a_m * (1 + e + de)  # after the drift (a fixed)
    raised_r_p = r_p + a_m * de
    a1 = (raised_r_p + r_a) / 2.0
    burn_at_apolune = _speed_m_s(r_a, a1) - _speed_m_s(r_a, a_m)
    a2 = (raised_r_p + r_a - a_m * de) / 2.0
    burn_at_perilune = _speed_m_s(raised_r_p, a1) - _speed_m_s(raised_r_p, a2)
    exact_m_s = burn_at_apolune + burn_at_perilune
    assert perilune_hold_delta_v_m_s(orbit, de) == pytest.approx(exact_m_s, rel=2e-2)
    assert perilune_hold_delta_v_m_s(orbit, -de) == perilune_hold_delta_v_m_s(orbit, de)


def test_a_keplerian_orbit_needs_no_station_keeping():
    orbit = OrbitElements.from_altitudes(
        200e3, 16_000e3, 60.0, 0.0, 90.0, 0.0, "2026-01-01T00:00:00Z"
    )
    held = station_keeping(orbit, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", forces=())
    assert held.floor_delta_v_m_s_per_year == pytest.approx(0.0, abs=1e-6)
    assert held.lowest_perilune_altitude_m == pytest.approx(200e3, abs=1.0)


def test_the_24h_frozen_orbit_needs_station_keeping_in_2026():
    # Published 200 km perilune; the modelled forces bring it to ~50 km at the perilune
    # passes of 2026, and about 8 m/s of apolune burns in the year hold it at 200 km.
    held = station_keeping(
        builtin_orbits()["queqiao-2-24h"], "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"
    )
    assert held.lowest_perilune_altitude_m == pytest.approx(50e3, abs=5e3)
    assert held.floor_delta_v_m_s_per_year == pytest.approx(8.2, abs=0.3)
    assert held.restore_delta_v_m_s_per_year > held.floor_delta_v_m_s_per_year
