"""Writing horizon maps tile by tile, on this machine or on a Dask cluster."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ilrs import __version__
from ilrs.errors import InputError
from ilrs.terrain.horizon import horizon_for_tile, horizon_tiles, reach_px
from ilrs.terrain.memory import READ_ADVICE, READ_BYTES_PER_PIXEL, check_memory
from ilrs.terrain.tiled import tile_results, write_tiled_geotiff

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
    # Before the output is created: the largest tile with its halo must fit in memory.
    reach = reach_px(compute["max_distance_m"], source.transform.a)
    rows, cols = (min(size, min(tile_px, size) + 2 * reach) for size in source.shape)
    check_memory(
        rows * cols * READ_BYTES_PER_PIXEL,
        f"reading a tile of {getattr(source, 'path', 'the DEM')} with the halo that "
        f"{compute['max_distance_m']:g} m reaches ({rows:,} x {cols:,} px)",
        READ_ADVICE,
    )
    tiles = horizon_tiles(source.shape, tile_px)
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
    results = tile_results(source, tiles, horizon_for_tile, scheduler, azimuths=azimuths, **compute)
    return write_tiled_geotiff(
        out_path,
        results,
        shape=source.shape,
        transform=source.transform,
        crs=source.crs,
        band_labels=band_labels,
        tags=tags,
        tile_count=len(tiles),
        tile_px=tile_px,
        progress=progress,
    )
