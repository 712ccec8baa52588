"""The station as the campaign builds it: each element and payload installed when the mission
that brings it lands, one simulation over the whole build-up, the capabilities year by year,
and the milestones judged against them.

The site's exposure (ephemerides, horizons, relays, ground stations) does not depend on
which elements are there, so it is computed once and serves every variant of the campaign
(what-ifs rerun only the step loop, in milliseconds per year).

The exposure and the compiled simulation are imported where they are used: a build-up
read back from a cache (:class:`BuildupFigures`) needs neither.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ilrs.campaign.scenario import Campaign, Milestone, Mission
from ilrs.sky import Times, parse_utc
from ilrs.station.scenario import Load, Scenario

if TYPE_CHECKING:
    from ilrs.station.exposure import Exposure
    from ilrs.station.simulation import Inputs, Simulation

__all__ = [
    "CAPABILITIES",
    "Buildup",
    "BuildupFigures",
    "YearFigures",
    "assemble_station",
    "build_up",
    "campaign_exposure",
    "continuous_power_w",
    "judge",
    "landing_utc",
    "milestone_year",
]

# The capability curves, as named in the milestone criteria and the timeline table.
CAPABILITIES = {
    "continuous_power_w": "the largest constant load the year's generation and storage carry",
    "mean_generated_w": "mean generated power",
    "worst_night_margin_wh": "least stored energy above the floors, loads as scheduled",
    "data_per_day_bytes": "data delivered per day",
    "water_per_year_kg": "water produced, as a rate per year",
    "payloads_hosted": "payloads installed by the year's end",
    "survival_failure_h": "hours some survival load went short",
}


def landing_utc(mission: Mission) -> str:
    return Times(np.array([mission.landing_tdb_s])).utc_iso(0)[0]


def assemble_station(station: Scenario, campaign: Campaign) -> tuple[Scenario, list[str]]:
    """The station with each delivered element installed at its mission's landing and
    each payload added as a load from then; elements no (remaining) mission delivers are
    left out. Returns the station and each payload's installation (UTC)."""
    landing = {}
    for mission in campaign.missions:
        if mission.status == "cancelled" or not mission.joins_station:
            continue  # what a mission elsewhere carries is not the station's
        for element in mission.delivers:
            landing[element] = landing_utc(mission)
    surface = station.surface

    def installed(items):
        return [
            item.model_copy(update={"installed_utc": landing[item.name]})
            for item in items
            if item.name in landing
        ]

    payload_loads = []
    for mission in campaign.missions:
        if mission.status == "cancelled" or not mission.joins_station:
            continue
        for payload in (payload for payload in mission.payloads if payload.on_surface):
            payload_loads.append(
                Load(
                    name=f"{payload.name} ({mission.name})",
                    power_w=payload.power_w,
                    priority=payload.priority,
                    schedule=payload.schedule,
                    data_rate_bps=payload.data_rate_bps,
                    installed_utc=landing_utc(mission),
                )
            )
    updates = {
        "solar_arrays": installed(surface.solar_arrays),
        "storage": installed(surface.storage),
        "constant_sources": installed(surface.constant_sources),
        "loads": installed(surface.loads) + payload_loads,
        "rovers": installed(surface.rovers),
        "isru": (
            surface.isru.model_copy(update={"installed_utc": landing[surface.isru.name]})
            if surface.isru is not None and surface.isru.name in landing
            else None
        ),
    }
    for field in ("dte", "relay_link"):
        link = getattr(surface, field)
        updates[field] = (
            link.model_copy(update={"installed_utc": landing[field]})
            if link is not None and field in landing
            else None
        )
    built = station.model_copy(
        update={"surface": surface.model_copy(update=updates), "period": campaign.timeline}
    )
    return built, [load.installed_utc for load in payload_loads]


def campaign_exposure(station: Scenario, campaign: Campaign, *, ephemeris=None) -> Exposure:
    """The site's exposure over the campaign's timeline, with every element the station
    may ever have."""
    from ilrs.station.exposure import site_exposure

    over_timeline = station.model_copy(update={"period": campaign.timeline})
    return site_exposure(over_timeline, ephemeris=ephemeris)


@dataclass(frozen=True)
class YearFigures:
    year: int
    continuous_power_w: float
    mean_generated_w: float
    worst_night_margin_wh: float
    data_per_day_bytes: float
    water_per_year_kg: float
    payloads_hosted: int
    survival_failure_h: float
    days_covered: float  # of the calendar year, by the timeline
    # Which survival loads went short: only loads that are there (delivered) can.
    survival_short_loads: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {key: getattr(self, key) for key in ("year", *CAPABILITIES, "days_covered")}

    @property
    def whole(self) -> bool:
        return self.days_covered >= 365.0 - 1e-6


@dataclass(frozen=True)
class BuildupFigures:
    """What a build-up tells its readers (the what-if, the timeline table, the charts):
    the figures of each year, the milestones judged and each flown mission's landing.
    Kept on disk as JSON (:meth:`as_json`), read back equal, floats bit for bit."""

    years: list[YearFigures]
    milestones: list[dict]
    landings: dict[str, str]

    def year(self, year: int) -> YearFigures | None:
        return next((figures for figures in self.years if figures.year == year), None)

    def timeline_columns(self) -> dict[str, list]:
        """The figures of each year as columns (a table, one row per year)."""
        rows = [figures.as_dict() for figures in self.years]
        return {key: [row[key] for row in rows] for key in rows[0]}

    def as_json(self) -> dict:
        """Plain JSON values (Python's JSON writes a float's shortest exact repr)."""
        years = [
            vars(figures) | {"survival_short_loads": list(figures.survival_short_loads)}
            for figures in self.years
        ]
        return {"years": years, "milestones": self.milestones, "landings": self.landings}

    @staticmethod
    def from_json(data: dict) -> BuildupFigures:
        """The figures :meth:`as_json` wrote."""
        years = [
            YearFigures(**(row | {"survival_short_loads": tuple(row["survival_short_loads"])}))
            for row in data["years"]
        ]
        return BuildupFigures(years, data["milestones"], data["landings"])

    def as_figures(self) -> BuildupFigures:
        """Only the figures (what a cache keeps)."""
        return BuildupFigures(self.years, self.milestones, self.landings)


@dataclass(frozen=True)
class Buildup(BuildupFigures):
    """A simulated build-up: its figures, the station as built and the run itself."""

    station: Scenario
    run: Simulation


def build_up(station: Scenario, campaign: Campaign, exposure: Exposure) -> Buildup:
    """Simulate the campaign's station over its timeline and judge its milestones."""
    from ilrs.station.simulation import prepare, simulate

    built, payload_landings = assemble_station(station, campaign)
    inputs = prepare(built, exposure)
    run = simulate(inputs)
    years = _years(run, payload_landings)
    judged = [judge(milestone, years) for milestone in campaign.milestones]
    landings = {
        mission.name: landing_utc(mission)
        for mission in campaign.missions
        if mission.status != "cancelled"
    }
    return Buildup(years=years, milestones=judged, landings=landings, station=built, run=run)


def _calendar_years(times) -> np.ndarray:
    """Each instant's UTC calendar year, by the years' first instants (not by writing out
    twenty years of dates: 88,000 of them took a third of a second)."""
    first, last = (int(text[:4]) for text in Times(times.tdb_s[[0, -1]]).utc_iso(0))
    starts = parse_utc([f"{year}-01-01T00:00:00Z" for year in range(first, last + 2)]).tdb_s
    return first + np.searchsorted(starts, times.tdb_s, side="right") - 1


def _years(run: Simulation, payload_landings: list[str]) -> list[YearFigures]:
    inputs = run.inputs
    calendar_years = _calendar_years(inputs.exposure.times)
    step_h = inputs.step_h
    stored = run.column("stored_wh")
    floors = _floor_series(inputs)
    tdb_s = inputs.exposure.times.tdb_s
    installed = np.array(
        [np.searchsorted(tdb_s, parse_utc(utc).tdb_s[0]) for utc in payload_landings],
        dtype=np.int64,
    )
    survival_rows = np.flatnonzero(inputs.load_priority == 0)
    short = (run.served_fraction[survival_rows] < 1 - 1e-9) & (inputs.load_w[survival_rows] > 0)
    figures = []
    for year in np.unique(calendar_years):
        steps = np.flatnonzero(calendar_years == year)
        days = steps.size * step_h / 24.0
        present_floor = floors[steps]
        figures.append(
            YearFigures(
                year=int(year),
                continuous_power_w=continuous_power_w(inputs, steps),
                mean_generated_w=float(run.column("generated_w")[steps].mean()),
                worst_night_margin_wh=float(np.min(stored[steps] - present_floor)),
                data_per_day_bytes=float(run.column("data_delivered_bytes")[steps].sum() / days),
                # A rate, so that a year the timeline covers in part still reads per year.
                water_per_year_kg=float(run.column("water_kg")[steps].sum() * 365.25 / days),
                payloads_hosted=int(np.sum(installed <= steps[-1])),
                survival_failure_h=float(np.sum(run.survival_failures[steps]) * step_h),
                days_covered=days,
                survival_short_loads=tuple(
                    inputs.load_names[row]
                    for row, row_short in zip(survival_rows, short, strict=True)
                    if row_short[steps].any()
                ),
            )
        )
    return figures


def _floor_series(inputs: Inputs) -> np.ndarray:
    """The storage floors of the units present at each step [Wh]."""
    n_steps = inputs.constant_w.size
    floors = np.zeros(n_steps)
    for unit, arrival in enumerate(inputs.arrival_step):
        floor = inputs.capacity_wh[unit] * (1.0 - inputs.depth_of_discharge[unit])
        floors[int(arrival) :] += floor
    return floors


# The continuous power is found to this much below the true figure; a milestone asking
# for it exactly is met within it.
CONTINUOUS_POWER_TOLERANCE_W = 1.0


def continuous_power_w(
    inputs: Inputs, steps: np.ndarray, *, tolerance_w: float = CONTINUOUS_POWER_TOLERANCE_W
) -> float:
    """The largest constant load that the generation and the storage carry over these steps
    with no break (bisection, to ``tolerance_w`` below): the storage there at the first step
    full, units arriving later (charged) counted from their arrival."""
    from ilrs.station.simulation import simulate

    if steps.size == 0:
        return 0.0
    first, last = int(steps[0]), int(steps[-1]) + 1
    kept = inputs.arrival_step < last
    generation = inputs.generation_w[first:last]
    one_load = np.ones((1, last - first))
    trial = replace(
        inputs,
        array_w=inputs.array_w[:, first:last],
        constant_w=inputs.constant_w[first:last],
        load_names=["constant load"],
        load_w=one_load,
        load_running=one_load,
        load_priority=np.zeros(1, dtype=np.int64),
        load_data_bps=np.zeros(1),
        storage_names=[n for n, keep in zip(inputs.storage_names, kept, strict=True) if keep],
        capacity_wh=inputs.capacity_wh[kept],
        depth_of_discharge=inputs.depth_of_discharge[kept],
        efficiency=inputs.efficiency[kept],
        initial_fraction=np.ones(int(kept.sum())),
        survival_reserve_wh=0.0,
        charge_limit_w=inputs.charge_limit_w[kept],
        discharge_limit_w=inputs.discharge_limit_w[kept],
        isru_max_w=np.zeros(last - first),
        arrival_step=np.maximum(inputs.arrival_step[kept] - first, 0),
        downlink_bps=np.zeros(last - first),
    )

    def carried(power_w: float) -> bool:
        run = simulate(replace(trial, load_w=one_load * power_w))
        return not run.survival_failures.any()

    low, high = 0.0, float(generation.max()) + 1.0
    if not carried(low + 1e-9):
        return 0.0
    if carried(high):
        return high
    while high - low > tolerance_w:
        middle = 0.5 * (low + high)
        if carried(middle):
            low = middle
        else:
            high = middle
    return low


def milestone_year(by_utc: str) -> int:
    """The calendar year a milestone is judged over: the one that ends at its date (a date
    on 1 January at midnight closes the year before)."""
    by_s = float(parse_utc(by_utc).tdb_s[0]) - 1.0
    return int(Times(np.array([by_s])).utc_iso(0)[0][:4])


def judge(milestone: Milestone, years: list[YearFigures]) -> dict:
    """Pass or fail with the reasons: the criteria against the year the milestone ends."""
    year = milestone_year(milestone.by_utc)
    figures = next((item for item in years if item.year == year), None)
    result = {"milestone": milestone.name, "by_utc": milestone.by_utc, "year": year}
    if figures is None:
        result.update(passed=False, reasons=[f"the timeline does not reach {year}"])
        return result
    criteria = milestone.criteria
    reasons = []
    if not figures.whole:
        reasons.append(
            f"the timeline covers {figures.days_covered:.0f} days of {year}, not the whole year"
        )
    if criteria.survival and figures.survival_failure_h > 0:
        which = ", ".join(figures.survival_short_loads)
        reasons.append(
            f"survival loads went short for {figures.survival_failure_h:g} h in {year}"
            + (f" ({which})" if which else "")
        )
    checks = (
        ("continuous_power_w", "continuous power", " W", CONTINUOUS_POWER_TOLERANCE_W),
        ("worst_night_margin_wh", "worst-night margin", " Wh", 0.0),
        ("data_per_day_bytes", "data delivered per day", " bytes", 0.0),
        ("water_per_year_kg", "water per year", " kg", 0.0),
        ("payloads_hosted", "payloads hosted", "", 0.0),
    )
    for key, label, unit, tolerance in checks:
        wanted = getattr(criteria, key)
        have = getattr(figures, key)
        if wanted is not None and have + tolerance < wanted:
            reasons.append(f"{label} {have:,.0f}{unit} in {year} < {wanted:,.0f}{unit}")
    result.update(passed=not reasons, reasons=reasons, figures=figures.as_dict())
    return result
