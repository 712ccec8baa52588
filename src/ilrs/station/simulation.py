"""The station over time: power generated and used, storage, load shedding, survival, data
made and sent home, water produced; and the smallest storage or array that keeps the
survival loads alive.

Two stages: :func:`prepare` turns a scenario and its site exposure into per-step arrays
(what each element could give or ask at each step), :func:`simulate` runs the compiled
step loop on them. Sizing reruns only the loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ilrs.errors import InputError
from ilrs.sky import Times, parse_utc
from ilrs.station import _energy_kernel as kernel
from ilrs.station.budgets import worst_case_budgets
from ilrs.station.exposure import Exposure
from ilrs.station.scenario import Load, Scenario
from ilrs.station.solar import LOSS_SOURCES, array_power_w, chain_factors

__all__ = ["SERIES_COLUMNS", "Inputs", "Simulation", "prepare", "simulate", "size"]

_SECONDS_PER_YEAR = 365.25 * 86400.0

SERIES_COLUMNS = {
    "generated_w": kernel.GENERATED,
    "demand_w": kernel.DEMAND,
    "served_w": kernel.SERVED,
    "shed_w": kernel.SHED,
    "unmet_survival_w": kernel.UNMET_SURVIVAL,
    "isru_w": kernel.ISRU,
    "curtailed_w": kernel.CURTAILED,
    "storage_loss_w": kernel.LOSS,
    "stored_wh": kernel.STORED,
    "data_generated_bytes": kernel.DATA_GENERATED,
    "data_delivered_bytes": kernel.DATA_DELIVERED,
    "data_dropped_bytes": kernel.DATA_DROPPED,
    "buffer_bytes": kernel.BUFFER,
    "water_kg": kernel.WATER,
    "storage_arrived_wh": kernel.ARRIVED,
}


@dataclass(frozen=True)
class Inputs:
    """Per-step arrays for the loop; ``array_w`` per array so that sizing can scale them."""

    exposure: Exposure
    step_h: float
    array_names: list[str]
    array_area_m2: np.ndarray
    array_w: np.ndarray  # [arrays, n]
    constant_w: np.ndarray  # [n]
    load_names: list[str]
    load_w: np.ndarray  # [loads, n] demand [W]
    load_running: np.ndarray  # [loads, n] the part of each step each load runs
    load_priority: np.ndarray
    load_data_bps: np.ndarray
    storage_names: list[str]
    capacity_wh: np.ndarray
    depth_of_discharge: np.ndarray
    efficiency: np.ndarray  # each way: sqrt(round trip)
    initial_fraction: np.ndarray
    survival_reserve_wh: float  # stored energy only the survival loads may draw
    charge_limit_w: np.ndarray  # inf: no limit
    discharge_limit_w: np.ndarray
    isru_max_w: np.ndarray  # [n]: zero before the plant works
    isru_wh_per_kg: float
    buffer_bytes: float
    arrival_step: np.ndarray  # the step each storage unit arrives at (charged)
    downlink_bps: np.ndarray  # the links' rates while the surface terminals work
    array_chains: dict[str, dict] = field(default_factory=dict)  # per array, for the summary
    isru_figures: dict = field(default_factory=dict)  # the energy per kg of water, its parts

    @property
    def generation_w(self) -> np.ndarray:
        return self.array_w.sum(axis=0) + self.constant_w


def prepare(scenario: Scenario, exposure: Exposure) -> Inputs:
    """The scenario's elements turned into per-step powers over the exposure's times."""
    surface = scenario.surface
    tdb_s = exposure.times.tdb_s
    start_s = tdb_s[0]
    flux = exposure.solar_flux_w_m2
    array_w = np.zeros((len(surface.solar_arrays), tdb_s.size))
    chains: dict[str, dict] = {}
    for index, array in enumerate(surface.solar_arrays):
        sun = exposure.arrays[array.name]
        ageing = _ageing(tdb_s, array.installed_utc, start_s, array.degradation_per_year)
        array_w[index], cell_k = array_power_w(
            array, flux, sun.disk_fraction, sun.incidence_cos, ageing
        )
        chains[array.name] = _chain_figures(array, flux * sun.disk_fraction * sun.incidence_cos)
        chains[array.name] |= _lit_figures(array_w[index], cell_k, array.area_m2, flux, sun)
    constant_w = np.zeros(tdb_s.size)
    for source in surface.constant_sources:
        ageing = _ageing(tdb_s, source.installed_utc, start_s, source.decay_per_year)
        constant_w += source.power_w * ageing
    loads: list[Load] = list(surface.loads) + list(surface.rovers)
    names = [load.name for load in loads]
    duplicated = {name for name in names if names.count(name) > 1}
    if duplicated:
        raise InputError(f"surface: two loads are named {sorted(duplicated)[0]!r}")
    load_running = np.array(
        [_running(load, tdb_s, exposure) * _installed(tdb_s, load.installed_utc) for load in loads]
    ).reshape(len(loads), tdb_s.size)
    load_w = np.array([load.power_w for load in loads]).reshape(len(loads), 1) * load_running
    storage = surface.storage
    isru = surface.isru
    # The links' rates from the exposure, while the surface's terminals are installed.
    dte_from = surface.dte.installed_utc if surface.dte is not None else None
    relay_from = surface.relay_link.installed_utc if surface.relay_link is not None else None
    relays = np.zeros(tdb_s.size)
    for rate in exposure.relay_rate_bps.values():
        relays = np.maximum(relays, rate)
    downlink_bps = exposure.dte_rate_bps * _installed(tdb_s, dte_from) + relays * _installed(
        tdb_s, relay_from
    )
    return Inputs(
        exposure=exposure,
        step_h=exposure.step_s / 3600.0,
        array_names=[array.name for array in surface.solar_arrays],
        array_area_m2=np.array([array.area_m2 for array in surface.solar_arrays], dtype=float),
        array_w=array_w,
        constant_w=constant_w,
        load_names=names,
        load_w=load_w,
        load_running=load_running,
        load_priority=np.array([load.priority for load in loads], dtype=np.int64),
        load_data_bps=np.array([load.data_rate_bps for load in loads], dtype=float),
        storage_names=[unit.name for unit in storage],
        capacity_wh=np.array([unit.capacity_wh for unit in storage], dtype=float),
        depth_of_discharge=np.array([unit.depth_of_discharge for unit in storage], dtype=float),
        efficiency=np.sqrt([unit.round_trip_efficiency for unit in storage]).astype(float),
        initial_fraction=np.array([unit.initial_state_of_charge for unit in storage], dtype=float),
        survival_reserve_wh=surface.survival_reserve_wh,
        charge_limit_w=_limits([unit.max_charge_w for unit in storage]),
        discharge_limit_w=_limits([unit.max_discharge_w for unit in storage]),
        isru_max_w=(
            isru.max_power_w * _installed(tdb_s, isru.installed_utc)
            if isru
            else np.zeros(tdb_s.size)
        ),
        isru_wh_per_kg=isru.wh_per_kg_water if isru else 0.0,
        buffer_bytes=surface.data_buffer_bytes,
        arrival_step=np.array(
            [int(np.sum(_installed(tdb_s, unit.installed_utc) == 0)) for unit in storage],
            dtype=np.int64,
        ),
        downlink_bps=downlink_bps,
        array_chains=chains,
        isru_figures=_isru_figures(isru),
    )


def _isru_figures(isru) -> dict:
    """The plant's energy per kg of water, and where it goes when it comes from the ice."""
    if isru is None:
        return {}
    extraction = isru.extraction()
    if extraction is None:
        return {"energy_per_kg_water_wh": isru.wh_per_kg_water, "from": "the scenario (measured)"}
    return {
        "energy_per_kg_water_wh": extraction.electric_wh_per_kg,
        "from": f"{isru.ice_weight_fraction:.3g} ice by weight heated from "
        f"{isru.regolith_temperature_k:g} K to {isru.process_temperature_k:g} K (station.isru)",
        "parts_wh_per_kg": extraction.as_dict(),
    }


def _chain_figures(array, irradiance_w_m2) -> dict:
    """An array's loss chain as the summary shows it: each factor and its source."""
    chain = array.chain
    if chain is None:
        return {"losses": "none: cell_efficiency is the system's"}
    return {
        "cell_efficiency_bol": array.cell_efficiency,
        "degradation_per_year": array.degradation_per_year,
        **chain_factors(chain),
        "temperature_coefficient_per_k": chain.temperature_coefficient_per_k,
        "reflection_a_r": chain.reflection_a_r,
    }


def _lit_figures(power_w, cell_k, area_m2, flux, sun) -> dict:
    """Over the steps the array is lit: what reached the panel, what it gave, its mean cell
    temperature; ``system_efficiency`` is their ratio (the whole chain at work)."""
    on_panel_w = flux * sun.disk_fraction * sun.incidence_cos * area_m2
    lit = on_panel_w > 0
    if not lit.any():
        return {"system_efficiency": None, "mean_cell_temperature_k": None}
    return {
        "system_efficiency": float(power_w[lit].sum() / on_panel_w[lit].sum()),
        "mean_cell_temperature_k": (
            float(np.nanmean(cell_k[lit])) if np.isfinite(cell_k[lit]).any() else None
        ),
    }


def _limits(values: list[float | None]) -> np.ndarray:
    return np.array([np.inf if value is None else value for value in values], dtype=float)


def _installed(tdb_s: np.ndarray, installed_utc: str | None) -> np.ndarray:
    """1 from the installation on (from the start where none is given), 0 before."""
    if installed_utc is None:
        return np.ones(tdb_s.size)
    return (tdb_s >= parse_utc(installed_utc).tdb_s[0]).astype(float)


def _ageing(tdb_s, installed_utc, start_s, loss_per_year) -> np.ndarray:
    """(1 - loss)^years since installation; zero before it."""
    since_s = start_s if installed_utc is None else float(parse_utc(installed_utc).tdb_s[0])
    years = (tdb_s - since_s) / _SECONDS_PER_YEAR
    return np.where(years >= 0, (1.0 - loss_per_year) ** np.maximum(years, 0.0), 0.0)


def _running(load: Load, tdb_s: np.ndarray, exposure: Exposure) -> np.ndarray:
    """The part of each step [t, t + step) that the load's schedule has it running."""
    schedule = load.schedule
    step_s = exposure.step_s
    if schedule.mode == "always":
        return np.ones(tdb_s.size)
    if schedule.mode == "sunlit":
        return (exposure.sunlit_fraction > 0).astype(float)
    # Seconds from the period's start on the steps' own (UTC) clock: whole steps exactly.
    elapsed_s = np.arange(tdb_s.size) * step_s
    if schedule.mode == "windows":
        running_s = np.zeros(tdb_s.size)
        for start, end in schedule.windows:
            begin_s, end_s = _on_step_clock(parse_utc([start, end]).tdb_s, tdb_s, step_s)
            overlap_s = np.minimum(elapsed_s + step_s, end_s) - np.maximum(elapsed_s, begin_s)
            running_s += np.clip(overlap_s, 0.0, None)
        return np.minimum(running_s / step_s, 1.0)
    # A duty cycle from the period's start: on for the first duty x period of each period.
    period_s = schedule.period_h * 3600.0
    on_s = schedule.duty_cycle * period_s

    def on_time_s(elapsed_s):
        return np.floor(elapsed_s / period_s) * on_s + np.minimum(np.mod(elapsed_s, period_s), on_s)

    return (on_time_s(elapsed_s + step_s) - on_time_s(elapsed_s)) / step_s


@dataclass(frozen=True)
class Simulation:
    """The series of a run (see ``SERIES_COLUMNS``) and what they add up to."""

    inputs: Inputs
    series: np.ndarray  # [len(SERIES_COLUMNS), n]
    served_fraction: np.ndarray  # [loads, n]
    initial_stored_wh: float

    def column(self, name: str) -> np.ndarray:
        return self.series[SERIES_COLUMNS[name]]

    @property
    def survival_failures(self) -> np.ndarray:
        """Steps where some survival load went short."""
        return self.column("unmet_survival_w") > 1e-9

    def energy_balance_wh(self) -> dict[str, float]:
        """Totals over the run [Wh]; ``residual`` is generated minus where it all went."""
        step_h = self.inputs.step_h
        names = ("generated", "demand", "served", "shed", "isru", "curtailed", "storage_loss")
        totals = {f"{name}_wh": float(self.column(f"{name}_w").sum() * step_h) for name in names}
        totals["stored_change_wh"] = float(self.column("stored_wh")[-1] - self.initial_stored_wh)
        totals["storage_arrived_wh"] = float(self.column("storage_arrived_wh").sum())
        spent = ("served_wh", "isru_wh", "curtailed_wh", "storage_loss_wh", "stored_change_wh")
        income = totals["generated_wh"] + totals["storage_arrived_wh"]
        totals["residual_wh"] = income - sum(totals[key] for key in spent)
        return totals

    def data_residual_bytes(self) -> float:
        """Data generated minus delivered, dropped and still buffered (zero to rounding)."""
        return float(
            self.column("data_generated_bytes").sum()
            - self.column("data_delivered_bytes").sum()
            - self.column("data_dropped_bytes").sum()
            - self.column("buffer_bytes")[-1]
        )

    def summary(self) -> dict:
        inputs = self.inputs
        exposure = inputs.exposure
        times = exposure.times
        iso = times.utc_iso()
        step_h = inputs.step_h
        span_days = max(len(times) * step_h / 24.0, 1e-12)
        floor_wh = float(np.sum(inputs.capacity_wh * (1.0 - inputs.depth_of_discharge)))
        stored = self.column("stored_wh")
        margin = stored - floor_wh
        worst = int(np.argmin(margin)) if margin.size else 0
        failures = np.flatnonzero(self.survival_failures)
        generated = self.column("generated_w")
        delivered = self.column("data_delivered_bytes")
        result = {
            "period": {"start": iso[0], "end": iso[-1], "steps": len(times), "step_h": step_h},
            "site": {
                "lat_deg": exposure.lat_deg,
                "lon_deg": exposure.lon_deg,
                "horizon": exposure.horizon_source,
                "sunlit_fraction": float(np.mean(exposure.sunlit_fraction)),
            },
            "survival": {
                "ok": failures.size == 0,
                "first_failure_utc": iso[failures[0]] if failures.size else None,
                "failed_hours": float(failures.size * step_h),
                "unmet_survival_wh": float(self.column("unmet_survival_w").sum() * step_h),
            },
            "power": {
                "mean_generated_w": float(generated.mean()),
                "min_generated_w": float(generated.min()),
                "max_generated_w": float(generated.max()),
                "mean_demand_w": float(self.column("demand_w").mean()),
                "mean_served_w": float(self.column("served_w").mean()),
            },
            "arrays": {
                name: {"mean_w": float(inputs.array_w[k].mean())}
                | inputs.array_chains.get(name, {})
                for k, name in enumerate(inputs.array_names)
            },
            "array_loss_sources": LOSS_SOURCES,
            "storage": {
                "capacity_wh": float(inputs.capacity_wh.sum()),
                "usable_wh": float(np.sum(inputs.capacity_wh * inputs.depth_of_discharge)),
                "min_stored_wh": float(stored.min()) if stored.size else 0.0,
                "worst_margin_wh": float(margin[worst]) if margin.size else 0.0,
                # Stored energy is the state at the step's end.
                "worst_margin_utc": Times(times.tdb_s[worst : worst + 1] + exposure.step_s).utc_iso(
                    0
                )[0],
                "min_state_of_charge": float(stored.min() / inputs.capacity_wh.sum())
                if inputs.capacity_wh.sum() > 0
                else None,
            },
            "energy_wh": self.energy_balance_wh(),
            "loads": {
                name: {
                    "served_fraction": _served_part(self.inputs.load_w[k], self.served_fraction[k]),
                    "hours_short": float(np.sum(self.served_fraction[k] < 1 - 1e-9) * step_h),
                }
                for k, name in enumerate(inputs.load_names)
            },
            "data": {
                "residual_bytes": self.data_residual_bytes(),
                "generated_bytes": float(self.column("data_generated_bytes").sum()),
                "delivered_bytes": float(delivered.sum()),
                "dropped_bytes": float(self.column("data_dropped_bytes").sum()),
                "buffered_bytes": float(self.column("buffer_bytes")[-1]),
                "delivered_per_day_bytes": float(delivered.sum() / span_days),
                "downlink_available_fraction": float(np.mean(inputs.downlink_bps > 0)),
                "direct_to_earth_fraction": float(np.mean(exposure.dte_rate_bps > 0)),
                "relay_fraction": {
                    name: float(np.mean(rate > 0)) for name, rate in exposure.relay_rate_bps.items()
                },
            },
            "links": worst_case_budgets(exposure),
            "relays": exposure.relay_upkeep,
            "contacts": {
                kind: _window_figures(windows, span_days)
                for kind, windows in exposure.contact_windows().items()
            },
            "water": {
                "produced_kg": float(self.column("water_kg").sum()),
                "per_year_kg": float(self.column("water_kg").sum() / span_days * 365.25),
                **inputs.isru_figures,
            },
        }
        return result


def _on_step_clock(instants_tdb_s, tdb_s: np.ndarray, step_s: float) -> np.ndarray:
    """Instants as seconds from the first step on the UTC clock the steps keep (TDB runs
    off it by microseconds a day), placed between the steps that bracket them."""
    index = np.arange(tdb_s.size, dtype=float)
    position = np.interp(instants_tdb_s, tdb_s, index)
    before, after = instants_tdb_s < tdb_s[0], instants_tdb_s > tdb_s[-1]
    position = np.where(before, (instants_tdb_s - tdb_s[0]) / step_s, position)
    position = np.where(after, tdb_s.size - 1 + (instants_tdb_s - tdb_s[-1]) / step_s, position)
    return position * step_s


def _served_part(demand_w: np.ndarray, served_fraction: np.ndarray) -> float:
    """Energy served over energy asked (1 for a load that never asked)."""
    asked = demand_w.sum()
    return float((demand_w * served_fraction).sum() / asked) if asked > 0 else 1.0


def _window_figures(windows: list, span_days: float) -> dict:
    durations = [window.duration_h for window in windows]
    gaps = [
        (later.start_tdb_s - earlier.end_tdb_s) / 3600.0
        for earlier, later in zip(windows, windows[1:], strict=False)
    ]
    return {
        "windows": len(windows),
        "per_day": len(windows) / span_days,
        "total_h": float(sum(durations)),
        "longest_h": float(max(durations, default=0.0)),
        "longest_gap_h": float(max(gaps, default=0.0)),
    }


def _why_never(inputs: Inputs, what: str) -> str:
    """Why no size keeps the survival loads alive, as far as the inputs tell."""
    survival = inputs.load_priority == 0
    survival_w = float(inputs.load_w[survival].max(axis=1).sum()) if survival.any() else 0.0
    if what == "storage":
        limit_w = float(inputs.discharge_limit_w.sum())
        if limit_w < survival_w:
            return (
                f"the storage can give out at most {limit_w:g} W (max_discharge_w) while the "
                f"survival loads ask up to {survival_w:g} W; no capacity is enough"
            )
        return (
            "no capacity up to a million times the given one keeps the survival loads alive: "
            "the generation over the period does not cover them (with the storage's losses)"
        )
    if not np.any(inputs.array_w > 0):
        return "the arrays never see the Sun in the period; no area is enough"
    return (
        "no area up to a million times the given one keeps the survival loads alive: the "
        "storage cannot carry them through the dark (too small, or limited in power)"
    )


def _reserve_per_unit(inputs: Inputs) -> np.ndarray:
    """The survival reserve shared among the units by capacity."""
    total = inputs.capacity_wh.sum()
    if total <= 0:
        return np.zeros_like(inputs.capacity_wh)
    return inputs.survival_reserve_wh * inputs.capacity_wh / total


def simulate(inputs: Inputs) -> Simulation:
    """Run the step loop on prepared inputs."""
    n_steps = inputs.constant_w.size
    # Shed the highest priority number first; survival loads (0) last; ties by order given.
    order = sorted(range(len(inputs.load_names)), key=lambda k: -inputs.load_priority[k])
    initial_wh = inputs.capacity_wh * inputs.initial_fraction
    out = np.zeros((kernel.N_ROWS, n_steps))
    served_fraction = np.ones((len(inputs.load_names), n_steps))
    kernel.simulate_steps(
        inputs.step_h,
        np.ascontiguousarray(inputs.generation_w),
        np.ascontiguousarray(inputs.load_w),
        np.array(order, dtype=np.int64),
        inputs.load_priority,
        np.ascontiguousarray(inputs.load_running, dtype=float),
        inputs.load_data_bps,
        inputs.capacity_wh,
        inputs.capacity_wh * (1.0 - inputs.depth_of_discharge),
        inputs.efficiency,
        initial_wh,
        inputs.arrival_step,
        _reserve_per_unit(inputs),
        inputs.charge_limit_w,
        inputs.discharge_limit_w,
        np.ascontiguousarray(inputs.isru_max_w, dtype=float),
        inputs.isru_wh_per_kg,
        np.ascontiguousarray(inputs.downlink_bps, dtype=float),
        inputs.buffer_bytes,
        out,
        served_fraction,
    )
    present = inputs.arrival_step == 0
    return Simulation(inputs, out, served_fraction, float(initial_wh[present].sum()))


def size(
    inputs: Inputs, what: str, *, tolerance: float = 0.005, survival_only: bool = False
) -> tuple[dict, Simulation]:
    """The smallest total storage capacity (``what="storage"``, every unit scaled alike)
    or array area (``"array"``) with no survival failure over the period, by bisection
    on the scale factor to ``tolerance`` (relative); the loads as scheduled, or only the
    survival loads (``survival_only``). Returns the figures and the run at that size."""
    if what not in ("storage", "array"):
        raise InputError(f"size: choose 'storage' or 'array', not {what!r}")
    if survival_only:
        inputs = replace(
            inputs, load_w=np.where((inputs.load_priority == 0)[:, None], inputs.load_w, 0.0)
        )
    base = inputs.capacity_wh if what == "storage" else inputs.array_area_m2
    if base.size == 0:
        raise InputError(
            f"size {what}: the scenario has no "
            f"{'storage unit' if what == 'storage' else 'solar array'} to scale"
        )

    def scaled(factor: float) -> Inputs:
        if what == "storage":
            return replace(inputs, capacity_wh=inputs.capacity_wh * factor)
        return replace(inputs, array_w=inputs.array_w * factor)

    def survives(factor: float) -> bool:
        return not simulate(scaled(factor)).survival_failures.any()

    high = 1.0
    while not survives(high):
        high *= 2.0
        if high > 2.0**20:
            raise InputError(f"size {what}: {_why_never(inputs, what)}")
    low = 0.0
    if survives(low + 1e-12):
        high = 0.0
    while high - low > tolerance * high:
        middle = 0.5 * (low + high)
        if survives(middle):
            high = middle
        else:
            low = middle
    run = simulate(scaled(high))
    storage = run.summary()["storage"]
    result = {
        "what": what,
        "loads": "survival only" if survival_only else "all, as scheduled",
        "scale_factor": high,
        "given_survives": survives(1.0),
    }
    if what == "storage":
        result["capacity_wh"] = dict(
            zip(inputs.storage_names, (inputs.capacity_wh * high).tolist(), strict=True)
        )
    else:
        result["area_m2"] = dict(
            zip(inputs.array_names, (inputs.array_area_m2 * high).tolist(), strict=True)
        )
    result["worst_margin_wh"] = storage["worst_margin_wh"]
    result["worst_margin_utc"] = storage["worst_margin_utc"]
    result["tolerance"] = tolerance
    return result, run
