"""Benchmark: one year of the reference station at 15-minute steps, once the site's sky is
known (the issue's target: under 2 s on 2 cores).

Times the site exposure (ephemerides, horizons at each array height, the relay's orbit,
the ground stations: done once per scenario), then the station itself (per-step powers
from the scenario, the compiled step loop, the summary). The peer is the same step rules
written as a plain Python loop, as a spreadsheet model would run them; its totals must
agree with the compiled loop's.

    .venv/bin/python benchmarks/bench_station.py
"""

from __future__ import annotations

import math
import time

import numpy as np

from ilrs.data import data_path
from ilrs.station.exposure import site_exposure
from ilrs.station.scenario import load_scenario
from ilrs.station.simulation import prepare, simulate
from results import record, report_peak_rss

GOAL_S = 2.0  # the station year, once the site's sky is known


def plain_python_loop(inputs) -> dict[str, float]:
    """The step rules of ilrs.station._energy_kernel, one float at a time: storage arriving
    at its step, survival loads first in a deficit, the others only down to the reserve."""
    step_h = inputs.step_h
    generation = inputs.generation_w.tolist()
    loads = inputs.load_w.tolist()
    survival = [priority == 0 for priority in inputs.load_priority.tolist()]
    order = sorted(range(len(loads)), key=lambda k: -inputs.load_priority[k])
    capacity, efficiency = inputs.capacity_wh.tolist(), inputs.efficiency.tolist()
    initial = (inputs.capacity_wh * inputs.initial_fraction).tolist()
    arrival = inputs.arrival_step.tolist()
    stored = [initial[u] if arrival[u] == 0 else 0.0 for u in range(len(initial))]
    floors = (inputs.capacity_wh * (1 - inputs.depth_of_discharge)).tolist()
    total_capacity = sum(capacity)
    reserve = [
        inputs.survival_reserve_wh * c / total_capacity if total_capacity else 0.0 for c in capacity
    ]
    charge_wh = (inputs.charge_limit_w * step_h).tolist()
    discharge_wh = (inputs.discharge_limit_w * step_h).tolist()
    isru_wh = (inputs.isru_max_w * step_h).tolist()
    totals = dict.fromkeys(("served", "isru", "curtailed", "loss", "unmet"), 0.0)

    def draw(need, floor_of, left):
        for u in range(len(stored)):
            given = min(need, (stored[u] - floor_of(u)) * efficiency[u], left[u])
            if given > 0:
                stored[u] -= given / efficiency[u]
                totals["loss"] += given / efficiency[u] - given
                left[u] -= given
                need -= given
        return need

    for t, generated_w in enumerate(generation):
        for u in range(len(stored)):
            if arrival[u] == t and t > 0:
                stored[u] = initial[u]
        generated = generated_w * step_h
        served = [row[t] * step_h for row in loads]
        net = generated - sum(served)
        if net >= 0:
            for u in range(len(stored)):
                if t < arrival[u]:
                    continue
                intake = min(net, (capacity[u] - stored[u]) / efficiency[u], charge_wh[u])
                if intake > 0:
                    stored[u] += intake * efficiency[u]
                    totals["loss"] += intake * (1 - efficiency[u])
                    net -= intake
            isru = min(net, isru_wh[t])
            totals["isru"] += isru
            totals["curtailed"] += net - isru
        else:
            asked = sum(w for w, s in zip(served, survival, strict=True) if s)
            survival_short = max(0.0, asked - generated)
            other_short = -net - survival_short
            left = [discharge_wh[u] if t >= arrival[u] else 0.0 for u in range(len(stored))]
            survival_short = draw(survival_short, lambda u: floors[u], left)
            other_short = draw(other_short, lambda u: floors[u] + reserve[u], left)
            for k in order:
                if survival[k]:
                    cut = min(survival_short, served[k])
                    survival_short -= cut
                    totals["unmet"] += cut
                else:
                    cut = min(other_short, served[k])
                    other_short -= cut
                served[k] -= cut
        totals["served"] += sum(served)
    totals["stored_end"] = sum(stored)
    return totals


def main() -> None:
    scenario = load_scenario(data_path("station_reference.yaml"))
    start = time.perf_counter()
    exposure = site_exposure(scenario)
    exposure_s = time.perf_counter() - start
    simulate(prepare(scenario, exposure)).summary()  # compile once, outside the timing

    runs, loops = [], []
    for _ in range(5):
        start = time.perf_counter()
        inputs = prepare(scenario, exposure)
        loop_start = time.perf_counter()
        run = simulate(inputs)
        loops.append(time.perf_counter() - loop_start)
        summary = run.summary()
        runs.append(time.perf_counter() - start)
    start = time.perf_counter()
    peer = plain_python_loop(inputs)
    peer_s = time.perf_counter() - start

    balance = summary["energy_wh"]
    checks = {
        "served": (balance["served_wh"], peer["served"]),
        "isru": (balance["isru_wh"], peer["isru"]),
        "curtailed": (balance["curtailed_wh"], peer["curtailed"]),
        "storage loss": (balance["storage_loss_wh"], peer["loss"]),
        "stored at the end": (float(run.column("stored_wh")[-1]), peer["stored_end"]),
    }
    steps = len(exposure.times)
    print(f"{scenario.name}: {steps} steps of {exposure.step_s / 60:g} min")
    print(f"site exposure (once per scenario): {exposure_s:.2f} s")
    print(
        f"station year (prepare + compiled loop + summary), best of 5: {min(runs) * 1e3:.1f} ms"
        f" (median {np.median(runs) * 1e3:.1f} ms); target under {GOAL_S:g} s"
    )
    print(f"  of which the step loop: {min(loops) * 1e3:.2f} ms")
    print(
        f"peer, the same power rules in plain Python (no data, no water): {peer_s * 1e3:.0f} ms"
        f" -> the compiled loop is {peer_s / min(loops):.0f}x faster"
    )
    for name, (ours, theirs) in checks.items():
        relative = abs(ours - theirs) / max(abs(theirs), 1.0)
        print(f"  {name:18s} ilrs {ours:16.3f} Wh  plain {theirs:16.3f} Wh  rel {relative:.1e}")
        assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-6), name
    print(f"energy balance residual: {balance['residual_wh']:.3e} Wh")
    peak_note = report_peak_rss()
    record(
        f"station: the reference station's year, {steps:,} steps (best of 5)",
        min(runs),
        "s",
        goal=f"< {GOAL_S:g} s on 2 cores",
        met=min(runs) < GOAL_S,
        note=f"site exposure apart: {exposure_s:.2f} s; {peak_note}",
    )
    record(
        "station: the step loop alone",
        min(loops),
        "s",
        goal="",
        met=None,
        peer="the same power rules in plain Python",
        peer_value=peer_s,
        ratio=peer_s / min(loops),
        note="totals agree to 1e-9",
    )


if __name__ == "__main__":
    main()
