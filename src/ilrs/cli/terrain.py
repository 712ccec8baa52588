"""``ilrs terrain``: synthetic terrain, DEM information, LOLA fetch, slope, horizons."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ilrs.cli.output import ForceFileOption, FormatOption, OutputFormat, rounded, write_table
from ilrs.errors import InputError
from ilrs.outfolder import check_output_file

terrain_app = typer.Typer(
    help="Lunar DEMs: synthetic south pole, info, LOLA fetch, slope, horizons.",
    no_args_is_help=True,
)


class Bearings(enum.StrEnum):
    local = "local"
    grid = "grid"


class HorizonMethod(enum.StrEnum):
    auto = "auto"
    fast = "fast"
    rays = "rays"
    sweep = "sweep"
    lines = "lines"


def register(app: typer.Typer) -> None:
    app.add_typer(terrain_app, name="terrain")


@terrain_app.command("synth")
def synth(
    out: Annotated[Path, typer.Option("--out", help="GeoTIFF to write.")],
    size_px: Annotated[int, typer.Option("--size-px", help="Pixels on a side.")] = 1024,
    resolution_m: Annotated[float, typer.Option("--resolution-m", help="Pixel size [m].")] = 240.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same DEM).")] = 0,
    force: ForceFileOption = False,
) -> None:
    """Write the deterministic synthetic south-pole DEM (marked synthetic)."""
    from ilrs.terrain.synthetic import write_synthetic_south_pole

    if size_px < 2 or size_px > 65_536:
        raise InputError(f"--size-px must be 2..65536, got {size_px}")
    if not resolution_m > 0:
        raise InputError(f"--resolution-m must be positive, got {resolution_m}")
    check_output_file(out, force=force)
    path = write_synthetic_south_pole(out, size_px, resolution_m, seed)
    print(f"wrote {path} ({size_px} x {size_px} px of {resolution_m:g} m, seed {seed}, synthetic)")


@terrain_app.command("conditioned")
def conditioned(
    out: Annotated[Path, typer.Option("--out", help="GeoTIFF to write.")],
    site: Annotated[str | None, typer.Option("--site", help="Named site (ilrs site list).")] = None,
    lat: Annotated[float | None, typer.Option(help="Centre latitude [deg], instead.")] = None,
    lon: Annotated[float | None, typer.Option(help="Centre east longitude [deg].")] = None,
    radius_km: Annotated[
        float, typer.Option("--radius-km", help="Half the side of the square [km].")
    ] = 10.0,
    resolution_m: Annotated[
        float, typer.Option("--resolution-m", help="Pixel size [m]; must divide the coarse pixel.")
    ] = 50.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic detail.")] = 0,
    coarse: Annotated[
        Path | None,
        typer.Option("--coarse", help="Real coarse DEM (default: the embedded LOLA cap, 1600 m)."),
    ] = None,
    force: ForceFileOption = False,
) -> None:
    """Write a fine DEM around a site: the real coarse DEM's heights (kept as the mean of each
    coarse pixel) plus SYNTHETIC roughness and small craters below the coarse pixel; the
    file is tagged synthetic=true with the coarse source, the seed and the cutoff."""
    from ilrs.data import LOLA_CAP_DEM, data_path, named_site
    from ilrs.terrain.conditioned import conditioned_detail, write_conditioned_detail
    from ilrs.terrain.sources import dem_files, open_dem

    if site is not None and (lat is not None or lon is not None):
        raise InputError("give either --site or --lat/--lon, not both")
    if site is not None:
        named = named_site(site)
        lat, lon = named.lat_deg, named.lon_deg
    elif lat is None or lon is None:
        raise InputError("give --site NAME or both --lat and --lon")
    if not radius_km > 0:
        raise InputError(f"--radius-km must be positive, got {radius_km}")
    coarse_path = coarse if coarse is not None else data_path(LOLA_CAP_DEM)
    check_output_file(out, inputs=dem_files(coarse_path), force=force)
    dem = conditioned_detail(
        open_dem(coarse_path).read(),
        lat,
        lon,
        half_width_m=1000.0 * radius_km,
        resolution_m=resolution_m,
        seed=seed,
    )
    path = write_conditioned_detail(out, dem)
    rows, cols = dem.shape
    print(
        f"wrote {path} ({rows} x {cols} px of {resolution_m:g} m, seed {seed}, synthetic "
        f"{dem.metadata['synthetic_kind']})"
    )


@terrain_app.command("fetch")
def fetch(
    product: Annotated[
        str | None,
        typer.Argument(
            help="LOLA polar product name (LDEM_875S_5M) or its .LBL/.IMG URL, for one "
            "product's window; leave out to fetch a site's whole terrain stack."
        ),
    ] = None,
    site: Annotated[
        str | None, typer.Option("--site", help="A named site (its latitude and longitude).")
    ] = None,
    lat: Annotated[float | None, typer.Option(help="Centre latitude [deg].")] = None,
    lon: Annotated[float | None, typer.Option(help="Centre east longitude [deg].")] = None,
    radius_m: Annotated[
        float | None,
        typer.Option("--radius-m", help="One product: radius of the area [m, along the ground]."),
    ] = None,
    window: Annotated[
        str | None,
        typer.Option("--window", help="One product: ROW,COL,HEIGHT,WIDTH in pixels, instead."),
    ] = None,
    radius_km: Annotated[
        float | None,
        typer.Option("--radius-km", help="Stack: near-field radius [km] (default 10)."),
    ] = None,
    far_km: Annotated[
        float | None, typer.Option("--far-km", help="Stack: how far it reaches [km] (default 200).")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="Stack: the LOLA polar folder (default the PDS node)."),
    ] = None,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", "--cache", help="Cache (default ~/.cache/ilrs).")
    ] = None,
    timeout_s: Annotated[float, typer.Option("--timeout-s", help="Network timeout [s].")] = 60.0,
) -> None:
    """Download LOLA polar DEMs by HTTP range requests: resumable, cached (a second run makes
    no request), verified (SHA-256 recorded beside each file). With a PRODUCT: only the
    window of that product covering an area; prints the local .LBL, which every 'ilrs
    terrain' command reads. Without: a site's terrain stack (--site NAME or --lat/--lon),
    the finest product holding its near field then coarser ones out to --far-km, and the
    stack.json manifest listing them."""
    from ilrs.terrain.fetch import fetch_around, fetch_window
    from ilrs.terrain.grid import Window

    if site is not None:
        if lat is not None or lon is not None:
            raise InputError("give either --site or --lat/--lon, not both")
        from ilrs.data import named_site

        named = named_site(site)
        lat, lon = named.lat_deg, named.lon_deg
    if product is None:
        _fetch_stack(
            site, lat, lon, radius_m, window, radius_km, far_km, base_url, cache_dir, timeout_s
        )
        return
    if radius_km is not None or far_km is not None or base_url is not None:
        raise InputError(
            "--radius-km, --far-km and --base-url are for a site's stack (no PRODUCT); one "
            "product takes --radius-m or --window"
        )

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\rbytes {done:,}/{total:,}", end="" if done < total else "\n", file=sys.stderr)

    if window is not None:
        if lat is not None or lon is not None or radius_m is not None:
            raise InputError("give either --window or --lat/--lon/--radius-m, not both")
        try:
            row, col, height, width = (int(part) for part in window.split(","))
        except ValueError as error:
            raise InputError(f"--window {window!r}: expected ROW,COL,HEIGHT,WIDTH") from error
        path = fetch_window(
            product,
            Window(row, col, height, width),
            cache_dir=cache_dir,
            timeout_s=timeout_s,
            progress=progress,
        )
    else:
        if lat is None or lon is None or radius_m is None:
            raise InputError("give --lat, --lon (or --site) and --radius-m (or --window)")
        path = fetch_around(
            product,
            lat,
            lon,
            radius_m,
            cache_dir=cache_dir,
            timeout_s=timeout_s,
            progress=progress,
        )
    print(path)


def _fetch_stack(
    site: str | None,
    lat: float | None,
    lon: float | None,
    radius_m: float | None,
    window: str | None,
    radius_km: float | None,
    far_km: float | None,
    base_url: str | None,
    cache_dir: Path | None,
    timeout_s: float,
) -> None:
    """``ilrs terrain fetch`` without a product: a site's stack and its manifest."""
    from ilrs.terrain.fetch import LOLA_POLAR_BASE_URL
    from ilrs.terrain.lola_stack import (
        CAP_PIXEL_SIZE_M,
        CAP_PRODUCT,
        DEFAULT_FAR_RADIUS_M,
        DEFAULT_NEAR_RADIUS_M,
        fetch_stack,
    )

    if radius_m is not None or window is not None:
        raise InputError(
            "--radius-m and --window are for one PRODUCT's window; a site's stack takes "
            "--radius-km (near field) and --far-km"
        )
    if lat is None or lon is None:
        raise InputError(
            "give --site NAME, or --lat and --lon, for a site's stack (or a PRODUCT first for "
            "one product's window)"
        )

    def progress(product: str, done: int, total: int) -> None:
        if sys.stderr.isatty():
            end = "" if done < total else "\n"
            print(f"\r{product}: bytes {done:,}/{total:,}", end=end, file=sys.stderr)

    manifest = fetch_stack(
        lat,
        lon,
        near_radius_m=DEFAULT_NEAR_RADIUS_M if radius_km is None else radius_km * 1000.0,
        far_radius_m=DEFAULT_FAR_RADIUS_M if far_km is None else far_km * 1000.0,
        base_url=LOLA_POLAR_BASE_URL if base_url is None else base_url,
        cache_dir=cache_dir,
        site_name=site.strip().lower() if site is not None else None,
        progress=progress,
        timeout_s=timeout_s,
    )
    for layer in manifest.layers:
        print(
            f"{layer.product:<14} {layer.pixel_size_m:g} m  to {layer.reach_m / 1000:g} km  "
            f"{layer.label_path}"
        )
    print(
        f"far field beyond {manifest.reach_m / 1000:g} km: {CAP_PRODUCT}, "
        f"{CAP_PIXEL_SIZE_M:g} m (the embedded LOLA cap)"
    )
    print(f"manifest: {manifest.path}")


@terrain_app.command("info")
def info(
    dem: Annotated[Path, typer.Argument(help="GeoTIFF or PDS3 .LBL/.IMG.")],
    output_format: FormatOption = OutputFormat.json,
) -> None:
    """Size, pixel size, extent (x/y and latitude), height range, provenance of a DEM."""
    import numpy as np

    from ilrs.terrain import latlon_from_polar_xy
    from ilrs.terrain.sources import open_dem

    source = open_dem(dem)
    rows, cols = source.shape
    t = source.transform
    corners_x = np.array([t.c, t.c + cols * t.a])
    corners_y = np.array([t.f + rows * t.e, t.f])
    xs, ys = np.meshgrid(corners_x, corners_y)
    lat, _ = latlon_from_polar_xy(xs, ys)
    centre_lat, centre_lon = latlon_from_polar_xy(t.c + cols * t.a / 2, t.f + rows * t.e / 2)
    record = {
        "path": str(dem),
        "rows": rows,
        "cols": cols,
        "pixel_size_m": float(t.a),
        "x_min_m": float(corners_x[0]),
        "x_max_m": float(corners_x[1]),
        "y_min_m": float(corners_y[0]),
        "y_max_m": float(corners_y[1]),
        "lat_max_deg": round(float(np.max(lat)), 6),
        "center_lat_deg": round(float(centre_lat), 6),
        "center_lon_deg": round(float(centre_lon), 6),
        "crs": source.crs,
        **{f"meta_{key}": value for key, value in sorted(source.metadata.items())},
    }
    if rows * cols <= 64_000_000:  # the height range needs a full read; skip giant products
        heights = source.read().height_m
        record["height_min_m"] = round(float(np.nanmin(heights)), 3)
        record["height_max_m"] = round(float(np.nanmax(heights)), 3)
    if output_format == OutputFormat.json:
        json.dump(record, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        write_table({key: [value] for key, value in record.items()}, output_format)


@terrain_app.command("horizon")
def horizon(
    dem: Annotated[Path, typer.Argument(help="GeoTIFF or PDS3 .LBL/.IMG.")],
    out: Annotated[Path, typer.Option("--out", help="Multi-band GeoTIFF to write.")],
    azimuths: Annotated[int, typer.Option("--azimuths", help="Number of azimuths (bands).")] = 36,
    max_distance_m: Annotated[
        float, typer.Option("--max-distance-m", help="How far the terrain counts [m].")
    ] = 50_000.0,
    height_m: Annotated[
        float, typer.Option("--height-m", help="Observer height above the ground [m].")
    ] = 0.0,
    far_field: Annotated[
        Path | None, typer.Option("--far-field", help="Coarser DEM for rays leaving the DEM.")
    ] = None,
    flat: Annotated[bool, typer.Option("--flat", help="Ignore the Moon's curvature.")] = False,
    tile_px: Annotated[int, typer.Option("--tile-px", help="Tile size [px].")] = 512,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address, or 'local' for a local cluster."),
    ] = None,
    bearings: Annotated[
        Bearings,
        typer.Option(
            "--bearings", help="Azimuths from local north (turning with longitude) or grid north."
        ),
    ] = Bearings.local,
    method: Annotated[
        HorizonMethod,
        typer.Option(
            "--method",
            help="fast: one exact ray per pixel and azimuth (one grid); rays: the same along "
            "each great circle point by point, with a far field (the reference); sweep: shared "
            "grid lines, grid bearings moved to small integer steps; lines: one sample per "
            "pixel on parallel lines, less exact (~0.1 deg mean), grid bearings only; auto: "
            "fast, or rays with --far-field.",
        ),
    ] = HorizonMethod.auto,
    bearing_tolerance_deg: Annotated[
        float,
        typer.Option(
            "--bearing-tolerance-deg",
            help="How far the sweep may move a bearing to a direction of small integer steps.",
        ),
    ] = 0.1,
    force: ForceFileOption = False,
) -> None:
    """Horizon map: band i is the horizon elevation [deg] at azimuth 360*i/N from local north
    at each pixel (or grid north with --bearings grid; the sweep records each band's exact
    bearing), out to --max-distance-m, Moon curvature included."""
    from ilrs.terrain.horizon import check_method, write_horizon_map
    from ilrs.terrain.sources import dem_files, open_dem

    grid = bearings is Bearings.grid
    chosen = check_method(method.value, grid, far_field)  # before any DEM is read
    check_output_file(out, inputs=[*dem_files(dem), *dem_files(far_field)], force=force)
    source = open_dem(dem)
    far = open_dem(far_field).read() if far_field is not None else None

    def progress(done: int, total: int) -> None:
        print(f"\rtiles {done}/{total}", end="" if done < total else "\n", file=sys.stderr)

    path = write_horizon_map(
        source,
        out,
        azimuths=azimuths,
        max_distance_m=max_distance_m,
        height_above_ground_m=height_m,
        far_field=far,
        curvature=not flat,
        tile_px=tile_px,
        scheduler=scheduler,
        provenance={"dem": str(dem), "far_field": str(far_field or "")},
        progress=progress if sys.stderr.isatty() else None,
        grid_azimuths=grid,
        method=chosen,
        bearing_tolerance_deg=bearing_tolerance_deg,
    )
    print(f"wrote {path} ({azimuths} bands, {chosen})")


@terrain_app.command("profile")
def profile(
    dem: Annotated[Path, typer.Argument(help="GeoTIFF or PDS3 .LBL/.IMG.")],
    lat: Annotated[float, typer.Option(help="Latitude [deg].")],
    lon: Annotated[float, typer.Option(help="East longitude [deg].")],
    azimuths: Annotated[int, typer.Option("--azimuths", help="Number of azimuths.")] = 360,
    max_distance_m: Annotated[float, typer.Option("--max-distance-m")] = 150_000.0,
    height_m: Annotated[float, typer.Option("--height-m", help="Height above ground [m].")] = 2.0,
    far_field: Annotated[Path | None, typer.Option("--far-field")] = None,
    output_format: FormatOption = OutputFormat.csv,
) -> None:
    """The horizon of one point: azimuth_deg,elevation_deg (the horizon profile CSV that
    'ilrs site analyze --horizon' reads)."""
    from ilrs.terrain.horizon import horizon_profile_from_source
    from ilrs.terrain.sources import open_dem

    far = open_dem(far_field).read() if far_field is not None else None
    result = horizon_profile_from_source(
        open_dem(dem),
        lat,
        lon,
        azimuths=azimuths,
        height_above_ground_m=height_m,
        max_distance_m=max_distance_m,
        far_field=far,
    )
    write_table(
        {
            "azimuth_deg": rounded(result.azimuth_deg, 6),
            "elevation_deg": rounded(result.elevation_deg, 6),
        },
        output_format,
    )


@terrain_app.command("slope")
def slope(
    dem: Annotated[Path, typer.Argument(help="GeoTIFF or PDS3 .LBL/.IMG.")],
    out: Annotated[Path, typer.Option("--out", help="GeoTIFF with bands slope_deg, aspect_deg.")],
    force: ForceFileOption = False,
) -> None:
    """Slope and aspect on the sphere (aspect clockwise from local north, downhill)."""
    import numpy as np

    from ilrs.terrain.geotiff import write_geotiff
    from ilrs.terrain.slope import slope_aspect_deg
    from ilrs.terrain.sources import dem_files, open_dem

    check_output_file(out, inputs=dem_files(dem), force=force)
    source = open_dem(dem)
    grid = source.read()
    slope_deg, aspect_deg = slope_aspect_deg(grid)
    write_geotiff(
        out,
        np.stack([slope_deg, aspect_deg]),
        grid.transform,
        band_descriptions=["slope_deg", "aspect_deg"],
        tags={
            "dem_source": grid.metadata.get("source", str(dem)),
            "synthetic": grid.metadata.get("synthetic", "false"),
        },
    )
    print(f"wrote {out}")
