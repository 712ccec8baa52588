"""Which cells of a region see a body (the Sun, the Earth) at each instant of a period.

A body this far away sends parallel rays across a region of a few tens of kilometres, so
at each instant one grid bearing serves every cell (on the polar stereographic grid the
bearing of a near-horizontal parallel beam changes only to second order across the
region). The horizon at that bearing comes from the two nearest bands of a regular set of
grid bearings, each computed once over the region by the lines method and kept while it
is needed; a cell sees the body when the body's centre stands above the horizon plus a
mask. The body's elevation is exact per cell (its own vertical).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numba
import numpy as np

from ilrs.environment.profile import bare_sphere_horizon_deg
from ilrs.errors import InputError
from ilrs.sky.geometry import local_axes
from ilrs.terrain import Dem, Window, grid_bearing_deg
from ilrs.terrain.horizon import horizon_for_tile

__all__ = [
    "HorizonBands",
    "RegionAxes",
    "body_grid_bearing_deg",
    "spot_lighting",
    "visibility_bits",
]

NEVER_SEEN = 2.0  # a sine no direction reaches: cells with no horizon (no data) see nothing


@dataclass(frozen=True)
class RegionAxes:
    """Each cell's local vertical (MOON_ME unit vectors, (cells, 3)) and the centre's
    latitude and longitude."""

    up: np.ndarray
    centre_lat_deg: float
    centre_lon_deg: float

    @classmethod
    def of(cls, dem: Dem, window: Window) -> RegionAxes:
        rows, cols = np.indices((window.height, window.width))
        lat, lon = dem.latlon(rows + window.row_off, cols + window.col_off)
        _, _, up = local_axes(np.radians(lat), np.radians(lon))
        centre_lat, centre_lon = dem.latlon(
            window.row_off + (window.height - 1) / 2, window.col_off + (window.width - 1) / 2
        )
        return cls(np.ascontiguousarray(up.reshape(-1, 3)), float(centre_lat), float(centre_lon))


def body_grid_bearing_deg(direction: np.ndarray, lat_deg: float, lon_deg: float) -> np.ndarray:
    """Grid bearings [deg] of MOON_ME directions (..., 3) seen from a point."""
    east, north, _ = local_axes(np.radians(lat_deg), np.radians(lon_deg))
    return grid_bearing_deg(np.degrees(np.arctan2(direction @ east, direction @ north)), lon_deg)


@dataclass
class HorizonBands:
    """Horizons [deg] of a region's cells at grid bearings ``k * bearing_step_deg``,
    computed as asked (lines method) and kept up to ``budget_bytes``, least recently used
    first out. :meth:`sines` gives sin(horizon + mask) ready for comparison."""

    dem: Dem
    window: Window
    bearing_step_deg: float = 1.0
    max_distance_m: float = 50_000.0
    height_above_ground_m: float = 0.0
    budget_bytes: int = 1 << 29
    computed: int = 0
    _cache: OrderedDict = field(default_factory=OrderedDict, repr=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.max_distance_m) and self.max_distance_m > 0):
            raise InputError(f"the horizons' reach {self.max_distance_m} m must be positive")
        if not (math.isfinite(self.height_above_ground_m) and self.height_above_ground_m >= 0):
            raise InputError(
                f"the height above the ground {self.height_above_ground_m} m must be 0 or more"
            )
        if not self.window.inside(self.dem.shape):
            raise InputError(f"the region {self.window} lies outside the DEM {self.dem.shape}")
        count = 360.0 / self.bearing_step_deg
        if not (self.bearing_step_deg > 0 and abs(count - round(count)) < 1e-9):
            raise InputError(
                f"bearing step {self.bearing_step_deg}° must divide 360° into whole bands"
            )

    @property
    def count(self) -> int:
        return round(360.0 / self.bearing_step_deg)

    @property
    def truncated_m(self) -> float:
        """How far short of ``max_distance_m`` the DEM ends beyond the region on its
        nearest side (0 when the terrain reaches all round): rays that leave the DEM see
        only the bare sphere beyond it."""
        w, (rows, cols) = self.window, self.dem.shape
        margin_px = min(
            w.row_off, w.col_off, rows - w.row_off - w.height, cols - w.col_off - w.width
        )
        return max(0.0, self.max_distance_m - margin_px * self.dem.pixel_size_m)

    def band_deg(self, index: int) -> np.ndarray:
        """The horizon [deg] at bearing ``index * step`` over the region (rows, cols)."""
        return self.bands_deg([index])[0]

    def bands_deg(self, indices: list[int]) -> list[np.ndarray]:
        """The horizons at bearings ``index * step``: those not kept are computed in one
        call, which reads the terrain around the region once for them all (each band is
        the same as computed alone)."""
        indices = [index % self.count for index in indices]
        missing = list(dict.fromkeys(i for i in indices if i not in self._cache))
        if missing:
            computed = horizon_for_tile(
                self.dem,
                self.window,
                azimuths=np.array([index * self.bearing_step_deg for index in missing]),
                max_distance_m=self.max_distance_m,
                height_above_ground_m=self.height_above_ground_m,
                far_field=None,
                curvature=True,
                grid_azimuths=True,
                method="lines",
            )
            # Rays that leave the map see the bare sphere beyond it (its dip); cells without
            # a height stay NaN.
            ground = self.dem.height_m[self.window.rows, self.window.cols]
            has_ground = ~np.isnan(ground)
            bare_deg = bare_sphere_horizon_deg(self.height_above_ground_m)
            for index, band in zip(missing, computed, strict=True):
                band = band.copy()  # its own memory, not a view keeping the whole stack
                band[np.isnan(band) & has_ground] = bare_deg
                self.computed += 1
                self._cache[index] = band
        bands = []
        for index in indices:
            self._cache.move_to_end(index)
            bands.append(self._cache[index])
        # The budget, once the bands asked for are out (they may pass it together).
        while len(self._cache) > 2 and len(self._cache) * bands[0].nbytes > self.budget_bytes:
            self._cache.popitem(last=False)
        return bands

    def sines(self, index: int, mask_deg: float) -> np.ndarray:
        """sin(horizon + mask), flat (cells,), NEVER_SEEN where the horizon is unknown."""
        band = self.band_deg(index).astype(np.float64).ravel()
        sines = np.sin(np.radians(band + mask_deg))
        sines[np.isnan(sines)] = NEVER_SEEN
        return sines


@numba.njit(parallel=True, cache=True)
def _set_visible_bits(up, directions, sines_low, sines_high, weights, bits, first):
    """Bits of instants ``first``, ``first + 1``, ... (one per row of ``directions`` and
    ``weights``), which share their two bands: each cell's vertical and horizons are read
    once for all of them."""
    for cell in numba.prange(up.shape[0]):
        up_x, up_y, up_z = up[cell, 0], up[cell, 1], up[cell, 2]
        low, high = sines_low[cell], sines_high[cell]
        for i in range(directions.shape[0]):
            instant = first + i
            sine = up_x * directions[i, 0] + up_y * directions[i, 1]
            sine += up_z * directions[i, 2]
            weight = weights[i]
            if sine > (1.0 - weight) * low + weight * high:
                bits[cell, instant >> 3] |= np.uint8(1 << (instant & 7))


# Bands computed together (one read of the terrain around the region for them all).
BANDS_PER_CALL = 8


def visibility_bits(
    bands: HorizonBands,
    axes: RegionAxes,
    directions: np.ndarray,
    *,
    mask_deg: float = 0.0,
) -> np.ndarray:
    """For each cell and instant, whether the body's centre stands more than ``mask_deg``
    above the horizon: bits packed along the instants (``np.packbits(..., bitorder=
    "little")`` layout), shape (rows, cols, ceil(instants / 8)).

    ``directions`` are the body's MOON_ME unit vectors (instants, 3) seen from the
    region's centre (``axes``)."""
    directions = np.ascontiguousarray(directions, dtype=np.float64)
    if directions.ndim != 2 or directions.shape[1] != 3:
        raise InputError(f"directions must have shape (instants, 3); got {directions.shape}")
    count = directions.shape[0]
    bits = np.zeros((axes.up.shape[0], (count + 7) // 8), dtype=np.uint8)
    position = body_grid_bearing_deg(directions, axes.centre_lat_deg, axes.centre_lon_deg)
    position /= bands.bearing_step_deg
    low = np.floor(position).astype(np.int64)
    weights = np.ascontiguousarray(position - low)
    # The bands in the order they are first needed, so that a missing one is computed
    # with the next few missing ones.
    needed = list(dict.fromkeys(i % bands.count for k in low.tolist() for i in (k, k + 1)))
    recent: OrderedDict[int, np.ndarray] = OrderedDict()  # the bearing moves slowly

    def sines(index: int) -> np.ndarray:
        index %= bands.count
        if index not in recent:
            if index not in bands._cache:
                at = needed.index(index)
                ahead = [i for i in needed[at:] if i not in bands._cache]
                bands.bands_deg(ahead[:BANDS_PER_CALL])
            recent[index] = bands.sines(index, mask_deg)
            if len(recent) > 4:
                recent.popitem(last=False)
        return recent[index]

    # Runs of instants between the same two bands (the body's bearing moves slowly).
    starts = np.flatnonzero(np.diff(low, prepend=low[0] - 1) != 0).tolist() + [count]
    for first, end in zip(starts[:-1], starts[1:], strict=True):
        index = int(low[first])
        _set_visible_bits(
            axes.up,
            directions[first:end],
            sines(index),
            sines(index + 1),
            weights[first:end],
            bits,
            first,
        )
    return bits.reshape(bands.window.height, bands.window.width, -1)


def spot_lighting(
    dem: Dem,
    points: list[tuple[float, float]],
    times,
    *,
    height_above_ground_m: float = 1.0,
    max_distance_m: float = 50_000.0,
) -> list[dict]:
    """Sunlight and Earth visibility at landing spots (latitude, longitude [deg]) over a
    period, from each spot's horizon: the figures of
    :func:`ilrs.environment.analyze_site`, and whether the spot is in a PSR over it."""
    from ilrs.environment import HorizonLine, analyze_site
    from ilrs.environment.profile import ground_height_m

    rows = []
    for number, (lat_deg, lon_deg) in enumerate(points, start=1):
        line = HorizonLine.from_dem(
            dem,
            lat_deg,
            lon_deg,
            height_above_ground_m=height_above_ground_m,
            max_distance_m=max_distance_m,
        )
        ground_m = ground_height_m(dem, lat_deg, lon_deg)
        summary = analyze_site(
            line, lat_deg, lon_deg, times, height_m=ground_m + height_above_ground_m, stations=[]
        ).summary()
        rows.append(
            {
                "spot": number,
                "lat_deg": lat_deg,
                "lon_deg": lon_deg,
                "sunlit_fraction": summary["sunlit_fraction"],
                "sun_any_fraction": summary["sun_any_fraction"],
                "longest_darkness_h": summary["longest_darkness_h"],
                "earth_visible_fraction": summary["earth_visible_fraction"],
                "in_shadow_all_period": summary["sun_any_fraction"] == 0.0,
            }
        )
    return rows
