"""Candidate ice sites: the cold traps of a thermal map as connected regions, ranked.

A region is a set of 8-connected cells where ice is stable within ``max_depth_m`` of the
surface (0: at the surface itself, the cold traps proper). Each is described by its area,
how deep its ice lies, how cold it stays, and how far its nearest cell is from a
candidate landing site (great circle on the 1 737 400 m sphere).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from scipy import ndimage

from ilrs.errors import DataFileError, InputError
from ilrs.terrain import MOON_RADIUS_M, latlon_from_polar_xy

__all__ = [
    "RANKINGS",
    "Target",
    "ThermalLayers",
    "cell_areas_m2",
    "find_targets",
    "great_circle_m",
]

RANKINGS = ("area", "depth", "distance")
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class ThermalLayers:
    """The bands of a thermal map that targets need, with the grid they lie on."""

    ice_depth_m: np.ndarray
    max_k: np.ndarray
    transform: Affine
    crs: str
    tags: dict[str, str]

    @classmethod
    def read(cls, path: str | Path) -> ThermalLayers:
        path = Path(path)
        if not path.is_file():
            raise InputError(f"no thermal map at {path} (write one with 'ilrs explore thermal')")
        try:
            with rasterio.open(path) as dataset:
                names = list(dataset.descriptions)
                missing = [n for n in ("ice_depth_m", "max_k") if n not in names]
                if missing:
                    raise InputError(
                        f"{path}: no band described {', '.join(missing)}; a thermal map from "
                        "'ilrs explore thermal' has bands "
                        + ", ".join(("max_k", "mean_k", "min_k", "ice_depth_m", "sky_view"))
                    )
                read = {n: dataset.read(names.index(n) + 1).astype(np.float64) for n in names}
                return cls(
                    read["ice_depth_m"],
                    read["max_k"],
                    dataset.transform,
                    dataset.crs.to_proj4() if dataset.crs else "",
                    dataset.tags(),
                )
        except rasterio.errors.RasterioError as error:
            raise DataFileError(f"cannot read thermal map {path}: {error}") from error


@dataclass(frozen=True)
class Target:
    rank: int
    region_id: int
    cells: int
    area_km2: float
    centroid_lat_deg: float
    centroid_lon_deg: float
    shallowest_ice_m: float
    mean_ice_depth_m: float
    coldest_max_k: float
    mean_max_k: float
    distance_km: float | None
    nearest_lat_deg: float | None
    nearest_lon_deg: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def cell_areas_m2(transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """True area [m²] of each cell of a south polar stereographic grid: the grid's area
    over the scale factor squared, k = 1 + rho²/(4R²) (true scale at the pole)."""
    rows, cols = np.indices(shape)
    t = transform
    rho2 = (t.c + (cols + 0.5) * t.a) ** 2 + (t.f + (rows + 0.5) * t.e) ** 2
    return abs(t.a * t.e) / (1.0 + rho2 / (4.0 * MOON_RADIUS_M**2)) ** 2


def great_circle_m(lat1_deg, lon1_deg, lat2_deg, lon2_deg) -> np.ndarray:
    """Great-circle distance [m] on the lunar sphere (haversine)."""
    lat1, lon1, lat2, lon2 = (np.radians(v) for v in (lat1_deg, lon1_deg, lat2_deg, lon2_deg))
    a = np.sin((lat2 - lat1) / 2) ** 2
    a += np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2.0 * MOON_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def find_targets(
    layers: ThermalLayers,
    *,
    landing_lat_deg: float | None = None,
    landing_lon_deg: float | None = None,
    max_depth_m: float = 0.0,
    min_cells: int = 4,
    rank_by: str = "area",
) -> tuple[list[Target], np.ndarray]:
    """The candidate ice sites, best first, and the region id of every cell (0: none;
    ids follow the ranking, 1 the best)."""
    if rank_by not in RANKINGS:
        raise InputError(f"unknown ranking {rank_by!r}; choose one of {', '.join(RANKINGS)}")
    if rank_by == "distance" and landing_lat_deg is None:
        raise InputError("ranking by distance needs a landing site (--landing or --landing-site)")
    if (landing_lat_deg is None) != (landing_lon_deg is None):
        raise InputError("give both the landing site's latitude and longitude, or neither")
    if not max_depth_m >= 0:
        raise InputError(f"maximum ice depth {max_depth_m} m must be zero or more")
    stable = np.nan_to_num(layers.ice_depth_m, nan=np.inf) <= max_depth_m
    labels, count = ndimage.label(stable, structure=EIGHT_CONNECTED)
    rows, cols = np.indices(labels.shape)
    t = layers.transform
    lat, lon = latlon_from_polar_xy(t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e)
    # Polar stereographic cells shrink away from the pole by the scale factor squared.
    cell_area_m2 = cell_areas_m2(t, labels.shape)
    found = []
    for region, box in enumerate(ndimage.find_objects(labels), start=1):
        inside = np.zeros(labels.shape, dtype=bool)
        inside[box] = labels[box] == region
        cells = int(inside[box].sum())
        if cells < min_cells:
            continue
        depth = layers.ice_depth_m[inside]
        distance_km, nearest = None, (None, None)
        if landing_lat_deg is not None:
            metres = great_circle_m(landing_lat_deg, landing_lon_deg, lat[inside], lon[inside])
            best = int(np.argmin(metres))
            distance_km = float(metres[best]) / 1000.0
            nearest = (float(lat[inside][best]), float(lon[inside][best]))
        x_m = float(np.mean(t.c + (cols[inside] + 0.5) * t.a))
        y_m = float(np.mean(t.f + (rows[inside] + 0.5) * t.e))
        centroid = latlon_from_polar_xy(x_m, y_m)
        found.append(
            dict(
                region_id=region,
                cells=cells,
                area_km2=float(cell_area_m2[inside].sum()) / 1e6,
                centroid_lat_deg=float(centroid[0]),
                centroid_lon_deg=float(centroid[1]),
                shallowest_ice_m=float(depth.min()),
                mean_ice_depth_m=float(depth.mean()),
                coldest_max_k=float(layers.max_k[inside].min()),
                mean_max_k=float(layers.max_k[inside].mean()),
                distance_km=distance_km,
                nearest_lat_deg=nearest[0],
                nearest_lon_deg=nearest[1],
            )
        )
    keys = {
        "area": lambda r: (-r["area_km2"], r["mean_ice_depth_m"]),
        "depth": lambda r: (r["mean_ice_depth_m"], -r["area_km2"]),
        "distance": lambda r: (r["distance_km"], -r["area_km2"]),
    }
    found.sort(key=keys[rank_by])
    ranked_labels = np.zeros_like(labels, dtype=np.int32)
    targets = []
    boxes = ndimage.find_objects(labels)
    for rank, row in enumerate(found, start=1):
        box = boxes[row["region_id"] - 1]
        ranked_labels[box][labels[box] == row["region_id"]] = rank
        targets.append(Target(rank=rank, **{**row, "region_id": rank}))
    return targets, ranked_labels
