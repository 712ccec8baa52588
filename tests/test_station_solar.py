"""The solar array's chain from cell to bus, and the ISRU plant's energy from the ice: each
factor against an independent computation (a root finder for the panel's heat balance, a
quadrature of Hayne 2017's c(T)), and the reference station's figures that change."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq

from ilrs.errors import InputError
from ilrs.station.exposure import SOLAR_CONSTANT_W_M2, SunOnArray
from ilrs.station.isru import water_extraction
from ilrs.station.scenario import Isru, SolarArray
from ilrs.station.simulation import prepare, simulate
from ilrs.station.solar import incidence_modifier
from test_station_simulation import exposure, scenario

SIGMA = 5.670374419e-8


def _panel_temperature_by_root(
    admitted, rated, front_view=0.5, back_view=0.5, front=0.85, back=0.85
):
    """The heat balance of a thin panel solved by bracketing, not by the code's rounds: the
    light it lets in (absorptance 0.91) and the ground's glow (200 K) against both faces'
    infrared and the electricity that leaves (mismatch included, at the cell's temperature)."""

    def imbalance(t):
        factor = 1 - 0.0022 * max(t - 301.15, 0.0)
        ground = SIGMA * 200.0**4 * (front * front_view + back * back_view)
        return 0.91 * admitted + ground - rated * factor * 0.97 - (front + back) * SIGMA * t**4

    return brentq(imbalance, 1.0, 1000.0, xtol=1e-10)


def test_a_vertical_array_square_to_the_sun_gives_the_whole_chain_not_the_cell_alone():
    """Fails on the code before the chain: 10 m2 x 1361 W/m2 x 0.30 = 4,084 W came out."""
    spec = scenario(solar_arrays=[{"name": "array", "area_m2": 10.0, "cell_efficiency": 0.30}])
    run = simulate(prepare(spec, exposure()))
    power_w = run.inputs.array_w[0, 0]
    irradiance = SOLAR_CONSTANT_W_M2
    cell_k = _panel_temperature_by_root(irradiance, irradiance * 0.30 * 0.90)
    temperature = 1 - 0.0022 * (cell_k - 301.15)
    expected = 10.0 * irradiance * 0.30 * 0.90 * 0.97 * temperature * 0.95 * 0.98
    assert power_w == pytest.approx(expected, rel=1e-6)
    # The chain keeps about four fifths of the cell's rated output, warm at ~44 C.
    assert 0.75 < power_w / (10 * irradiance * 0.30) < 0.82
    assert cell_k == pytest.approx(317.0, abs=1.0)
    arrays = run.summary()["arrays"]["array"]
    assert arrays["system_efficiency"] == pytest.approx(expected / (10 * irradiance), rel=1e-6)
    assert arrays["mean_cell_temperature_k"] == pytest.approx(cell_k, abs=0.01)


def test_an_aged_array_loses_its_degradation_and_runs_a_little_warmer():
    aged = {"name": "array", "area_m2": 10.0, "cell_efficiency": 0.30}
    aged |= {"degradation_per_year": 0.1, "installed_utc": "2025-01-01T00:00:00Z"}
    power_w = simulate(prepare(scenario(solar_arrays=[aged]), exposure())).inputs.array_w[0, 0]
    irradiance = SOLAR_CONSTANT_W_M2
    ageing = 0.9 ** (365 / 365.25)  # a year (365 days) before the period starts
    cell_k = _panel_temperature_by_root(irradiance, irradiance * 0.30 * 0.90 * ageing)
    expected = 10 * irradiance * 0.30 * 0.90 * ageing * 0.97 * (1 - 0.0022 * (cell_k - 301.15))
    assert power_w == pytest.approx(expected * 0.95 * 0.98, rel=1e-6)
    assert cell_k > _panel_temperature_by_root(irradiance, irradiance * 0.30 * 0.90)


def test_a_tilted_panel_with_a_darker_back_sees_the_ground_by_its_tilt():
    """Unequal emittances: the view factors of each face matter (front (1 - cos t)/2)."""
    n = 193
    losses = {"emittance_back": 0.5}
    for tilt_deg in (0.0, 45.0, 90.0):
        panel = {"name": "array", "mount": "fixed", "tilt_deg": tilt_deg, "area_m2": 1.0}
        panel |= {"cell_efficiency": 0.30, "losses": losses}
        lit = exposure()
        lit.arrays["array"] = SunOnArray(np.ones(n), np.ones(n))  # square on, whatever the tilt
        run = simulate(prepare(scenario(solar_arrays=[panel]), lit))
        tilt = math.radians(tilt_deg)
        cell_k = _panel_temperature_by_root(
            SOLAR_CONSTANT_W_M2,
            SOLAR_CONSTANT_W_M2 * 0.30 * 0.90,
            front_view=(1 - math.cos(tilt)) / 2,
            back_view=(1 + math.cos(tilt)) / 2,
            back=0.5,
        )
        assert run.summary()["arrays"]["array"]["mean_cell_temperature_k"] == pytest.approx(
            cell_k, abs=0.01
        )


def test_losses_none_is_the_cell_efficiency_alone():
    spec = scenario(
        solar_arrays=[{"name": "array", "area_m2": 10.0, "cell_efficiency": 0.24, "losses": "none"}]
    )
    run = simulate(prepare(spec, exposure()))
    assert run.inputs.array_w[0, 0] == pytest.approx(10 * SOLAR_CONSTANT_W_M2 * 0.24, rel=1e-12)


def test_the_incidence_modifier_of_martin_and_ruiz():
    # (1 - exp(-cos/a)) / (1 - exp(-1/a)), a = 0.16, worked by hand with math.exp.
    a = 0.16
    for angle_deg in (0.0, 30.0, 60.0, 75.0, 85.0):
        cosine = math.cos(math.radians(angle_deg))
        by_hand = (1 - math.exp(-cosine / a)) / (1 - math.exp(-1 / a))
        assert incidence_modifier(cosine, a) == pytest.approx(by_hand, rel=1e-12)
    assert incidence_modifier(1.0, a) == pytest.approx(1.0)
    assert incidence_modifier(0.0, a) == 0.0
    # Grazing light: at 85 deg a covered panel lets in less than half of its cosine's share.
    assert incidence_modifier(math.cos(math.radians(85)), a) < 0.45
    assert incidence_modifier(0.3, None) == 1.0


def test_a_fixed_flat_panel_in_grazing_light_loses_to_reflection():
    """A horizontal panel with the Sun 5 deg up: cos = sin 5 deg, and the modifier cuts it."""
    n = 193
    sine = math.sin(math.radians(5.0))
    flat = {"name": "array", "mount": "fixed", "tilt_deg": 0.0, "area_m2": 10.0}
    spec = scenario(solar_arrays=[flat | {"cell_efficiency": 0.30}])
    grazing = exposure()
    grazing.arrays["array"] = SunOnArray(np.ones(n), np.full(n, sine))
    power_w = simulate(prepare(spec, grazing)).inputs.array_w[0, 0]
    irradiance = SOLAR_CONSTANT_W_M2 * sine
    admitted = irradiance * (1 - math.exp(-sine / 0.16)) / (1 - math.exp(-1 / 0.16))
    # Horizontal: the front sees only sky, the back only ground; a cold panel in dim light,
    # so no gain is credited below the 28 C rating.
    cell_k = _panel_temperature_by_root(admitted, admitted * 0.30 * 0.90, 0.0, 1.0)
    assert cell_k < 250.0
    expected = 10 * admitted * 0.30 * 0.90 * 0.97 * 1.0 * 0.95 * 0.98
    assert power_w == pytest.approx(expected, rel=1e-9)
    assert admitted / irradiance == pytest.approx(0.42, abs=0.01)


def test_a_loss_factor_out_of_range_is_refused_by_name():
    with pytest.raises(ValueError, match="packing_factor"):
        SolarArray.model_validate(
            {"name": "a", "area_m2": 1, "cell_efficiency": 0.3, "losses": {"packing_factor": 1.4}}
        )
    for word in ("some", False):
        with pytest.raises(ValueError, match="give the factors as a mapping, or 'none'"):
            SolarArray.model_validate(
                {"name": "a", "area_m2": 1, "cell_efficiency": 0.3, "losses": word}
            )


def test_a_mistaken_array_or_plant_is_named_with_its_file_and_line(capsys, tmp_path):
    from ilrs.cli import main
    from ilrs.data import data_path

    text = data_path("station_reference.yaml").read_text(encoding="utf-8")
    cases = {
        "packing": (
            text.replace(
                "      cell_efficiency: 0.30\n",
                "      cell_efficiency: 0.30\n      losses: {packing_factor: 1.4}\n",
            ),
            "packing.yaml:27: surface.solar_arrays[0].losses.packing_factor: Input should be less "
            "than or equal to 1",
        ),
        "hot": (
            text.replace("process_temperature_k: 230", "process_temperature_k: 400"),
            "surface.isru.process_temperature_k: Input should be less than or equal to 273.16",
        ),
        "colder": (
            text.replace("process_temperature_k: 230", "process_temperature_k: 50"),
            "process_temperature_k 50 must be above regolith_temperature_k 60",
        ),
    }
    for name, (body, message) in cases.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(body, encoding="utf-8")
        assert main(["station", "check", str(path)]) != 0
        err = capsys.readouterr().err
        assert f"{name}.yaml:" in err and message in err, err
        assert "Traceback" not in err
    assert main(["station", "check", str(data_path("station_reference.yaml"))]) == 0
    out = capsys.readouterr().out
    assert "'mast array': 23.5% of the sunlight square on it reaches the bus" in out
    assert "2,427 Wh per kg of water" in out


# Hayne et al. 2017, JGR Planets 122:2371, eq. A6: c(T) = c0 + c1 T + ... + c4 T^4 [J/kg/K].
HAYNE_C = (-3.6125, 2.7431, 2.3616e-3, -1.2340e-5, 8.9093e-9)


def _regolith_heat_j_kg(t0, t1):
    return quad(lambda t: sum(c * t**k for k, c in enumerate(HAYNE_C)), t0, t1)[0]


def test_the_ideal_energy_is_the_regolith_the_ice_and_its_sublimation():
    got = water_extraction(
        0.05,
        regolith_temperature_k=60.0,
        process_temperature_k=230.0,
        extraction_efficiency=1.0,
        heater_efficiency=1.0,
    )
    regolith = 19.0 * _regolith_heat_j_kg(60.0, 230.0)  # 19 kg of dry regolith per kg of ice
    ice = quad(lambda t: 158.0 + 7.11 * t, 60.0, 230.0)[0]
    assert got.regolith_wh_per_kg == pytest.approx(regolith / 3600, rel=1e-9)
    assert got.ice_warming_wh_per_kg == pytest.approx(ice / 3600, rel=1e-9)
    assert got.ideal_wh_per_kg == pytest.approx((regolith + ice + 2.83e6) / 3600, rel=1e-9)
    assert got.electric_wh_per_kg == pytest.approx(got.ideal_wh_per_kg)


@pytest.mark.parametrize(
    ("ice_weight_fraction", "low_kwh", "high_kwh"),
    [(0.05, 1.0, 1.3), (0.01, 2.0, 3.0)],  # the model review's ideal figures (issue 20)
)
def test_the_ideal_energy_depends_on_the_ice_as_the_review_found(
    ice_weight_fraction, low_kwh, high_kwh
):
    got = water_extraction(
        ice_weight_fraction,
        regolith_temperature_k=60.0,
        process_temperature_k=230.0,
        extraction_efficiency=1.0,
        heater_efficiency=1.0,
    )
    assert low_kwh <= got.ideal_wh_per_kg / 1000 <= high_kwh


def test_the_plant_pays_for_its_losses_and_less_ice_costs_more():
    def electric(fraction, **options):
        settings = {
            "regolith_temperature_k": 60.0,
            "process_temperature_k": 230.0,
            "extraction_efficiency": 0.8,
            "heater_efficiency": 0.6,
        } | options
        return water_extraction(fraction, **settings).electric_wh_per_kg

    ideal = electric(0.05, extraction_efficiency=1.0, heater_efficiency=1.0)
    assert electric(0.05) == pytest.approx(ideal / 0.48, rel=1e-12)
    assert electric(0.01) > electric(0.05) > electric(0.2)
    with pytest.raises(InputError, match="above"):
        electric(0.05, process_temperature_k=50.0)


def test_the_station_makes_water_at_the_ice_energy_and_a_measured_figure_still_works():
    """Fails on the code before: the plant took one constant, 3 kWh/kg, whatever the ice."""
    plant = {"name": "plant", "ice_weight_fraction": 0.02, "max_power_w": 1000}
    spec = scenario(
        solar_arrays=[{"name": "array", "area_m2": 20.0, "cell_efficiency": 0.3}],
        isru=plant,
    )
    run = simulate(prepare(spec, exposure()))
    per_kg = Isru.model_validate(plant).wh_per_kg_water
    assert run.column("water_kg").sum() == pytest.approx(
        run.energy_balance_wh()["isru_wh"] / per_kg, rel=1e-9
    )
    water = run.summary()["water"]
    assert water["energy_per_kg_water_wh"] == pytest.approx(per_kg)
    assert water["parts_wh_per_kg"]["sublimation_wh_per_kg"] == pytest.approx(2.83e6 / 3600)
    measured = Isru.model_validate({"energy_per_kg_water_wh": 2500, "max_power_w": 10})
    assert measured.wh_per_kg_water == 2500
    assert measured.extraction() is None


def test_an_isru_plant_given_two_ways_or_none_is_refused():
    with pytest.raises(ValueError, match="not both"):
        Isru.model_validate(
            {"energy_per_kg_water_wh": 2500, "ice_weight_fraction": 0.05, "max_power_w": 10}
        )
    with pytest.raises(ValueError, match="ice_weight_fraction"):
        Isru.model_validate({"max_power_w": 10})
    with pytest.raises(ValueError, match="must be above"):
        Isru.model_validate(
            {"ice_weight_fraction": 0.05, "process_temperature_k": 40, "max_power_w": 10}
        )
    with pytest.raises(ValueError, match=r"process_temperature_k 230 \(its default\) must be"):
        Isru.model_validate(
            {"ice_weight_fraction": 0.05, "regolith_temperature_k": 250, "max_power_w": 10}
        )
