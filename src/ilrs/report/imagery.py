"""The real picture under the maps: the embedded LROC WAC mosaic of the south polar region
(``ilrs.data.WAC_MOSAIC_IMAGE``) cropped and resampled to any north-up grid of the south
polar stereographic CRS, for the report's terrain figure and the web map's base layer.

The mosaic is 3048 × 3048 pixels of 400 m over x and y of ±609 600 m, north up like the
plan's GeoTIFFs (data/lola/README.md), so a crop is a box of its pixels resized; the part
of a grid beyond the mosaic is left clear (``inside`` False, alpha 0 in the PNG).
"""

from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass

import numpy as np
from affine import Affine

from ilrs.data import IMAGERY_HALF_WIDTH_M, WAC_MOSAIC_IMAGE, data_path
from ilrs.errors import DataFileError, InputError

__all__ = [
    "WAC_CAPTION",
    "WAC_PIXEL_M",
    "WAC_TRANSFORM",
    "Imagery",
    "imagery_for_bounds",
    "imagery_for_grid",
    "imagery_png",
    "wac_mosaic",
]

WAC_PIXEL_SIDE = 3048  # data/lola/README.md: wac_south.jpg
WAC_PIXEL_M = 2 * IMAGERY_HALF_WIDTH_M / WAC_PIXEL_SIDE  # 400 m
WAC_TRANSFORM = Affine.translation(-IMAGERY_HALF_WIDTH_M, IMAGERY_HALF_WIDTH_M) @ Affine.scale(
    WAC_PIXEL_M, -WAC_PIXEL_M
)
# Provenance as data/lola/README.md gives it; LROC images are credited NASA/GSFC/ASU.
WAC_CAPTION = (
    "LROC WAC mosaic of the south polar region, 400 m pixels (NASA/GSFC/Arizona State "
    "University; LRO, embedded from lunar-toolkit 0.1.0)"
)
MAX_IMAGERY_PIXELS = 8192  # a side: a larger crop is a mistake, not a picture


@dataclass(frozen=True)
class Imagery:
    """The mosaic on a grid: ``grey`` 8-bit, rows × cols; ``inside`` where the mosaic
    covers the pixel (elsewhere ``grey`` is 0); ``transform`` the grid's; ``caption`` its
    source."""

    grey: np.ndarray
    inside: np.ndarray
    transform: Affine
    caption: str = WAC_CAPTION

    @property
    def shape(self) -> tuple[int, int]:
        return self.grey.shape

    @property
    def extent_m(self) -> list[float]:
        """x_min, x_max, y_min, y_max [m] of the grid's outer edges (the web map's order)."""
        t, (rows, cols) = self.transform, self.shape
        return [t.c, t.c + cols * t.a, t.f + rows * t.e, t.f]


@functools.lru_cache(maxsize=1)
def wac_mosaic() -> np.ndarray:
    """The whole mosaic, 8-bit grey, 3048 × 3048 (read once: about 9 MB)."""
    from PIL import Image

    path = data_path(WAC_MOSAIC_IMAGE)
    try:
        with Image.open(path) as image:
            grey = np.asarray(image.convert("L"))
    except (OSError, ValueError) as error:
        raise DataFileError(f"embedded image {path}: {error}; reinstall ilrs-planner") from None
    if grey.shape != (WAC_PIXEL_SIDE, WAC_PIXEL_SIDE):
        raise DataFileError(
            f"embedded image {path} is {grey.shape[1]} × {grey.shape[0]} pixels, not "
            f"{WAC_PIXEL_SIDE} × {WAC_PIXEL_SIDE}; reinstall ilrs-planner"
        )
    grey.setflags(write=False)
    return grey


def imagery_for_grid(transform: Affine, shape: tuple[int, int]) -> Imagery:
    """The mosaic resampled to a north-up south polar stereographic grid (``transform``
    of pixel corners as GDAL's, ``shape`` rows, cols): each pixel the mosaic's mean over
    it when the grid is coarser, bilinear when finer. Raises :class:`InputError` for a
    rotated or flipped grid or one of no or too many pixels."""
    rows, cols = (int(v) for v in shape)
    if not (0 < rows <= MAX_IMAGERY_PIXELS and 0 < cols <= MAX_IMAGERY_PIXELS):
        raise InputError(
            f"imagery of {rows} × {cols} pixels: give 1 to {MAX_IMAGERY_PIXELS} rows and columns"
        )
    t = transform
    values = (t.a, t.c, t.e, t.f)
    if t.b != 0 or t.d != 0 or not all(math.isfinite(v) for v in values) or t.a <= 0 or t.e >= 0:
        raise InputError(
            f"imagery grid transform {tuple(t)[:6]}: give a north-up grid (no rotation, "
            "x growing east, y falling down the rows)"
        )
    # The grid's pixel edges in the mosaic's pixels (fractional).
    mosaic = wac_mosaic()
    col_edges = (t.c + np.arange(cols + 1) * t.a - WAC_TRANSFORM.c) / WAC_TRANSFORM.a
    row_edges = (t.f + np.arange(rows + 1) * t.e - WAC_TRANSFORM.f) / WAC_TRANSFORM.e
    # The grid's pixels whose centres fall on the mosaic.
    col_centres = (col_edges[:-1] + col_edges[1:]) / 2
    row_centres = (row_edges[:-1] + row_edges[1:]) / 2
    on_cols = np.flatnonzero((col_centres >= 0) & (col_centres < WAC_PIXEL_SIDE))
    on_rows = np.flatnonzero((row_centres >= 0) & (row_centres < WAC_PIXEL_SIDE))
    grey = np.zeros((rows, cols), dtype=np.uint8)
    inside = np.zeros((rows, cols), dtype=bool)
    if on_cols.size and on_rows.size:
        col0, col1 = on_cols[0], on_cols[-1] + 1
        row0, row1 = on_rows[0], on_rows[-1] + 1
        # Half a pixel may hang over the mosaic's edge: that part is taken from the edge.
        box = (
            float(np.clip(col_edges[col0], 0, WAC_PIXEL_SIDE)),
            float(np.clip(row_edges[row0], 0, WAC_PIXEL_SIDE)),
            float(np.clip(col_edges[col1], 0, WAC_PIXEL_SIDE)),
            float(np.clip(row_edges[row1], 0, WAC_PIXEL_SIDE)),
        )
        grey[row0:row1, col0:col1] = _resized(mosaic, box, (col1 - col0, row1 - row0))
        inside[row0:row1, col0:col1] = True
    return Imagery(grey, inside, transform)


def imagery_for_bounds(
    left_m: float, bottom_m: float, right_m: float, top_m: float, width: int, height: int
) -> Imagery:
    """The mosaic over bounds [m] (rasterio's order: west, south, east, north) at
    ``width`` × ``height`` pixels."""
    bounds = (left_m, bottom_m, right_m, top_m)
    if not (all(math.isfinite(v) for v in bounds) and left_m < right_m and bottom_m < top_m):
        raise InputError(f"imagery bounds {bounds}: give finite left < right, bottom < top [m]")
    if not (0 < width <= MAX_IMAGERY_PIXELS and 0 < height <= MAX_IMAGERY_PIXELS):
        raise InputError(
            f"imagery of {width} × {height} pixels: give 1 to {MAX_IMAGERY_PIXELS} a side"
        )
    transform = Affine(
        (right_m - left_m) / width, 0.0, left_m, 0.0, -(top_m - bottom_m) / height, top_m
    )
    return imagery_for_grid(transform, (height, width))


def imagery_png(imagery: Imagery) -> bytes:
    """The imagery as a grey PNG with alpha: clear where the mosaic does not reach."""
    from PIL import Image

    alpha = np.where(imagery.inside, 255, 0).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(np.stack([imagery.grey, alpha], axis=-1), mode="LA").save(buffer, "PNG")
    return buffer.getvalue()


def _resized(mosaic: np.ndarray, box: tuple[float, ...], size: tuple[int, int]) -> np.ndarray:
    """A box of the mosaic (left, top, right, bottom in its pixels) at ``size`` (width,
    height): a coarser grid's pixel is the mean of the mosaic's under it (Pillow's box
    filter), a finer grid's interpolated bilinearly."""
    from PIL import Image

    left, top, right, bottom = box
    if right - left < 1e-6 or bottom - top < 1e-6:  # a sliver at the edge: the edge pixel
        row = min(int(top), WAC_PIXEL_SIDE - 1)
        col = min(int(left), WAC_PIXEL_SIDE - 1)
        return np.full(size[::-1], mosaic[row, col], dtype=np.uint8)
    coarser = (right - left) >= size[0] and (bottom - top) >= size[1]
    resampling = Image.Resampling.BOX if coarser else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(mosaic).resize(size, resampling, box=box))
