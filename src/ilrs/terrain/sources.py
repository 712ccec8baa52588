"""Open a DEM file of any supported kind, as a windowed source."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ilrs.errors import DataFileError, IlrsError, InputError

__all__ = [
    "OVERVIEW_BLOCK_PIXELS",
    "check_dem_file",
    "dem_files",
    "open_dem",
    "read_around",
    "read_overview",
]

# read_overview reads blocks of at most this many pixels (about 290 MB of float64 heights
# and their nodata mask), whatever the DEM's size.
OVERVIEW_BLOCK_PIXELS = 32_000_000


def check_dem_file(path: Path, what: str = "DEM file") -> None:
    """Refuse, before opening it, a path that is not a regular file: missing, a directory,
    or a pipe or a device (which GDAL and memory maps would wait on or misread)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise DataFileError(f"no such {what}: {path}") from None
    except OSError as error:
        raise DataFileError(f"cannot open {what} {path}: {error.strerror or error}") from None
    if stat.S_ISDIR(mode):
        raise DataFileError(f"{path}: a directory, not a {what}")
    if not stat.S_ISREG(mode):
        raise DataFileError(
            f"{path}: not a regular file (a pipe, socket or device); a {what} is read by "
            "windows, so it must be a file on disk"
        )


def open_dem(path: str | Path):
    """A windowed DEM source for a GeoTIFF/COG (``.tif``) or a PDS3 LOLA product
    (``.lbl`` or ``.img``); each has ``shape``, ``transform``, ``crs``, ``metadata`` and
    ``read(window)``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        from ilrs.terrain.geotiff import GeoTiffSource

        return GeoTiffSource(path)
    if suffix in (".lbl", ".img"):
        from ilrs.terrain.pds3 import Pds3Source

        return Pds3Source(path)
    raise DataFileError(
        f"{path}: unknown DEM format {suffix or '(no suffix)'!r}; give a GeoTIFF (.tif) or a "
        "PDS3 LOLA product (.LBL/.IMG)"
    )


def dem_files(path: str | Path | None) -> list[Path]:
    """The files a DEM is read from (an output must be none of them): a GeoTIFF itself;
    for a PDS3 product its label and its image, found the way reading finds them, and
    any file beside it of the same name with the other suffix."""
    if path is None:
        return []
    path = Path(path)
    if path.suffix.lower() not in (".lbl", ".img"):
        return [path]
    files = [path]
    files += [p for p in path.parent.glob(path.stem + ".*") if p.suffix.lower() in (".lbl", ".img")]
    try:
        from ilrs.terrain.pds3 import Pds3Source

        source = Pds3Source(path)
        files += [source.label_path, source.image_path]
    except (IlrsError, OSError, ValueError):
        pass  # an unreadable product: reading it says why
    return list(dict.fromkeys(files))


def read_around(source, points: list[tuple[str, float, float]], margin_m: float):
    """The part of a DEM source that holds named points (``(name, lat_deg, lon_deg)``) and
    ``margin_m`` around their box, clipped to the DEM: only that window is read. A point
    off the DEM is an :class:`InputError` naming it."""
    import math

    import numpy as np

    from ilrs.terrain.grid import Window, polar_xy_from_latlon

    t = source.transform
    n_rows, n_cols = source.shape
    rows, cols = [], []
    for name, lat_deg, lon_deg in points:
        x_m, y_m = polar_xy_from_latlon(lat_deg, lon_deg)
        col = (float(x_m) - t.c) / t.a - 0.5
        row = (float(y_m) - t.f) / t.e - 0.5
        if not (-0.5 <= row <= n_rows - 0.5 and -0.5 <= col <= n_cols - 0.5):
            raise InputError(
                f"{name} ({lat_deg}°, {lon_deg}°) is off the map ({n_rows} x {n_cols} px of "
                f"{abs(t.a):g} m, x {t.c:.0f}..{t.c + n_cols * t.a:.0f} m, "
                f"y {t.f + n_rows * t.e:.0f}..{t.f:.0f} m)"
            )
        rows.append(row)
        cols.append(col)
    if not (math.isfinite(margin_m) and margin_m >= 0):
        raise InputError(f"margin {margin_m} m must be zero or more")
    reach = math.ceil(margin_m / abs(t.a)) + 1
    top = max(int(np.floor(min(rows))) - reach, 0)
    left = max(int(np.floor(min(cols))) - reach, 0)
    bottom = min(int(np.ceil(max(rows))) + reach + 1, n_rows)
    right = min(int(np.ceil(max(cols))) + reach + 1, n_cols)
    return source.read(Window(top, left, bottom - top, right - left))


def read_overview(source, max_pixels: int, window=None):
    """The DEM (or a ``Window`` of it) at every n-th pixel, at most about ``max_pixels``
    rows and columns, read in blocks of rows: a polar DEM of many gigabytes is never read
    whole. Returns a ``Dem`` whose transform has the coarser pixels."""
    import numpy as np
    from affine import Affine

    from ilrs.terrain.grid import Dem, Window

    window = window or Window(0, 0, *source.shape)
    if not window.inside(source.shape):
        raise InputError(f"window {window} is not inside the DEM's {source.shape} pixels")
    rows, cols = window.height, window.width
    every = max(1, int(np.ceil(max(rows, cols) / max_pixels)))
    if every * cols <= OVERVIEW_BLOCK_PIXELS:
        # Blocks of whole rows, a multiple of the stride high.
        block = max(every, (OVERVIEW_BLOCK_PIXELS // cols) // every * every)
        parts = []
        for top in range(0, rows, block):
            part = Window(window.row_off + top, window.col_off, min(block, rows - top), cols)
            parts.append(source.read(part).height_m[::every, ::every])
        sampled = np.concatenate(parts)
    else:
        # Rows so wide that even one stride of them is too much: only the sampled rows,
        # each in pieces a multiple of the stride wide.
        width = max(every, OVERVIEW_BLOCK_PIXELS // every * every)
        sampled = np.stack(
            [
                np.concatenate(
                    [
                        source.read(
                            Window(
                                window.row_off + top,
                                window.col_off + left,
                                1,
                                min(width, cols - left),
                            )
                        ).height_m[0, ::every]
                        for left in range(0, cols, width)
                    ]
                )
                for top in range(0, rows, every)
            ]
        )
    corner = Affine.translation(window.col_off, window.row_off)
    transform = source.transform @ corner @ Affine.scale(every)
    return Dem(sampled, transform, source.crs, dict(source.metadata))
