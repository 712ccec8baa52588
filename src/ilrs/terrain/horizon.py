"""Terrain horizons: for one point (a profile over azimuths) and for every pixel of a grid.

The horizon at an azimuth is the highest elevation angle of the terrain along the vertical
plane at that azimuth, out to a maximum distance, on the sphere (the Moon's curvature is
exact, not a parabola) or, with ``curvature=False``, on a flat plane like the GIS tools.
Where the fine DEM ends before the maximum distance, a coarser ``far_field`` DEM carries
the ray on. Azimuths are from *local* north (away from the pole on a south polar grid),
clockwise, unless ``grid_azimuths`` asks for bearings from grid north.

Maps have four methods. ``"fast"``, the default on one grid, walks one ray per pixel and
azimuth, from local or grid north, exactly as the rays do but along a quadratic path in the
grid with a lean walk from cell to cell (:mod:`ilrs.terrain._fast_kernel`). ``"rays"``
follows each ray's great circle point by point and carries it on over a far-field DEM:
the reference the others are held to. ``"sweep"`` (:mod:`ilrs.terrain.sweep`) shares each
grid line among the pixels on it, for bearings from grid north moved to directions of
small integer steps; ``"lines"`` is faster still and less exact.

Whole grids run in tiles with halos as wide as the maximum distance, so memory stays
bounded whatever the grid; each tile is independent, which lets the same tiles run on a
Dask cluster with identical results (see :func:`write_horizon_map`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ilrs.errors import InputError
from ilrs.terrain.grid import MOON_RADIUS_M, Dem, Window, pixel_of_latlon

__all__ = [
    "HorizonProfile",
    "METHODS",
    "horizon_map",
    "horizon_profile",
    "horizon_tiles",
    "azimuths_deg",
    "check_method",
    "sweep_bearings_deg",
]

# Grid distances exceed true distances by the stereographic scale factor, 1/cos^2 of half
# the colatitude: 1.0077 at 80°S. Halos are this much wider than the maximum distance.
_HALO_MARGIN = 1.02

METHODS = ("auto", "fast", "rays", "sweep", "lines")


def resolve_method(method: str, far_field) -> str:
    """``"auto"`` is the fast rays on one grid and the reference rays over a far field."""
    if method == "auto":
        return "rays" if far_field is not None else "fast"
    return method


class HorizonProfile(NamedTuple):
    """Horizon elevation [deg] at each azimuth [deg, clockwise from local north]."""

    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray


@dataclass(frozen=True)
class _Layer:
    """A DEM prepared for the kernel: heights, max-pyramid and transform."""

    heights_m: np.ndarray
    pyramid: np.ndarray
    meta: np.ndarray
    transform: np.ndarray

    @classmethod
    def from_dem(cls, dem: Dem) -> _Layer:
        if min(dem.shape) < 2:
            raise InputError(f"a DEM for horizons needs at least 2 x 2 pixels, got {dem.shape}")
        heights = np.ascontiguousarray(dem.height_m, dtype=np.float64)
        pyramid, meta = _max_pyramid(heights)
        transform = np.array([dem.transform.c, dem.transform.f, dem.pixel_size_m])
        return cls(heights, pyramid, meta, transform)


def _as_layer(dem: Dem | _Layer | None) -> _Layer | None:
    """A DEM prepared for the kernel; a prepared one (or None) passes through, so that a
    far field shared by every tile is prepared once."""
    if dem is None or isinstance(dem, _Layer):
        return dem
    return _Layer.from_dem(dem)


def _max_pyramid(heights: np.ndarray, levels: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Block maxima of 2^l x 2^l pixels for l = 0..levels, flattened; NaN counts as -inf."""
    current = np.where(np.isnan(heights), -np.inf, heights)
    blocks, meta, offset = [], [], 0
    for level in range(levels + 1):
        blocks.append(current.ravel())
        meta.append((offset, current.shape[0], current.shape[1]))
        offset += current.size
        if level == levels:
            break
        rows, cols = current.shape
        padded = np.full((rows + rows % 2, cols + cols % 2), -np.inf)
        padded[:rows, :cols] = current
        current = padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2).max(axis=(1, 3))
    return np.concatenate(blocks), np.array(meta, dtype=np.int64)


def azimuths_deg(count: int) -> np.ndarray:
    """``count`` azimuths evenly spaced from 0: band i is at 360 i / count degrees."""
    if count < 1:
        raise InputError(f"the number of azimuths must be at least 1, got {count}")
    return 360.0 * np.arange(count) / count


def _azimuth_array(azimuths: int | np.ndarray) -> np.ndarray:
    """Azimuths [deg] from a count (evenly spaced) or as given."""
    if np.ndim(azimuths) == 0:
        return azimuths_deg(int(azimuths))
    return np.asarray(azimuths, dtype=float)


def _check_max_distance(max_distance_m: float) -> None:
    if not (max_distance_m > 0 and math.isfinite(max_distance_m)):
        raise InputError(
            f"the maximum distance must be a positive number of metres, got {max_distance_m} m"
        )


def _pack(layers: list[_Layer], reaches_m: list[float], max_distance_m: float) -> tuple:
    """The layers of a stack, finest first, laid end to end for the kernel, with their
    offsets, and each one's reach (where the next takes over)."""
    limits = [min(reach, max_distance_m) for reach in reaches_m]
    tables = [_sigma_tables(layer, limit) for layer, limit in zip(layers, limits, strict=True)]

    def offsets(sizes) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    return (
        np.concatenate([layer.heights_m.ravel() for layer in layers]),
        offsets([layer.heights_m.size for layer in layers]),
        np.array([layer.heights_m.shape for layer in layers], dtype=np.int64),
        np.concatenate([layer.pyramid for layer in layers]),
        offsets([layer.pyramid.size for layer in layers]),
        np.concatenate([layer.meta for layer in layers]),
        offsets([len(layer.meta) for layer in layers]),
        np.array([layer.transform for layer in layers]),
        np.array(reaches_m, dtype=np.float64),
        np.concatenate([cos for cos, _ in tables]),
        np.concatenate([sin for _, sin in tables]),
        offsets([cos.size for cos, _ in tables]),
    )


def _run_kernel(
    layers: list[_Layer],
    x_m: np.ndarray,
    y_m: np.ndarray,
    observer_radius_m: np.ndarray,
    azimuths: np.ndarray,
    max_distance_m: float,
    curvature: bool,
    grid_azimuths: bool,
    *,
    reaches_m: list[float] | None = None,
    covered_m: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Horizons [deg] of observers over ``layers`` (finest first; each used to its reach
    in ``reaches_m``, the last to the maximum distance), shape (observers, azimuths); with
    ``covered_m`` also how far the terrain carried each ray [m]."""
    import numba

    from ilrs.terrain._horizon_kernel import horizon_kernel

    _check_max_distance(max_distance_m)
    reaches = list(reaches_m) if reaches_m is not None else [math.inf] * len(layers)
    reaches[-1] = math.inf  # the last layer carries every ray as far as it covers
    out = np.empty((x_m.size, azimuths.size))
    covered = np.empty(out.shape if covered_m else (0, 0))
    # The kernel's chunks of observers handed out a few at a time, not in one equal share
    # per thread: rough terrain costs more than smooth, and a static split leaves a thread
    # idle at the end. (Set here: inside the kernel it would stop numba caching it.)
    previous_chunksize = numba.set_parallel_chunksize(4)
    try:
        horizon_kernel(
            *_pack(layers, reaches, max_distance_m),
            np.ascontiguousarray(x_m, dtype=np.float64).ravel(),
            np.ascontiguousarray(y_m, dtype=np.float64).ravel(),
            np.ascontiguousarray(observer_radius_m, dtype=np.float64).ravel(),
            np.radians(np.asarray(azimuths, dtype=np.float64)),
            grid_azimuths,
            MOON_RADIUS_M,
            float(max_distance_m),
            not curvature,
            out,
            covered,
        )
    finally:
        numba.set_parallel_chunksize(previous_chunksize)
    return (out, covered) if covered_m else out


def _layers(fine: Dem | _Layer, far_field: Dem | _Layer | None) -> list[_Layer]:
    """A DEM and an optional coarser far field as a stack of layers."""
    layers = [_as_layer(fine)]
    if far_field is not None:
        layers.append(_as_layer(far_field))
    return layers


def _sigma_tables(layer: _Layer, max_distance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of the angle at the Moon's centre after k pixels of the layer."""
    steps = int(math.ceil(max_distance_m / layer.transform[2])) + 2
    sigma = np.arange(steps) * layer.transform[2] / MOON_RADIUS_M
    return np.cos(sigma), np.sin(sigma)


def horizon_profile(
    dem: Dem,
    lat_deg: float,
    lon_deg: float,
    *,
    azimuths: int | np.ndarray = 360,
    height_above_ground_m: float = 0.0,
    max_distance_m: float = 150_000.0,
    far_field: Dem | None = None,
    curvature: bool = True,
) -> HorizonProfile:
    """The horizon seen from one point, e.g. a 2 m lander deck or a 10 m mast.

    Parameters
    ----------
    dem : Dem
        The terrain around the point.
    lat_deg, lon_deg : float
        The point [degrees, planetocentric, east longitude]; it must lie on the grid.
    azimuths : int or array
        Number of evenly spaced azimuths, or the azimuths [deg from local north].
    height_above_ground_m : float
        Observer height above the terrain [m].
    max_distance_m : float
        How far the terrain counts [m, along the surface].
    far_field : Dem, optional
        A coarser DEM carrying rays on where ``dem`` ends.
    curvature : bool
        False treats the Moon as a plane (for comparison with flat-earth GIS tools).
    """
    from ilrs.terrain.stack import TerrainStack

    rows, cols = dem.rowcol_of_latlon(lat_deg, lon_deg)  # on the grid, or an InputError
    if math.isnan(float(dem.sample(rows, cols))):
        raise InputError(f"no terrain height at {lat_deg}°, {lon_deg}° (nodata in the DEM)")
    stack = TerrainStack([dem] if far_field is None else [dem, far_field])
    horizon = stack.horizon(
        lat_deg,
        lon_deg,
        azimuths=azimuths,
        height_above_ground_m=height_above_ground_m,
        max_distance_m=max_distance_m,
        curvature=curvature,
    )
    return HorizonProfile(horizon.azimuth_deg, horizon.elevation_deg)


def horizon_profile_from_source(
    source, lat_deg: float, lon_deg: float, *, max_distance_m: float = 150_000.0, **options
) -> HorizonProfile:
    """:func:`horizon_profile` on a windowed DEM source (``open_dem``), reading only the
    window the rays can reach."""
    t = source.transform
    row, col = (float(v) for v in pixel_of_latlon(t, lat_deg, lon_deg))
    if not (0 <= row < source.shape[0] and 0 <= col < source.shape[1]):
        where = getattr(source, "path", "the DEM")
        raise InputError(f"point {lat_deg}°, {lon_deg}° lies outside {where}")
    point = Window(int(row), int(col), 1, 1)
    grid = source.read(halo_window(point, source.shape, reach_px(max_distance_m, t.a)))
    return horizon_profile(grid, lat_deg, lon_deg, max_distance_m=max_distance_m, **options)


def horizon_tiles(shape: tuple[int, int], tile_px: int) -> list[Window]:
    """The tiles that cover a grid, row by row."""
    return [
        Window(row, col, min(tile_px, shape[0] - row), min(tile_px, shape[1] - col))
        for row in range(0, shape[0], tile_px)
        for col in range(0, shape[1], tile_px)
    ]


def reach_px(max_distance_m: float, pixel_m: float) -> int:
    """Pixels a ray can reach within ``max_distance_m`` on the grid (plus the bilinear
    neighbours): the halo a tile or a point needs."""
    return int(math.ceil(max_distance_m * _HALO_MARGIN / float(pixel_m))) + 2


def halo_window(tile: Window, shape: tuple[int, int], halo_px: int) -> Window:
    """The tile grown by ``halo_px`` on every side, clipped to the grid."""
    row0, col0 = max(tile.row_off - halo_px, 0), max(tile.col_off - halo_px, 0)
    row1 = min(tile.row_off + tile.height + halo_px, shape[0])
    col1 = min(tile.col_off + tile.width + halo_px, shape[1])
    return Window(row0, col0, row1 - row0, col1 - col0)


def horizon_for_tile(
    source,
    tile: Window,
    *,
    azimuths: np.ndarray,
    max_distance_m: float,
    height_above_ground_m: float,
    far_field: Dem | _Layer | None,
    curvature: bool,
    grid_azimuths: bool,
    method: str = "auto",
    bearing_tolerance_deg: float | None = None,
) -> np.ndarray:
    """Horizons [deg] of the pixels of one tile, shape (azimuths, rows, cols), float32.

    ``source`` is a :class:`Dem` or anything with ``shape``, ``transform`` and
    ``read(window)`` (GeoTIFF, PDS3): only the tile and its halo are read. With the
    ``"sweep"`` method the azimuths are grid bearings, each moved to its sweep direction
    (:func:`sweep_bearings_deg`).
    """
    window = halo_window(tile, source.shape, reach_px(max_distance_m, source.transform.a))
    fine = source.window(window) if isinstance(source, Dem) else source.read(window)
    inner = Window(
        tile.row_off - window.row_off, tile.col_off - window.col_off, tile.height, tile.width
    )
    common = dict(
        max_distance_m=max_distance_m,
        height_above_ground_m=height_above_ground_m,
        curvature=curvature,
    )
    if method == "lines":
        from ilrs.terrain.lines import lines_horizons

        return lines_horizons(
            fine, inner, azimuths, window=window, grid_shape=source.shape, **common
        )
    if method == "sweep":
        from ilrs.terrain.sweep import snap_bearing, sweep_horizons

        tolerance = _tolerance(bearing_tolerance_deg)
        return sweep_horizons(
            fine, inner, [snap_bearing(float(b), tolerance) for b in azimuths], **common
        )
    if method == "fast":
        return _fast_horizons(fine, inner, azimuths, grid_azimuths=grid_azimuths, **common)
    rows = np.arange(tile.row_off - window.row_off, tile.row_off - window.row_off + tile.height)
    cols = np.arange(tile.col_off - window.col_off, tile.col_off - window.col_off + tile.width)
    row_grid, col_grid = np.meshgrid(rows, cols, indexing="ij")
    x_m, y_m = fine.xy(row_grid, col_grid)
    ground_m = fine.height_m[row_grid, col_grid]
    result = _run_kernel(
        _layers(fine, far_field),
        x_m,
        y_m,
        MOON_RADIUS_M + ground_m + height_above_ground_m,
        azimuths,
        max_distance_m,
        curvature,
        grid_azimuths,
    )
    result[np.isnan(ground_m.ravel())] = np.nan
    return np.ascontiguousarray(
        result.T.reshape(azimuths.size, tile.height, tile.width), dtype=np.float32
    )


def _cell_tops(heights_m: np.ndarray) -> np.ndarray:
    """Each cell's highest corner, +inf where a corner is missing (no terrain: a cell
    that bounds nothing)."""
    corners = np.stack(
        [heights_m[:-1, :-1], heights_m[:-1, 1:], heights_m[1:, :-1], heights_m[1:, 1:]]
    )
    return np.ascontiguousarray(np.where(np.isnan(corners).any(axis=0), np.inf, corners.max(0)))


def _fast_horizons(
    fine: Dem,
    inner: Window,
    azimuths: np.ndarray,
    *,
    max_distance_m: float,
    height_above_ground_m: float,
    curvature: bool,
    grid_azimuths: bool,
) -> np.ndarray:
    """Horizons [deg] of the pixels ``inner`` of ``fine`` by the default method, shape
    (azimuths, rows, cols), float32."""
    import numba

    from ilrs.terrain._fast_kernel import fast_horizon_kernel

    _check_max_distance(max_distance_m)
    layer = _as_layer(fine)
    rows = np.arange(inner.row_off, inner.row_off + inner.height)
    cols = np.arange(inner.col_off, inner.col_off + inner.width)
    row_grid, col_grid = np.meshgrid(rows, cols, indexing="ij")
    ground_m = np.ascontiguousarray(fine.height_m[row_grid, col_grid], dtype=np.float64).ravel()
    out = np.empty((ground_m.size, azimuths.size))
    previous_chunksize = numba.set_parallel_chunksize(4)
    try:
        fast_horizon_kernel(
            layer.heights_m,
            _cell_tops(layer.heights_m),
            layer.pyramid,
            layer.meta,
            layer.transform,
            row_grid.ravel().astype(np.int64),
            col_grid.ravel().astype(np.int64),
            MOON_RADIUS_M + ground_m + height_above_ground_m,
            ground_m,
            np.radians(np.asarray(azimuths, dtype=np.float64)),
            grid_azimuths,
            MOON_RADIUS_M,
            float(max_distance_m),
            not curvature,
            out,
        )
    finally:
        numba.set_parallel_chunksize(previous_chunksize)
    out[np.isnan(ground_m)] = np.nan
    return np.ascontiguousarray(
        out.T.reshape(azimuths.size, inner.height, inner.width), dtype=np.float32
    )


def sweep_bearings_deg(
    azimuths: int | np.ndarray, bearing_tolerance_deg: float | None = None
) -> np.ndarray:
    """The grid bearings [deg] the sweep method computes for the requested ones: each is
    the nearest direction of small integer steps within the tolerance (0.1° by default)."""
    from ilrs.terrain.sweep import snap_bearing

    tolerance = _tolerance(bearing_tolerance_deg)
    return np.array(
        [snap_bearing(float(b), tolerance).bearing_deg for b in _azimuth_array(azimuths)]
    )


def _tolerance(bearing_tolerance_deg: float | None) -> float:
    from ilrs.terrain.sweep import DEFAULT_BEARING_TOLERANCE_DEG

    if bearing_tolerance_deg is None:
        return DEFAULT_BEARING_TOLERANCE_DEG
    return float(bearing_tolerance_deg)


def check_method(method: str, grid_azimuths: bool, far_field) -> str:
    """The method that computes what is asked (``"auto"`` resolved), or an
    :class:`InputError` if it cannot."""
    if method not in METHODS:
        raise InputError(f"unknown horizon method {method!r}; choose one of {', '.join(METHODS)}")
    if method in ("sweep", "lines") and not grid_azimuths:
        raise InputError(
            f"the {method} method computes bearings from grid north: ask for grid bearings "
            "(--bearings grid, grid_azimuths=True), or take the rays method for azimuths "
            "from local north"
        )
    method = resolve_method(method, far_field)
    if method in ("fast", "sweep", "lines") and far_field is not None:
        raise InputError(
            f"the {method} method works on one grid: use the rays method with a far field"
        )
    return method


def horizon_map(
    dem: Dem,
    *,
    azimuths: int | np.ndarray = 36,
    max_distance_m: float = 50_000.0,
    height_above_ground_m: float = 0.0,
    far_field: Dem | None = None,
    curvature: bool = True,
    grid_azimuths: bool = False,
    tile_px: int = 512,
    method: str = "auto",
    bearing_tolerance_deg: float | None = None,
) -> np.ndarray:
    """Horizons [deg] for every pixel of an in-memory DEM: shape (azimuths, rows, cols).

    Band i is at azimuth ``azimuths[i]`` (360 i / N for a count N) from local north at each
    pixel, or from grid north with ``grid_azimuths``. ``method="sweep"`` (grid bearings
    only) moves each bearing to :func:`sweep_bearings_deg`. For grids too large for memory
    use :func:`write_horizon_map`.
    """
    method = check_method(method, grid_azimuths, far_field)
    _check_max_distance(max_distance_m)
    angles = _azimuth_array(azimuths)
    far_layer = _as_layer(far_field)
    tiles = list(horizon_tiles(dem.shape, tile_px))

    def compute(tile):
        return horizon_for_tile(
            dem,
            tile,
            azimuths=angles,
            max_distance_m=max_distance_m,
            height_above_ground_m=height_above_ground_m,
            far_field=far_layer,
            curvature=curvature,
            grid_azimuths=grid_azimuths,
            method=method,
            bearing_tolerance_deg=bearing_tolerance_deg,
        )

    if len(tiles) == 1:
        return compute(tiles[0])  # the whole grid: no copy
    out = np.empty((angles.size, *dem.shape), dtype=np.float32)
    for tile in tiles:
        out[:, tile.rows, tile.cols] = compute(tile)
    return out


def write_horizon_map(
    source,
    out_path: str | Path,
    *,
    azimuths: int | np.ndarray = 36,
    max_distance_m: float = 50_000.0,
    height_above_ground_m: float = 0.0,
    far_field: Dem | None = None,
    curvature: bool = True,
    tile_px: int = 512,
    scheduler: str | None = None,
    provenance: dict[str, str] | None = None,
    progress=None,
    grid_azimuths: bool = False,
    method: str = "auto",
    bearing_tolerance_deg: float | None = None,
) -> Path:
    """Compute the horizon map of a DEM tile by tile and write it as a multi-band GeoTIFF.

    One band per azimuth, described as ``azimuth_deg=<value>`` from local north (or
    ``grid_bearing_deg=<value>`` with ``grid_azimuths``, the bearing actually computed);
    values are horizon elevations [deg]. Memory holds one tile and its halo at a time.
    With ``scheduler`` (a Dask distributed address, or ``"local"`` for a local cluster)
    the tiles run on the cluster; the result is identical.
    """
    from ilrs.terrain.horizon_io import write_tiles

    # Everything is checked before any tile is read.
    method = check_method(method, grid_azimuths, far_field)
    _check_max_distance(max_distance_m)
    angles = _azimuth_array(azimuths)
    if method == "sweep":
        labels = [
            f"grid_bearing_deg={b:.6f}" for b in sweep_bearings_deg(angles, bearing_tolerance_deg)
        ]
    else:
        name = "grid_bearing_deg" if grid_azimuths else "azimuth_deg"
        labels = [f"{name}={value:g}" for value in angles]
    return write_tiles(
        source,
        Path(out_path),
        angles,
        band_labels=labels,
        tile_px=tile_px,
        scheduler=scheduler,
        progress=progress,
        provenance={"method": method, **(provenance or {})},
        compute=dict(
            max_distance_m=max_distance_m,
            height_above_ground_m=height_above_ground_m,
            far_field=_as_layer(far_field),
            curvature=curvature,
            grid_azimuths=grid_azimuths,
            method=method,
            bearing_tolerance_deg=bearing_tolerance_deg,
        ),
    )
