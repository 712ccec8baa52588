"""Horizon maps by sweeping lines of the grid: every pixel, many bearings, fast.

Along a grid bearing whose slope is a ratio of small integers p/q, the line from one pixel
centre passes exactly through another every q pixels, so the pixels on a line share its
terrain and one walk along the line, keeping the upper convex hull of the terrain ahead,
gives all their horizons (see :mod:`ilrs.terrain._sweep_kernel`). The terrain is the same
bilinear surface the ray method walks, with every bend of it on the line, so the two
methods agree closely; the sweep is many times faster on whole grids.

The price is the bearing: each requested bearing moves to the nearest such direction
within ``bearing_tolerance_deg``, and the map records the bearing actually swept. Bearings
are from *grid* north, the same at every pixel (on a south polar grid the Sun's bearing is
nearly the same over a whole map, which is what illumination maps need).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from ilrs.errors import InputError
from ilrs.terrain.grid import MOON_RADIUS_M, Dem, Window

__all__ = ["SweepDirection", "snap_bearing", "sweep_horizons"]

DEFAULT_BEARING_TOLERANCE_DEG = 0.1
_MAX_DENOMINATOR = 4096


class SweepDirection(NamedTuple):
    """A grid direction of integer steps: ``d_col`` columns east, ``d_row`` rows south."""

    bearing_deg: float
    d_col: int
    d_row: int


def snap_bearing(
    bearing_deg: float, tolerance_deg: float = DEFAULT_BEARING_TOLERANCE_DEG
) -> SweepDirection:
    """The direction of smallest integer steps within ``tolerance_deg`` of a grid bearing
    [deg clockwise from grid north]."""
    if not tolerance_deg > 0:
        raise InputError(f"the bearing tolerance must be positive, got {tolerance_deg} deg")
    if not math.isfinite(bearing_deg):
        raise InputError(f"a bearing must be a finite number of degrees, got {bearing_deg}")
    radians = math.radians(bearing_deg)
    east, south = math.sin(radians), -math.cos(radians)
    major, minor = (east, south) if abs(east) >= abs(south) else (south, east)
    slope = abs(minor / major)
    for q in range(1, _MAX_DENOMINATOR + 1):
        p = round(slope * q)
        if abs(math.degrees(math.atan2(p, q) - math.atan(slope))) <= tolerance_deg:
            break
    else:
        raise InputError(
            f"no grid direction of at most {_MAX_DENOMINATOR} pixels a step lies within "
            f"{tolerance_deg} deg of the bearing {bearing_deg} deg: allow a larger tolerance"
        )
    g = math.gcd(p, q)
    p, q = p // g, q // g
    major_step = int(math.copysign(q, major))
    minor_step = int(math.copysign(p, minor)) if p else 0
    d_col, d_row = (major_step, minor_step) if abs(east) >= abs(south) else (minor_step, major_step)
    snapped = math.degrees(math.atan2(d_col, -d_row)) % 360.0
    return SweepDirection(snapped, d_col, d_row)


class _Orientation(NamedTuple):
    transpose: bool
    flip_cols: bool
    flip_rows: bool
    p: int
    q: int

    @classmethod
    def of(cls, direction: SweepDirection) -> _Orientation:
        transpose = abs(direction.d_row) > abs(direction.d_col)
        major, minor = (
            (direction.d_row, direction.d_col) if transpose else (direction.d_col, direction.d_row)
        )
        return cls(transpose, major < 0, minor < 0, abs(minor), abs(major))

    def view(self, array: np.ndarray) -> np.ndarray:
        """The array turned so that the direction runs to increasing column, p/q rows down
        per column."""
        if self.transpose:
            array = array.T
        if self.flip_cols:
            array = array[:, ::-1]
        if self.flip_rows:
            array = array[::-1, :]
        return array

    def unview(self, array: np.ndarray) -> np.ndarray:
        if self.flip_rows:
            array = array[::-1, :]
        if self.flip_cols:
            array = array[:, ::-1]
        if self.transpose:
            array = array.T
        return array

    def canonical_rowcol(self, shape: tuple[int, int], row: int, col: int) -> tuple[int, int]:
        """Canonical (row, col) of an original (row, col) of an array of ``shape``."""
        rows, cols = shape
        if self.transpose:
            row, col, rows, cols = col, row, cols, rows
        if self.flip_cols:
            col = cols - 1 - col
        if self.flip_rows:
            row = rows - 1 - row
        return row, col

    def original_rowcol(self, shape: tuple[int, int], row: float, col: float):
        """Row and column in the original array of a canonical (row, col)."""
        rows, cols = (shape[1], shape[0]) if self.transpose else shape
        row_v = rows - 1 - row if self.flip_rows else row
        col_v = cols - 1 - col if self.flip_cols else col
        return (col_v, row_v) if self.transpose else (row_v, col_v)


def sweep_horizons(
    fine: Dem,
    tile: Window,
    directions: list[SweepDirection],
    *,
    max_distance_m: float,
    height_above_ground_m: float,
    curvature: bool,
) -> np.ndarray:
    """Horizons [deg] of the pixels of ``tile`` (a window of ``fine``, which holds the
    terrain around it), one band per direction: shape (directions, rows, cols), float32."""
    from ilrs.terrain._sweep_kernel import sweep_kernel

    heights = np.asarray(fine.height_m, dtype=np.float64)
    pixel_m = fine.pixel_size_m
    centre_x, centre_y = fine.xy(tile.row_off + tile.height / 2, tile.col_off + tile.width / 2)
    # Grid distances are true distances times the stereographic scale factor.
    scale = 1.0 + (centre_x**2 + centre_y**2) / (4.0 * MOON_RADIUS_M**2) if curvature else 1.0
    out = np.empty((len(directions), tile.height, tile.width), dtype=np.float32)
    for band, direction in enumerate(directions):
        turn = _Orientation.of(direction)
        z = np.ascontiguousarray(turn.view(heights))
        rows = _canonical_span(turn, heights.shape, tile, axis=0)
        cols = _canonical_span(turn, heights.shape, tile, axis=1)
        geo = _canonical_geo(fine, turn, heights.shape)
        step_m = pixel_m * math.hypot(turn.p, turn.q) / turn.q
        result = np.full((rows[1] - rows[0], cols[1] - cols[0]), np.nan)
        sweep_kernel(
            z,
            turn.p,
            turn.q,
            pow(turn.p, -1, turn.q) if turn.q > 1 else 0,
            np.array([rows[0], rows[1], cols[0], cols[1]], dtype=np.int64),
            float(height_above_ground_m),
            max_distance_m * scale / step_m,
            step_m,
            not curvature,
            geo,
            64 * numba.get_num_threads(),
            result,
        )
        out[band] = turn.unview(result)
    return out


def _canonical_span(turn: _Orientation, shape, tile: Window, axis: int) -> tuple[int, int]:
    """The tile's rows (axis 0) or columns (axis 1) in the canonical orientation."""
    (r_a, c_a), (r_b, c_b) = (
        turn.canonical_rowcol(shape, tile.row_off, tile.col_off),
        turn.canonical_rowcol(shape, tile.row_off + tile.height - 1, tile.col_off + tile.width - 1),
    )
    a, b = (r_a, r_b) if axis == 0 else (c_a, c_b)
    return min(a, b), max(a, b) + 1


def _canonical_geo(fine: Dem, turn: _Orientation, shape) -> np.ndarray:
    """Projected x, y [m] as affine functions of canonical (col, row), and the radius."""

    def xy(col: float, row: float) -> tuple[float, float]:
        r, c = turn.original_rowcol(shape, row, col)
        x, y = fine.xy(r, c)
        return float(x), float(y)

    x0, y0 = xy(0.0, 0.0)
    x_col, y_col = xy(1.0, 0.0)
    x_row, y_row = xy(0.0, 1.0)
    return np.array([x0, x_col - x0, x_row - x0, y0, y_col - y0, y_row - y0, MOON_RADIUS_M])
