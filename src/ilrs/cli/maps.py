"""``ilrs map``: lighting maps from a horizon map (illumination, Earth, PSR, darkness)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ilrs.cli.output import EndOption, ForceFileOption, StartOption, StepOption
from ilrs.errors import InputError
from ilrs.outfolder import check_output_file

map_app = typer.Typer(
    help="Lighting maps from a horizon map ('ilrs terrain horizon'): GeoTIFFs with provenance.",
    no_args_is_help=True,
)

DEFAULT_START = "2026-01-01T00:00:00Z"


def register(app: typer.Typer) -> None:
    app.add_typer(map_app, name="map")


HorizonArgument = Annotated[
    Path,
    typer.Argument(
        help="Horizon map from 'ilrs terrain horizon', or a DEM (its horizon map is "
        "computed first, by the sweep on grid bearings, and kept beside --out)."
    ),
]
AzimuthsOption = Annotated[
    int, typer.Option("--azimuths", help="With a DEM: horizon bands to compute.")
]
DistanceOption = Annotated[
    float, typer.Option("--max-distance-m", help="With a DEM: how far the terrain counts [m].")
]
HeightOption = Annotated[
    float, typer.Option("--height-m", help="With a DEM: observer height above the ground [m].")
]
OutOption = Annotated[Path, typer.Option("--out", help="GeoTIFF to write.")]
TileOption = Annotated[int, typer.Option("--tile-px", help="Tile size [px].")]
SchedulerOption = Annotated[
    str | None,
    typer.Option("--scheduler", help="Dask scheduler address, or 'local' for a local cluster."),
]


def _period(start: str | None, end: str | None, step: str | None):
    """The instants: by default one nodal cycle (18.6 years) from 2026 at 1 h."""
    from ilrs.sky import Times, parse_utc, utc_range
    from ilrs.sky.constants import NODAL_CYCLE_DAYS

    start = start or DEFAULT_START
    if end is None:
        first = parse_utc(start, source="--start").tdb_s[0]
        end = Times([first + NODAL_CYCLE_DAYS * 86400.0]).utc_iso(0)[0]
    return utc_range(start, end, step or "1h")


def _is_horizon_map(path: Path) -> bool:
    """Whether a GeoTIFF is a horizon map (its bands described by azimuth or bearing)."""
    import rasterio

    if path.suffix.lower() not in (".tif", ".tiff") or not path.is_file():
        return False
    try:
        with rasterio.open(path) as dataset:
            first = dataset.descriptions[0] or ""
    except rasterio.errors.RasterioError:
        return False
    return first.startswith(("azimuth_deg=", "grid_bearing_deg="))


def _check_dem(path: Path) -> None:
    """A GeoTIFF taken as a DEM must be one: a single band, and not a map of ours."""
    import rasterio

    if path.suffix.lower() not in (".tif", ".tiff") or not path.is_file():
        return  # open_dem says what is wrong
    try:
        with rasterio.open(path) as dataset:
            count, tags = dataset.count, dataset.tags()
    except rasterio.errors.RasterioError:
        return
    if "PRODUCT" in tags or count != 1:
        raise InputError(
            f"{path} is neither a horizon map nor a DEM ({count} bands"
            + (f", an 'ilrs map {tags['PRODUCT']}' output" if "PRODUCT" in tags else "")
            + "); give a horizon map from 'ilrs terrain horizon' or a one-band DEM"
        )


def _horizon_for(source_path: Path, out: Path, options: dict) -> Path:
    """The horizon map to light: the input itself, or one computed from a DEM beside the
    output (the sweep on grid bearings) and kept for the next map."""
    from ilrs.terrain.sources import dem_files

    inputs = dem_files(source_path)
    check_output_file(out, inputs=inputs, force=options["force"])
    if _is_horizon_map(source_path):
        return source_path
    _check_dem(source_path)
    horizon_path = out.with_name(out.stem + ".horizon.tif")
    check_output_file(
        horizon_path,
        inputs=[*inputs, out],
        force=options["force"],
        option="the horizon map kept beside --out,",
    )
    if options["azimuths"] < 2:
        raise InputError(f"--azimuths must be at least 2, got {options['azimuths']}")
    from ilrs.terrain.horizon import write_horizon_map
    from ilrs.terrain.sources import open_dem

    dem = open_dem(source_path)
    print(f"computing the horizon map of {source_path} into {horizon_path}", file=sys.stderr)
    return write_horizon_map(
        dem,
        horizon_path,
        azimuths=options["azimuths"],
        max_distance_m=options["max_distance_m"],
        height_above_ground_m=options["height_m"],
        grid_azimuths=True,
        method="sweep",
        tile_px=options["tile_px"],
        scheduler=options["scheduler"],
        provenance={"dem": str(source_path)},
    )


def _run(product: str, horizon: Path, out: Path, start, end, step, options: dict) -> None:
    from ilrs.environment.maps import write_lighting_map

    if options["tile_px"] < 16:
        raise InputError(f"--tile-px must be at least 16, got {options['tile_px']}")
    times = _period(start, end, step)
    horizon = _horizon_for(horizon, out, options)

    def progress(done: int, total: int) -> None:
        print(f"\rtiles {done}/{total}", end="" if done < total else "\n", file=sys.stderr)

    path = write_lighting_map(
        horizon,
        out,
        product,
        times,
        tile_px=options["tile_px"],
        scheduler=options["scheduler"],
        progress=progress if sys.stderr.isatty() else None,
    )
    print(f"wrote {path} ({product}, {len(times):,} instants)")


_PERIOD_HELP = " The period defaults to one nodal cycle (18.6 years) from 2026 at 1 h steps."
_PRODUCT_HELP = {
    "illumination": "Bands sunlit_fraction (time-averaged visible share of the solar disk), "
    "sun_any_fraction and longest_darkness_h.",
    "earth": "Bands earth_visible_fraction (the Earth's centre above the horizon), "
    "earth_disk_fraction and longest_earth_loss_h.",
    "psr": "The permanently shadowed regions: 1 where no part of the Sun shows over the whole "
    "period, 0 elsewhere, 255 without data.",
    "darkness": "The longest spell without any part of the Sun [h].",
}


def _command(product: str):
    """The ``ilrs map PRODUCT`` command."""

    def command(
        horizon: HorizonArgument,
        out: OutOption,
        start: StartOption = None,
        end: EndOption = None,
        step: StepOption = None,
        tile_px: TileOption = 512,
        scheduler: SchedulerOption = None,
        azimuths: AzimuthsOption = 36,
        max_distance_m: DistanceOption = 50_000.0,
        height_m: HeightOption = 0.0,
        force: ForceFileOption = False,
    ) -> None:
        options = dict(
            force=force,
            tile_px=tile_px,
            scheduler=scheduler,
            azimuths=azimuths,
            max_distance_m=max_distance_m,
            height_m=height_m,
        )
        _run(product, horizon, out, start, end, step, options)

    command.__doc__ = _PRODUCT_HELP[product] + _PERIOD_HELP
    return command


for _product in _PRODUCT_HELP:
    map_app.command(_product)(_command(_product))


DemArgument = Annotated[
    Path | None,
    typer.Argument(
        help="South polar DEM (GeoTIFF or PDS3 LOLA); by default the embedded LOLA cap "
        "(LDEM_256, 1600 m)."
    ),
]


@map_app.command("psr-cap")
def psr_cap(
    out: OutOption,
    dem: DemArgument = None,
    start: StartOption = None,
    end: EndOption = None,
    step: StepOption = None,
    azimuths: Annotated[
        int, typer.Option("--azimuths", help="Horizon bands (grid bearings every 360/N deg).")
    ] = 180,
    max_distance_m: DistanceOption = 300_000.0,
    edge_lat_deg: Annotated[
        float, typer.Option("--edge-lat", help="The cap's edge [deg]: pixels poleward of it.")
    ] = -80.0,
    bin_deg: Annotated[
        float,
        typer.Option("--bin-deg", help="Bin of the Sun's sub-solar longitude [deg]."),
    ] = 0.25,
    force: ForceFileOption = False,
) -> None:
    """The permanently shadowed regions of the south polar cap: 1 where no part of the Sun
    clears the horizon at any instant of the period, 0 elsewhere, 255 off the cap; prints
    the PSR area on the sphere. The Sun's track is reduced to its southern envelope, so a
    whole nodal cycle costs little more than the horizons.
    """
    from ilrs.data import LOLA_CAP_DEM, data_path
    from ilrs.environment.psr import psr_cap_map, write_psr_cap_map
    from ilrs.terrain.sources import dem_files, open_dem

    dem_path = dem if dem is not None else data_path(LOLA_CAP_DEM)
    check_output_file(out, inputs=dem_files(dem_path), force=force)
    times = _period(start, end, step)
    print(
        f"horizons of {dem_path} ({azimuths} bearings, {max_distance_m / 1000:g} km), "
        f"the Sun over {len(times):,} instants",
        file=sys.stderr,
    )
    result = psr_cap_map(
        open_dem(dem_path),
        times,
        edge_lat_deg=edge_lat_deg,
        azimuths=azimuths,
        max_distance_m=max_distance_m,
        bin_deg=bin_deg,
    )
    path = write_psr_cap_map(result, out)
    share = result.psr_area_km2 / result.cap_area_km2
    print(f"wrote {path} (psr-cap, {result.envelope.utc_span[0]} .. {result.envelope.utc_span[1]})")
    print(
        f"PSR area poleward of {-edge_lat_deg:g}°S: {result.psr_area_km2:,.0f} km² "
        f"({share:.2%} of {result.cap_area_km2:,.0f} km²)"
    )
