"""Lighting maps: for every pixel of a horizon map, how much of the time the Sun (or the
Earth) shows, how long it stays away, and where it never comes (the PSRs).

The body's apparent direction is taken once per instant in the local frame of a cell's
centre; each pixel's frame differs from it by a twist about the vertical
(its azimuth reference turns) and a small tilt (the Moon curves away). The twist is exact;
the tilt is applied to first order, so a frame is shared only within a cell of the grid
at most 12 km (256 px) on a side (tilt <= 0.005 rad, second-order error < 0.001 deg).
The cells are fixed by the grid, not by the tiles: any tiling gives the same numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

from ilrs import __version__
from ilrs.environment import _lighting_kernel as kernel
from ilrs.environment.intervals import sampled_period
from ilrs.environment.profile import bare_sphere_horizon_deg
from ilrs.errors import DataFileError, InputError
from ilrs.sky import LunarObserver, Times, angular_radius_deg
from ilrs.sky.geometry import local_axes
from ilrs.terrain import Window, latlon_from_polar_xy, moon_fixed_m
from ilrs.terrain.horizon import horizon_tiles
from ilrs.terrain.tiled import tile_results, write_tiled_geotiff

__all__ = [
    "PRODUCTS",
    "BodyTrack",
    "HorizonSource",
    "body_track",
    "lighting_for_tile",
    "lighting_map",
    "reference_lighting_for_tile",
    "write_lighting_map",
    "write_psr_from_illumination",
]

FINE_AZIMUTH_STEP_DEG = (
    0.05  # horizon kinks between nodes are cut by < 0.013 deg per unit of slope change
)
BLOCK_INSTANTS = 16  # instants judged together from bounds, where the disk is far from the line
MAX_CELL_HALF_WIDTH_M = 6_000.0  # half a frame cell's side: its corners within 8.5 km

# What each map holds: (band description, which result band, unit/meaning).
PRODUCTS: dict[str, dict] = {
    "illumination": {
        "body": "sun",
        "bands": [
            ("sunlit_fraction", kernel.MEAN_DISK_FRACTION),
            ("sun_any_fraction", kernel.ANY_VISIBLE_FRACTION),
            ("longest_darkness_h", kernel.LONGEST_HIDDEN_STEPS),
        ],
    },
    "darkness": {
        "body": "sun",
        "bands": [("longest_darkness_h", kernel.LONGEST_HIDDEN_STEPS)],
    },
    "psr": {"body": "sun", "bands": [("psr", kernel.ANY_VISIBLE_FRACTION)]},
    "earth": {
        "body": "earth",
        "bands": [
            ("earth_visible_fraction", kernel.CENTRE_VISIBLE_FRACTION),
            ("earth_disk_fraction", kernel.MEAN_DISK_FRACTION),
            ("longest_earth_loss_h", kernel.LONGEST_CENTRE_HIDDEN_STEPS),
        ],
    },
}
_MEANINGS = {
    "sunlit_fraction": "time-averaged visible fraction of the solar disk (0..1)",
    "sun_any_fraction": "fraction of the time any part of the Sun is above the horizon",
    "longest_darkness_h": "longest spell with no part of the Sun visible [h]",
    "psr": "1 where no part of the Sun is ever visible over the period (PSR), else 0",
    "earth_visible_fraction": "fraction of the time the Earth's centre is above the horizon",
    "earth_disk_fraction": "time-averaged visible fraction of the Earth's disk (0..1)",
    "longest_earth_loss_h": "longest spell with the Earth's centre below the horizon [h]",
}
PSR_NODATA = 255

_BAND_LABEL = re.compile(r"^\s*(azimuth_deg|grid_bearing_deg)\s*=\s*([-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class HorizonSource:
    """A horizon map on disk (as ``ilrs terrain horizon`` writes it), read by windows."""

    path: Path
    shape: tuple[int, int]
    transform: Affine
    crs: str
    azimuth_deg: np.ndarray  # per band
    grid_bearings: bool
    tags: dict[str, str]

    @classmethod
    def open(cls, path: str | Path) -> HorizonSource:
        path = Path(path)
        if not path.is_file():
            raise InputError(f"no horizon map at {path}")
        try:
            with rasterio.open(path) as dataset:
                descriptions = dataset.descriptions
                shape = (dataset.height, dataset.width)
                transform = dataset.transform
                crs = dataset.crs.to_proj4() if dataset.crs else ""
                tags = dataset.tags()
        except rasterio.errors.RasterioError as error:
            raise DataFileError(f"cannot read horizon map {path}: {error}") from error
        if not crs:
            raise InputError(f"{path}: the horizon map has no CRS")
        kinds, azimuths = set(), []
        for band, description in enumerate(descriptions, start=1):
            match = _BAND_LABEL.match(description or "")
            if match is None:
                raise InputError(
                    f"{path}: band {band} is described {description!r}; a horizon map's bands "
                    "are described 'azimuth_deg=<deg>' or 'grid_bearing_deg=<deg>' "
                    "(write it with 'ilrs terrain horizon')"
                )
            kinds.add(match[1])
            azimuths.append(float(match[2]) % 360.0)
        if len(kinds) > 1:
            raise InputError(f"{path}: bands mix local azimuths and grid bearings")
        if len(azimuths) < 2:
            raise InputError(f"{path}: a lighting map needs at least two horizon bands")
        if len(set(azimuths)) < len(azimuths):
            raise InputError(f"{path}: two bands give the same azimuth")
        return cls(
            path,
            shape,
            transform,
            crs,
            np.array(azimuths),
            kinds == {"grid_bearing_deg"},
            tags,
        )

    @property
    def pixel_size_m(self) -> float:
        return abs(self.transform.a)

    @property
    def open_horizon_deg(self) -> float:
        """The bare sphere's horizon (its dip) for the map's observer height: where the
        horizon map has no terrain (rays that leave the grid)."""
        try:
            height_m = float(self.tags.get("HEIGHT_ABOVE_GROUND_M", "0"))
        except ValueError:
            height_m = 0.0
        return bare_sphere_horizon_deg(height_m)

    def read(self, tile: Window) -> np.ndarray:
        window = rasterio.windows.Window(tile.col_off, tile.row_off, tile.width, tile.height)
        try:
            with rasterio.open(self.path) as dataset:
                return dataset.read(window=window, out_dtype=np.float32)
        except rasterio.errors.RasterioError as error:
            raise DataFileError(f"cannot read horizon map {self.path}: {error}") from error

    def latlon(self, rows, cols) -> tuple[np.ndarray, np.ndarray]:
        t = self.transform
        x_m = t.c + (np.asarray(cols, dtype=float) + 0.5) * t.a
        y_m = t.f + (np.asarray(rows, dtype=float) + 0.5) * t.e
        return latlon_from_polar_xy(x_m, y_m)

    def centre_latlon(self) -> tuple[float, float]:
        lat, lon = self.latlon(self.shape[0] / 2 - 0.5, self.shape[1] / 2 - 0.5)
        return float(lat), float(lon)


@dataclass(frozen=True)
class BodyTrack:
    """A body's apparent position seen from one point of the map, at each instant."""

    body: str
    tdb_s: np.ndarray
    step_s: float
    site_m: np.ndarray  # MOON_ME position of the point it was seen from
    apparent_m: np.ndarray  # (T, 3) MOON_ME vector from that point to the body
    radius_deg: np.ndarray  # apparent angular radius
    utc_span: tuple[str, str]


def body_track(body: str, times, lat_deg: float, lon_deg: float, *, ephemeris=None) -> BodyTrack:
    """The body's apparent MOON_ME direction from a point at evenly spaced instants."""
    times, step_s = sampled_period(times, "a map")
    observer = LunarObserver(lat_deg, lon_deg, times, 0.0, ephemeris=ephemeris)
    apparent_m = observer.apparent_in_moon_frame(body)
    distance_m = np.linalg.norm(apparent_m, axis=-1)
    start, end = Times(times.tdb_s[[0, -1]]).utc_iso()
    return BodyTrack(
        body=body,
        tdb_s=times.tdb_s,
        step_s=step_s,
        site_m=moon_fixed_m(lat_deg, lon_deg),
        apparent_m=apparent_m,
        radius_deg=angular_radius_deg(body, distance_m),
        utc_span=(start, end),
    )


def _pixel_axes(lat_deg, lon_deg, grid_bearings: bool):
    """East, north (the zero of the map's azimuths) and up at pixels."""
    lat_rad, lon_rad = np.radians(lat_deg), np.radians(lon_deg)
    east, north, up = local_axes(lat_rad, lon_rad)
    if grid_bearings:
        # Grid bearing = local azimuth + longitude on the south polar grid.
        cos_lon, sin_lon = np.cos(lon_rad)[..., None], np.sin(lon_rad)[..., None]
        east, north = cos_lon * east + sin_lon * north, cos_lon * north - sin_lon * east
    return east, north, up


def _epoch_table(track: BodyTrack, centre_lat: float, centre_lon: float):
    """The local axes at a cell's centre and, per instant seen from there, the body's
    position on the fine reference-azimuth grid [nodes], elevation [deg], angular radius
    [deg] and sec(elevation): (4, T)."""
    east, north, up = local_axes(np.radians(centre_lat), np.radians(centre_lon))
    offset_m = moon_fixed_m(centre_lat, centre_lon) - track.site_m
    direction = track.apparent_m - offset_m
    direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
    elevation_deg = np.degrees(np.arcsin(np.clip(direction @ up, -1.0, 1.0)))
    azimuth_deg = np.degrees(np.arctan2(direction @ east, direction @ north)) % 360.0
    n_fine = round(360.0 / FINE_AZIMUTH_STEP_DEG)
    position = np.minimum(azimuth_deg / FINE_AZIMUTH_STEP_DEG, n_fine - 1e-9)
    sec = 1.0 / np.cos(np.radians(elevation_deg))
    return (east, north, up), np.stack([position, elevation_deg, track.radius_deg, sec])


def _block_bounds(epochs: np.ndarray, block_size: int) -> np.ndarray:
    """Per block of instants: first and last coarse azimuth bin (unwrapped about the
    block's first instant, so they may pass 0 or 360 degrees), lowest and highest
    elevation, largest radius and sec: (6, B)."""
    pad = (-epochs.shape[1]) % block_size

    def blocked(values):
        return np.concatenate([values, np.repeat(values[-1:], pad)]).reshape(-1, block_size)

    coarse = blocked(epochs[0]) / kernel.FINE_PER_COARSE
    n_coarse = round(360.0 / FINE_AZIMUTH_STEP_DEG) // kernel.FINE_PER_COARSE
    unwrapped = coarse - n_coarse * np.round((coarse - coarse[:, :1]) / n_coarse)
    elevation = blocked(epochs[1])
    first = np.floor(unwrapped.min(axis=1))
    last = np.floor(unwrapped.max(axis=1))
    turns = np.floor(first / n_coarse) * n_coarse  # first bin in 0 .. n_coarse - 1
    return np.stack(
        [
            first - turns,
            np.minimum(last - turns, first - turns + n_coarse - 1),
            elevation.min(axis=1),
            elevation.max(axis=1),
            blocked(epochs[2]).max(axis=1),
            blocked(epochs[3]).max(axis=1),
        ]
    )


def frame_cell_px(source: HorizonSource) -> int:
    """Side [px] of the cells whose centres serve as reference frames: fixed by the grid
    alone (not by the tiling), so every tiling gives the same numbers."""
    return max(1, min(256, int(2 * MAX_CELL_HALF_WIDTH_M / source.pixel_size_m)))


def _frame_cells(source: HorizonSource, tile: Window) -> list[tuple[Window, Window]]:
    """The parts of a tile in each frame cell: (the cell, the part)."""
    side = frame_cell_px(source)
    parts = []
    for row in range(tile.row_off // side * side, tile.row_off + tile.height, side):
        for col in range(tile.col_off // side * side, tile.col_off + tile.width, side):
            cell = Window(
                row, col, min(side, source.shape[0] - row), min(side, source.shape[1] - col)
            )
            r0, c0 = max(row, tile.row_off), max(col, tile.col_off)
            r1 = min(row + side, tile.row_off + tile.height)
            c1 = min(col + side, tile.col_off + tile.width)
            parts.append((cell, Window(r0, c0, r1 - r0, c1 - c0)))
    return parts


def _rotations(source: HorizonSource, part: Window, cell_axes) -> np.ndarray:
    """Per pixel of ``part``: the matrix turning its frame (east, north as the horizon
    map's azimuths count them, up) into the cell's: (rows, cols, 3, 3)."""
    rows, cols = np.mgrid[part.rows, part.cols]
    pixel_axes = _pixel_axes(*source.latlon(rows, cols), source.grid_bearings)
    return np.stack([np.stack([p @ c for p in pixel_axes], axis=-1) for c in cell_axes], axis=-2)


CELLS_PER_CALL = 64  # frame cells whose tables (32 bytes per instant each) are held at once


def lighting_for_tile(shared: tuple[HorizonSource, BodyTrack], tile: Window) -> np.ndarray:
    """The kernel's result bands for one tile: (RESULT_BANDS, rows, cols); the spells in
    hours. The cells' tables and every pixel are made in the compiled kernel, on every
    core; :func:`reference_lighting_for_tile` is the same, cell by cell from Python."""
    source, track = shared
    order = np.argsort(source.azimuth_deg)
    out = np.empty((kernel.RESULT_BANDS, tile.height, tile.width))
    # The tile's horizons read once: a window read inflates every compressed block it
    # touches, and a frame cell (7 px on the 1600 m cap) is far smaller than a block.
    horizons = source.read(tile)
    rows, cols = np.mgrid[tile.rows, tile.cols]
    pixel_axes = np.stack(_pixel_axes(*source.latlon(rows, cols), source.grid_bearings), -2)
    cells = _frame_cells(source, tile)
    for first in range(0, len(cells), CELLS_PER_CALL):
        chosen = cells[first : first + CELLS_PER_CALL]
        parts = np.array(
            [
                [p.row_off - tile.row_off, p.col_off - tile.col_off, p.height, p.width]
                for _, p in chosen
            ],
            dtype=np.int64,
        )
        centres = [_cell_centre(source, cell) for cell, _ in chosen]
        cell_axes = np.array([np.stack(local_axes(*np.radians(c))) for c in centres])
        offsets_m = np.array([moon_fixed_m(*c) - track.site_m for c in centres])
        kernel.cells_kernel(
            horizons,
            order,
            source.azimuth_deg[order],
            pixel_axes,
            parts,
            cell_axes,
            offsets_m,
            np.ascontiguousarray(track.apparent_m),
            np.ascontiguousarray(track.radius_deg, dtype=float),
            FINE_AZIMUTH_STEP_DEG,
            BLOCK_INSTANTS,
            source.open_horizon_deg,
            out,
        )
    return _spells_in_hours(out, track)


def _cell_centre(source: HorizonSource, cell: Window) -> tuple[float, float]:
    lat, lon = source.latlon(
        cell.row_off + cell.height / 2 - 0.5, cell.col_off + cell.width / 2 - 0.5
    )
    return float(lat), float(lon)


def _spells_in_hours(out: np.ndarray, track: BodyTrack) -> np.ndarray:
    step_h = track.step_s / 3600.0
    out[kernel.LONGEST_HIDDEN_STEPS] *= step_h
    out[kernel.LONGEST_CENTRE_HIDDEN_STEPS] *= step_h
    return out


def reference_lighting_for_tile(
    shared: tuple[HorizonSource, BodyTrack], tile: Window
) -> np.ndarray:
    """:func:`lighting_for_tile` the plain way: each cell's tables in NumPy, then the
    kernel on its pixels (the reference the fast path is tested against)."""
    source, track = shared
    order = np.argsort(source.azimuth_deg)
    out = np.empty((kernel.RESULT_BANDS, tile.height, tile.width))
    for cell, part in _frame_cells(source, tile):
        cell_axes, epochs = _epoch_table(track, *_cell_centre(source, cell))
        result = np.empty((kernel.RESULT_BANDS, part.height, part.width))
        kernel.lighting_kernel(
            source.read(part),
            order,
            source.azimuth_deg[order],
            _rotations(source, part, cell_axes),
            FINE_AZIMUTH_STEP_DEG,
            epochs,
            _block_bounds(epochs, BLOCK_INSTANTS),
            BLOCK_INSTANTS,
            source.open_horizon_deg,
            result,
        )
        out[
            :,
            part.row_off - tile.row_off : part.row_off - tile.row_off + part.height,
            part.col_off - tile.col_off : part.col_off - tile.col_off + part.width,
        ] = result
    return _spells_in_hours(out, track)


def _prepare(horizon_path, product: str, times, tile_px: int, ephemeris):
    """The horizon map, the body's track over the period and the tiles of a product."""
    body = _check_product(product)
    if tile_px < 16:
        raise InputError(f"tiles must be at least 16 pixels, got {tile_px}")
    source = HorizonSource.open(horizon_path)
    track = body_track(body, times, *source.centre_latlon(), ephemeris=ephemeris)
    return source, track, horizon_tiles(source.shape, tile_px)


def _select(result: np.ndarray, product: str) -> np.ndarray:
    bands = PRODUCTS[product]["bands"]
    chosen = np.stack([result[index] for _, index in bands])
    if product == "psr":
        nodata = np.isnan(chosen)
        chosen = np.where(nodata, PSR_NODATA, chosen == 0.0).astype(np.uint8)
    return chosen


def _product_tile(shared, tile: Window, *, product: str) -> np.ndarray:
    return _select(lighting_for_tile(shared, tile), product)


def _check_product(product: str) -> str:
    if product not in PRODUCTS:
        raise InputError(f"unknown map {product!r}; known: {', '.join(PRODUCTS)}")
    return PRODUCTS[product]["body"]


def lighting_map(
    horizon_path: str | Path, product: str, times, *, tile_px: int = 512, ephemeris=None
) -> np.ndarray:
    """A lighting product (see :data:`PRODUCTS`) of a horizon map, in memory:
    (bands, rows, cols)."""
    source, track, tiles = _prepare(horizon_path, product, times, tile_px, ephemeris)
    first = _select(np.full((kernel.RESULT_BANDS, 1, 1), np.nan), product)
    out = np.empty((first.shape[0], *source.shape), dtype=first.dtype)
    for tile, result in tile_results((source, track), tiles, _product_tile, None, product=product):
        out[:, tile.rows, tile.cols] = result
    return out


def write_lighting_map(
    horizon_path: str | Path,
    out_path: str | Path,
    product: str,
    times,
    *,
    tile_px: int = 512,
    scheduler: str | None = None,
    progress=None,
    ephemeris=None,
) -> Path:
    """Compute a lighting product tile by tile (here or on a Dask cluster) and write it as
    a GeoTIFF with its provenance."""
    source, track, tiles = _prepare(horizon_path, product, times, tile_px, ephemeris)
    names = [name for name, _ in PRODUCTS[product]["bands"]]
    tags = {
        "PRODUCT": product,
        "BODY": track.body,
        "START": track.utc_span[0],
        "END": track.utc_span[1],
        "STEP_S": f"{track.step_s:g}",
        "INSTANTS": str(track.tdb_s.size),
        "HORIZON_MAP": str(source.path),
        "HORIZON_AZIMUTH_REFERENCE": source.tags.get("AZIMUTH_REFERENCE", "unknown"),
        "HORIZON_MAX_DISTANCE_M": source.tags.get("MAX_DISTANCE_M", "unknown"),
        "HEIGHT_ABOVE_GROUND_M": source.tags.get("HEIGHT_ABOVE_GROUND_M", "unknown"),
        "DEM_SOURCE": source.tags.get("DEM_SOURCE", "unknown"),
        "SYNTHETIC": source.tags.get("SYNTHETIC", "false"),
        "EPHEMERIS": "JPL DE421 with the DE421 lunar libration PCK (MOON_ME)",
        "SOFTWARE": f"ilrs-planner {__version__}",
        **{f"BAND_{i}": f"{name}: {_MEANINGS[name]}" for i, name in enumerate(names, 1)},
    }
    psr = product == "psr"
    return write_tiled_geotiff(
        Path(out_path),
        tile_results((source, track), tiles, _product_tile, scheduler, product=product),
        shape=source.shape,
        transform=source.transform,
        crs=source.crs,
        band_labels=names,
        tags=tags,
        tile_count=len(tiles),
        tile_px=tile_px,
        progress=progress,
        dtype="uint8" if psr else "float32",
        nodata=PSR_NODATA if psr else np.nan,
    )


def write_psr_from_illumination(
    illumination_path: str | Path, out_path: str | Path, *, tile_px: int = 512
) -> Path:
    """The PSR map of the same period as an illumination map, from its
    ``sun_any_fraction`` band (never any of the Sun: PSR), read tile by tile: the same
    answer as the ``psr`` product without a second pass over the Sun's track."""
    with rasterio.open(illumination_path) as dataset:
        tags = dataset.tags()
        band = 1 + [d for d in dataset.descriptions].index("sun_any_fraction")
        shape = (dataset.height, dataset.width)
        transform, crs = dataset.transform, dataset.crs.to_proj4()
    if tags.get("PRODUCT") != "illumination":
        raise InputError(f"{illumination_path} is not an illumination map")
    tiles = horizon_tiles(shape, tile_px)

    def results():
        with rasterio.open(illumination_path) as dataset:
            for tile in tiles:
                window = rasterio.windows.Window(
                    tile.col_off, tile.row_off, tile.width, tile.height
                )
                any_sun = dataset.read(band, window=window)
                psr = np.where(np.isnan(any_sun), PSR_NODATA, any_sun == 0.0).astype(np.uint8)
                yield tile, psr[None]

    tags = {key: value for key, value in tags.items() if not key.startswith("BAND_")}
    tags |= {
        "PRODUCT": "psr",
        "DERIVED_FROM": Path(illumination_path).name,  # beside it (not a staging path)
        "BAND_1": f"psr: {_MEANINGS['psr']}",
    }
    return write_tiled_geotiff(
        Path(out_path),
        results(),
        shape=shape,
        transform=transform,
        crs=crs,
        band_labels=["psr"],
        tags=tags,
        tile_count=len(tiles),
        tile_px=tile_px,
        dtype="uint8",
        nodata=PSR_NODATA,
    )
