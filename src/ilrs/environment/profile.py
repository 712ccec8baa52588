"""A site's horizon line: the horizon elevation at every azimuth, from a DEM or a CSV file."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ilrs.errors import InputError
from ilrs.terrain import MOON_RADIUS_M, Dem
from ilrs.textfiles import csv_fields, parse_number, read_text

__all__ = ["MAX_HORIZON_ROWS", "HorizonLine", "bare_sphere_horizon_deg", "read_horizon_csv"]

CSV_COLUMNS = ("azimuth_deg", "elevation_deg")

# One row per 0.001 degree: finer than any DEM resolves (0.001 degree is 2.6 m at 150 km);
# a file of more rows is not a horizon profile, and 10 million would take minutes.
MAX_HORIZON_ROWS = 360_000


def bare_sphere_horizon_deg(height_above_ground_m: float) -> float:
    """The horizon [deg] of the bare sphere seen from a height above it (its dip): what a
    direction with no terrain in reach is taken to show."""
    radius_m = MOON_RADIUS_M + max(0.0, height_above_ground_m)
    return -math.degrees(math.acos(MOON_RADIUS_M / radius_m))


@dataclass(frozen=True)
class HorizonLine:
    """Horizon elevation [deg] at azimuths [deg clockwise from local north], joined by
    straight segments around the full circle."""

    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    source: str = "given"
    note: str | None = None  # what the reader must know, e.g. where the terrain ran out
    ground_m: float | None = None  # the ground under the observer, when from terrain
    site_pixel_m: float | None = None  # the terrain's pixel at the site, when from terrain

    def __post_init__(self) -> None:
        azimuth = np.asarray(self.azimuth_deg, dtype=float) % 360.0
        elevation = np.asarray(self.elevation_deg, dtype=float)
        if azimuth.ndim != 1 or azimuth.shape != elevation.shape or azimuth.size < 2:
            raise InputError("a horizon needs at least two (azimuth, elevation) pairs")
        if not (np.all(np.isfinite(azimuth)) and np.all(np.isfinite(elevation))):
            raise InputError("horizon azimuths and elevations must be finite numbers")
        order = np.argsort(azimuth, kind="stable")
        azimuth, elevation = azimuth[order], elevation[order]
        if np.any(np.diff(azimuth) == 0.0):
            repeated = azimuth[1:][np.diff(azimuth) == 0.0][0]
            raise InputError(f"the horizon gives azimuth {repeated:g} degrees twice")
        object.__setattr__(self, "azimuth_deg", azimuth)
        object.__setattr__(self, "elevation_deg", elevation)

    @classmethod
    def from_dem(
        cls,
        dem,
        lat_deg: float,
        lon_deg: float,
        *,
        height_above_ground_m: float = 0.0,
        azimuths: int = 720,
        max_distance_m: float = 150_000.0,
        far_field: Dem | None = None,
    ) -> HorizonLine:
        """The horizon computed from terrain: a :class:`Dem` in memory or a windowed source
        (``ilrs.terrain.sources.open_dem``), of which only the reachable window is read,
        with an optional coarser far field. Directions with no terrain in reach get the
        bare sphere's horizon."""
        from ilrs.terrain.stack import TerrainStack

        layers = [dem] if far_field is None else [dem, far_field]
        return cls.from_stack(
            TerrainStack(layers),
            lat_deg,
            lon_deg,
            height_above_ground_m=height_above_ground_m,
            azimuths=azimuths,
            max_distance_m=max_distance_m,
        )

    @classmethod
    def from_stack(
        cls,
        stack,
        lat_deg: float,
        lon_deg: float,
        *,
        height_above_ground_m: float = 0.0,
        azimuths: int = 720,
        max_distance_m: float | None = None,
    ) -> HorizonLine:
        """The horizon over a :class:`~ilrs.terrain.stack.TerrainStack` (each ray carried
        from the finest layer to the coarsest), labelled with the stack's layers; where the
        terrain ends before ``max_distance_m`` (default: the stack's 300 km) the line's
        ``note`` says so and those directions fall back to the bare sphere beyond."""
        from ilrs.terrain.stack import DEFAULT_HORIZON_DISTANCE_M

        horizon = stack.horizon(
            lat_deg,
            lon_deg,
            height_above_ground_m=height_above_ground_m,
            azimuths=azimuths,
            max_distance_m=max_distance_m or DEFAULT_HORIZON_DISTANCE_M,
        )
        dip_deg = bare_sphere_horizon_deg(height_above_ground_m)
        elevation = np.where(np.isnan(horizon.elevation_deg), dip_deg, horizon.elevation_deg)
        return cls(
            horizon.azimuth_deg,
            elevation,
            source=stack.label,
            note=horizon.truncation(),
            ground_m=horizon.ground_m,
            site_pixel_m=horizon.site_pixel_m,
        )

    def _segments(self, azimuth_deg):
        """Index of the segment holding each azimuth, its start azimuth and its width."""
        azimuth = np.asarray(azimuth_deg, dtype=float) % 360.0
        nodes = np.append(self.azimuth_deg, self.azimuth_deg[0] + 360.0)
        index = np.searchsorted(nodes, azimuth, side="right") - 1
        wrapped = index < 0  # before the first node: the segment from the last one
        index = np.where(wrapped, nodes.size - 2, index)
        start = np.where(wrapped, nodes[-2] - 360.0, nodes[index])
        return azimuth, index, start, nodes[index + 1] - nodes[index]

    def elevation_at(self, azimuth_deg) -> np.ndarray:
        """Horizon elevation [deg] at any azimuth [deg]."""
        azimuth, index, start, width = self._segments(azimuth_deg)
        following = np.append(self.elevation_deg, self.elevation_deg[0])
        fraction = (azimuth - start) / width
        return following[index] + fraction * (following[index + 1] - following[index])

    def slope_at(self, azimuth_deg) -> np.ndarray:
        """Rise of the horizon [deg of elevation per deg of azimuth] at any azimuth."""
        _, index, _, width = self._segments(azimuth_deg)
        following = np.append(self.elevation_deg, self.elevation_deg[0])
        return (following[index + 1] - following[index]) / width

    def write_csv(self, path: str | Path) -> Path:
        """Write the profile as CSV with the columns ``azimuth_deg,elevation_deg``."""
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(CSV_COLUMNS)
            for azimuth, elevation in zip(self.azimuth_deg, self.elevation_deg, strict=True):
                writer.writerow((f"{azimuth:.6f}", f"{elevation:.6f}"))
        return path


def read_horizon_csv(path: str | Path) -> HorizonLine:
    """Read a horizon profile CSV: a header with ``azimuth_deg`` and ``elevation_deg`` (other
    columns ignored), one row per azimuth; blank lines and ``#`` comments skipped.

    Every fault is reported with the file, the line and the field; a file of more than
    :data:`MAX_HORIZON_ROWS` rows is refused.
    """
    path = Path(path)
    # Lines one at a time (universal newlines), so that a file of too many rows is
    # refused at the first one too many, without a list of them all.
    numbered = (
        (number, line)
        for number, line in enumerate(io.StringIO(read_text(path, "horizon"), None), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    )
    first = next(numbered, None)
    if first is None:
        raise InputError(f"{path}: empty; expected a header {','.join(CSV_COLUMNS)}")
    header_line, header_text = first
    header = [name.strip() for name in csv_fields(header_text, f"{path}:{header_line}")]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        raise InputError(
            f"{path}:{header_line}: the header lacks {', '.join(missing)} "
            f"(found {', '.join(header) or 'nothing'}; expected {','.join(CSV_COLUMNS)})"
        )
    columns = [header.index(name) for name in CSV_COLUMNS]
    azimuths, elevations = [], []
    seen: dict[float, int] = {}
    for number, line in numbered:
        if len(azimuths) == MAX_HORIZON_ROWS:
            raise InputError(
                f"{path}:{number}: more than {MAX_HORIZON_ROWS:,} rows; a horizon profile has "
                f"at most one per {360 / MAX_HORIZON_ROWS:g} degrees"
            )
        fields = csv_fields(line, f"{path}:{number}")
        values = []
        for name, column in zip(CSV_COLUMNS, columns, strict=True):
            where = f"{path}:{number}: {name}"
            if column >= len(fields) or not fields[column].strip():
                raise InputError(f"{where} is missing")
            values.append(parse_number(fields[column], where))
        azimuth, elevation = values
        if not 0.0 <= azimuth <= 360.0:
            raise InputError(f"{path}:{number}: azimuth_deg {azimuth:g} is outside 0..360")
        if not -90.0 <= elevation <= 90.0:
            raise InputError(f"{path}:{number}: elevation_deg {elevation:g} is outside -90..90")
        key = azimuth % 360.0
        if key in seen:
            raise InputError(f"{path}:{number}: azimuth_deg {azimuth:g} repeats line {seen[key]}")
        seen[key] = number
        azimuths.append(azimuth)
        elevations.append(elevation)
    if len(azimuths) < 2:
        raise InputError(f"{path}: a horizon needs at least two rows, found {len(azimuths)}")
    return HorizonLine(np.array(azimuths), np.array(elevations), source=str(path))


def ground_height_m(source, lat_deg: float, lon_deg: float) -> float:
    """The terrain's height [m above the sphere] at a site: its pixel of a :class:`Dem` or of
    a windowed source, read alone."""
    from ilrs.terrain.grid import Window, pixel_of_latlon

    row, col = (int(v) for v in pixel_of_latlon(source.transform, lat_deg, lon_deg))
    height, width = (source.height_m.shape if isinstance(source, Dem) else source.shape)[-2:]
    if not (0 <= row < height and 0 <= col < width):
        raise InputError(f"the site {lat_deg}°, {lon_deg}° lies outside the DEM")
    if isinstance(source, Dem):
        value = float(source.height_m[row, col])
    else:
        value = float(source.read(Window(row, col, 1, 1)).height_m[0, 0])
    if np.isnan(value):
        raise InputError(f"no terrain height at {lat_deg}°, {lon_deg}° (nodata in the DEM)")
    return value
