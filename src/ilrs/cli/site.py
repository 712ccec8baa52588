"""``ilrs site``: lighting and visibility at a site, and candidate sites ranked from maps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ilrs.cli.output import (
    EndOption,
    ForceFileOption,
    FormatOption,
    OutputFormat,
    SiteOption,
    StartOption,
    StepOption,
    resolve_site,
    write_json,
    write_table,
)
from ilrs.errors import InputError
from ilrs.outfolder import check_output_file

site_app = typer.Typer(help="A site's sunlight, Earth visibility and contact; site ranking.")


def register(app: typer.Typer) -> None:
    app.add_typer(site_app, name="site")


def _stations(text: str | None) -> list[str] | None:
    if text is None:
        return None
    if text.strip().lower() == "none":
        return []
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise InputError("--stations names no station; give names (see 'ilrs stations') or 'none'")
    return names


@site_app.command("analyze")
def analyze(
    start: StartOption = None,
    end: EndOption = None,
    step: StepOption = None,
    lat: Annotated[float | None, typer.Option(help="Latitude [deg], planetocentric.")] = None,
    lon: Annotated[float | None, typer.Option(help="East longitude [deg].")] = None,
    site: SiteOption = None,
    dem: Annotated[
        Path | None,
        typer.Option(
            "--dem",
            help="DEM (GeoTIFF, PDS3) or fetched stack.json for the horizon, the embedded LOLA "
            "cap beyond it (or --far-field instead); default: the site's real horizon, else "
            "the embedded cap.",
        ),
    ] = None,
    horizon: Annotated[
        Path | None,
        typer.Option("--horizon", help="Horizon profile CSV (azimuth_deg,elevation_deg)."),
    ] = None,
    height_m: Annotated[
        float, typer.Option("--height-m", help="Observer height above the ground [m].")
    ] = 2.0,
    max_distance_m: Annotated[
        float, typer.Option("--max-distance-m", help="How far the terrain counts [m].")
    ] = 300_000.0,
    far_field: Annotated[
        Path | None, typer.Option("--far-field", help="Coarser DEM where --dem ends.")
    ] = None,
    stations: Annotated[
        str | None,
        typer.Option("--stations", help="Ground stations, comma-separated, or 'none' (all).'"),
    ] = None,
    intervals_csv: Annotated[
        Path | None, typer.Option("--intervals-csv", help="Write every spell to this CSV.")
    ] = None,
    ical: Annotated[
        Path | None, typer.Option("--ical", help="Write spells as iCalendar events.")
    ] = None,
    ical_spell: Annotated[
        list[str] | None,
        typer.Option("--ical-spell", help="Spells for --ical (default: sunlight, contact)."),
    ] = None,
    series_csv: Annotated[
        Path | None, typer.Option("--series-csv", help="Write the time series to this CSV.")
    ] = None,
    output_format: FormatOption = OutputFormat.json,
    force: ForceFileOption = False,
) -> None:
    """Sunlight (the visible share of the Sun's disk), Earth visibility and ground-station
    contact at a site over a period, with the longest darkness, Earth loss and contact gap,
    per year and over the whole period. The terrain is --dem or --horizon; with neither,
    --site NAME uses that site's embedded real horizon (2 or 10 m; see 'ilrs sites')."""
    from ilrs.environment import HorizonLine, analyze_site, read_horizon_csv
    from ilrs.environment.site import SPELLS
    from ilrs.sky import utc_range
    from ilrs.terrain.sources import dem_files

    lat_deg, lon_deg = resolve_site(site, lat, lon)
    if dem is not None and horizon is not None:
        raise InputError("give one of --dem DEM.tif or --horizon PROFILE.csv, not both")
    if not (start and end):
        raise InputError("give the period: --start ISO --end ISO [--step 1h]")
    if height_m < 0:
        raise InputError(f"--height-m must be at least 0, got {height_m}")
    real_horizon = None
    if dem is None and horizon is None and site is not None:
        real_horizon = _real_horizon_of(site, height_m)
    times = utc_range(start, end, step or "1h")  # checked before any terrain is read
    _check_outputs(
        {"--intervals-csv": intervals_csv, "--ical": ical, "--series-csv": series_csv},
        inputs=[*dem_files(dem), horizon, real_horizon, *dem_files(far_field)],
        force=force,
    )
    ground_m = 0.0
    stack = None
    if real_horizon is not None:
        from dataclasses import replace

        from ilrs.data import REAL_HORIZON_SOURCE, named_site

        # The profile was computed from the site's LOLA ground height; the Sun and the
        # Earth are seen from there too.
        ground_m = named_site(site).ground_height_m or 0.0
        line = replace(read_horizon_csv(real_horizon), source=REAL_HORIZON_SOURCE)
    elif horizon is not None:
        line = read_horizon_csv(horizon)
    else:
        stack = _terrain_stack(dem, far_field)
        line = HorizonLine.from_stack(
            stack, lat_deg, lon_deg, height_above_ground_m=height_m, max_distance_m=max_distance_m
        )
        ground_m = line.ground_m
    result = analyze_site(
        line, lat_deg, lon_deg, times, height_m=ground_m + height_m, stations=_stations(stations)
    )
    kinds = list(SPELLS) + [f"contact:{name}" for name in result.station_margin_deg]
    kinds = [k for k in kinds if result.station_margin_deg or not k.startswith("contact")]
    chosen = ical_spell or ["sunlight", "contact" if result.station_margin_deg else "earth"]
    for kind in chosen:
        result.margin_deg(kind)  # an unknown kind fails here, before any file is written
    if intervals_csv is not None:
        from ilrs.environment.export import write_intervals_csv

        write_intervals_csv(intervals_csv, {kind: result.intervals(kind) for kind in kinds})
    if ical is not None:
        from ilrs.environment.export import write_icalendar

        write_icalendar(
            ical,
            {kind: result.intervals(kind) for kind in chosen},
            where=f"{lat_deg:.4f}°, {lon_deg:.4f}° (Moon)",
            titles={kind: f"{kind.replace('_', ' ')}: {SPELLS.get(kind, kind)}" for kind in chosen},
        )
    if series_csv is not None:
        _write_series(series_csv, result)
    summary = result.summary()
    summary["height_above_ground_m"] = height_m
    if stack is not None:
        from ilrs.environment.spread import terrain_caveats

        summary |= terrain_caveats(
            stack, line, lat_deg, lon_deg, height_m, times, max_distance_m=max_distance_m
        )
    if real_horizon is not None:
        summary["ground_height_m"] = ground_m
        summary["horizon_file"] = f"real_horizons/{real_horizon.name}"
    if output_format is OutputFormat.json:
        write_json(summary)
        return
    rows = [{"year": "all", "samples": summary["samples"]}] + summary["per_year"]
    figures = [k for k in summary["per_year"][0] if k not in ("year", "samples")]
    for row in rows[:1]:
        row.update({key: summary[key] for key in figures})
    write_table({key: [row[key] for row in rows] for key in rows[1]}, OutputFormat.csv)


def _real_horizon_of(site: str, height_m: float) -> Path | None:
    """The embedded real horizon of a named site at 2 or 10 m, or None where it has none
    (the site is then seen over the embedded LOLA cap)."""
    from ilrs.data import real_horizon_path

    return real_horizon_path(site, height_m)  # a height it has no profile for: refused


def _terrain_stack(dem: Path | None, far_field: Path | None):
    """The terrain the horizon runs over: the embedded real LOLA cap; a DEM (or a fetched
    stack's ``stack.json``) with the cap beyond it; or a DEM and the far field given."""
    from ilrs.terrain.sources import open_dem
    from ilrs.terrain.stack import TerrainStack

    if dem is None:
        return TerrainStack.default()
    if far_field is not None:
        return TerrainStack([open_dem(dem), open_dem(far_field)])
    return TerrainStack.from_path(dem)


def _check_outputs(outputs: dict[str, Path | None], inputs: list, force: bool) -> None:
    """The files to write: none an input, none named twice, none replaced unasked."""
    given = {option: path for option, path in outputs.items() if path is not None}
    for option, path in given.items():
        check_output_file(path, inputs=inputs, force=force, option=option)
    seen: dict[Path, str] = {}
    for option, path in given.items():
        key = Path(path).resolve()
        if key in seen:
            raise InputError(f"{option} and {seen[key]} name the same file {path}")
        seen[key] = option


def _write_series(path: Path, result) -> None:
    import numpy as np

    from ilrs.environment.export import write_table_csv

    columns = {
        "time": result.times.utc_iso(0),
        "sun_azimuth_deg": np.round(result.sun.position.azimuth_deg, 4),
        "sun_elevation_deg": np.round(result.sun.position.elevation_deg, 4),
        "horizon_at_sun_deg": np.round(result.sun.horizon_deg, 4),
        "sun_disk_fraction": np.round(result.sun.disk_fraction, 5),
        "earth_azimuth_deg": np.round(result.earth.position.azimuth_deg, 4),
        "earth_elevation_deg": np.round(result.earth.position.elevation_deg, 4),
        "horizon_at_earth_deg": np.round(result.earth.horizon_deg, 4),
        "earth_disk_fraction": np.round(result.earth.disk_fraction, 5),
    }
    if result.station_margin_deg:
        columns["contact"] = (result.margin_deg("contact") > 0).astype(int)
    write_table_csv(path, columns)


@site_app.command("rank")
def rank(
    illumination: Annotated[
        Path, typer.Option("--illumination", help="Map from 'ilrs map illumination'.")
    ],
    earth: Annotated[
        Path | None, typer.Option("--earth", help="Map from 'ilrs map earth'.")
    ] = None,
    psr: Annotated[Path | None, typer.Option("--psr", help="Map from 'ilrs map psr'.")] = None,
    dem: Annotated[
        Path | None, typer.Option("--dem", help="DEM, for the slope at each site.")
    ] = None,
    peaks: Annotated[
        int, typer.Option("--peaks", help="How many best-lit local maxima to add.")
    ] = 10,
    separation_m: Annotated[
        float, typer.Option("--separation-m", help="Least distance between best-lit points [m].")
    ] = 1_000.0,
    candidates: Annotated[
        Path | None,
        typer.Option("--candidates", help="CSV of more candidates: name,lat_deg,lon_deg."),
    ] = None,
    named: Annotated[
        bool,
        typer.Option("--named/--no-named", help="Include the reference sites on the map."),
    ] = True,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="Rank by: sunlit_fraction, longest_darkness_h, "
            "earth_visible_fraction, slope_deg, psr_distance_m, ...",
        ),
    ] = "sunlit_fraction",
    output_format: FormatOption = OutputFormat.csv,
) -> None:
    """Candidate sites (the reference sites on the map, the best-lit points, and any given)
    ranked by their lighting figures, slope and distance to the nearest PSR."""
    from ilrs.data import named_sites
    from ilrs.environment.ranking import (
        RANK_KEYS,
        Candidate,
        MapLayer,
        best_lit_points,
        rank_sites,
        read_candidates,
    )

    if by not in RANK_KEYS:
        raise InputError(f"cannot rank by {by!r}; choose one of {', '.join(RANK_KEYS)}")
    layers = MapLayer.read_all(illumination)
    if "sunlit_fraction" not in layers:
        raise InputError(
            f"{illumination}: no sunlit_fraction band; give 'ilrs map illumination' output"
        )
    for extra in (earth, psr):
        if extra is not None:
            layers.update(MapLayer.read_all(extra))
    sunlit = layers["sunlit_fraction"]
    chosen: list[Candidate] = []
    if named:
        chosen += [
            Candidate(s.name, s.lat_deg, s.lon_deg, "named site")
            for s in named_sites().values()
            if sunlit.inside(s.lat_deg, s.lon_deg)
        ]
    if candidates is not None:
        chosen += read_candidates(candidates)
    chosen += best_lit_points(sunlit, peaks, separation_m)
    slope_at = _slope_sampler(dem) if dem is not None else None
    rows = rank_sites(chosen, layers, slope_deg=slope_at, by=by)
    if not rows:
        raise InputError(
            "no candidate sites: none of the reference sites is on the map and --peaks is 0"
        )
    keys = list(dict.fromkeys(key for row in rows for key in row))
    write_table({key: [row.get(key) for row in rows] for key in keys}, output_format)


def _slope_sampler(dem: Path):
    """slope(lat, lon) [deg] on the sphere, from a 3 x 3 window of the DEM around the site."""
    import math

    from ilrs.terrain.grid import Window, pixel_of_latlon
    from ilrs.terrain.slope import slope_aspect_deg
    from ilrs.terrain.sources import open_dem

    source = open_dem(dem)

    def slope_deg(lat_deg: float, lon_deg: float) -> float:
        row, col = (int(math.floor(v)) for v in pixel_of_latlon(source.transform, lat_deg, lon_deg))
        if not (1 <= row < source.shape[0] - 1 and 1 <= col < source.shape[1] - 1):
            return math.nan
        slope, _ = slope_aspect_deg(source.read(Window(row - 1, col - 1, 3, 3)))
        return float(slope[1, 1])

    return slope_deg
