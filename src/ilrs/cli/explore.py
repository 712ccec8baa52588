"""``ilrs explore``: regolith temperatures and ice stability, candidate ice sites, rover
traverses and hopper hops."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated

import typer

from ilrs.cli.output import (
    ForceFolderOption,
    FormatOption,
    OutputFormat,
    SiteOption,
    resolve_site,
    write_json,
)
from ilrs.errors import InputError
from ilrs.outfolder import OutputFolder

explore_app = typer.Typer(
    help="Exploration: where water ice can last, and how a rover or a hopper gets there.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(explore_app, name="explore")


DemOption = Annotated[
    Path | None,
    typer.Option("--dem", help="DEM (GeoTIFF, PDS3); default: the embedded real LOLA cap."),
]
OutOption = Annotated[Path, typer.Option("--out", help="Folder for the results.")]
LatOption = Annotated[float | None, typer.Option("--lat", help="Latitude [deg].")]
LonOption = Annotated[float | None, typer.Option("--lon", help="East longitude [deg].")]


def _json_ready(value):
    """NaN (a figure that does not apply, e.g. a hop too short to check clearance) as
    null, throughout."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    return value


def parse_latlon(text: str, what: str) -> tuple[float, float]:
    """``LAT,LON`` in degrees."""
    parts = text.replace(" ", "").split(",")
    try:
        lat, lon = (float(part) for part in parts)
    except ValueError:
        raise InputError(
            f"{what} {text!r} is not LAT,LON in degrees (e.g. -89.45,222.69)"
        ) from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90.0 <= lat <= 90.0):
        raise InputError(f"{what} {text!r}: latitude must lie within -90..90 and both be finite")
    return lat, lon


def _dem(path: Path | None, points=None, margin_m: float = 0.0):
    """The DEM (by default the embedded real LOLA polar cap, 1600 m), or only the part
    around the named points (name, lat, lon) and a margin."""
    from ilrs.terrain.sources import open_dem, read_around

    if path is None:
        from ilrs.data import LOLA_CAP_DEM, data_path

        path = data_path(LOLA_CAP_DEM)
    source = open_dem(path)
    return source.read() if points is None else read_around(source, points, margin_m)


def _output(out: Path, command: str, inputs: list, force: bool) -> OutputFolder:
    """The command's output folder, checked before anything is computed."""
    return OutputFolder(out, command=f"ilrs explore {command}", inputs=inputs, force=force)


def _progress(label: str):
    last = [-1]

    def show(done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        if percent != last[0] and percent % 5 == 0:
            last[0] = percent
            print(f"\rilrs explore: {label} {percent:3d}%", end="", file=sys.stderr, flush=True)
            if done == total:
                print(file=sys.stderr)

    return show


@explore_app.command("thermal")
def thermal_command(
    out: OutOption = Path("build/explore/thermal"),
    dem: DemOption = None,
    lat: LatOption = None,
    lon: LonOption = None,
    site: SiteOption = None,
    size_km: Annotated[
        float, typer.Option("--size-km", help="Side of the square region around the site.")
    ] = 10.0,
    start: Annotated[str, typer.Option("--start", help="First UTC instant.")] = (
        "2026-01-01T00:00:00Z"
    ),
    end: Annotated[str, typer.Option("--end", help="Last UTC instant.")] = "2026-12-31T00:00:00Z",
    step: Annotated[str, typer.Option("--step", help="Time step (e.g. 2h).")] = "2h",
    scatter_radius_m: Annotated[
        float,
        typer.Option("--scatter-radius-m", help="How far the terrain's light and heat count."),
    ] = 5_000.0,
    max_distance_m: Annotated[
        float, typer.Option("--max-distance-m", help="How far the terrain shades [m].")
    ] = 50_000.0,
    flat: Annotated[
        bool,
        typer.Option("--flat", help="A flat open surface at --lat (no DEM): its diurnal curve."),
    ] = False,
    ice_criterion: Annotated[
        str,
        typer.Option(
            "--ice-criterion",
            help="Where ice is stable: max-110K (the maximum temperature stays under 110 K, "
            "0.154 m/Gyr of sublimation) or sublimation (the time-mean sublimation rate "
            "stays under --max-loss-m-per-gyr, Schorghofer & Williams 2020).",
        ),
    ] = "max-110K",
    max_loss_m_per_gyr: Annotated[
        float,
        typer.Option(
            "--max-loss-m-per-gyr",
            help="Largest time-mean loss of ice that counts as stable [m/Gyr] with "
            "--ice-criterion sublimation (Siegler et al. 2016: 1 mm/Gyr).",
        ),
    ] = 1e-3,
    force: ForceFolderOption = False,
) -> None:
    """Regolith temperatures (Hayne et al. 2017) over a period: maximum, mean, minimum,
    the time-mean sublimation rate of exposed ice, and the depth below which water ice is
    stable (by the 110 K maximum, or by the mean sublimation rate). With --flat, the
    diurnal curve of a flat surface at a latitude."""
    from ilrs.terrain.sources import dem_files

    if ice_criterion not in ("max-110K", "sublimation"):
        raise InputError(f"--ice-criterion must be max-110K or sublimation, got {ice_criterion!r}")
    if not (math.isfinite(max_loss_m_per_gyr) and max_loss_m_per_gyr > 0):
        raise InputError(f"--max-loss-m-per-gyr must be positive, got {max_loss_m_per_gyr}")
    if flat and (ice_criterion != "max-110K" or max_loss_m_per_gyr != 0.001):
        raise InputError(
            "--flat draws a flat surface's diurnal curve, which judges no ice: leave out "
            "--ice-criterion and --max-loss-m-per-gyr"
        )
    output = _output(out, "thermal", [] if flat else dem_files(dem), force)
    if flat:
        _flat_curve(output, lat if lat is not None else 0.0)
        return
    import numpy as np

    from ilrs.exploration import charts
    from ilrs.exploration.sublimation import loss_rate_m_per_gyr
    from ilrs.exploration.thermal import thermal_map
    from ilrs.sky import utc_range
    from ilrs.terrain import Window

    times = utc_range(start, end, step)
    if not (math.isfinite(size_km) and size_km > 0):
        raise InputError(f"--size-km must be positive, got {size_km}")
    if site is None and lat is None and lon is None:
        terrain = _dem(dem)
        window = Window(0, 0, *terrain.shape)
        centre = ((terrain.shape[0] - 1) // 2, (terrain.shape[1] - 1) // 2)
    else:
        lat_deg, lon_deg = resolve_site(site, lat, lon)
        reach_m = size_km * 500.0 + max_distance_m
        terrain = _dem(dem, [("the site", lat_deg, lon_deg)], reach_m)
        rows, cols = terrain.rowcol_of_latlon(lat_deg, lon_deg)
        half = max(1, round(size_km * 500.0 / terrain.pixel_size_m))
        row, col = int(np.rint(rows)), int(np.rint(cols))
        top, left = max(row - half, 0), max(col - half, 0)
        bottom = min(row + half + 1, terrain.shape[0])
        right = min(col + half + 1, terrain.shape[1])
        window = Window(top, left, bottom - top, right - left)
        centre = (row - top, col - left)
    centre_cell = centre[0] * window.width + centre[1]
    result = thermal_map(
        terrain,
        window,
        times,
        scatter_radius_m=scatter_radius_m,
        max_distance_m=max_distance_m,
        record_cells=np.array([centre_cell]),
        ice_criterion=ice_criterion,
        max_loss_m_per_gyr=max_loss_m_per_gyr,
        progress=_progress("temperatures"),
    )
    layers = result.layers
    _warn_truncated(float(result.provenance["HORIZON_TRUNCATED_M"]), max_distance_m)
    centre_depth = float(result.ice_depth_m[centre])
    from ilrs.exploration.targets import cell_areas_m2

    cell_km2 = cell_areas_m2(result.transform, result.max_k.shape) / 1e6
    centre_row, centre_col = window.row_off + centre[0], window.col_off + centre[1]
    centre_lat, centre_lon = terrain.latlon(centre_row, centre_col)
    summary = {
        "region_cells": [window.height, window.width],
        "period_utc": result.provenance["PERIOD_UTC"],
        "centre": {
            "lat_deg": float(centre_lat),
            "lon_deg": float(centre_lon),
            "max_k": float(result.max_k[centre]),
            "mean_k": float(result.mean_k[centre]),
            "min_k": float(result.min_k[centre]),
            "ice_stable_below_m": None if math.isnan(centre_depth) else centre_depth,
            "loss_m_per_gyr": float(result.loss_m_per_gyr[centre]),
            "sky_view": float(result.sky_view[centre]),
        },
        "ice_criterion": result.provenance["ICE_CRITERION"],
        "loss_at_110k_m_per_gyr": float(loss_rate_m_per_gyr(110.0)),
        "cold_trap_area_km2": float(np.sum(cell_km2[result.cold_trap])),
        "ice_within_1m_area_km2": float(
            np.sum(cell_km2[np.nan_to_num(result.ice_depth_m, nan=np.inf) <= 1.0])
        ),
        "coldest_max_k": float(np.nanmin(result.max_k)),
        "column_depth_m": float(layers.bottom_m),
        "terrain": result.provenance["TERRAIN_SOURCE"],
        "synthetic": terrain.synthetic,
    }
    with output.staged() as staging:
        result.write_geotiff(staging / "thermal.tif")
        x, y = terrain.xy(centre_row, centre_col)
        charts.thermal_png(
            result,
            staging / "thermal.png",
            title="Regolith temperatures",
            marker=(x / 1e3, y / 1e3),
        )
        write_json(summary, staging / "summary.json")
        from ilrs.environment.export import write_table_csv

        write_table_csv(
            staging / "centre_series.csv",
            {"utc": result.series_utc, "surface_k": np.round(result.series_k[:, 0], 3).tolist()},
        )
    write_json(summary)


def _warn_truncated(truncated_m: float, max_distance_m: float) -> None:
    if truncated_m > 0:
        print(
            f"ilrs explore: warning: the DEM ends up to {truncated_m / 1000:.1f} km short of the "
            f"{max_distance_m / 1000:.0f} km the horizons look out: terrain beyond it casts no "
            "shadow (take a larger DEM, or --max-distance-m)",
            file=sys.stderr,
        )


def _flat_curve(output: OutputFolder, lat_deg: float) -> None:
    import numpy as np

    from ilrs.environment.export import write_table_csv
    from ilrs.exploration import charts
    from ilrs.exploration.regolith import flat_surface_run

    curve = flat_surface_run(lat_deg)
    local_h = np.asarray(curve.local_time_h)
    surface = np.asarray(curve.surface_k)
    predawn = (local_h >= 5.0) & (local_h <= 6.0)
    noon = int(np.argmin(np.abs(local_h - 12.0)))
    summary = {
        "lat_deg": lat_deg,
        "noon_k": float(surface[noon]),
        "predawn_k": float(surface[predawn].min()) if predawn.any() else None,
        "max_k": float(surface.max()),
        "min_k": float(surface.min()),
        "model": "Hayne et al. 2017, doi:10.1002/2017JE005387; flat open surface",
    }
    with output.staged() as staging:
        write_table_csv(
            staging / "diurnal.csv",
            {
                "local_time_h": np.round(local_h, 4).tolist(),
                "surface_k": np.round(surface, 3).tolist(),
            },
        )
        charts.diurnal_png(
            local_h, surface, staging / "diurnal.png", title=f"Flat surface at {lat_deg:g}°"
        )
        write_json(summary, staging / "summary.json")
    write_json(summary)


@explore_app.command("targets")
def targets_command(
    thermal: Annotated[Path, typer.Argument(help="thermal.tif from 'ilrs explore thermal'.")],
    out: OutOption = Path("build/explore/targets"),
    landing: Annotated[
        str | None, typer.Option("--landing", help="Candidate landing site LAT,LON [deg].")
    ] = None,
    landing_site: Annotated[
        str | None, typer.Option("--landing-site", help="A named landing site instead.")
    ] = None,
    max_depth_m: Annotated[
        float, typer.Option("--max-depth-m", help="Count ice stable within this depth [m].")
    ] = 0.0,
    min_cells: Annotated[int, typer.Option("--min-cells", help="Smallest region [cells].")] = 4,
    rank_by: Annotated[
        str, typer.Option("--rank-by", help="area | depth | distance (from the landing site).")
    ] = "area",
    output_format: FormatOption = OutputFormat.csv,
    force: ForceFolderOption = False,
) -> None:
    """Candidate ice sites: the cold traps of a thermal map, ranked; a table (CSV), the
    regions as a GeoTIFF (band 1: rank), and a map."""
    from ilrs.cli.output import write_table
    from ilrs.environment.export import write_table_csv
    from ilrs.exploration import charts
    from ilrs.exploration.targets import ThermalLayers, find_targets
    from ilrs.terrain import polar_xy_from_latlon
    from ilrs.terrain.geotiff import write_geotiff

    where = None
    if landing is not None and landing_site is not None:
        raise InputError("give --landing LAT,LON or --landing-site NAME, not both")
    if landing is not None:
        where = parse_latlon(landing, "--landing")
    elif landing_site is not None:
        where = resolve_site(landing_site, None, None)
    if min_cells < 1:
        raise InputError(f"--min-cells must be at least 1, got {min_cells}")
    output = _output(out, "targets", [thermal], force)
    layers = ThermalLayers.read(thermal)
    targets, labels = find_targets(
        layers,
        landing_lat_deg=None if where is None else where[0],
        landing_lon_deg=None if where is None else where[1],
        max_depth_m=max_depth_m,
        min_cells=min_cells,
        rank_by=rank_by,
    )
    rows = [target.to_dict() for target in targets]
    names = list(rows[0]) if rows else ["rank"]
    columns = {name: [row[name] for row in rows] for name in names}
    with output.staged() as staging:
        write_table_csv(staging / "targets.csv", columns)
        write_geotiff(
            staging / "targets.tif",
            labels.astype("float32"),  # GeoTIFF's nodata is NaN here; ranks are exact
            layers.transform,
            crs=layers.crs,
            band_descriptions=["target_rank"],
            tags={
                **layers.tags,
                "PRODUCT": "candidate ice sites: rank of each cell's region (0: none)",
            },
        )
        marker = None
        if where is not None:
            x, y = polar_xy_from_latlon(*where)
            marker = (float(x) / 1e3, float(y) / 1e3)
        charts.targets_png(layers, labels, targets, staging / "targets.png", landing=marker)
    print(f"ilrs explore: {len(targets)} candidate sites; written to {out}", file=sys.stderr)
    write_table(columns, output_format)


@explore_app.command("traverse")
def traverse_command(
    start: Annotated[str, typer.Option("--start", help="Start LAT,LON [deg].")],
    goal: Annotated[str, typer.Option("--goal", help="Goal LAT,LON [deg].")],
    out: OutOption = Path("build/explore/traverse"),
    dem: DemOption = None,
    depart: Annotated[str, typer.Option("--depart", help="Departure, UTC.")] = (
        "2026-12-01T00:00:00Z"
    ),
    days: Annotated[float, typer.Option("--days", help="Longest the traverse may take.")] = 14.0,
    step: Annotated[str, typer.Option("--step", help="Step of the lighting.")] = "1h",
    speed_m_s: Annotated[float, typer.Option("--speed-m-s", help="Driving speed.")] = 0.1,
    max_slope_deg: Annotated[float, typer.Option("--max-slope-deg", help="Slope limit.")] = 20.0,
    battery_wh: Annotated[float, typer.Option("--battery-wh", help="Battery capacity.")] = 3_000.0,
    start_charge_wh: Annotated[
        float | None, typer.Option("--start-charge-wh", help="Charge at departure (full).")
    ] = None,
    drive_power_w: Annotated[float, typer.Option("--drive-power-w", help="Power driving.")] = 250.0,
    idle_power_w: Annotated[float, typer.Option("--idle-power-w", help="Power waiting.")] = 80.0,
    solar_power_w: Annotated[
        float, typer.Option("--solar-power-w", help="Array output in sunlight.")
    ] = 450.0,
    reserve_wh: Annotated[float, typer.Option("--reserve-wh", help="Never below.")] = 300.0,
    max_without_contact_h: Annotated[
        float, typer.Option("--max-without-contact-h", help="Longest spell out of contact.")
    ] = math.inf,
    margin_m: Annotated[
        float, typer.Option("--margin-m", help="How far around start and goal to search.")
    ] = 3_000.0,
    mast_height_m: Annotated[
        float, typer.Option("--mast-height-m", help="Height of the array and antenna.")
    ] = 1.5,
    earth_mask_deg: Annotated[
        float, typer.Option("--earth-mask-deg", help="Earth's least elevation for contact.")
    ] = 0.0,
    labels_per_cell: Annotated[
        int,
        typer.Option(
            "--labels-per-cell",
            min=1,
            max=127,
            help="Search states kept per cell (more: wider, slower).",
        ),
    ] = 8,
    energy_tolerance_wh: Annotated[
        float | None,
        typer.Option(
            "--energy-tolerance-wh",
            min=0.0,
            help="Charges this close count as equal (20 min of array, <= 5 % of battery).",
        ),
    ] = None,
    force: ForceFolderOption = False,
) -> None:
    """The earliest-arriving rover route from start to goal while the shadows move,
    honouring the slope limit, the battery (sunlight to recharge) and Earth contact;
    or why there is none."""
    from ilrs.environment.export import write_table_csv
    from ilrs.exploration import charts
    from ilrs.exploration.routes import Rover
    from ilrs.exploration.traverse import plan_traverse
    from ilrs.sky import Times, parse_utc, utc_range
    from ilrs.terrain.sources import dem_files

    start_ll = parse_latlon(start, "--start")
    goal_ll = parse_latlon(goal, "--goal")
    output = _output(out, "traverse", dem_files(dem), force)
    if not (math.isfinite(days) and days > 0):
        raise InputError(f"--days must be positive, got {days}")
    first = parse_utc(depart, source="--depart").tdb_s[0]
    last = Times([first + days * 86400.0]).utc_iso(0)[0]
    times = utc_range(depart, last, step)
    rover = Rover(
        speed_m_s=speed_m_s,
        max_slope_deg=max_slope_deg,
        battery_wh=battery_wh,
        start_charge_wh=battery_wh if start_charge_wh is None else start_charge_wh,
        drive_power_w=drive_power_w,
        idle_power_w=idle_power_w,
        solar_power_w=solar_power_w,
        reserve_wh=reserve_wh,
        max_without_contact_h=max_without_contact_h,
    )
    reach_m = margin_m + 50_000.0  # the horizons look 50 km out
    terrain = _dem(dem, [("the start", *start_ll), ("the goal", *goal_ll)], reach_m)
    print("ilrs explore: sunlight and Earth visibility over the region ...", file=sys.stderr)
    traverse = plan_traverse(
        terrain,
        start_ll,
        goal_ll,
        times,
        rover,
        margin_m=margin_m,
        mast_height_m=mast_height_m,
        earth_mask_deg=earth_mask_deg,
        max_labels_per_cell=labels_per_cell,
        energy_tolerance_wh=energy_tolerance_wh,
    )
    summary = traverse.summary() | {"timings_s": traverse.timings_s}
    with output.staged() as staging:
        if traverse.found:
            write_table_csv(staging / "route.csv", traverse.timeline())
            write_json(_geojson(traverse), staging / "route.geojson")
        charts.traverse_png(terrain, traverse, staging / "route.png")
        write_json(summary, staging / "summary.json")
    write_json(summary)
    if not traverse.found:
        raise typer.Exit(2)


def _geojson(traverse) -> dict:
    coordinates = [
        [round(float(lon), 7), round(float(lat), 7)]
        for lat, lon in zip(traverse.lat_deg, traverse.lon_deg, strict=True)
    ]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coordinates},
                "properties": traverse.summary()
                | {"crs_note": "planetocentric lon/lat on the Moon (IAU sphere 1737.4 km)"},
            }
        ],
    }


@explore_app.command("hop")
def hop_command(
    waypoint: Annotated[
        list[str], typer.Option("--waypoint", "-w", help="LAT,LON of each landing spot, in order.")
    ],
    out: OutOption = Path("build/explore/hop"),
    dem: DemOption = None,
    dry_mass_kg: Annotated[float, typer.Option("--dry-mass-kg", help="Hopper dry mass.")] = 60.0,
    propellant_kg: Annotated[float, typer.Option("--propellant-kg", help="Propellant.")] = 40.0,
    isp_s: Annotated[float, typer.Option("--isp-s", help="Specific impulse [s].")] = 300.0,
    clearance_m: Annotated[
        float, typer.Option("--clearance-m", help="Least height over the terrain.")
    ] = 20.0,
    max_flight_angle_deg: Annotated[
        float, typer.Option("--max-flight-angle-deg", help="Steepest launch.")
    ] = 85.0,
    light_start: Annotated[
        str, typer.Option("--light-start", help="Period for the spots' lighting: first UTC.")
    ] = "2026-01-01T00:00:00Z",
    light_end: Annotated[
        str, typer.Option("--light-end", help="... and last UTC (at 2 h steps).")
    ] = "2026-12-31T00:00:00Z",
    output_format: FormatOption = OutputFormat.json,
    force: ForceFolderOption = False,
) -> None:
    """Ballistic hops between landing spots (e.g. sunlit spots, then into a PSR): launch
    angle and speed clearing the terrain, delta-v and propellant per hop."""
    from ilrs.environment.export import write_table_csv
    from ilrs.exploration import charts
    from ilrs.exploration.hops import Hopper, plan_hops
    from ilrs.terrain.sources import dem_files

    points = [parse_latlon(text, f"--waypoint {n}") for n, text in enumerate(waypoint, 1)]
    output = _output(out, "hop", dem_files(dem), force)
    hopper = Hopper(
        dry_mass_kg=dry_mass_kg,
        propellant_kg=propellant_kg,
        specific_impulse_s=isp_s,
        clearance_m=clearance_m,
        max_flight_angle_deg=max_flight_angle_deg,
    )
    from ilrs.exploration.visibility import spot_lighting
    from ilrs.sky import utc_range

    times = utc_range(light_start, light_end, "2h")
    if len(points) < 2:
        raise InputError("a hop plan needs at least two waypoints (--waypoint LAT,LON, repeated)")
    named = [(f"waypoint {n}", lat, lon) for n, (lat, lon) in enumerate(points, 1)]
    terrain = _dem(dem, named, 50_000.0)  # the spots' horizons look 50 km out
    plan = plan_hops(terrain, points, hopper)
    summary = _json_ready(plan.to_dict())
    summary["spots"] = spot_lighting(terrain, points, times)
    dark = [s["spot"] for s in summary["spots"][:-1] if s["in_shadow_all_period"]]
    if dark:
        print(
            f"ilrs explore: warning: spot(s) {', '.join(map(str, dark))} before the last never "
            "see the Sun over the lighting period: the hopper cannot recharge there",
            file=sys.stderr,
        )
    rows = plan.rows()
    with output.staged() as staging:
        if rows:
            write_table_csv(staging / "hops.csv", {k: [r[k] for r in rows] for k in rows[0]})
        write_json(
            _json_ready(plan.to_dict(include_tracks=True)) | {"spots": summary["spots"]},
            staging / "hops.json",
        )
        charts.hops_png(plan, staging / "hops.png")
    if output_format is OutputFormat.json:
        write_json(summary)
    if not plan.feasible:
        raise typer.Exit(2)
