"""Tiled rasters: compute a grid tile by tile, here or on a Dask cluster, into one GeoTIFF.

Any per-tile computation fits: ``compute(shared, tile)`` returns the tile's bands as an
array ``(bands, tile.height, tile.width)``; ``shared`` (a DEM, a path) is sent to a
cluster's workers once. The file appears under its name only when complete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.windows import Window as RasterioWindow

from ilrs.errors import DataFileError, InputError
from ilrs.outfolder import atomic_path
from ilrs.terrain.grid import Window

__all__ = ["tile_results", "write_tiled_geotiff"]


def tile_results(
    shared, tiles: list[Window], compute: Callable, scheduler: str | None, **options
) -> Iterator[tuple[Window, np.ndarray]]:
    """(tile, result) pairs: computed here in order, or on a Dask cluster as they finish
    (``scheduler`` an address, or ``"local"`` for a local cluster)."""
    if scheduler is None:
        for tile in tiles:
            yield tile, compute(shared, tile, **options)
        return
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as error:
        raise InputError("--scheduler needs Dask: pip install 'ilrs-planner[cluster]'") from error
    cluster = LocalCluster(n_workers=2, threads_per_worker=1) if scheduler == "local" else None
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            shared_future = client.scatter(shared, broadcast=True)
            futures = {
                client.submit(compute, shared_future, tile, pure=False, **options): tile
                for tile in tiles
            }
            for future in as_completed(futures):
                yield futures[future], future.result()
    except (OSError, ValueError, TimeoutError) as error:
        raise InputError(f"cannot reach the Dask scheduler {scheduler!r}: {error}") from error
    finally:
        if cluster is not None:
            cluster.close()


def write_tiled_geotiff(
    out_path: Path,
    results: Iterator[tuple[Window, np.ndarray]],
    *,
    shape: tuple[int, int],
    transform,
    crs: str,
    band_labels: list[str],
    tags: dict[str, str],
    tile_count: int,
    tile_px: int,
    progress=None,
    dtype: str = "float32",
    nodata=np.nan,
) -> Path:
    """Write tile results into one tiled, compressed multi-band GeoTIFF."""
    block = 256 if tile_px % 256 == 0 else 16 * max(1, tile_px // 16)
    floating = np.issubdtype(np.dtype(dtype), np.floating)
    profile = {
        "driver": "GTiff",
        "height": shape[0],
        "width": shape[1],
        "count": len(band_labels),
        "dtype": dtype,
        "crs": CRS.from_proj4(crs),
        "transform": transform,
        "nodata": nodata,
        "compress": "deflate",
        "predictor": 3 if floating else 2,
        "tiled": True,
        "blockxsize": block,
        "blockysize": block,
        "interleave": "band",
        "BIGTIFF": "IF_SAFER",
    }
    out_path = Path(out_path)
    try:
        # GDAL's block cache would otherwise grow to 5% of the machine's memory.
        with (
            atomic_path(out_path) as partial,
            rasterio.Env(GDAL_CACHEMAX=256),
            rasterio.open(partial, "w", **profile) as dataset,
        ):
            dataset.update_tags(**tags)
            for index, label in enumerate(band_labels, start=1):
                dataset.set_band_description(index, label)
            for done, (tile, result) in enumerate(results, start=1):
                window = RasterioWindow(tile.col_off, tile.row_off, tile.width, tile.height)
                dataset.write(result.astype(dtype, copy=False), window=window)
                if progress is not None:
                    progress(done, tile_count)
    except (rasterio.errors.RasterioError, OSError) as error:
        raise DataFileError(f"cannot write {out_path}: {error}") from error
    return out_path
