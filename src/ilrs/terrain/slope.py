"""Slope and aspect on the sphere, not on the projected plane.

Each pixel's surface normal comes from the Moon-fixed positions of its four neighbours
(central differences in 3-D), so the projection's scale and the curvature of the sphere
drop out. Slope is the angle between that normal and the local vertical (the radius);
aspect is the azimuth, clockwise from local north, of the downhill direction.
"""

from __future__ import annotations

import numpy as np

from ilrs.errors import InputError
from ilrs.terrain.grid import Dem, Window
from ilrs.terrain.horizon import halo_window
from ilrs.terrain.memory import check_memory

__all__ = ["SLOPE_BYTES_PER_PIXEL", "slope_aspect_deg", "surface_normals"]

# Peak memory of slope_aspect_deg per pixel: 201 bytes measured with tracemalloc on a
# 1000 x 1000 grid (the 3-D points, their differences, the normals and the local axes,
# float64), and some room.
SLOPE_BYTES_PER_PIXEL = 224


def _with_neighbours(dem: Dem, window: Window | None) -> tuple[Dem, tuple[slice, slice]]:
    """The window grown by its neighbour cells (clipped to the grid), and where the
    window lies in it: the differences at the window's rim then see real neighbours."""
    if window is None:
        return dem, (slice(None), slice(None))
    halo = halo_window(window, dem.shape, 1)
    top, left = window.row_off - halo.row_off, window.col_off - halo.col_off
    return dem.window(halo), (
        slice(top, top + window.height),
        slice(left, left + window.width),
    )


def surface_normals(dem: Dem, window: Window | None = None) -> np.ndarray:
    """Unit outward normals of the terrain, MOON_ME, shape (rows, cols, 3), of the whole
    grid or of a window of it; NaN at the grid's edges and next to missing data."""
    dem, inner = _with_neighbours(dem, window)
    rows, cols = np.indices(dem.shape)
    points = dem.moon_fixed_m(rows, cols)  # (rows, cols, 3)
    along_rows = np.full_like(points, np.nan)
    along_cols = np.full_like(points, np.nan)
    along_rows[1:-1] = points[2:] - points[:-2]  # towards increasing row (grid -y)
    along_cols[:, 1:-1] = points[:, 2:] - points[:, :-2]  # towards increasing col (grid +x)
    # On the south polar grid, x cross y points out of the Moon, so (-y) cross x does too.
    normal = np.cross(along_rows, along_cols)[inner]
    return normal / np.linalg.norm(normal, axis=-1, keepdims=True)


def slope_aspect_deg(dem: Dem, window: Window | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Slope [deg, 0..90] and aspect [deg, 0..360 from local north] of every pixel (of the
    whole grid, or of a window of it, computed with the cells around it).

    Edge pixels of the grid, and pixels next to missing data, are NaN. Aspect is NaN where
    the slope is zero. A grid of less than 3 x 3 pixels (no pixel with neighbours on every
    side), or one whose slopes would not fit the memory limit, is refused.
    """
    if min(dem.shape) < 3:
        raise InputError(
            f"a slope needs a grid of at least 3 x 3 pixels (each pixel's neighbours on both "
            f"sides); {dem.metadata.get('source', 'the DEM')} has {dem.shape[0]} x "
            f"{dem.shape[1]}"
        )
    rows, cols = dem.shape if window is None else (window.height + 2, window.width + 2)
    check_memory(
        rows * cols * SLOPE_BYTES_PER_PIXEL,
        f"the slopes of {rows:,} x {cols:,} px of {dem.metadata.get('source', 'the DEM')}",
        "compute them a window at a time, on a part cut out first (gdal_translate -srcwin), "
        "or raise the limit",
    )
    normal = surface_normals(dem, window)
    rows, cols = np.indices(normal.shape[:2])
    if window is not None:
        rows, cols = rows + window.row_off, cols + window.col_off
    lat, lon = dem.latlon(rows, cols)
    lat_rad, lon_rad = np.radians(lat), np.radians(lon)
    up = np.stack(
        [np.cos(lat_rad) * np.cos(lon_rad), np.cos(lat_rad) * np.sin(lon_rad), np.sin(lat_rad)],
        axis=-1,
    )
    north = np.stack(
        [-np.sin(lat_rad) * np.cos(lon_rad), -np.sin(lat_rad) * np.sin(lon_rad), np.cos(lat_rad)],
        axis=-1,
    )
    east = np.stack([-np.sin(lon_rad), np.cos(lon_rad), np.zeros_like(lon_rad)], axis=-1)
    normal_up = np.sum(normal * up, axis=-1)
    normal_north = np.sum(normal * north, axis=-1)
    normal_east = np.sum(normal * east, axis=-1)
    horizontal = np.hypot(normal_north, normal_east)
    slope_deg = np.degrees(np.arctan2(horizontal, normal_up))
    # The normal leans towards the downhill side.
    aspect_deg = np.degrees(np.arctan2(normal_east, normal_north)) % 360.0
    aspect_deg = np.where(horizontal > 0, aspect_deg, np.nan)
    return slope_deg, aspect_deg
