"""Writing horizon maps tile by tile, on this machine or on a Dask cluster."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.windows import Window as RasterioWindow

from ilrs import __version__
from ilrs.errors import DataFileError, InputError
from ilrs.terrain.horizon import horizon_for_tile, horizon_tiles

__all__ = ["write_tiles"]


def write_tiles(
    source,
    out_path: Path,
    azimuths: np.ndarray,
    *,
    band_labels: list[str],
    tile_px: int,
    scheduler: str | None,
    progress,
    provenance: dict[str, str],
    compute: dict,
) -> Path:
    """Compute every tile's horizons and write them into one multi-band GeoTIFF."""
    if tile_px < 16:
        raise InputError(f"tiles must be at least 16 pixels, got {tile_px}")
    tiles = horizon_tiles(source.shape, tile_px)
    block = 256 if tile_px % 256 == 0 else 16 * max(1, tile_px // 16)
    profile = {
        "driver": "GTiff",
        "height": source.shape[0],
        "width": source.shape[1],
        "count": azimuths.size,
        "dtype": "float32",
        "crs": CRS.from_proj4(source.crs),
        "transform": source.transform,
        "nodata": np.nan,
        "compress": "deflate",
        "predictor": 3,
        "tiled": True,
        "blockxsize": block,
        "blockysize": block,
        "interleave": "band",
        "BIGTIFF": "IF_SAFER",
    }
    metadata = getattr(source, "metadata", {}) or {}
    tags = {
        "QUANTITY": "horizon elevation angle [deg], Moon curvature included"
        if compute["curvature"]
        else "horizon elevation angle [deg], flat body",
        "AZIMUTH_REFERENCE": "grid north, clockwise"
        if compute["grid_azimuths"]
        else "local north, clockwise",
        "MAX_DISTANCE_M": f"{compute['max_distance_m']:g}",
        "HEIGHT_ABOVE_GROUND_M": f"{compute['height_above_ground_m']:g}",
        "DEM_SOURCE": metadata.get("source", "unknown"),
        "SYNTHETIC": metadata.get("synthetic", "false"),
        "SOFTWARE": f"ilrs-planner {__version__}",
        **{key.upper(): str(value) for key, value in provenance.items()},
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".partial")
    try:
        # GDAL's block cache would otherwise grow to 5% of the machine's memory.
        with rasterio.Env(GDAL_CACHEMAX=256), rasterio.open(partial, "w", **profile) as dataset:
            dataset.update_tags(**tags)
            for index, label in enumerate(band_labels, start=1):
                dataset.set_band_description(index, label)
            for done, (tile, result) in enumerate(
                _results(source, tiles, azimuths, compute, scheduler), start=1
            ):
                window = RasterioWindow(tile.col_off, tile.row_off, tile.width, tile.height)
                dataset.write(result, window=window)
                if progress is not None:
                    progress(done, len(tiles))
        partial.replace(out_path)  # nothing half-written under the final name
    except (rasterio.errors.RasterioError, OSError) as error:
        partial.unlink(missing_ok=True)
        raise DataFileError(f"cannot write {out_path}: {error}") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return out_path


def _results(source, tiles, azimuths, compute, scheduler):
    """(tile, horizons) pairs, computed here in order or on a Dask cluster as they finish."""
    if scheduler is None:
        for tile in tiles:
            yield tile, horizon_for_tile(source, tile, azimuths=azimuths, **compute)
        return
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as error:
        raise InputError("--scheduler needs Dask: pip install 'ilrs-planner[cluster]'") from error
    cluster = LocalCluster(n_workers=2, threads_per_worker=1) if scheduler == "local" else None
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            shared_source = client.scatter(source, broadcast=True)
            futures = {
                client.submit(
                    horizon_for_tile, shared_source, tile, azimuths=azimuths, pure=False, **compute
                ): tile
                for tile in tiles
            }
            for future in as_completed(futures):
                yield futures[future], future.result()
    except OSError as error:
        raise InputError(f"cannot reach the Dask scheduler {scheduler!r}: {error}") from error
    finally:
        if cluster is not None:
            cluster.close()
