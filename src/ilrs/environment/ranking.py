"""Site search and ranking from lighting maps: the best-lit points of a region, and a table
of candidate sites by sunlight, Earth visibility, longest darkness, slope and distance to
the nearest permanently shadowed region."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio

from ilrs.errors import DataFileError, InputError
from ilrs.terrain import latlon_from_polar_xy
from ilrs.terrain.geotiff import gdal_reason
from ilrs.terrain.grid import pixel_of_latlon
from ilrs.terrain.memory import READ_BYTES_PER_PIXEL, check_memory
from ilrs.terrain.sources import check_dem_file
from ilrs.textfiles import parse_number, read_text

__all__ = [
    "MAX_CANDIDATES",
    "Candidate",
    "MapLayer",
    "RANK_KEYS",
    "best_lit_points",
    "rank_sites",
    "read_candidates",
]

# A ranking table, not a map: every candidate is looked up in every layer (and the PSR
# distance scans the whole PSR map), so a file of more is refused before minutes of work.
MAX_CANDIDATES = 10_000

# Sort keys: True where more is better.
RANK_KEYS = {
    "sunlit_fraction": True,
    "sun_any_fraction": True,
    "longest_darkness_h": False,
    "earth_visible_fraction": True,
    "longest_earth_loss_h": False,
    "slope_deg": False,
    "psr_distance_m": False,
}


@dataclass(frozen=True)
class Candidate:
    name: str
    lat_deg: float
    lon_deg: float
    origin: str  # "named site", "best-lit point" or the file it came from


@dataclass(frozen=True)
class MapLayer:
    """One band of a map GeoTIFF, in memory, with its grid."""

    name: str
    values: np.ndarray
    transform: object
    path: Path

    @classmethod
    def read_all(cls, path: str | Path) -> dict[str, MapLayer]:
        """Every band of a map, by its description (``ilrs map`` names them)."""
        path = Path(path)
        if not path.exists():
            raise InputError(f"no map at {path}")
        check_dem_file(path, "map")
        try:
            with rasterio.open(path) as dataset:
                names = dataset.descriptions
                what = f"reading the {dataset.count} bands of {dataset.height:,} x "
                what += f"{dataset.width:,} px of {path}"
                pixels = dataset.count * dataset.height * dataset.width
                check_memory(pixels * READ_BYTES_PER_PIXEL, what, "rank on a smaller map")
                data = dataset.read(out_dtype=np.float64)
                nodata, transform = dataset.nodata, dataset.transform
        except rasterio.errors.RasterioError as error:
            raise DataFileError(f"cannot read map {path}: {gdal_reason(error)}") from error
        if nodata is not None and not math.isnan(nodata):
            data[data == nodata] = np.nan
        layers = {}
        for index, name in enumerate(names):
            if not name:
                raise InputError(
                    f"{path}: band {index + 1} has no description; write maps with 'ilrs map'"
                )
            layers[name] = cls(name, data[index], transform, path)
        return layers

    def rowcol(self, lat_deg, lon_deg) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = pixel_of_latlon(self.transform, lat_deg, lon_deg)
        return rows - 0.5, cols - 0.5

    def inside(self, lat_deg: float, lon_deg: float) -> bool:
        row, col = self.rowcol(lat_deg, lon_deg)
        rows, cols = self.values.shape
        return bool(-0.5 <= row < rows - 0.5 and -0.5 <= col < cols - 0.5)

    def at(self, lat_deg: float, lon_deg: float) -> float:
        """The value of the pixel holding the point (NaN outside the map)."""
        if not self.inside(lat_deg, lon_deg):
            return math.nan
        row, col = self.rowcol(lat_deg, lon_deg)
        return float(self.values[int(round(float(row))), int(round(float(col)))])

    def latlon(self, row, col) -> tuple[float, float]:
        t = self.transform
        lat, lon = latlon_from_polar_xy(t.c + (col + 0.5) * t.a, t.f + (row + 0.5) * t.e)
        return float(lat), float(lon) % 360.0


def _moving_max(values: np.ndarray, half_px: int) -> np.ndarray:
    """Maximum over the (2 half + 1)^2 window around each pixel (NaN counts as -inf)."""
    filled = np.where(np.isnan(values), -np.inf, values)
    padded = np.pad(filled, half_px, constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half_px + 1, axis=0)
    rows_max = windows.max(axis=-1)
    windows = np.lib.stride_tricks.sliding_window_view(rows_max, 2 * half_px + 1, axis=1)
    return windows.max(axis=-1)


def best_lit_points(layer: MapLayer, count: int, separation_m: float) -> list[Candidate]:
    """The ``count`` highest local maxima of a map (sunlit fraction), at least
    ``separation_m`` apart (grid metres)."""
    if count <= 0:
        return []
    if not separation_m > 0:
        raise InputError(f"the separation of peaks must be positive, got {separation_m} m")
    pixel_m = abs(layer.transform.a)
    half_px = max(1, int(separation_m / pixel_m / 2))
    values = layer.values
    peaks = np.argwhere((values == _moving_max(values, half_px)) & ~np.isnan(values))
    order = np.argsort(-values[peaks[:, 0], peaks[:, 1]], kind="stable")
    chosen: list[np.ndarray] = []
    for row, col in peaks[order]:
        here = np.array([row, col])
        if all(np.hypot(*(here - other)) * pixel_m >= separation_m for other in chosen):
            chosen.append(here)
            if len(chosen) == count:
                break
    return [
        Candidate(f"best-lit-{n}", *layer.latlon(int(row), int(col)), "best-lit point")
        for n, (row, col) in enumerate(chosen, start=1)
    ]


def _psr_distance_m(psr: MapLayer, lat_deg: float, lon_deg: float) -> float:
    """Distance [m along the ground] to the nearest PSR pixel's centre; NaN if none."""
    cells = np.argwhere(psr.values == 1.0)
    if cells.size == 0:
        return math.nan
    row, col = psr.rowcol(lat_deg, lon_deg)
    grid_m = np.min(np.hypot(cells[:, 0] - row, cells[:, 1] - col)) * abs(psr.transform.a)
    # Grid distances exceed ground distances by the projection's scale factor.
    scale = 2.0 / (1.0 - math.sin(math.radians(lat_deg)))
    return float(grid_m / scale)


def rank_sites(
    candidates: list[Candidate],
    layers: dict[str, MapLayer],
    *,
    slope_deg=None,
    by: str = "sunlit_fraction",
) -> list[dict]:
    """A table of the candidates with their figures, best first by ``by`` (see
    :data:`RANK_KEYS`); ``slope_deg(lat, lon)`` gives the ground slope if a DEM was given."""
    if by not in RANK_KEYS:
        raise InputError(f"cannot rank by {by!r}; choose one of {', '.join(RANK_KEYS)}")
    rows = []
    for candidate in candidates:
        row = {
            "name": candidate.name,
            "origin": candidate.origin,
            "lat_deg": round(candidate.lat_deg, 6),
            "lon_deg": round(candidate.lon_deg % 360.0, 6),
        }
        for key in RANK_KEYS:
            if key in layers:
                row[key] = layers[key].at(candidate.lat_deg, candidate.lon_deg)
        if "psr" in layers:
            row["psr_distance_m"] = _psr_distance_m(
                layers["psr"], candidate.lat_deg, candidate.lon_deg
            )
        if slope_deg is not None:
            row["slope_deg"] = slope_deg(candidate.lat_deg, candidate.lon_deg)
        rows.append(row)
    if rows and by not in rows[0]:
        raise InputError(f"cannot rank by {by}: no map or DEM given provides it")
    better_high = RANK_KEYS[by]

    def order(row):
        value = row[by]
        if value is None or math.isnan(value):
            return (1, 0.0)
        return (0, -value if better_high else value)

    rows.sort(key=order)
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
        for key, value in row.items():
            if isinstance(value, float):
                row[key] = None if math.isnan(value) else round(value, 6)
    return rows


def read_candidates(path: str | Path) -> list[Candidate]:
    """Candidate sites from a CSV with columns ``name,lat_deg,lon_deg``; at most
    :data:`MAX_CANDIDATES`, each fault named with the file and the line."""
    path = Path(path)
    reader = csv.DictReader(io.StringIO(read_text(path, "candidates"), None))
    candidates = []
    try:
        missing = {"name", "lat_deg", "lon_deg"} - set(reader.fieldnames or [])
        if missing:
            raise InputError(f"{path}:1: the header lacks {', '.join(sorted(missing))}")
        for row in reader:
            line = reader.line_num
            if len(candidates) == MAX_CANDIDATES:
                raise InputError(
                    f"{path}:{line}: more than {MAX_CANDIDATES:,} candidate sites; rank them "
                    "in several files"
                )
            values = []
            for field in ("lat_deg", "lon_deg"):
                where = f"{path}:{line}: {field}"
                if row[field] is None:
                    raise InputError(f"{where} is missing")
                values.append(parse_number(row[field], where))
            if not -90.0 <= values[0] <= 90.0:
                raise InputError(f"{path}:{line}: {values[0]:g}, {values[1]:g} is not a place")
            name = (row["name"] or f"line-{line}").strip()
            candidates.append(Candidate(name, *values, str(path)))
    except csv.Error as error:
        # DictReader's own line_num lags behind on an error: its reader's does not.
        raise InputError(f"{path}:{reader.reader.line_num}: not a CSV line: {error}") from None
    return candidates
