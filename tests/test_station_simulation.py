"""The station's power, storage, data and water loop: analytic cases and conservation."""

from __future__ import annotations

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.sky import utc_range
from ilrs.station.exposure import SOLAR_CONSTANT_W_M2, Exposure, SunOnArray
from ilrs.station.scenario import Scenario
from ilrs.station.simulation import prepare, simulate, size


def scenario(**surface) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "test",
            "period": {"start": "2026-01-01", "end": "2026-01-03", "step": "15min"},
            "site": {"lat_deg": -89.45, "lon_deg": 222.69, "horizon_csv": "unused.csv"},
            "surface": surface,
        }
    )


def exposure(sun: np.ndarray | None = None, downlink_bps: float | np.ndarray = 0.0, n=None):
    """Two days at 15 min: the Sun at 1 au, the given visible-disk fraction, panels square on."""
    times = utc_range("2026-01-01", "2026-01-03", "15min")
    n = len(times)
    sun = np.ones(n) if sun is None else sun
    return Exposure(
        times=times,
        step_s=900.0,
        lat_deg=-89.45,
        lon_deg=222.69,
        horizon_source="test",
        solar_flux_w_m2=np.full(n, SOLAR_CONSTANT_W_M2),
        sun_elevation_deg=np.zeros(n),
        sunlit_fraction=sun,
        arrays={"array": SunOnArray(sun, np.ones(n))},
        dte_rate_bps=np.broadcast_to(np.asarray(downlink_bps, dtype=float), (n,)).copy(),
    )


ARRAY = {
    "name": "array",
    "area_m2": 1.0,
    "cell_efficiency": 1 / SOLAR_CONSTANT_W_M2,
    "losses": "none",  # 1 W at the panel is 1 W on the bus
}


def battery(capacity_wh, **options):
    return {"name": "battery", "capacity_wh": capacity_wh, **options}


def test_an_ideal_battery_carries_a_load_through_the_night_for_its_usable_energy():
    # No Sun at all: 100 W from 1000 Wh usable at depth of discharge 0.8 of 1250 Wh lasts
    # exactly 10 h, then the survival load goes short.
    spec = scenario(
        storage=[battery(1250, depth_of_discharge=0.8, round_trip_efficiency=1.0)],
        loads=[{"name": "survival", "power_w": 100, "priority": 0}],
    )
    run = simulate(prepare(spec, exposure(np.zeros(193))))
    failed = np.flatnonzero(run.survival_failures)
    assert failed[0] == 40  # 40 steps of 15 min = 10 h
    assert run.column("stored_wh")[39] == pytest.approx(250.0)
    assert run.summary()["survival"]["first_failure_utc"] == "2026-01-01T10:00:00Z"
    assert run.column("unmet_survival_w")[41] == pytest.approx(100.0)


def test_round_trip_losses_and_the_energy_balance_close():
    sun = np.where(np.arange(193) % 96 < 48, 1.0, 0.0)  # 12 h of Sun, 12 h of night
    spec = scenario(
        solar_arrays=[{**ARRAY, "area_m2": 3000.0}],  # 3 kW
        storage=[battery(20000, depth_of_discharge=0.9, round_trip_efficiency=0.81)],
        loads=[
            {"name": "survival", "power_w": 500, "priority": 0},
            {"name": "science", "power_w": 800, "priority": 4, "data_rate_bps": 8e6},
        ],
        isru={"energy_per_kg_water_wh": 2000, "max_power_w": 1000},
    )
    run = simulate(prepare(spec, exposure(sun, downlink_bps=2e6)))
    balance = run.energy_balance_wh()
    assert abs(balance["residual_wh"]) < 1e-6 * balance["generated_wh"]
    # Each way keeps sqrt(0.81) = 0.9: a ninth of what is kept is lost charging, a tenth of
    # what is drawn is lost giving it out.
    change = np.diff(np.concatenate([[20000.0], run.column("stored_wh")]))
    expected_loss = change[change > 0].sum() / 9.0 - change[change < 0].sum() * 0.1
    assert balance["storage_loss_wh"] == pytest.approx(expected_loss, rel=1e-9)
    assert expected_loss > 100.0
    water = run.column("water_kg").sum()
    assert water == pytest.approx(balance["isru_wh"] / 2000.0)
    generated = run.column("data_generated_bytes").sum()
    delivered = run.column("data_delivered_bytes").sum()
    dropped = run.column("data_dropped_bytes").sum()
    assert generated == pytest.approx(delivered + dropped + run.column("buffer_bytes")[-1])
    # 8 Mbit/s made, 2 Mbit/s sent: the link is the limit, all of its capacity is used.
    assert delivered == pytest.approx(2e6 / 8 * 900 * 193, rel=1e-9)


def test_storage_losses_follow_the_efficiency():
    # Night first: 500 Wh drawn at 0.9 each way costs 500/0.9 from the store.
    spec = scenario(
        storage=[battery(1000, depth_of_discharge=1.0, round_trip_efficiency=0.81)],
        loads=[{"name": "survival", "power_w": 100, "priority": 0}],
    )
    run = simulate(prepare(spec, exposure(np.zeros(193))))
    assert run.column("stored_wh")[19] == pytest.approx(1000 - 500 / 0.9)
    assert run.column("storage_loss_w")[0] == pytest.approx(100 / 0.9 - 100)


def test_shedding_goes_by_priority_and_spares_survival():
    # 1 kW of Sun, no storage: survival (300) and operations (400, priority 2) are served;
    # payloads (600, priority 5) lose exactly the 300 W missing.
    spec = scenario(
        solar_arrays=[{**ARRAY, "area_m2": 1000.0}],
        loads=[
            {"name": "payloads", "power_w": 600, "priority": 5},
            {"name": "survival", "power_w": 300, "priority": 0},
            {"name": "operations", "power_w": 400, "priority": 2},
        ],
    )
    run = simulate(prepare(spec, exposure()))
    fractions = dict(zip(run.inputs.load_names, run.served_fraction[:, 0], strict=True))
    assert fractions == pytest.approx({"payloads": 0.5, "survival": 1.0, "operations": 1.0})
    assert run.column("shed_w")[0] == pytest.approx(300.0)
    assert not run.survival_failures.any()


def test_data_beyond_the_buffer_is_dropped_and_counted():
    spec = scenario(
        loads=[{"name": "camera", "power_w": 0, "data_rate_bps": 8e3}],  # 900 kB a step
        data_buffer_bytes=2e6,
    )
    run = simulate(prepare(spec, exposure(downlink_bps=0.0)))
    assert run.column("buffer_bytes").max() == pytest.approx(2e6)
    generated = run.column("data_generated_bytes").sum()
    assert generated == pytest.approx(193 * 900e3)
    assert run.column("data_dropped_bytes").sum() == pytest.approx(generated - 2e6)


def test_schedules_duty_cycle_and_sunlit():
    sun = np.where(np.arange(193) < 100, 1.0, 0.0)
    spec = scenario(
        solar_arrays=[{**ARRAY, "area_m2": 1e6}],
        loads=[
            {
                "name": "rover",
                "power_w": 100,
                "schedule": {"mode": "duty-cycle", "duty_cycle": 0.25, "period_h": 4},
            },
            {"name": "drill", "power_w": 50, "schedule": {"mode": "sunlit"}},
        ],
    )
    inputs = prepare(spec, exposure(sun))
    rover, drill = inputs.load_w
    assert rover[:16].tolist() == [100.0] * 4 + [0.0] * 12
    assert rover.sum() == 100 * 49  # 12 whole 4 h periods of 16 steps, and one step more
    assert drill[:100].min() == 50 and drill[100:].max() == 0


def test_the_battery_sized_for_a_night_is_the_analytic_one():
    # 10 h night at 100 W at full depth, lossless: 1000 Wh exactly (to the tolerance).
    sun = np.ones(193)
    sun[20:60] = 0.0
    spec = scenario(
        solar_arrays=[{**ARRAY, "area_m2": 500.0}],
        storage=[battery(5000, depth_of_discharge=1.0, round_trip_efficiency=1.0)],
        loads=[{"name": "survival", "power_w": 100, "priority": 0}],
    )
    result, run = size(prepare(spec, exposure(sun)), "storage", tolerance=0.001)
    assert result["capacity_wh"]["battery"] == pytest.approx(1000.0, rel=0.002)
    assert result["given_survives"]
    assert not run.survival_failures.any()
    assert result["worst_margin_wh"] == pytest.approx(0.0, abs=2.0)


def test_the_array_sized_for_a_day_is_the_analytic_one():
    # Sun half the time, lossless store: the array must give 2 x 100 W while lit.
    sun = np.where(np.arange(193) % 8 < 4, 1.0, 0.0)
    spec = scenario(
        solar_arrays=[{**ARRAY, "area_m2": 1000.0}],
        storage=[
            battery(
                1e5, depth_of_discharge=1.0, round_trip_efficiency=1.0, initial_state_of_charge=0.0
            )
        ],
        loads=[{"name": "survival", "power_w": 100, "priority": 0}],
    )
    result, _ = size(prepare(spec, exposure(sun)), "array", tolerance=0.001)
    assert result["area_m2"]["array"] == pytest.approx(200.0, rel=0.003)


def test_sizing_what_is_not_there_is_an_error():
    spec = scenario(loads=[{"name": "survival", "power_w": 100, "priority": 0}])
    with pytest.raises(InputError, match="no storage unit"):
        size(prepare(spec, exposure()), "storage")


def test_a_fuel_cell_gives_no_more_than_its_stack_power():
    # 100 W asked at night of a regenerative fuel cell with a 60 W stack: 40 W is shed
    # (the science load), though energy is stored; by day the electrolyser takes 200 W at most.
    sun = np.where(np.arange(193) < 96, 0.0, 1.0)
    spec = scenario(
        solar_arrays=[{**ARRAY, "area_m2": 1000.0}],
        storage=[
            battery(
                5000,
                kind="regenerative-fuel-cell",
                depth_of_discharge=1.0,
                round_trip_efficiency=1.0,
                max_discharge_w=60,
                max_charge_w=200,
            )
        ],
        loads=[
            {"name": "survival", "power_w": 50, "priority": 0},
            {"name": "science", "power_w": 50, "priority": 3},
        ],
    )
    run = simulate(prepare(spec, exposure(sun)))
    assert run.column("shed_w")[:96] == pytest.approx(np.full(96, 40.0))
    assert run.served_fraction[1, :96] == pytest.approx(np.full(96, 0.2))
    assert not run.survival_failures.any()
    stored = run.column("stored_wh")
    assert stored[95] == pytest.approx(5000 - 96 * 60 * 0.25)
    assert stored[96] - stored[95] == pytest.approx(200 * 0.25)  # the charging limit
    balance = run.energy_balance_wh()
    assert abs(balance["residual_wh"]) < 1e-9 * balance["generated_wh"]


def test_a_load_runs_in_its_windows_only():
    window = {"mode": "windows", "windows": [["2026-01-01T06:00:00Z", "2026-01-01T07:30:00Z"]]}
    spec = scenario(
        solar_arrays=[{**ARRAY, "area_m2": 1e6}],
        loads=[{"name": "drill", "power_w": 500, "schedule": window}],
    )
    drill = prepare(spec, exposure()).load_w[0]
    assert np.flatnonzero(drill).tolist() == list(range(24, 30))


def test_a_store_cannot_start_below_its_floor():
    with pytest.raises(ValueError, match="below the floor"):
        scenario(storage=[battery(100, depth_of_discharge=0.5, initial_state_of_charge=0.2)])


def test_a_survival_reserve_sheds_the_others_before_the_night_needs_it():
    # A 10 h night, 100 W survival and a 100 W payload from a 1500 Wh battery: without a
    # reserve the payload drains it and survival goes short (2000 Wh asked); with a 1000 Wh
    # reserve the payload is shed once only the reserve is left, and survival lasts.
    sun = np.ones(193)
    sun[20:60] = 0.0
    loads = [
        {"name": "survival", "power_w": 100, "priority": 0},
        {"name": "payload", "power_w": 100, "priority": 5},
    ]
    store = [battery(1500, depth_of_discharge=1.0, round_trip_efficiency=1.0)]
    array = [{**ARRAY, "area_m2": 1000.0}]
    plain = simulate(
        prepare(scenario(solar_arrays=array, storage=store, loads=loads), exposure(sun))
    )
    assert plain.survival_failures.any()  # 1500 Wh < 2000 Wh asked by both
    reserved = simulate(
        prepare(
            scenario(solar_arrays=array, storage=store, loads=loads, survival_reserve_wh=1000),
            exposure(sun),
        )
    )
    assert not reserved.survival_failures.any()
    payload = reserved.served_fraction[1, 20:60]
    # The 500 Wh above the reserve carry both loads 2.5 h (10 steps), then the payload is shed.
    assert payload[:10] == pytest.approx(np.ones(10))
    assert payload[10:] == pytest.approx(np.zeros(30))
    assert reserved.column("stored_wh")[59] == pytest.approx(250.0)
    summary = reserved.summary()["loads"]["payload"]
    assert summary["served_fraction"] == pytest.approx((193 - 30) / 193)
    assert summary["hours_short"] == pytest.approx(7.5)


def test_sizing_for_survival_alone_leaves_the_other_loads_out():
    sun = np.ones(193)
    sun[20:60] = 0.0
    spec = scenario(
        solar_arrays=[{**ARRAY, "area_m2": 1000.0}],
        storage=[battery(5000, depth_of_discharge=1.0, round_trip_efficiency=1.0)],
        loads=[
            {"name": "survival", "power_w": 100, "priority": 0},
            {"name": "payload", "power_w": 100, "priority": 5},
        ],
    )
    inputs = prepare(spec, exposure(sun))
    everything, _ = size(inputs, "storage", tolerance=0.001)
    alone, _ = size(inputs, "storage", tolerance=0.001, survival_only=True)
    # Both loads through the 10 h night, but for the payload's last quarter hour: in the last
    # step survival takes the last 25 Wh and the payload is shed.
    assert everything["capacity_wh"]["battery"] == pytest.approx(1975.0, rel=0.002)
    assert alone["capacity_wh"]["battery"] == pytest.approx(1000.0, rel=0.002)
    assert alone["loads"] == "survival only"


def test_sizing_names_why_nothing_is_enough():
    spec = scenario(
        solar_arrays=[{**ARRAY, "area_m2": 1000.0}],
        storage=[battery(100, max_discharge_w=40)],
        loads=[{"name": "survival", "power_w": 100, "priority": 0}],
    )
    with pytest.raises(InputError, match="at most 40 W"):
        size(prepare(spec, exposure(np.zeros(193))), "storage")
    with pytest.raises(InputError, match="never see the Sun"):
        size(prepare(spec, exposure(np.zeros(193))), "array")


@pytest.mark.parametrize("seed", range(12))
def test_energy_and_data_balance_close_on_random_stations(seed):
    rng = np.random.default_rng(seed)
    sun = np.clip(rng.normal(0.5, 0.6, 193), 0, 1) * (rng.random(193) > 0.3)
    spec = scenario(
        solar_arrays=[{**ARRAY, "area_m2": float(rng.uniform(50, 3000))}],
        storage=[
            battery(
                float(rng.uniform(100, 5000)),
                depth_of_discharge=float(rng.uniform(0.3, 1.0)),
                round_trip_efficiency=float(rng.uniform(0.5, 1.0)),
                max_discharge_w=float(rng.uniform(50, 2000)),
                max_charge_w=float(rng.uniform(50, 2000)),
            ),
            {"name": "second", "capacity_wh": float(rng.uniform(100, 5000))},
        ],
        constant_sources=[{"name": "rtg", "power_w": float(rng.uniform(1, 200))}],
        loads=[
            {
                "name": f"load {k}",
                "power_w": float(rng.uniform(0, 800)),
                "priority": int(rng.integers(0, 10)),
                "data_rate_bps": float(rng.uniform(0, 1e7)),
                "schedule": {
                    "mode": "duty-cycle",
                    "duty_cycle": float(rng.uniform(0.1, 1)),
                    "period_h": float(rng.uniform(0.1, 30)),
                },
            }
            for k in range(5)
        ],
        isru={"energy_per_kg_water_wh": 3000, "max_power_w": float(rng.uniform(10, 2000))},
        survival_reserve_wh=float(rng.uniform(0, 2000)),
        data_buffer_bytes=float(rng.uniform(1e6, 1e10)),
    )
    run = simulate(prepare(spec, exposure(sun, downlink_bps=rng.uniform(0, 5e6, 193))))
    balance = run.energy_balance_wh()
    assert abs(balance["residual_wh"]) < 1e-9 * max(balance["generated_wh"], 1.0)
    assert abs(run.data_residual_bytes()) < 1e-6 * run.column("data_generated_bytes").sum()
    stored = run.column("stored_wh")
    floors = np.sum(run.inputs.capacity_wh * (1 - run.inputs.depth_of_discharge))
    assert stored.min() >= floors - 1e-6
    assert stored.max() <= run.inputs.capacity_wh.sum() + 1e-6
    assert (run.column("shed_w") >= -1e-9).all() and (run.column("curtailed_w") >= -1e-9).all()
    # Survival goes short only when every other load is already shed entirely.
    short = run.survival_failures
    others = run.inputs.load_priority > 0
    assert np.all(
        run.served_fraction[others][:, short] * run.inputs.load_w[others][:, short] < 1e-9
    )


def test_elements_work_from_their_installation():
    # Night throughout. A load from 06:00, a charged battery arriving at 03:00, the ISRU
    # plant and an array that never matter before their dates; the balance counts the
    # battery's charge as arriving.
    spec = scenario(
        storage=[
            battery(
                1000,
                depth_of_discharge=1.0,
                round_trip_efficiency=1.0,
                installed_utc="2026-01-01T03:00:00Z",
            )
        ],
        loads=[
            {
                "name": "survival",
                "power_w": 100,
                "priority": 0,
                "installed_utc": "2026-01-01T06:00:00Z",
            }
        ],
    )
    run = simulate(prepare(spec, exposure(np.zeros(193))))
    demand = run.column("demand_w")
    assert demand[:24].max() == 0.0 and demand[24] == 100.0
    stored = run.column("stored_wh")
    assert stored[:12].max() == 0.0 and stored[12] == pytest.approx(1000.0)
    failed = np.flatnonzero(run.survival_failures)
    assert failed[0] == 24 + 40  # 1000 Wh carry 100 W for 10 h from 06:00
    balance = run.energy_balance_wh()
    assert balance["storage_arrived_wh"] == pytest.approx(1000.0)
    assert abs(balance["residual_wh"]) < 1e-9
