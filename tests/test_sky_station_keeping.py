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


def test_the_24h_frozen_orbit_needs_station_keeping():
    """Published 200 km perilune; the modelled forces bring it to ~50 km at the perilune
    passes of 2026 (sampled every 1/24 of a revolution). Keeping the tide-averaged
    perilune from sinking takes 10.7 m/s over 2026 and 5.7 m/s over a year from June (the
    orbit's slow cycle moves it); over ten years, where falls give margin for later rises,
    about 1 m/s a year. The revolution-by-revolution restore (fighting the tide) costs far
    more: an upper bound."""
    orbit = builtin_orbits()["queqiao-2-24h"]
    january = station_keeping(orbit, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")
    june = station_keeping(orbit, "2026-06-01T00:00:00Z", "2027-06-01T00:00:00Z")
    assert january.lowest_perilune_altitude_m == pytest.approx(50e3, abs=5e3)
    assert january.floor_delta_v_m_s_per_year == pytest.approx(10.7, abs=0.3)
    assert june.floor_delta_v_m_s_per_year == pytest.approx(5.7, abs=0.3)
    assert january.restore_delta_v_m_s_per_year > 10 * january.floor_delta_v_m_s_per_year
    assert january.start_perilune_altitude_m == pytest.approx(200e3, abs=30e3)


def test_the_semi_monthly_tide_is_not_counted_as_drift():
    """A span starting at a tide's peak or trough no longer sets the figure: the 12 h
    orbit over 2026 needs nothing, whichever fortnight the span starts in."""
    orbit = builtin_orbits()["queqiao-2-12h"]
    for start, end in (("2026-01-01", "2026-12-31"), ("2026-01-08", "2027-01-07")):
        held = station_keeping(orbit, f"{start}T00:00:00Z", f"{end}T00:00:00Z")
        assert held.floor_delta_v_m_s_per_year < 0.5, (start, held)
