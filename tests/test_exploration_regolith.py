"""The regolith heat model (Hayne et al. 2017, doi:10.1002/2017JE005387) against published
lunar temperatures, its own energy budget, the analytic geothermal steady state, and by
hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ilrs.errors import InputError
from ilrs.exploration.regolith import (
    HEAT_CAPACITY_COEFFICIENTS_J_KG_K,
    STEFAN_BOLTZMANN_W_M2_K4,
    SYNODIC_MONTH_S,
    Columns,
    Layers,
    Regolith,
    conductivity_w_m_k,
    energy_budget,
    enthalpy_j_kg,
    flat_surface_run,
    heat_capacity_j_kg_k,
    layers_for,
    skin_depth_m,
)

REGOLITH = Regolith()
LAYERS = layers_for(REGOLITH)

# Hayne et al. 2017, Table A2: the standard model's equatorial constraints from Diviner,
# peak (noon) 385 +- 5 K, midnight 101 +- 5 K, night-time minimum 95 +- 5 K.
HAYNE_NOON_K, HAYNE_MIDNIGHT_K, HAYNE_NIGHT_MIN_K = 385.0, 101.0, 95.0
# Diviner equatorial night-time temperatures [K] against hours after local noon, as
# digitised in Hayne's heat1d repository (github.com/phayne/heat1d,
# data/diviner_regtemp_lat00.csv).
DIVINER_HOURS_AFTER_NOON = np.array(
    [8.483, 9.478, 10.460, 11.507, 12.481, 13.481, 14.494, 15.485, 16.487]
)
DIVINER_NIGHT_K = np.array([107.50, 104.60, 102.39, 100.38, 98.95, 97.67, 96.31, 95.09, 94.13])


@pytest.fixture(scope="module")
def equator():
    return flat_surface_run(0.0)


def test_equatorial_diurnal_curve_matches_hayne_2017_and_diviner(equator):
    predawn = equator.local_time_h < 6.0
    noon_k = equator.surface_k.max()
    night_min_k = equator.surface_k[predawn].min()
    assert abs(noon_k - HAYNE_NOON_K) < 10.0  # 385.2 K
    assert abs(equator.surface_at(12.0) - HAYNE_NOON_K) < 10.0
    assert abs(equator.surface_at(0.0) - HAYNE_MIDNIGHT_K) < 10.0  # 99.2 K
    assert abs(night_min_k - HAYNE_NIGHT_MIN_K) < 10.0  # 92.8 K
    assert 5.0 < equator.local_time_h[predawn][np.argmin(equator.surface_k[predawn])] < 6.0
    # The whole night-time cooling curve (within 0.6 K here).
    model_k = equator.surface_at(12.0 + DIVINER_HOURS_AFTER_NOON)
    np.testing.assert_allclose(model_k, DIVINER_NIGHT_K, atol=3.0)
    # Depth: the diurnal wave dies out, the mean warms with depth (solid-state greenhouse).
    swing_k = equator.max_k - equator.min_k
    assert swing_k[0] > 250.0 and swing_k[-1] < 0.01
    assert 240.0 < equator.mean_k[-1] < 265.0 and equator.mean_k[-1] > equator.mean_k[0] + 30.0


def test_periodic_lunation_balances_its_energy(equator):
    budget = equator.budget
    mean_in = budget.mean_absorbed_w_m2[0] + budget.mean_geothermal_w_m2[0]
    assert abs(budget.mean_emitted_w_m2[0] - mean_in) < 0.005 * mean_in  # 1e-7 here
    assert budget.relative_residual[0] < 1e-9
    # Periodic: the recorded lunation ends where it began.
    assert abs(budget.stored_change_j_m2[0]) < 1e-4 * budget.absorbed_j_m2[0]


def test_energy_budget_closes_over_a_non_periodic_stretch():
    rng = np.random.default_rng(7)
    n = 13  # not a whole number of batches of 8
    columns = Columns.equilibrium(LAYERS, REGOLITH, rng.uniform(0.0, 400.0, n))
    start = columns.snapshot(LAYERS)
    for dt_s in (3600.0, 600.0, 86_400.0, 3600.0, 1.0e5, 60.0) * 20:
        columns.step(LAYERS, REGOLITH, rng.uniform(0.0, 1200.0, n) * rng.integers(0, 2, n), dt_s)
    end = columns.snapshot(LAYERS)
    budget = energy_budget(start, end)
    # The stored heat by hand: the polynomial integrated by numpy, layer by layer.
    enthalpy = np.polynomial.Polynomial(HEAT_CAPACITY_COEFFICIENTS_J_KG_K).integ()
    by_hand = (LAYERS.density_kg_m3 * LAYERS.thickness_m * enthalpy(columns.temperature_k)).sum(1)
    np.testing.assert_allclose(end.stored_j_m2, by_hand, rtol=1e-12)
    assert np.all(budget.relative_residual < 1e-6)  # ~1e-12: Newton tolerance and round-off
    assert np.all(np.abs(budget.stored_change_j_m2) > 1e-4 * budget.absorbed_j_m2)  # not periodic
    np.testing.assert_allclose(
        budget.geothermal_j_m2, REGOLITH.geothermal_flux_w_m2 * budget.duration_s
    )


def test_columns_are_independent_of_their_batch():
    rng = np.random.default_rng(3)
    means, fluxes = rng.uniform(0.0, 400.0, 11), rng.uniform(0.0, 1300.0, 11)
    together = Columns.equilibrium(LAYERS, REGOLITH, means)
    together.step(LAYERS, REGOLITH, fluxes, 7200.0)
    for i in (0, 7, 8, 10):
        alone = Columns.equilibrium(LAYERS, REGOLITH, means[i : i + 1])
        alone.step(LAYERS, REGOLITH, fluxes[i : i + 1], 7200.0)
        # Equal within the Newton tolerance (a batch iterates until all its lanes converge).
        np.testing.assert_allclose(alone.temperature_k[0], together.temperature_k[i], atol=1e-6)
        np.testing.assert_allclose(alone.surface_k[0], together.surface_k[i], atol=1e-6)


def test_darkness_relaxes_to_the_geothermal_steady_state():
    q = REGOLITH.geothermal_flux_w_m2
    eps_sigma = REGOLITH.emissivity * STEFAN_BOLTZMANN_W_M2_K4
    surface_k = (q / eps_sigma) ** 0.25  # eps sigma Ts^4 = Q: 24.04 K
    # The equilibrium start with no sunlight is already the steady state.
    still = Columns.equilibrium(LAYERS, REGOLITH, [0.0])
    before = still.temperature_k.copy()
    still.step(LAYERS, REGOLITH, 0.0, 86_400.0)
    np.testing.assert_allclose(still.temperature_k, before, atol=1e-9)
    # A warm column (start of 3 W/m2, ~86 K) left in the dark relaxes to it.
    column = Columns.equilibrium(LAYERS, REGOLITH, [3.0])
    for _ in range(2500):
        column.step(LAYERS, REGOLITH, 0.0, 1.0e6)
    assert column.surface_k[0] == pytest.approx(surface_k, abs=1e-4)
    assert surface_k == pytest.approx(24.04, abs=0.01)

    # dT/dz = Q / K(z, T), integrated from the surface.
    def gradient(z, t):
        kc = REGOLITH.contact_conductivity_w_m_k(REGOLITH.density_kg_m3(z))
        return q / conductivity_w_m_k(kc, t, REGOLITH.radiative_chi)

    exact = solve_ivp(
        gradient, (0.0, LAYERS.bottom_m), [surface_k], t_eval=LAYERS.centre_m, rtol=1e-10
    )
    np.testing.assert_allclose(column.temperature_k[0], exact.y[0], atol=0.01)  # 2 mK here
    # At depth the gradient is Q / K_d (the T^3 term is 0.1 % at 30 K): 5.29 K/m.
    deep = column.temperature_k[0, -3:]
    measured = np.diff(deep) / np.diff(LAYERS.centre_m[-3:])
    assert measured == pytest.approx(q / REGOLITH.deep_conductivity_w_m_k, rel=0.01)


def test_step_size_converges():
    hourly = flat_surface_run(0.0, hours_per_step=1.0)
    fine = flat_surface_run(0.0, hours_per_step=1.0 / 6.0)
    assert np.diff(fine.local_time_h)[0] == pytest.approx(
        np.diff(hourly.local_time_h)[0] / 6, rel=1e-3
    )
    assert abs(hourly.surface_k.max() - fine.surface_k.max()) < 2.0  # 0.003 K here
    for local_time_h in (0.0, 5.5):
        assert abs(hourly.surface_at(local_time_h) - fine.surface_at(local_time_h)) < 2.0


def test_heat_capacity_and_conductivity_by_hand():
    # c(T) = -3.6125 + 2.7431 T + 2.3616e-3 T^2 - 1.2340e-5 T^3 + 8.9093e-9 T^4, by hand:
    # 250 K: -3.6125 + 685.775 + 147.6 - 192.8125 + 34.80195... = 671.75195...
    # 350 K: -3.6125 + 960.085 + 289.296 - 529.0775 + 133.69518... = 850.38618...
    np.testing.assert_allclose(
        heat_capacity_j_kg_k([250.0, 350.0]), [671.7519531, 850.3861832], rtol=1e-9
    )
    # Enthalpy is its exact integral: dE/dT = c.
    t = np.array([30.0, 120.0, 390.0])
    slope = (enthalpy_j_kg(t + 1e-3) - enthalpy_j_kg(t - 1e-3)) / 2e-3
    np.testing.assert_allclose(slope, heat_capacity_j_kg_k(t), rtol=1e-8)
    # K = Kc (1 + chi (T/350)^3): equals Kc (1 + chi) at 350 K; the excess grows as T^3.
    kc = 7.4e-4
    assert conductivity_w_m_k(kc, 350.0, 2.7) == pytest.approx(kc * 3.7)
    excess = conductivity_w_m_k(kc, [100.0, 200.0, 400.0], 2.7) / kc - 1.0
    np.testing.assert_allclose(excess[1:] / excess[:-1], [8.0, 8.0])


def test_albedo_and_profiles():
    np.testing.assert_allclose(
        REGOLITH.albedo([0.0, 45.0, 90.0, 120.0]),
        [0.12, 0.18 + 0.25 / 256, 0.12 + 0.06 * 8 + 0.25, 0.85],
    )
    assert Regolith(albedo_a=0.3).albedo(90.0) == 1.0  # clipped
    assert REGOLITH.density_kg_m3(0.0) == pytest.approx(1100.0)
    assert REGOLITH.density_kg_m3(0.07) == pytest.approx(1800.0 - 700.0 / np.e)
    assert REGOLITH.contact_conductivity_w_m_k(REGOLITH.density_kg_m3(10.0)) == pytest.approx(
        3.4e-3
    )


def test_grid():
    top_skin = skin_depth_m(7.4e-4, 1100.0, SYNODIC_MONTH_S)
    deep_skin = skin_depth_m(3.4e-3, 1800.0, SYNODIC_MONTH_S)
    assert top_skin == pytest.approx(0.0285, abs=5e-4)
    assert LAYERS.thickness_m[0] == pytest.approx(top_skin / 10.0)
    np.testing.assert_allclose(LAYERS.thickness_m[1:] / LAYERS.thickness_m[:-1], 1.2)
    assert 25.0 * deep_skin <= LAYERS.bottom_m < 25.0 * deep_skin * 1.25
    assert 20 <= LAYERS.n_layers <= 30
    np.testing.assert_allclose(LAYERS.top_m[1:], LAYERS.top_m[:-1] + LAYERS.thickness_m[:-1])
    assert np.all(np.diff(LAYERS.density_kg_m3) > 0.0)
    assert 1100.0 < LAYERS.density_kg_m3[0] < LAYERS.density_kg_m3[-1] < 1800.0
    # Each layer's density is the mean of rho(z) over it.
    z = np.linspace(LAYERS.top_m[3], LAYERS.top_m[4], 10_001)
    assert LAYERS.density_kg_m3[3] == pytest.approx(REGOLITH.density_kg_m3(z).mean(), rel=1e-7)


def test_settle_reaches_the_periodic_state_from_a_warm_start(equator):
    # The default spin-up (6 lunations, settled after each of the first 5) against twice
    # as long, the second half free; without settling the deep layers, 35 K too warm at
    # the start, would take hundreds of lunations.
    slow = flat_surface_run(0.0, lunations_spin_up=12, free_lunations=6)
    np.testing.assert_allclose(equator.mean_k, slow.mean_k, atol=0.02)
    unsettled = flat_surface_run(0.0, lunations_spin_up=6, free_lunations=6)
    assert unsettled.mean_k[-1] > slow.mean_k[-1] + 10.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.step(LAYERS, REGOLITH, 100.0, 0.0), "dt_s"),
        (lambda c: c.step(LAYERS, REGOLITH, 100.0, -60.0), "dt_s"),
        (lambda c: c.step(LAYERS, REGOLITH, 100.0, float("nan")), "dt_s"),
        (lambda c: c.step(LAYERS, REGOLITH, [np.nan, 1.0], 60.0), "finite"),
        (lambda c: c.step(LAYERS, REGOLITH, [-1.0, 1.0], 60.0), ">= 0"),
        (lambda c: c.step(LAYERS, REGOLITH, [1.0, 2.0, 3.0], 60.0), "one value per column"),
        (lambda c: c.step(layers_for(REGOLITH, growth=1.5), REGOLITH, 1.0, 60.0), "layers"),
        (lambda c: c.settle(LAYERS, REGOLITH), "start_period"),
        (lambda c: energy_budget(c.snapshot(LAYERS), c.snapshot(LAYERS)), "after the start"),
    ],
)
def test_bad_steps_raise(call, message):
    columns = Columns.equilibrium(LAYERS, REGOLITH, [10.0, 20.0])
    with pytest.raises(InputError, match=message):
        call(columns)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Layers.from_thicknesses(REGOLITH, [0.01, -0.02]), "thicknesses must be > 0"),
        (lambda: Layers.from_thicknesses(REGOLITH, [0.01, np.nan]), "finite"),
        (lambda: Layers([0.0, 0.1], [0.1, -0.1], [0.05, 0.05], [1e3, 1e3], [1e-3, 1e-3]), "> 0 m"),
        (
            lambda: Layers([0.0, 0.2], [0.1, 0.1], [0.05, 0.25], [1e3, 1e3], [1e-3, 1e-3]),
            "starts? where",
        ),
        (lambda: Layers([0.0], [0.1, 0.1], [0.05], [1e3], [1e-3]), "has 2 values"),
        (lambda: Columns(np.full((2, 3), 200.0), [200.0]), "one value per column"),
        (lambda: Columns(np.full(3, 200.0), [200.0]), r"\(n_columns, n_layers\)"),
        (lambda: Columns([[200.0, -1.0]], [200.0]), "> 0 K"),
        (lambda: Columns.equilibrium(LAYERS, REGOLITH, [np.nan]), "finite"),
        (lambda: Regolith(emissivity=0.0), "emissivity"),
        (lambda: Regolith(h_parameter_m=-0.07), "h_parameter_m"),
        (lambda: REGOLITH.albedo([10.0, np.nan]), "finite"),
        (lambda: heat_capacity_j_kg_k(-5.0), "> 0 K"),
        (lambda: layers_for(REGOLITH, layers_per_skin_depth=0), "layers_per_skin_depth"),
        (lambda: flat_surface_run(95.0), "lat_deg"),
        (lambda: flat_surface_run(0.0, hours_per_step=0.0), "hours_per_step"),
    ],
)
def test_bad_inputs_raise(call, message):
    with pytest.raises(InputError, match=message):
        call()
