"""A point anywhere on the plan's terrain, studied over a chosen period: its horizon, the
Sun's and the Earth's tracks and spells (:func:`ilrs.report.steps.write_site_analysis`),
and the plan's station set down there (its power and state of charge). The web
application's site page asks for it; it is cached like the plan's own steps."""

from __future__ import annotations

import math
from pathlib import Path

from ilrs.errors import InputError
from ilrs.report.scenario import LoadedPlan
from ilrs.report.steps import (
    StepCache,
    fetched_stack,
    file_identity,
    plan_terrain,
    terrain_identity,
    write_site_analysis,
)

__all__ = ["MAX_STUDY_SAMPLES", "STUDY_FILES", "site_study", "study_times"]

MAX_STUDY_SAMPLES = 20_000  # a year at 30 min; the page draws every sample
STUDY_FILES = ("site.json", "spells.csv", "horizon.csv", "tracks.csv", "horizon.png")


def site_study(
    plan: LoadedPlan,
    dem_path: Path,
    lat_deg: float,
    lon_deg: float,
    *,
    height_m: float,
    start: str,
    end: str,
    step: str,
    cache: StepCache,
    label: str | None = None,
) -> Path:
    """The folder of the study: the site's files and ``station/`` (the station run's)."""
    from ilrs.terrain.sources import open_dem, read_around

    if not (math.isfinite(height_m) and 0 <= height_m <= 1000):
        raise InputError(f"height {height_m} m above the ground must be within 0..1000 m")
    times = study_times(start, end, step)
    read_around(open_dem(dem_path), [("the point", lat_deg, lon_deg)], 0.0)  # on the map
    label = label or f"{lat_deg:.4f}°, {lon_deg:.4f}°"
    station = _station_at(plan, dem_path, lat_deg, lon_deg, start, end, step)
    inputs = {
        "dem": file_identity(dem_path),
        "terrain": terrain_identity(plan),
        "point": [lat_deg, lon_deg, height_m, label],
        "period": [start, end, step],
        "station": station.model_dump(),
    }

    def compute(folder: Path) -> None:
        from ilrs.station.exposure import site_exposure
        from ilrs.station.outputs import write_run
        from ilrs.station.simulation import prepare, simulate

        stack = plan_terrain(plan, dem_path)
        write_site_analysis(stack, lat_deg, lon_deg, height_m, times, label, folder)
        cache.progress(f"study: the station at {label} ...")
        run = simulate(prepare(station, site_exposure(station)))
        (folder / "station").mkdir()
        write_run(
            run,
            folder / "station",
            scenario_name=station.name,
            scenario_file=str(plan.station_file()),
        )

    return cache.run("study", inputs, compute)


def study_times(start: str, end: str, step: str):
    """The study's instants: a period that ends after it starts, at most
    MAX_STUDY_SAMPLES of them (refused before they are made)."""
    from ilrs.sky import utc_range

    times = utc_range(start, end, step, max_instants=MAX_STUDY_SAMPLES)
    if len(times) < 2:
        raise InputError(f"the period {start}..{end} must end after it starts")
    return times


def _station_at(plan: LoadedPlan, dem_path: Path, lat_deg, lon_deg, start, end, step):
    """The plan's station scenario moved to the point on the plan's terrain, over the
    period (its elements' own heights above the ground kept)."""
    from ilrs.station.scenario import Period, Site

    scenario = plan.station
    lola = plan.scenario.terrain.lola
    if lola is None:
        terrain = str(Path(dem_path).resolve())
    elif lola.near_radius_km is None:
        terrain = "lola"
    else:
        terrain = str(fetched_stack(plan))
    site = Site(
        name=None,
        lat_deg=lat_deg,
        lon_deg=lon_deg,
        terrain=terrain,
        max_distance_m=scenario.site.max_distance_m,
    )
    period = Period(start=start, end=end, step=step)
    return scenario.model_copy(update={"site": site, "period": period})
