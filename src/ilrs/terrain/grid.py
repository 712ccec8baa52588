"""The elevation grid: heights above the lunar sphere on a south polar stereographic grid.

Conventions (DESIGN.md): heights in metres above the 1 737 400 m sphere; the projection is
polar stereographic about -90°, true scale at the pole, on that sphere; the affine
transform is north-up (rows go down in y), square pixels, and maps pixel *corners* like
GDAL (the centre of pixel (row, col) is at ``transform * (col + 0.5, row + 0.5)``).

On a south polar grid, local north at a point points away from the pole: the grid bearing
(clockwise from +y) of local azimuth ``α`` at east longitude ``λ`` is ``λ + α``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from affine import Affine

from ilrs.errors import DataFileError, InputError

__all__ = [
    "MOON_RADIUS_M",
    "SOUTH_POLAR_STEREOGRAPHIC",
    "Dem",
    "Window",
    "grid_bearing_deg",
    "latlon_from_polar_xy",
    "moon_fixed_m",
    "polar_xy_from_latlon",
]

MOON_RADIUS_M = 1_737_400.0  # IAU/IAG mean radius, the LOLA reference sphere (DESIGN.md)
SOUTH_POLAR_STEREOGRAPHIC = (
    "+proj=stere +lat_0=-90 +lon_0=0 +k=1 +x_0=0 +y_0=0 +R=1737400 +units=m +no_defs"
)


def polar_xy_from_latlon(lat_deg, lon_deg) -> tuple[np.ndarray, np.ndarray]:
    """South polar stereographic x, y [m] of planetocentric latitude/east longitude [deg].

    ``ρ = 2R tan(π/4 + φ/2)``, ``x = ρ sin λ``, ``y = ρ cos λ`` (Snyder 1987, Map
    Projections: A Working Manual, USGS PP 1395, eqs. 21-1, 21-2 and 21-4 for the south
    polar aspect with k0 = 1).
    """
    lat_rad = np.radians(np.asarray(lat_deg, dtype=float))
    lon_rad = np.radians(np.asarray(lon_deg, dtype=float))
    rho_m = 2.0 * MOON_RADIUS_M * np.tan(np.pi / 4 + lat_rad / 2)
    return rho_m * np.sin(lon_rad), rho_m * np.cos(lon_rad)


def pixel_of_latlon(transform, lat_deg, lon_deg) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of points on a north-up grid, as fractions of pixels from its top-left
    corner: their floor is the pixel holding the point (less 0.5: from pixel centres)."""
    x_m, y_m = polar_xy_from_latlon(lat_deg, lon_deg)
    return (transform.f - y_m) / -transform.e, (x_m - transform.c) / transform.a


def extent_km(transform, shape) -> list[float]:
    """A north-up grid's outer edges [km] as matplotlib's ``imshow`` takes them:
    [left, right, bottom, top]."""
    left_km, top_km = transform.c / 1000.0, transform.f / 1000.0
    return [
        left_km,
        left_km + shape[1] * transform.a / 1000.0,
        top_km + shape[0] * transform.e / 1000.0,
        top_km,
    ]


def latlon_from_polar_xy(x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and east longitude [deg, longitude in 0..360) of south polar x, y [m]."""
    x_m = np.asarray(x_m, dtype=float)
    y_m = np.asarray(y_m, dtype=float)
    rho_m = np.hypot(x_m, y_m)
    lat_rad = 2.0 * np.arctan(rho_m / (2.0 * MOON_RADIUS_M)) - np.pi / 2
    lon_deg = np.degrees(np.arctan2(x_m, y_m)) % 360.0
    return np.degrees(lat_rad), lon_deg


def moon_fixed_m(lat_deg, lon_deg, height_m=0.0) -> np.ndarray:
    """MOON_ME vectors [m] of points at a height above the sphere; shape ``S + (3,)``."""
    lat_rad = np.radians(np.asarray(lat_deg, dtype=float))
    lon_rad = np.radians(np.asarray(lon_deg, dtype=float))
    radius_m = MOON_RADIUS_M + np.asarray(height_m, dtype=float)
    cos_lat = np.cos(lat_rad)
    return np.stack(
        np.broadcast_arrays(
            radius_m * cos_lat * np.cos(lon_rad),
            radius_m * cos_lat * np.sin(lon_rad),
            radius_m * np.sin(lat_rad),
        ),
        axis=-1,
    )


def grid_bearing_deg(azimuth_deg, lon_deg) -> np.ndarray:
    """Grid bearing (clockwise from +y) of a local azimuth at an east longitude, south grid."""
    return (np.asarray(azimuth_deg, dtype=float) + np.asarray(lon_deg, dtype=float)) % 360.0


def grid_problem(transform) -> str | None:
    """What keeps an affine transform from being a north-up grid of square pixels (finite,
    positive size), or None: the only grids the terrain code supports."""
    t = transform
    numbers = tuple(t)[:6]
    if not all(math.isfinite(value) for value in numbers):
        return f"the grid's transform {numbers} is not finite"
    if t.b != 0 or t.d != 0 or t.e >= 0 or t.a <= 0 or abs(abs(t.e) - t.a) > 1e-9 * t.a:
        pixel = f"{abs(t.a):g} x {abs(t.e):g} m" if t.b == 0 and t.d == 0 else "rotated"
        return (
            f"only north-up grids with square pixels are supported; the pixels are {pixel} "
            f"(transform {numbers}); resample it first (gdalwarp -tr SIZE SIZE)"
        )
    return None


def check_has_heights(height_m: np.ndarray, where: str) -> None:
    """Refuse a whole DEM that holds no height at all (every pixel nodata)."""
    if height_m.size and not np.isfinite(height_m).any():
        raise DataFileError(
            f"{where}: holds no heights: all {height_m.size:,} pixels are nodata (or not finite)"
        )


@dataclass(frozen=True)
class Window:
    """A block of a grid: first row and column, and its size in pixels."""

    row_off: int
    col_off: int
    height: int
    width: int

    def __post_init__(self) -> None:
        if self.height <= 0 or self.width <= 0:
            raise InputError(f"window {self} is empty: height and width must be positive")

    @property
    def rows(self) -> slice:
        return slice(self.row_off, self.row_off + self.height)

    @property
    def cols(self) -> slice:
        return slice(self.col_off, self.col_off + self.width)

    def inside(self, shape: tuple[int, int]) -> bool:
        return (
            self.row_off >= 0
            and self.col_off >= 0
            and self.row_off + self.height <= shape[0]
            and self.col_off + self.width <= shape[1]
        )


@dataclass
class Dem:
    """Heights [m above the 1 737 400 m sphere] on a north-up polar stereographic grid.

    ``height_m`` is a 2-D float array with NaN where there are no data; ``transform`` maps
    (col, row) of pixel corners to projected x, y [m]; ``metadata`` carries provenance
    (``source``, and ``synthetic`` for generated terrain).
    """

    height_m: np.ndarray
    transform: Affine
    crs: str = SOUTH_POLAR_STEREOGRAPHIC
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.height_m.ndim != 2:
            raise InputError(f"a DEM is a 2-D grid; got an array of shape {self.height_m.shape}")
        problem = grid_problem(self.transform)
        if problem:
            raise InputError(problem)

    @property
    def shape(self) -> tuple[int, int]:
        return self.height_m.shape

    @property
    def pixel_size_m(self) -> float:
        return float(self.transform.a)

    @property
    def synthetic(self) -> bool:
        return self.metadata.get("synthetic", "false").lower() == "true"

    def xy(self, rows, cols) -> tuple[np.ndarray, np.ndarray]:
        """Projected x, y [m] of pixel centres (fractional indices allowed)."""
        rows = np.asarray(rows, dtype=float)
        cols = np.asarray(cols, dtype=float)
        t = self.transform
        return t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e

    def rowcol(self, x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
        """Fractional row and column of projected points (pixel centres are integers)."""
        t = self.transform
        cols = (np.asarray(x_m, dtype=float) - t.c) / t.a - 0.5
        rows = (np.asarray(y_m, dtype=float) - t.f) / t.e - 0.5
        return rows, cols

    def latlon(self, rows, cols) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and east longitude [deg] of pixel centres."""
        return latlon_from_polar_xy(*self.xy(rows, cols))

    def rowcol_of_latlon(self, lat_deg, lon_deg, *, check: bool = True):
        """Fractional row and column of a latitude/longitude; outside the grid is an error
        unless ``check`` is False."""
        rows, cols = self.rowcol(*polar_xy_from_latlon(lat_deg, lon_deg))
        if check:
            outside = (
                (rows < -0.5)
                | (cols < -0.5)
                | (rows > self.shape[0] - 0.5)
                | (cols > self.shape[1] - 0.5)
            )
            if np.any(outside):
                lat = np.broadcast_to(lat_deg, outside.shape)[outside].ravel()[0]
                lon = np.broadcast_to(lon_deg, outside.shape)[outside].ravel()[0]
                raise InputError(
                    f"point {float(lat):.5f}°, {float(lon):.5f}° lies outside the grid "
                    f"({self.describe_extent()})"
                )
        return rows, cols

    def moon_fixed_m(self, rows=None, cols=None, height_above_ground_m=0.0) -> np.ndarray:
        """MOON_ME vectors [m] of pixel centres (all of them by default) on the terrain."""
        if rows is None:
            rows, cols = np.indices(self.shape)
        rows = np.asarray(rows)
        cols = np.asarray(cols)
        lat, lon = self.latlon(rows, cols)
        height = self.sample(rows, cols) + height_above_ground_m
        return moon_fixed_m(lat, lon, height)

    def sample(self, rows, cols) -> np.ndarray:
        """Bilinear height at fractional pixel indices (NaN outside the grid)."""
        rows = np.asarray(rows, dtype=float)
        cols = np.asarray(cols, dtype=float)
        n_rows, n_cols = self.shape
        inside = (rows >= 0) & (rows <= n_rows - 1) & (cols >= 0) & (cols <= n_cols - 1)
        r = np.clip(rows, 0, n_rows - 1)
        c = np.clip(cols, 0, n_cols - 1)
        r0 = np.minimum(np.floor(r).astype(np.int64), max(n_rows - 2, 0))
        c0 = np.minimum(np.floor(c).astype(np.int64), max(n_cols - 2, 0))
        fr, fc = r - r0, c - c0
        z = self.height_m
        r1 = np.minimum(r0 + 1, n_rows - 1)
        c1 = np.minimum(c0 + 1, n_cols - 1)
        value = (
            z[r0, c0] * (1 - fr) * (1 - fc)
            + z[r0, c1] * (1 - fr) * fc
            + z[r1, c0] * fr * (1 - fc)
            + z[r1, c1] * fr * fc
        )
        return np.where(inside, value, np.nan)

    def height_at(self, lat_deg, lon_deg) -> np.ndarray:
        """Bilinear height [m] at latitude/longitude (an error outside the grid)."""
        return self.sample(*self.rowcol_of_latlon(lat_deg, lon_deg))

    def window(self, window: Window) -> Dem:
        """The sub-grid of a window, sharing nothing with this one."""
        if not window.inside(self.shape):
            raise InputError(f"{window} lies outside the grid of shape {self.shape}")
        transform = self.transform @ Affine.translation(window.col_off, window.row_off)
        return replace(
            self,
            height_m=np.array(self.height_m[window.rows, window.cols]),
            transform=transform,
            metadata=dict(self.metadata),
        )

    def describe_extent(self) -> str:
        t = self.transform
        left, top = t.c, t.f
        right, bottom = left + self.shape[1] * t.a, top + self.shape[0] * t.e
        return (
            f"{self.shape[0]} x {self.shape[1]} px of {self.pixel_size_m:g} m, "
            f"x {left:.0f}..{right:.0f} m, y {bottom:.0f}..{top:.0f} m"
        )
