"""Permanently shadowed regions of the south polar cap, over the Moon's 18.6-year cycle.

"Never lit over a year" is not "permanently shadowed": the Sun's latitude seen from the
Moon swings through the nodal cycle, so a pixel is a PSR only if no part of the Sun clears
its horizon at any instant of a whole cycle. Over a cycle at hourly steps that is some
160 000 Sun positions per pixel; two facts make it cheap:

1. The Sun is so far away that its direction is the same from every pixel of the cap
   (parallax < 1e-5 rad), so one track serves the whole map.
2. For a pixel near the south pole, the Sun stands highest when its sub-solar latitude is
   most southern: at a given sub-solar longitude (which fixes where the Sun stands on the
   horizon) only the most southern upper limb can matter. The track reduces to an
   *envelope*: per bin of sub-solar longitude, the instant whose upper limb reaches
   furthest south. A pixel is lit at some instant iff the upper limb clears its horizon
   for some direction of the envelope (checked against brute force in the tests).

The horizons come from the terrain engine (sweep on grid bearings, the Moon's curvature
included) out to hundreds of kilometres; Mazarico et al. (2011) used 240 m LOLA horizons
to 75°S.

References
----------
Mazarico, E., Neumann, G. A., Smith, D. E., Zuber, M. T., Torrence, M. H. (2011).
Illumination conditions of the lunar polar regions using LOLA topography. Icarus 211,
1066-1081. doi:10.1016/j.icarus.2010.10.030
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from affine import Affine

from ilrs import __version__
from ilrs.environment._psr_kernel import best_clearance_kernel
from ilrs.environment.intervals import sampled_period
from ilrs.errors import InputError
from ilrs.sky import LunarObserver, Times, angular_radius_deg
from ilrs.sky.geometry import local_axes
from ilrs.terrain import Window, latlon_from_polar_xy
from ilrs.terrain.grid import pixel_of_latlon
from ilrs.terrain.horizon import horizon_for_tile, sweep_bearings_deg
from ilrs.terrain.tiled import write_tiled_geotiff

__all__ = [
    "PSR_NODATA",
    "PsrCapMap",
    "SunEnvelope",
    "best_sun_clearance_deg",
    "cap_window",
    "dem_label",
    "psr_cap_map",
    "sphere_pixel_area_km2",
    "sun_envelope",
    "sun_track",
    "write_psr_cap_map",
]

DEFAULT_ENVELOPE_BIN_DEG = 0.25  # the Sun moves 0.5° of sub-solar longitude an hour
DEFAULT_AZIMUTHS = 180  # horizon bands: every 2° of grid bearing
DEFAULT_MAX_DISTANCE_M = 300_000.0  # far enough for the Sun's grazing rays across the cap
DEFAULT_EDGE_LAT_DEG = -80.0
# A pixel's search stops once the upper limb clears its horizon by this much: the map's
# clearance reads "at least 1°" there, and lit terrain costs a few directions, not all.
CLEARANCE_ENOUGH_DEG = 1.0
PSR_NODATA = 255
_PSR_MEANING = "1 where no part of the Sun is ever above the horizon over the period, else 0"


@dataclass(frozen=True)
class SunEnvelope:
    """The Sun directions that matter for the south polar cap: per bin of sub-solar
    longitude, the instant whose upper limb reached furthest south."""

    direction: np.ndarray  # (K, 3) unit MOON_ME vectors towards the Sun
    radius_deg: np.ndarray  # (K,) the Sun's apparent angular radius at that instant
    bin_deg: float
    step_s: float
    instants: int
    utc_span: tuple[str, str]

    @property
    def subsolar_lat_deg(self) -> np.ndarray:
        return np.degrees(np.arcsin(np.clip(self.direction[:, 2], -1.0, 1.0)))

    @property
    def subsolar_lon_deg(self) -> np.ndarray:
        return np.degrees(np.arctan2(self.direction[:, 1], self.direction[:, 0])) % 360.0


def sun_track(times, *, ephemeris=None) -> tuple[np.ndarray, np.ndarray]:
    """The Sun's apparent MOON_ME unit direction (T, 3) and angular radius [deg] (T,),
    seen from the south pole: from anywhere on the cap within 1e-5 rad."""
    observer = LunarObserver(-90.0, 0.0, times, 0.0, ephemeris=ephemeris)
    apparent_m = observer.apparent_in_moon_frame("sun")
    distance_m = np.linalg.norm(apparent_m, axis=-1)
    return apparent_m / distance_m[:, None], angular_radius_deg("sun", distance_m)


def sun_envelope(
    times, *, bin_deg: float = DEFAULT_ENVELOPE_BIN_DEG, ephemeris=None
) -> SunEnvelope:
    """Reduce the Sun's track over a period to its southern envelope.

    Parameters
    ----------
    times : str sequence, datetime64 array or :class:`ilrs.sky.Times`
        Evenly spaced UTC instants, e.g. one nodal cycle at 1 h.
    bin_deg : float
        Width of the bins of sub-solar longitude [deg]; no wider than about the Sun's
        hourly motion (0.5°) so that the horizon barely changes within a bin.
    """
    if not 0.0 < bin_deg <= 5.0:
        raise InputError(f"the envelope's bins must be wider than 0 and at most 5°, got {bin_deg}")
    times, step_s = sampled_period(times, "a PSR map")
    direction, radius_deg = sun_track(times, ephemeris=ephemeris)
    subsolar_lat_deg = np.degrees(np.arcsin(np.clip(direction[:, 2], -1.0, 1.0)))
    subsolar_lon_deg = np.degrees(np.arctan2(direction[:, 1], direction[:, 0])) % 360.0
    bins = np.minimum((subsolar_lon_deg / bin_deg).astype(np.int64), int(360.0 / bin_deg))
    # The upper limb's southern reach: the lower, the higher it stands over a polar pixel.
    reach_deg = subsolar_lat_deg - radius_deg
    order = np.lexsort((reach_deg, bins))
    first_of_bin = order[np.r_[True, np.diff(bins[order]) != 0]]
    start, end = Times(times.tdb_s[[0, -1]]).utc_iso()
    return SunEnvelope(
        direction=direction[first_of_bin],
        radius_deg=radius_deg[first_of_bin],
        bin_deg=float(bin_deg),
        step_s=step_s,
        instants=len(times),
        utc_span=(start, end),
    )


def _grid_bearing_axes(lat_deg, lon_deg):
    """East, north and up at points, east and north turned so that azimuths count from
    grid north (grid bearing = local azimuth + longitude on the south polar grid)."""
    lat_rad, lon_rad = np.radians(lat_deg), np.radians(lon_deg)
    east, north, up = local_axes(lat_rad, lon_rad)
    cos_lon, sin_lon = np.cos(lon_rad)[..., None], np.sin(lon_rad)[..., None]
    return cos_lon * east + sin_lon * north, cos_lon * north - sin_lon * east, up


def best_sun_clearance_deg(
    horizon_deg: np.ndarray,
    bearings_deg: np.ndarray,
    lat_deg: np.ndarray,
    lon_deg: np.ndarray,
    direction: np.ndarray,
    radius_deg: np.ndarray,
    *,
    enough_deg: float = np.inf,
) -> np.ndarray:
    """The highest elevation [deg] the Sun's upper limb reaches above each point's horizon
    over a set of Sun directions: > 0 where some part of the Sun shows at some instant.

    Parameters
    ----------
    horizon_deg : array (bands, points)
        Horizon elevation [deg] of each point at each grid bearing (NaN: no data).
    bearings_deg : array (bands,)
        Grid bearings of the bands [deg clockwise from grid north].
    lat_deg, lon_deg : array (points,)
        Where the points are [deg].
    direction, radius_deg : arrays (K, 3) and (K,)
        Unit MOON_ME vectors to the Sun and its angular radius [deg].
    enough_deg : float
        Stop a point's search once its clearance reaches this [deg]: the answer is then
        at least ``enough_deg`` rather than the best (much faster on well-lit terrain).
    """
    order = np.argsort(np.asarray(bearings_deg, dtype=float) % 360.0)
    horizon = np.ascontiguousarray(np.asarray(horizon_deg, dtype=np.float64)[order].T)
    east, north, up = _grid_bearing_axes(
        np.asarray(lat_deg, dtype=float).ravel(), np.asarray(lon_deg, dtype=float).ravel()
    )
    out = np.empty(horizon.shape[0])
    best_clearance_kernel(
        horizon,
        np.ascontiguousarray(np.asarray(bearings_deg, dtype=float)[order] % 360.0),
        np.ascontiguousarray(east),
        np.ascontiguousarray(north),
        np.ascontiguousarray(up),
        np.ascontiguousarray(direction, dtype=np.float64),
        np.ascontiguousarray(radius_deg, dtype=np.float64),
        float(enough_deg),
        out,
    )
    return out


def sphere_pixel_area_km2(lat_deg, pixel_m: float) -> np.ndarray:
    """Area on the sphere [km²] of square pixels of the south polar stereographic grid.

    The projection is conformal with scale factor ``k = 1 / cos²(colatitude / 2)`` (true
    at the pole; Snyder 1987, USGS PP 1395, eq. 21-4), so a pixel of side ``pixel_m`` covers
    ``pixel_m² / k²`` of the sphere: 1.5 % less than on the map at 80°S.
    """
    colatitude_rad = np.radians(90.0 + np.asarray(lat_deg, dtype=float))
    return (pixel_m**2) * np.cos(colatitude_rad / 2.0) ** 4 / 1e6


@dataclass(frozen=True)
class PsrCapMap:
    """Permanently shadowed regions of the cap poleward of ``edge_lat_deg``."""

    psr: np.ndarray  # uint8 (rows, cols): 1 PSR, 0 lit at some instant, 255 off the cap
    # float (rows, cols): the upper limb's best clearance over the horizon [deg], at least
    # CLEARANCE_ENOUGH_DEG where it says so (the search stops there); NaN off the cap
    sun_clearance_deg: np.ndarray
    pixel_area_km2: np.ndarray  # (rows, cols) on the sphere
    window: Window  # where the map lies in the DEM
    transform: Affine
    crs: str
    edge_lat_deg: float
    bearings_deg: np.ndarray
    max_distance_m: float
    envelope: SunEnvelope
    dem_source: str

    @property
    def psr_area_km2(self) -> float:
        return float(self.pixel_area_km2[self.psr == 1].sum())

    @property
    def cap_area_km2(self) -> float:
        return float(self.pixel_area_km2[self.psr != PSR_NODATA].sum())


def cap_window(source, edge_lat_deg: float) -> Window:
    """The block of a south polar grid holding every pixel centre poleward of a latitude."""
    t = source.transform
    _, col_east = pixel_of_latlon(t, edge_lat_deg, 90.0)
    row_north, _ = pixel_of_latlon(t, edge_lat_deg, 0.0)
    row_south, _ = pixel_of_latlon(t, edge_lat_deg, 180.0)
    _, col_west = pixel_of_latlon(t, edge_lat_deg, 270.0)
    # One pixel of margin each side: the test of each centre's latitude is made later.
    row0 = max(int(np.floor(row_north)) - 1, 0)
    row1 = min(int(np.ceil(row_south)) + 1, source.shape[0])
    col0 = max(int(np.floor(col_west)) - 1, 0)
    col1 = min(int(np.ceil(col_east)) + 1, source.shape[1])
    return Window(row0, col0, row1 - row0, col1 - col0)


def dem_label(source) -> str:
    """Where a DEM came from, for provenance: its file and the product it names."""
    metadata = getattr(source, "metadata", None) or {}
    product = [
        f"{key.upper()}={str(metadata[key]).strip(chr(34))}"
        for key in ("product_id", "data_set_id", "product_creation_time")
        if key in metadata
    ]
    where = str(getattr(source, "path", "in-memory DEM"))
    return f"{where} ({', '.join(product)})" if product else where


def psr_cap_map(
    source,
    times,
    *,
    edge_lat_deg: float = DEFAULT_EDGE_LAT_DEG,
    azimuths: int = DEFAULT_AZIMUTHS,
    max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    bin_deg: float = DEFAULT_ENVELOPE_BIN_DEG,
    ephemeris=None,
) -> PsrCapMap:
    """The permanently shadowed regions of a south polar DEM poleward of a latitude.

    Parameters
    ----------
    source : DEM source (``ilrs.terrain.sources.open_dem``) or :class:`ilrs.terrain.Dem`
        South polar stereographic heights; it should reach ``max_distance_m`` beyond the
        cap's edge, or rays end at the grid's edge.
    times : evenly spaced UTC instants
        The period: one nodal cycle (18.6 years) for "permanent".
    edge_lat_deg : float
        The cap's edge [deg, negative]: pixels whose centre lies poleward of it.
    azimuths : int
        Horizon bands (grid bearings every 360/N degrees, as the sweep snaps them).
    max_distance_m : float
        How far the terrain counts [m].
    bin_deg : float
        Bin of sub-solar longitude of the Sun's envelope [deg].
    """
    if not -90.0 < edge_lat_deg < 0.0:
        raise InputError(
            f"the cap's edge must be a southern latitude (-90 < lat < 0 deg), got {edge_lat_deg}"
        )
    if azimuths < 8:
        raise InputError(f"a PSR map needs at least 8 horizon azimuths, got {azimuths}")
    envelope = sun_envelope(times, bin_deg=bin_deg, ephemeris=ephemeris)
    window = cap_window(source, edge_lat_deg)
    t = source.transform
    rows, cols = np.mgrid[window.rows, window.cols]
    lat_deg, lon_deg = latlon_from_polar_xy(t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e)
    on_cap = lat_deg <= edge_lat_deg
    bearings_deg = sweep_bearings_deg(azimuths)
    horizon_deg = horizon_for_tile(
        source,
        window,
        azimuths=360.0 * np.arange(azimuths) / azimuths,
        max_distance_m=max_distance_m,
        height_above_ground_m=0.0,
        far_field=None,
        curvature=True,
        grid_azimuths=True,
        method="sweep",
    )
    clearance = np.full(window.height * window.width, np.nan)
    inside = on_cap.ravel()
    clearance[inside] = best_sun_clearance_deg(
        horizon_deg.reshape(azimuths, -1)[:, inside],
        bearings_deg,
        lat_deg.ravel()[inside],
        lon_deg.ravel()[inside],
        envelope.direction,
        envelope.radius_deg,
        enough_deg=CLEARANCE_ENOUGH_DEG,
    )
    clearance = clearance.reshape(window.height, window.width)
    psr = np.where(np.isnan(clearance), PSR_NODATA, clearance <= 0.0).astype(np.uint8)
    area_km2 = np.where(on_cap, sphere_pixel_area_km2(lat_deg, t.a), 0.0)
    return PsrCapMap(
        psr=psr,
        sun_clearance_deg=clearance,
        pixel_area_km2=area_km2,
        window=window,
        transform=t @ Affine.translation(window.col_off, window.row_off),
        crs=str(getattr(source, "crs", "")),
        edge_lat_deg=float(edge_lat_deg),
        bearings_deg=bearings_deg,
        max_distance_m=float(max_distance_m),
        envelope=envelope,
        dem_source=dem_label(source),
    )


def write_psr_cap_map(result: PsrCapMap, out_path: str | Path) -> Path:
    """Write a :class:`PsrCapMap` as a one-band GeoTIFF (``psr``) with its provenance."""
    envelope = result.envelope
    tags = {
        "PRODUCT": "psr-cap",
        "BAND_1": f"psr: {_PSR_MEANING}",
        "METHOD": "Sun envelope: per bin of sub-solar longitude, the instant whose upper "
        "limb reached furthest south; a pixel is lit iff the upper limb clears its horizon "
        "for some envelope direction",
        "DEM_SOURCE": result.dem_source,
        "PIXEL_SIZE_M": f"{result.transform.a:g}",
        "EDGE_LAT_DEG": f"{result.edge_lat_deg:g}",
        "PSR_AREA_KM2": f"{result.psr_area_km2:.0f}",
        "CAP_AREA_KM2": f"{result.cap_area_km2:.0f}",
        "AREA_NOTE": "pixel areas on the 1 737 400 m sphere: pixel_m^2 * cos^4(colat/2)",
        "HORIZON_METHOD": "sweep on grid bearings, Moon curvature included",
        "HORIZON_AZIMUTHS": str(result.bearings_deg.size),
        "HORIZON_MAX_DISTANCE_M": f"{result.max_distance_m:g}",
        "HEIGHT_ABOVE_GROUND_M": "0",
        "SUN_START": envelope.utc_span[0],
        "SUN_END": envelope.utc_span[1],
        "SUN_STEP_S": f"{envelope.step_s:g}",
        "SUN_INSTANTS": str(envelope.instants),
        "SUN_ENVELOPE_BIN_DEG": f"{envelope.bin_deg:g}",
        "SUN_ENVELOPE_DIRECTIONS": str(envelope.radius_deg.size),
        "SUN_DISK": "any part of the disk (upper limb, apparent radius per instant)",
        "EPHEMERIS": "JPL DE421 with the DE421 lunar libration PCK (MOON_ME)",
        "SYNTHETIC": "false",
        "SOFTWARE": f"ilrs-planner {__version__}",
    }
    whole = Window(0, 0, *result.psr.shape)
    return write_tiled_geotiff(
        Path(out_path),
        iter([(whole, result.psr[None])]),
        shape=result.psr.shape,
        transform=result.transform,
        crs=result.crs,
        band_labels=["psr"],
        tags=tags,
        tile_count=1,
        tile_px=256,
        dtype="uint8",
        nodata=PSR_NODATA,
    )
