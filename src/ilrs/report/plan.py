"""``ilrs plan``: the reference ILRS scenario end to end, and its report.

The plan's steps (:mod:`ilrs.report.steps`: the terrain, the site's lighting and contact,
the station run, the campaign's build-up) are each computed once and reused from the
cache while their inputs stay the same; the report folder (``report.html`` with its
figures embedded, and the data beside it) is written in a staging folder and moved in at
the end (:class:`ilrs.outfolder.OutputFolder`): the folder is swapped whole, so a reader
sees the old report or the new one, a failed run leaves the previous report as it was,
and a folder that holds anything ILRS Planner did not write there is refused.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from ilrs import __version__
from ilrs.errors import InputError
from ilrs.outfolder import OutputFolder
from ilrs.report.scenario import LoadedPlan
from ilrs.report.steps import (
    MAP_PRODUCTS,
    BackgroundSteps,
    StepCache,
    campaign_step,
    fetched_stack,
    file_identity,
    maps_step,
    site_position,
    site_step,
    terrain_step,
    write_json_file,
)

__all__ = ["PLAN_FILES", "run_plan"]

# What a plan writes into its folder (name in the folder, step, name in the step's folder).
_COPIED = [
    ("site.json", "site", "site.json"),
    ("site_spells.csv", "site", "spells.csv"),
    ("site_horizon.csv", "site", "horizon.csv"),
    ("site_horizon.png", "site", "horizon.png"),
    ("site_tracks.csv", "site", "tracks.csv"),
    ("station_summary.json", "station", "summary.json"),
    ("station_series.csv", "station", "series.csv"),
    ("station_contacts.csv", "station", "contacts.csv"),
    ("station.png", "station", "station.png"),
    ("campaign_timeline.csv", "campaign", "timeline.csv"),
    ("campaign_milestones.json", "campaign", "milestones.json"),
    ("campaign_findings.json", "campaign", "findings.json"),
    ("campaign_gantt.png", "campaign", "gantt.png"),
    ("campaign_capability.png", "campaign", "capability.png"),
    ("validation.json", "validation", "validation.json"),
]
PLAN_FILES = ("report.html", "plan.json", "terrain.tif", "terrain.png", "lighting.png")
PLAN_FILES += ("illumination.tif", "earth.tif", "psr.tif", "slope.tif") + tuple(
    name for name, _, _ in _COPIED
)


def run_plan(
    plan: LoadedPlan,
    out_dir: Path,
    cache_dir: Path,
    progress: Callable[[str], None] | None = None,
    *,
    force: bool = False,
) -> dict:
    """Compute (or reuse) every step and write the report folder; returns ``plan.json``.
    ``out_dir`` must be new, empty or a plan folder written before (``force``: one that
    also holds others' files, which are kept); it may not hold the plan's inputs."""
    from ilrs.report.html import render_report
    from ilrs.terrain import polar_xy_from_latlon
    from ilrs.terrain.sources import open_dem

    output = plan_output_folder(plan, out_dir, cache_dir, force=force)
    cache = StepCache(cache_dir, progress)
    cache.check()
    dem_path = terrain_step(plan, cache)
    _check_site_on(dem_path, plan)
    lola = plan.scenario.terrain.lola
    if lola is not None and lola.near_radius_km is not None:
        fetched_stack(plan, cache.progress)  # before any step, so a failure costs nothing
    beside = BackgroundSteps(plan, cache)  # the station and the validation
    try:
        folders = {
            "maps": maps_step(plan, dem_path, cache) if plan.scenario.maps else None,
            "site": site_step(plan, dem_path, cache),
            "station": beside.wait("station"),
            "campaign": campaign_step(plan, cache),
            "validation": beside.wait("validation"),
        }
    finally:
        beside.stop()
    cache.progress("report ...")
    lat_deg, lon_deg, label = site_position(plan)
    scenario = plan.scenario
    synthetic = scenario.terrain.synthetic
    made_here = synthetic is not None or lola is not None  # terrain.tif goes beside the report
    with output.staged() as staging:
        for name, step, source in _COPIED:
            shutil.copyfile(folders[step] / source, staging / name)
        source = open_dem(dem_path)
        if made_here:
            shutil.copyfile(dem_path, staging / "terrain.tif")
        if synthetic is not None:
            terrain_text = (
                f"The synthetic south pole (marked synthetic in terrain.tif): "
                f"{synthetic.size_px} × {synthetic.size_px} pixels of "
                f"{synthetic.resolution_m:g} m, seed {synthetic.seed}. Not the real Moon."
            )
        elif lola is not None:
            rows, cols = source.shape
            terrain_text = (
                "The real south pole: LRO LOLA topography (LDEM_256, 1600 m pixels, embedded), "
                f"the {rows} × {cols} pixel square within {lola.map_half_width_km:g} km of "
                "the pole (terrain.tif); every horizon runs on over the whole polar cap to "
                "70°S."
            )
        else:
            rows, cols = source.shape
            terrain_text = f"The DEM {dem_path} ({rows} × {cols} pixels of "
            terrain_text += f"{abs(source.transform.a):g} m)."
        site_xy_m = polar_xy_from_latlon(lat_deg, lon_deg)
        figures = _figures(cache, dem_path, folders["maps"], site_xy_m, label)
        shutil.copyfile(figures / "terrain.png", staging / "terrain.png")
        if folders["maps"] is not None:
            for name in (*MAP_PRODUCTS, "slope"):
                shutil.copyfile(folders["maps"] / f"{name}.tif", staging / f"{name}.tif")
            shutil.copyfile(figures / "lighting.png", staging / "lighting.png")
        site = _read_json(staging / "site.json")
        if folders["maps"] is not None:
            site["map_pixel"] = _map_pixel(staging / "illumination.tif", site_xy_m)
        station = _read_json(staging / "station_summary.json")
        milestones = _read_json(staging / "campaign_milestones.json")
        findings = _read_json(staging / "campaign_findings.json")
        written = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        written_files = {name for name in PLAN_FILES if (staging / name).exists()}
        data_files = sorted(written_files - {"report.html"} | {"plan.json"})  # plan.json: after
        page = render_report(
            title=scenario.name,
            meta=[
                f"Written {written} by ILRS Planner {__version__} from {plan.source.path}.",
                f"Station: {plan.station_file().name}; campaign: {plan.campaign_file().name}.",
                "Ephemerides: JPL DE421 and its lunar frame kernels (skyfield-data, lunarsky).",
            ],
            terrain_png=staging / "terrain.png",
            terrain_text=terrain_text,
            lighting_png=staging / "lighting.png" if folders["maps"] is not None else None,
            site=site,
            horizon_png=staging / "site_horizon.png",
            station=station,
            station_place=_place(
                "The station scenario", plan.station_file(), station["site"], site
            ),
            station_png=staging / "station.png",
            milestones=milestones,
            findings=findings,
            campaign_place=_place(
                "The campaign",
                plan.campaign_file(),
                _read_json(folders["campaign"] / "campaign.json"),
                site,
            ),
            campaign_pngs=[
                (staging / "campaign_gantt.png", "The campaign's missions over the years"),
                (staging / "campaign_capability.png", "The station's capabilities per year"),
            ],
            data_files=data_files,
            validation=_read_json(staging / "validation.json"),
        )
        (staging / "report.html").write_text(page, encoding="utf-8")
        summary = {
            "plan": scenario.name,
            "scenario_file": str(plan.source.path),
            "written_utc": written,
            "ilrs_version": __version__,
            "steps_computed": cache.computed,
            "steps_reused": cache.reused,
            "site": {
                key: site[key]
                for key in ("site", "lat_deg", "lon_deg", "height_above_ground_m", "terrain")
                + ("sunlit_fraction", "start", "end")
            }
            | {
                key: site[key]
                for key in ("spread", "horizon_note", "real_horizon", "map_pixel")
                if key in site
            },
            "milestones_passed": sum(bool(m["passed"]) for m in milestones),
            "milestones": len(milestones),
            "report": str(Path(out_dir) / "report.html"),
            # The terrain the maps are on: terrain.tif beside it when made by the plan (a
            # square of the real cap, or the synthetic pole), else the plan's DEM.
            "dem_file": "terrain.tif" if made_here else str(Path(dem_path).resolve()),
            "terrain": site["terrain"],
            "synthetic_terrain": bool(site["synthetic"]),
        }
        write_json_file(summary, staging / "plan.json")
    return summary


def _map_pixel(illumination: Path, site_xy_m) -> dict | None:
    """The lighting map's pixel that holds the site: its sunlit fraction, its size and how
    far its centre lies from the site (the map answers for pixel centres)."""
    import math

    import rasterio

    with rasterio.open(illumination) as dataset:
        x_m, y_m = (float(v) for v in site_xy_m)
        row, col = dataset.index(x_m, y_m)
        if not (0 <= row < dataset.height and 0 <= col < dataset.width):
            return None
        value = float(dataset.read(1, window=((row, row + 1), (col, col + 1)))[0, 0])
        centre_x, centre_y = dataset.xy(row, col)
        pixel_m = abs(dataset.transform.a)
    if not math.isfinite(value):
        return None
    return {
        "sunlit_fraction": value,
        "pixel_m": pixel_m,
        "centre_offset_m": round(math.hypot(centre_x - x_m, centre_y - y_m), 1),
    }


def _place(what: str, path: Path, site: dict, plan_site: dict) -> str:
    """Where a scenario file puts its station: its own site and terrain, which need not
    be the plan's; where they are the plan's on coarse terrain, the uncertainty its power
    figures carry with them."""
    text = (
        f"{what} ({path.name}) places the station at {site['lat_deg']:.4f}°, "
        f"{site['lon_deg']:.4f}° on its own terrain: {site['horizon']}."
    )
    same_place = (
        abs(site["lat_deg"] - plan_site["lat_deg"]) < 1e-6
        and abs(site["lon_deg"] - plan_site["lon_deg"]) < 1e-6
        and site["horizon"] == plan_site.get("terrain")
    )
    spread = plan_site.get("spread")
    if same_place and spread:
        low, high = spread["sunlit_fraction"]
        text += (
            f" That is the site's own point and terrain, where 2 m above the ground the Sun "
            f"shows {low:.0%} to {high:.0%} of the time over the {spread['pixel_m']:g} m "
            "pixel: its power figures carry that uncertainty, and finer real terrain "
            "(terrain: {lola: {near_radius_km: 10}}) narrows it."
        )
    return text


def _figures(cache: StepCache, dem_path: Path, maps: Path | None, site_xy_m, label: str):
    """The report's terrain and lighting figures, drawn once (most of a cached plan's
    time) and kept in the cache beside the steps they show, not counted as a step."""
    from ilrs.report.figures import MAP_PIXELS, lighting_png, terrain_png
    from ilrs.terrain.sources import open_dem, read_overview

    inputs = {
        "dem": file_identity(dem_path),
        "maps": None if maps is None else maps.name,  # named by all its inputs
        "site": [float(site_xy_m[0]), float(site_xy_m[1]), label],
        "pixels": MAP_PIXELS,
    }

    def draw(folder: Path) -> None:
        dem = read_overview(open_dem(dem_path), MAP_PIXELS)
        terrain_png(dem, site_xy_m, label, folder / "terrain.png")
        if maps is not None:
            layers = [
                read_overview(open_dem(maps / f"{p}.tif"), MAP_PIXELS)
                for p in (*MAP_PRODUCTS, "slope")
            ]
            lighting_png(dem, *layers, site_xy_m, folder / "lighting.png")

    return cache.run("figures", inputs, draw, record=False)


def _check_site_on(dem_path: Path, plan: LoadedPlan) -> None:
    """Refuse a site off the terrain, naming the plan's line (a tiny window is read)."""
    from ilrs.terrain.sources import open_dem, read_around

    lat_deg, lon_deg, _ = site_position(plan)
    try:
        read_around(open_dem(dem_path), [("the site", lat_deg, lon_deg)], 0.0)
    except InputError as error:
        raise plan.source.error(("site",), str(error)) from None


def plan_output_folder(
    plan: LoadedPlan, out_dir: Path, cache_dir: Path, *, force: bool = False
) -> OutputFolder:
    """The plan's report folder, checked before anything is computed: it may not hold the
    plan's inputs nor its cache, nor anything ILRS Planner did not write there."""
    cache = Path(os.path.realpath(cache_dir))
    if Path(os.path.realpath(out_dir)).is_relative_to(cache):
        raise InputError(f"--out {out_dir} is inside the cache {cache_dir}; give another folder")
    output = OutputFolder(
        out_dir,
        command="ilrs plan",
        inputs=[*plan.input_files(), cache_dir],
        force=force,
        legacy=_written_by_an_earlier_plan,
    )
    try:
        output.path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"--out {out_dir}: {error.strerror}") from None
    return output


def _written_by_an_earlier_plan(folder: Path, entries: list[str]) -> bool:
    """A plan folder from before folders were marked: only a plan's files, with the
    ``plan.json`` that ``ilrs plan`` writes."""
    if not set(entries) <= set(PLAN_FILES) or "plan.json" not in entries:
        return False
    try:
        summary = _read_json(folder / "plan.json")
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and {"ilrs_version", "plan", "steps_computed"} <= set(summary)


def _read_json(path: Path):
    with path.open(encoding="utf-8") as stream:
        return json.load(stream)
