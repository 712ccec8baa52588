"""Sublimation of exposed ice: Murphy & Koop 2005's own check values, the Hertz-Knudsen
flux written out by hand, and the loss at 110 K that issue 20 quotes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.exploration.sublimation import (
    ICE_DENSITY_KG_M3,
    accumulate_loss,
    loss_rate_m_per_gyr,
    mass_flux_kg_m2_s,
    temperature_at_loss_k,
    vapour_pressure_pa,
)

# Murphy & Koop 2005, QJRMS 131:1539, Table C1 ("values recommended for checking computer
# codes"), ice, to the table's five significant figures.
MURPHY_KOOP_TABLE_C1_PA = {150.0: 6.1061e-6, 180.0: 5.3975e-3, 210.0: 0.70202, 240.0: 27.272}


@pytest.mark.parametrize(("temperature_k", "pressure_pa"), MURPHY_KOOP_TABLE_C1_PA.items())
def test_vapour_pressure_against_murphy_and_koops_check_values(temperature_k, pressure_pa):
    assert vapour_pressure_pa(temperature_k) == pytest.approx(pressure_pa, rel=1e-4)


def test_vapour_pressure_at_the_triple_point():
    # 611.657 Pa at 273.16 K (Murphy & Koop 2005, section 2, from Guildner et al. 1976).
    assert vapour_pressure_pa(273.16) == pytest.approx(611.657, abs=1e-3)


def test_the_flux_is_hertz_knudsen():
    # By hand at 150 K: m = 18.01528 g/mol / N_A, sqrt(m / (2 pi k T)).
    m_kg = 18.01528e-3 / 6.02214076e23
    by_hand = 6.1061e-6 * math.sqrt(m_kg / (2 * math.pi * 1.380649e-23 * 150.0))
    assert mass_flux_kg_m2_s(150.0) == pytest.approx(by_hand, rel=1e-4)
    assert loss_rate_m_per_gyr(150.0) == pytest.approx(
        by_hand / ICE_DENSITY_KG_M3 * 3.15576e16, rel=1e-4
    )


def test_110_k_loses_about_0_16_m_per_gyr():
    # Issue 20: "110 K means ~0.16 m/Gyr sublimation (Murphy & Koop 2005)". With ice at
    # 933 kg/m3 (its density near 100 K) it is 0.154 m/Gyr; 0.157 at 917 kg/m3.
    assert loss_rate_m_per_gyr(110.0) == pytest.approx(0.154, abs=0.001)
    assert loss_rate_m_per_gyr(110.0) == pytest.approx(0.16, abs=0.01)


def test_the_rate_scales_as_p_over_root_t():
    # Between two temperatures the rate goes as p_sv(T) / sqrt(T) (the same density).
    ratio = loss_rate_m_per_gyr(120.0) / loss_rate_m_per_gyr(100.0)
    expected = vapour_pressure_pa(120.0) / vapour_pressure_pa(100.0) * math.sqrt(100.0 / 120.0)
    assert ratio == pytest.approx(expected, rel=1e-12)
    # Near 110 K it grows about tenfold every 5 K (ln p slope 5723/T^2 ~ 0.47/K).
    assert 8.0 < loss_rate_m_per_gyr(115.0) / loss_rate_m_per_gyr(110.0) < 12.0


def test_the_temperature_of_a_loss_rate_inverts_it():
    t_k = temperature_at_loss_k(1e-3)
    assert loss_rate_m_per_gyr(t_k) == pytest.approx(1e-3, rel=1e-9)
    assert 100.0 < t_k < 101.5  # 1 mm/Gyr, Siegler et al. 2016's threshold
    with pytest.raises(InputError, match="loss rate"):
        temperature_at_loss_k(0.0)


def test_the_compiled_sums_match_the_formula():
    surface = np.array([40.0, 105.0, 130.0])
    layers = np.array([[30.0, 90.0], [100.0, 110.0], [120.0, 59.0]])
    sums = np.zeros((3, 3))
    accumulate_loss(surface, layers, sums)
    accumulate_loss(surface, layers, sums)
    expected = 2 * loss_rate_m_per_gyr(np.column_stack([surface, layers]))
    # Below 60 K the rate (< 1e-12 m/Gyr) is left out.
    expected[np.column_stack([surface, layers]) <= 60.0] = 0.0
    assert np.allclose(sums, expected, rtol=1e-12, atol=0.0)


def test_bad_temperatures_are_refused():
    with pytest.raises(InputError, match="temperatures"):
        vapour_pressure_pa(-5.0)
