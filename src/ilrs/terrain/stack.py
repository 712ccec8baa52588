"""Terrain stacks: several DEMs of one place, finest first, each used where it covers and up
to the distance where the next takes over.

This is how horizons of the lunar poles are computed from LOLA data (Mazarico et al. 2011,
Icarus 211:1066; Gläser et al. 2014, Icarus 243:78): metre-scale site data for the near
field, 80-240 m regional data farther out, so that a ray is never cut short where the fine
window ends. A single DEM is a stack of one. The default stack is the embedded real LOLA
topography of the whole polar cap (1600 m pixels, to 70°S): every horizon of a south-pole
site reaches its full distance on it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ilrs.errors import InputError
from ilrs.terrain.grid import MOON_RADIUS_M, Dem, Window, pixel_of_latlon

__all__ = [
    "DEFAULT_HORIZON_DISTANCE_M",
    "COARSE_PIXEL_M",
    "StackHorizon",
    "StackLayer",
    "TerrainStack",
    "compass_name",
]

# Beyond about 260 km no lunar relief rises into the Sun's path at the pole: the sphere
# drops 19 km below the tangent plane there, more than the whole relief. The real site
# horizons of Gläser and lunahorizon are traced to 260 km; 300 km leaves a margin.
DEFAULT_HORIZON_DISTANCE_M = 300_000.0

# Pixels coarser than this near a site cannot resolve its ridges and crater rims (the
# issue's honesty rule): results on such terrain carry their spread over the pixel.
COARSE_PIXEL_M = 100.0

_COMPASS = ("north", "north-east", "east", "south-east", "south", "south-west", "west")
_COMPASS += ("north-west",)


def compass_name(azimuth_deg: float) -> str:
    """The compass direction (eight points) of an azimuth from local north."""
    return _COMPASS[int(((azimuth_deg % 360.0) + 22.5) // 45.0) % 8]


@dataclass(frozen=True)
class StackLayer:
    """One DEM of a stack: a windowed source (``open_dem``) or an in-memory :class:`Dem`,
    used up to ``reach_m`` from the observer (the last layer of a stack always as far as
    the horizon goes)."""

    source: object
    reach_m: float = math.inf

    @property
    def metadata(self) -> dict:
        return dict(getattr(self.source, "metadata", {}) or {})

    @property
    def pixel_m(self) -> float:
        return abs(float(self.source.transform.a))

    @property
    def synthetic(self) -> bool:
        return str(self.metadata.get("synthetic", "")).lower() == "true"

    @property
    def label(self) -> str:
        """What this terrain is, as captions show it: its product or file, its pixel, and
        whether it is real or synthetic."""
        meta = self.metadata
        name = meta.get("label") or _product_id(meta) or meta.get("source")
        name = name or Path(str(getattr(self.source, "path", "DEM"))).name
        kind = "synthetic" if self.synthetic else "real"
        return f"{name}, {self.pixel_m:g} m ({kind})"

    def covers(self, lat_deg: float, lon_deg: float) -> bool:
        """Whether the point lies on the layer and has a height there."""
        row, col = (float(v) for v in pixel_of_latlon(self.source.transform, lat_deg, lon_deg))
        n_rows, n_cols = self.source.shape
        if not (0.0 <= row - 0.5 <= n_rows - 1 and 0.0 <= col - 0.5 <= n_cols - 1):
            return False
        return math.isfinite(self.height_m(lat_deg, lon_deg))

    def read_around(self, lat_deg: float, lon_deg: float, distance_m: float) -> Dem:
        """The part of the layer a ray from the point can reach within ``distance_m``."""
        from ilrs.terrain.horizon import halo_window, reach_px

        transform = self.source.transform
        row, col = (float(v) for v in pixel_of_latlon(transform, lat_deg, lon_deg))
        n_rows, n_cols = self.source.shape
        point = Window(min(max(int(row), 0), n_rows - 1), min(max(int(col), 0), n_cols - 1), 1, 1)
        window = halo_window(point, self.source.shape, reach_px(distance_m, transform.a))
        if isinstance(self.source, Dem):
            return self.source.window(window)
        return self.source.read(window)

    def height_m(self, lat_deg: float, lon_deg: float) -> float:
        """The layer's height [m] at a point (bilinear), NaN off the layer or on nodata."""
        grid = self.read_around(lat_deg, lon_deg, 2.0 * self.pixel_m)
        rows, cols = grid.rowcol_of_latlon(lat_deg, lon_deg)
        try:
            return float(grid.sample(rows, cols))
        except (InputError, IndexError):
            return math.nan

    def describe(self) -> dict:
        """The layer as provenance: label, pixel, reach, real or synthetic, source."""
        meta = self.metadata
        return {
            "label": self.label,
            "pixel_m": self.pixel_m,
            "reach_m": None if math.isinf(self.reach_m) else self.reach_m,
            "synthetic": self.synthetic,
            "source": str(getattr(self.source, "path", meta.get("source", ""))),
        }


def _product_id(meta: dict) -> str | None:
    product = meta.get("product_id")
    return product.strip('"') if product else None


class StackHorizon(NamedTuple):
    """A horizon over a stack: elevation [deg] at each azimuth [deg from local north], how
    far the terrain carried each ray [m], the ground height under the observer [m] and the
    pixel [m] of the layer the observer stands on."""

    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    covered_m: np.ndarray
    ground_m: float
    max_distance_m: float
    site_pixel_m: float

    def truncation(self, tolerance_m: float | None = None) -> str | None:
        """Where the terrain ran out before the horizon's full distance, in words
        (e.g. ``"horizon truncated at 42 km to the east"``), or None."""
        tolerance = 2.0 * self.site_pixel_m if tolerance_m is None else tolerance_m
        short = self.covered_m < self.max_distance_m - max(tolerance, 1.0)
        if not np.any(short):
            return None
        nearest = int(np.argmin(np.where(short, self.covered_m, np.inf)))
        share = float(np.mean(short))
        return (
            f"horizon truncated at {self.covered_m[nearest] / 1000:.0f} km to the "
            f"{compass_name(float(self.azimuth_deg[nearest]))} (the terrain ends there; "
            f"{share:.0%} of directions reach less than {self.max_distance_m / 1000:.0f} km)"
        )


class TerrainStack:
    """DEMs of one place, finest first: each used where it covers, up to its ``reach_m``
    from the observer, then the next carries the ray on.

    Build one from sources or :class:`Dem` grids (``TerrainStack([fine, cap])``), from files
    (:meth:`from_files`), or take :meth:`default`, the embedded real LOLA polar cap. A
    layer given without a reach is used wherever it covers.
    """

    def __init__(self, layers: Iterable[StackLayer | object]):
        self.layers: tuple[StackLayer, ...] = tuple(
            layer if isinstance(layer, StackLayer) else StackLayer(layer) for layer in layers
        )
        if not self.layers:
            raise InputError("a terrain stack needs at least one DEM")
        pixels = [layer.pixel_m for layer in self.layers]
        if any(later < earlier for earlier, later in zip(pixels, pixels[1:], strict=False)):
            shown = ", ".join(f"{p:g} m" for p in pixels)
            raise InputError(f"a terrain stack goes from the finest DEM to the coarsest: {shown}")

    @classmethod
    def default(cls) -> TerrainStack:
        """The embedded real LOLA topography of the south polar cap (1600 m, to 70°S)."""
        return cls([_embedded_cap()])

    @classmethod
    def from_files(
        cls, layers: Sequence[str | Path | tuple[str | Path, float | None]], *, cap: bool = True
    ) -> TerrainStack:
        """A stack of DEM files (GeoTIFF or PDS3), finest first, each a path or a
        ``(path, reach_m)`` pair; with ``cap`` the embedded polar cap is the far field
        (unless a file is already as coarse, or synthetic)."""
        from ilrs.terrain.sources import open_dem

        built = []
        for entry in layers:
            path, reach_m = (entry, None) if isinstance(entry, str | Path) else entry
            reach = math.inf if reach_m is None else float(reach_m)
            if not reach > 0:
                raise InputError(f"{path}: a layer's reach must be a positive distance [m]")
            built.append(StackLayer(open_dem(path), reach))
        # A made-up terrain is not joined to the real one beyond it.
        if cap and not any(layer.synthetic for layer in built):
            embedded = _embedded_cap()
            if not built or built[-1].pixel_m < abs(embedded.transform.a):
                built.append(StackLayer(embedded))
        return cls(built)

    @classmethod
    def from_manifest(cls, path: str | Path) -> TerrainStack:
        """The stack ``ilrs terrain fetch --site`` assembled (its ``stack.json``): the
        fetched LOLA windows finest first, each to its reach, then the embedded cap."""
        from ilrs.terrain.lola_stack import read_stack_manifest

        manifest = read_stack_manifest(path)
        return cls.from_files([(layer.label_path, layer.reach_m) for layer in manifest.layers])

    @classmethod
    def from_path(cls, path: str | Path) -> TerrainStack:
        """A stack from a file: a fetched stack's manifest (``.json``), or one DEM
        (GeoTIFF, PDS3) with the embedded cap as its far field."""
        if Path(path).suffix.lower() == ".json":
            return cls.from_manifest(path)
        return cls.from_files([path])

    @property
    def synthetic(self) -> bool:
        """Whether any layer is synthetic."""
        return any(layer.synthetic for layer in self.layers)

    @property
    def label(self) -> str:
        """The layers as one line, finest first."""
        return " + ".join(layer.label for layer in self.layers)

    def describe(self) -> list[dict]:
        """Provenance of each layer, finest first."""
        return [layer.describe() for layer in self.layers]

    def layer_at(self, lat_deg: float, lon_deg: float) -> StackLayer:
        """The finest layer that holds the point; an :class:`InputError` if none does."""
        for layer in self.layers:
            if layer.covers(lat_deg, lon_deg):
                return layer
        raise InputError(
            f"{lat_deg:.4f}°, {lon_deg:.4f}° lies outside the terrain ({self.label}) or on "
            "its nodata"
        )

    def ground_height_m(self, lat_deg: float, lon_deg: float) -> float:
        """The ground's height [m above the 1 737 400 m sphere] at a point, from the finest
        layer holding it."""
        return self.layer_at(lat_deg, lon_deg).height_m(lat_deg, lon_deg)

    def horizon(
        self,
        lat_deg: float,
        lon_deg: float,
        *,
        height_above_ground_m: float = 0.0,
        azimuths: int | np.ndarray = 720,
        max_distance_m: float = DEFAULT_HORIZON_DISTANCE_M,
        curvature: bool = True,
    ) -> StackHorizon:
        """The horizon seen from ``height_above_ground_m`` above a point, each ray carried
        from layer to layer out to ``max_distance_m`` (Moon's curvature included)."""
        from ilrs.terrain.grid import polar_xy_from_latlon
        from ilrs.terrain.horizon import _azimuth_array, _check_max_distance, _Layer, _run_kernel

        _check_max_distance(max_distance_m)
        if not (math.isfinite(height_above_ground_m) and height_above_ground_m >= 0):
            raise InputError(
                f"the height above the ground must be 0 m or more, got {height_above_ground_m}"
            )
        site_layer = self.layer_at(lat_deg, lon_deg)
        first = self.layers.index(site_layer)
        used = self.layers[first:]
        grids, reaches = [], []
        for index, layer in enumerate(used):
            last = index == len(used) - 1
            reach = max_distance_m if last else min(layer.reach_m, max_distance_m)
            grids.append(_Layer.from_dem(layer.read_around(lat_deg, lon_deg, reach)))
            reaches.append(reach)
        ground_m = site_layer.height_m(lat_deg, lon_deg)
        x_m, y_m = polar_xy_from_latlon(lat_deg, lon_deg)
        angles = _azimuth_array(azimuths)
        elevation, covered = _run_kernel(
            grids,
            np.atleast_1d(x_m),
            np.atleast_1d(y_m),
            np.array([MOON_RADIUS_M + ground_m + height_above_ground_m]),
            angles,
            max_distance_m,
            curvature,
            False,
            reaches_m=reaches,
            covered_m=True,
        )
        return StackHorizon(
            angles, elevation[0], covered[0], ground_m, float(max_distance_m), site_layer.pixel_m
        )


@functools.cache
def _embedded_cap():
    """The embedded LOLA cap, opened once per process (it is read-only)."""
    from ilrs.data import LOLA_CAP_DEM, data_path
    from ilrs.terrain.sources import open_dem

    source = open_dem(data_path(LOLA_CAP_DEM))
    source.metadata["label"] = "LOLA LDEM_256 polar cap (embedded)"
    return source
