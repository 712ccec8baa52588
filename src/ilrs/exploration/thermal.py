"""Regolith temperature maps from the lighting: where water ice can last.

Each cell of a region is a column of regolith (:mod:`ilrs.exploration.regolith`, Hayne et
al. 2017) heated at its surface by

- direct sunlight: the solar constant scaled to the Sun's distance, times the visible
  fraction of the solar disk above the cell's horizon, times the cosine of the incidence
  on the cell's own tilted facet, less the angle-dependent albedo;
- the terrain it sees: a fraction ``1 - V`` of its sky is terrain (``V``, the sky-view
  factor of a horizontal facet, (1/2π)∮cos²h dφ over its horizon h(φ)), radiating the
  mean, over the true (tilted) area of the cells within ``scatter_radius_m``, of the
  sunlight it scatters (scattered again to all orders) and the infrared it emits. Every
  point of a sphere's inside sees every element alike (Ingersoll et al. 1992,
  doi:10.1016/0019-1035(92)90016-Z), so the level bottom of a spherical bowl gets
  Ingersoll's flux, less what the square box takes from outside the bowl and the
  infrared the walls would reflect (``ilrs validate``: 1 K under his 154.5 K); elsewhere
  it is the usual first-order view-factor estimate (a tilted facet's own view of the
  terrain is not taken: shadowed bowl walls stray from Ingersoll's single temperature);
- the geothermal flux from below.

Two criteria say where ice is stable (``ice_criterion``):

- ``max-110K`` (the default): the temperature never exceeds 110 K (Vasavada et al. 1999,
  doi:10.1006/icar.1999.6175; Paige et al. 2010, doi:10.1126/science.1187726). At 110 K
  exposed ice sublimes 0.154 m per billion years (Murphy & Koop 2005 vapour pressure,
  :mod:`ilrs.exploration.sublimation`);
- ``sublimation``: the time mean of the sublimation rate over the period, E(T(t))
  averaged (not E of the mean or of the maximum temperature), stays below
  ``max_loss_m_per_gyr``, by default 1 mm/Gyr (Siegler et al. 2016,
  doi:10.1038/nature17166): the time-averaged criterion of Schorghofer & Williams 2020
  (doi:10.3847/PSJ/abb6ff). Brief warm spells that the maximum condemns may lose little.

The surface is a cold trap where it meets the criterion; beneath it ice is stable below
the shallowest depth from which every deeper layer meets it. At depth the rate is that of
exposed ice at the layer's temperature, an upper bound: the regolith above slows the
vapour's escape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numba
import numpy as np
from affine import Affine

from ilrs import __version__
from ilrs.environment.disk import disk_fraction
from ilrs.environment.intervals import sampled_period
from ilrs.environment.maps import body_track
from ilrs.errors import InputError
from ilrs.exploration.regolith import Columns, Layers, Regolith, layers_for
from ilrs.exploration.sublimation import (
    SIEGLER_MAX_LOSS_M_PER_GYR,
    accumulate_loss,
    loss_rate_m_per_gyr,
)
from ilrs.exploration.visibility import HorizonBands, RegionAxes, body_grid_bearing_deg
from ilrs.sky import Times
from ilrs.terrain import Dem, Window
from ilrs.terrain.slope import surface_normals

__all__ = [
    "ICE_CRITERIA",
    "ICE_STABILITY_K",
    "ThermalMap",
    "ice_depth_at_loss_m",
    "ice_stability_depth_m",
    "radiative_equilibrium_k",
    "sky_view_factor",
    "thermal_map",
]

ICE_STABILITY_K = 110.0  # Vasavada et al. 1999; Paige et al. 2010 (see the module doc)
ICE_CRITERIA = ("max-110K", "sublimation")
SOLAR_CONSTANT_W_M2 = 1361.0  # Kopp & Lean 2011, doi:10.1029/2010GL045777
AU_M = 149_597_870_700.0  # IAU 2012 Resolution B2
STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8  # CODATA 2018
# The Sun's period relative to the Moon's node, 1/(1/365.242189 d + 1/6798.383 d) (the
# tropical year and the node's regression, Meeus, Astronomical Algorithms, 2nd ed. 1998,
# ch. 12 and 47): the Moon's equator keeps its node on the orbit's (Cassini's laws), so
# this is the period of the Sun's declination seen from the Moon, its seasons.
ECLIPSE_YEAR_S = 346.620076 * 86_400.0
# Largest correction of the deepest layer by the settle after a spin-up eclipse year that
# counts as settled [K]: a tenth of the 2 K to which the start date may move the deep maxima.
SPIN_UP_TOLERANCE_K = 0.2
MAX_REGION_CELLS = 1_200_000  # all horizon bands of a region stay in memory


@dataclass
class ThermalMap:
    """Surface temperature statistics [K] over a period, ice stability and the sky-view
    factor, per cell of a region (rows, cols)."""

    max_k: np.ndarray
    mean_k: np.ndarray
    min_k: np.ndarray
    ice_depth_m: np.ndarray  # 0: ice stable at the surface; NaN: not within the column
    sky_view: np.ndarray
    loss_m_per_gyr: np.ndarray  # time-mean sublimation rate of exposed ice at the surface
    layer_max_k: np.ndarray  # (rows, cols, layers)
    layer_loss_m_per_gyr: np.ndarray  # (rows, cols, layers), time means
    layers: Layers
    transform: Affine
    crs: str
    ice_criterion: str = "max-110K"
    max_loss_m_per_gyr: float = SIEGLER_MAX_LOSS_M_PER_GYR
    provenance: dict[str, str] = field(default_factory=dict)
    series_k: np.ndarray | None = None  # (instants, recorded cells) surface temperatures
    series_utc: list[str] | None = None
    layer_series_k: np.ndarray | None = None  # (instants, recorded cells, layers)

    BANDS = ("max_k", "mean_k", "min_k", "ice_depth_m", "sky_view", "loss_m_per_gyr")

    @property
    def cold_trap(self) -> np.ndarray:
        """Cells whose surface holds ice by the map's criterion."""
        if self.ice_criterion == "sublimation":
            return self.loss_m_per_gyr < self.max_loss_m_per_gyr
        return self.max_k < ICE_STABILITY_K

    def write_geotiff(self, path) -> None:
        from ilrs.terrain.geotiff import write_geotiff

        stack = np.stack([getattr(self, name) for name in self.BANDS]).astype(np.float32)
        write_geotiff(
            path,
            stack,
            self.transform,
            crs=self.crs,
            band_descriptions=list(self.BANDS),
            tags=self.provenance,
        )


def sky_view_factor(horizons_deg: np.ndarray) -> np.ndarray:
    """Sky-view factor of a horizontal facet from its horizon at evenly spaced azimuths
    (first axis): (1/2π)∮cos²(h)dφ, terrain below the horizontal counting as open sky."""
    elevation = np.radians(np.clip(np.nan_to_num(horizons_deg, nan=0.0), 0.0, 90.0))
    return np.mean(np.cos(elevation) ** 2, axis=0)


def ice_stability_depth_m(
    layer_max_k: np.ndarray, layers: Layers, surface_max_k: np.ndarray | None = None
) -> np.ndarray:
    """Depth [m] below which the maximum temperature stays under 110 K all the way down,
    per cell (..., layers): 0 where the surface itself stays below it (a cold trap), the
    centre of the shallowest layer from which every deeper one stays below it, NaN if even
    the deepest layer warms past it. The surface is the surface node's maximum when given
    (else the first layer's)."""
    surface = layer_max_k[..., :1] if surface_max_k is None else surface_max_k[..., None]
    maxima = np.concatenate([surface, layer_max_k], axis=-1)
    return _stable_depth_m(maxima < ICE_STABILITY_K, layers)


def ice_depth_at_loss_m(
    layer_loss_m_per_gyr: np.ndarray,
    layers: Layers,
    surface_loss_m_per_gyr: np.ndarray,
    max_loss_m_per_gyr: float = SIEGLER_MAX_LOSS_M_PER_GYR,
) -> np.ndarray:
    """Depth [m] below which the time-mean sublimation rate stays under
    ``max_loss_m_per_gyr`` all the way down, per cell (..., layers): 0 where the surface's
    own rate is under it, the centre of the shallowest layer from which every deeper one
    is, NaN if even the deepest layer loses more (the criterion of Schorghofer & Williams
    2020 at the rate of Siegler et al. 2016 by default)."""
    rates = np.concatenate([surface_loss_m_per_gyr[..., None], layer_loss_m_per_gyr], axis=-1)
    return _stable_depth_m(rates < max_loss_m_per_gyr, layers)


def _stable_depth_m(stable: np.ndarray, layers: Layers) -> np.ndarray:
    """The depth of the shallowest level (surface, then the layers' centres) from which
    every deeper level is ``stable``; NaN where the deepest is not."""
    depths_m = np.concatenate([[0.0], layers.centre_m])
    all_below = np.flip(np.logical_and.accumulate(np.flip(stable, -1), axis=-1), -1)
    first = np.argmax(all_below, axis=-1)
    return np.where(all_below[..., -1], depths_m[first], np.nan)


@numba.njit(parallel=True, cache=True)
def _direct_flux(
    up, normal, direction, flux_w_m2, radius_deg, low_deg, high_deg, weight, albedo, out
):
    """Per cell, the direct sunlight its facet absorbs and the part it scatters [W/m²].

    ``albedo`` holds (A0, a, b) of A(i) = A0 + a (i/45°)³ + b (i/90°)⁸ (Keihm 1984, as
    Hayne et al. 2017 use it; the same law as :meth:`Regolith.albedo`)."""
    for cell in numba.prange(up.shape[0]):
        sine = up[cell, 0] * direction[0] + up[cell, 1] * direction[1]
        sine += up[cell, 2] * direction[2]
        horizon = (1.0 - weight) * low_deg[cell] + weight * high_deg[cell]
        cos_incidence = normal[cell, 0] * direction[0] + normal[cell, 1] * direction[1]
        cos_incidence += normal[cell, 2] * direction[2]
        if math.isnan(horizon) or cos_incidence <= 0.0:
            out[0, cell] = 0.0
            out[1, cell] = 0.0
            continue
        margin = math.degrees(math.asin(min(max(sine, -1.0), 1.0))) - horizon
        irradiance = flux_w_m2 * disk_fraction(margin / radius_deg) * cos_incidence
        incidence_deg = math.degrees(math.acos(min(cos_incidence, 1.0)))
        reflectance = albedo[0] + albedo[1] * (incidence_deg / 45.0) ** 3
        reflectance = min(reflectance + albedo[2] * (incidence_deg / 90.0) ** 8, 1.0)
        out[0, cell] = (1.0 - reflectance) * irradiance
        out[1, cell] = reflectance * irradiance


@numba.njit(cache=True)
def _box_mean(values, radius_px, out):
    """Mean of each cell's square neighbourhood of half-side ``radius_px`` within the
    grid (rows, cols): running sums along the rows, then down the columns. One thread:
    it is a few operations per cell, less than handing work to threads costs."""
    rows, cols = values.shape
    partial = np.empty((rows, cols))
    for row in range(rows):
        running = np.zeros(cols + 1)
        for col in range(cols):
            running[col + 1] = running[col] + values[row, col]
        for col in range(cols):
            low, high = max(col - radius_px, 0), min(col + radius_px + 1, cols)
            partial[row, col] = running[high] - running[low]
    for col in range(cols):
        running = np.zeros(rows + 1)
        width = min(col + radius_px + 1, cols) - max(col - radius_px, 0)
        for row in range(rows):
            running[row + 1] = running[row] + partial[row, col]
        for row in range(rows):
            low, high = max(row - radius_px, 0), min(row + radius_px + 1, rows)
            out[row, col] = (running[high] - running[low]) / ((high - low) * width)


@dataclass
class _Region:
    """What stays fixed while the Sun moves: the cells' axes, facets and horizons."""

    axes: RegionAxes
    normal: np.ndarray
    bands: HorizonBands
    sky_view: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def of(cls, dem: Dem, window: Window, bearing_step_deg: float, max_distance_m: float):
        if window.height * window.width > MAX_REGION_CELLS:
            raise InputError(
                f"a thermal map of {window.height} x {window.width} cells is larger than "
                f"{MAX_REGION_CELLS:,} cells; take a smaller region or a coarser DEM"
            )
        axes = RegionAxes.of(dem, window)
        inner = surface_normals(dem, window).reshape(-1, 3)
        missing = np.isnan(inner).any(axis=1)
        inner[missing] = axes.up[missing]  # the grid's edge: take the facet as level
        bands = HorizonBands(
            dem,
            window,
            bearing_step_deg=bearing_step_deg,
            max_distance_m=max_distance_m,
            budget_bytes=1 << 62,
        )
        horizons = np.stack([bands.band_deg(i) for i in range(bands.count)])
        return cls(
            axes,
            np.ascontiguousarray(inner),
            bands,
            sky_view_factor(horizons).ravel(),
            (window.height, window.width),
        )

    def direct(self, direction, distance_m, radius_deg, albedo, out) -> None:
        position = float(
            body_grid_bearing_deg(direction, self.axes.centre_lat_deg, self.axes.centre_lon_deg)
        )
        position /= self.bands.bearing_step_deg
        index = math.floor(position)
        flux_w_m2 = SOLAR_CONSTANT_W_M2 * (AU_M / distance_m) ** 2
        _direct_flux(
            self.axes.up,
            self.normal,
            direction,
            flux_w_m2,
            radius_deg,
            self.bands.band_deg(index).ravel(),
            self.bands.band_deg(index + 1).ravel(),
            position - index,
            albedo,
            out,
        )


# Orders of scattering of the diffuse light between terrain facets beyond the first: each
# order is A0 (1 - V) ~ 0.12 x 0.14 of the last in a fresh bowl, so two more leave 5e-6.
DIFFUSE_ORDERS = 3


class _Absorber:
    """The flux each cell's surface absorbs [W/m2] from the Sun and from the terrain it
    sees (see the module doc), for a Sun direction and the surface temperatures.

    The terrain's radiance is its power per area of ground, averaged over the true
    (tilted) area of the cells within the radius: a wall 45 deg steep has sqrt(2) times
    the area its cell covers on the map. With that mean the floor of a spherical bowl
    gets exactly f times it (Ingersoll et al. 1992). The light the terrain scatters is
    scattered again (:data:`DIFFUSE_ORDERS`), the sum 1 / (1 - A0 f) of Ingersoll's
    formula; the heat it radiates comes from the last step's temperatures, which in
    time carry the heat the terrain took from its neighbours."""

    def __init__(self, region: _Region, regolith: Regolith, radius_px: int) -> None:
        self.region, self.radius_px = region, radius_px
        self.terrain_view = 1.0 - region.sky_view
        self.sigma_eps = STEFAN_BOLTZMANN_W_M2_K4 * regolith.emissivity
        self.normal_albedo = regolith.normal_albedo
        self.albedo = np.array([regolith.normal_albedo, regolith.albedo_a, regolith.albedo_b])
        self.infrared_gain = regolith.emissivity * self.terrain_view
        self.direct = np.empty((2, region.sky_view.size))
        self.mean = np.empty(region.shape)
        # True area of each cell per map area, 1 / cos(slope), and its box sums.
        cosine = np.einsum("ij,ij->i", region.normal, region.axes.up)
        self.area = (1.0 / np.clip(cosine, 0.05, 1.0)).reshape(region.shape)
        self.area_mean = np.empty(region.shape)
        _box_mean(self.area, radius_px, self.area_mean)

    def _terrain_mean(self, per_area_w_m2: np.ndarray) -> np.ndarray:
        """Mean over the true area of the cells within the radius, per cell."""
        _box_mean(per_area_w_m2.reshape(self.region.shape) * self.area, self.radius_px, self.mean)
        return (self.mean / self.area_mean).ravel()

    def absorbed(self, direction, distance_m, radius_deg, surface_k) -> np.ndarray:
        self.region.direct(direction, distance_m, radius_deg, self.albedo, self.direct)
        absorbed_w_m2, scattered_w_m2 = self.direct
        # What the terrain around sends: the light it scatters (absorbed as diffuse light,
        # at the normal albedo, and scattered again) and the heat it radiates (absorbed at
        # the emissivity).
        diffuse_w_m2 = self.terrain_view * self._terrain_mean(scattered_w_m2)
        for _ in range(DIFFUSE_ORDERS - 1):
            leaving_w_m2 = scattered_w_m2 + self.normal_albedo * diffuse_w_m2
            diffuse_w_m2 = self.terrain_view * self._terrain_mean(leaving_w_m2)
        absorbed_w_m2 = absorbed_w_m2 + (1.0 - self.normal_albedo) * diffuse_w_m2
        if surface_k is not None:
            absorbed_w_m2 += self.infrared_gain * self._terrain_mean(self.sigma_eps * surface_k**4)
        return absorbed_w_m2


def radiative_equilibrium_k(
    dem: Dem,
    window: Window,
    sun_direction,
    *,
    sun_distance_m: float = AU_M,
    sun_radius_deg: float = 0.267,
    regolith: Regolith | None = None,
    scatter_radius_m: float = 5_000.0,
    bearing_step_deg: float = 2.0,
    max_distance_m: float = 50_000.0,
    tolerance_k: float = 1e-6,
) -> np.ndarray:
    """Surface temperatures [K] (rows, cols) under a Sun held still in ``sun_direction``
    (a MOON_ME unit vector): each surface radiates what it absorbs (:class:`_Absorber`,
    the same terms as :func:`thermal_map`) plus the geothermal flux, no heat stored. The
    state of Ingersoll et al. 1992's bowl crater, for checking the terrain's terms."""
    regolith = regolith or Regolith()
    region = _Region.of(dem, window, bearing_step_deg, max_distance_m)
    absorber = _Absorber(region, regolith, round(scatter_radius_m / dem.pixel_size_m))
    direction = np.asarray(sun_direction, dtype=float)
    direction = direction / np.linalg.norm(direction)
    gain = regolith.geothermal_flux_w_m2

    def balance(surface_k):
        flux = absorber.absorbed(direction, sun_distance_m, sun_radius_deg, surface_k)
        return ((flux + gain) / absorber.sigma_eps) ** 0.25

    # Each pass multiplies the error by the infrared the terrain sends back (< emissivity
    # times 1 - V): a few dozen passes at most.
    surface_k = balance(None)
    for _ in range(200):
        following = balance(surface_k)
        change = float(np.max(np.abs(following - surface_k)))
        surface_k = following
        if change < tolerance_k:
            break
    out = surface_k.reshape(region.shape)
    out[np.isnan(dem.height_m[window.rows, window.cols])] = np.nan
    return out


def thermal_map(
    dem: Dem,
    window: Window,
    times,
    *,
    regolith: Regolith | None = None,
    scatter_radius_m: float = 5_000.0,
    bearing_step_deg: float = 2.0,
    max_distance_m: float = 50_000.0,
    spin_up_eclipse_years: int = 4,
    spin_up_tolerance_k: float = SPIN_UP_TOLERANCE_K,
    record_cells: np.ndarray | None = None,
    ice_criterion: str = "max-110K",
    max_loss_m_per_gyr: float = SIEGLER_MAX_LOSS_M_PER_GYR,
    ephemeris=None,
    progress=None,
) -> ThermalMap:
    """Temperatures of every cell of ``window`` over the evenly spaced ``times``.

    The columns spin up over the whole eclipse year just before the period (346.6 d,
    the Sun's declination cycle seen from the Moon): they start at the equilibrium of
    its mean absorbed flux (direct sunlight and its first scattering, with the geothermal
    gradient), then run it up to ``spin_up_eclipse_years`` times, each time settling the
    deep layers onto the year's mean profile (:meth:`Columns.settle`), until the settle
    moves the deepest layer by less than ``spin_up_tolerance_k`` (usually 3 or 4 years:
    a year-long map costs about four times as much as without it). The answer then does
    not depend on the season the period starts in. 0 years leaves the columns at the
    equilibrium (quick looks and tests only: the deep layers are then too warm). They are
    then followed over the whole period,
    which the statistics cover. ``record_cells`` (flat indices into the region) keeps
    their surface and layer series.
    Every cell also gets the time mean of the sublimation rate of exposed ice at its
    surface and in each layer; ``ice_criterion`` (one of :data:`ICE_CRITERIA`) chooses
    what ``ice_depth_m`` and the cold traps follow: the 110 K maximum, or that mean under
    ``max_loss_m_per_gyr`` (see the module doc).
    ``progress(done, total)`` is called now and then.
    """
    regolith = regolith or Regolith()
    if not (math.isfinite(scatter_radius_m) and scatter_radius_m >= 0):
        raise InputError(f"scatter radius {scatter_radius_m} m must be zero or more")
    if int(spin_up_eclipse_years) != spin_up_eclipse_years or spin_up_eclipse_years < 0:
        raise InputError(
            f"spin-up eclipse years must be a whole number >= 0, got {spin_up_eclipse_years}"
        )
    if not (math.isfinite(spin_up_tolerance_k) and spin_up_tolerance_k > 0):
        raise InputError(f"spin-up tolerance {spin_up_tolerance_k} K must be > 0")
    if ice_criterion not in ICE_CRITERIA:
        raise InputError(f"ice criterion {ice_criterion!r} is not one of {', '.join(ICE_CRITERIA)}")
    if not (math.isfinite(max_loss_m_per_gyr) and max_loss_m_per_gyr > 0):
        raise InputError(f"max loss {max_loss_m_per_gyr} m/Gyr must be > 0")
    times, step_s = sampled_period(times, "a thermal map")
    eclipse_year_steps = max(2, round(ECLIPSE_YEAR_S / step_s))
    region = _Region.of(dem, window, bearing_step_deg, max_distance_m)

    def sun(instants) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        track = body_track(
            "sun",
            instants,
            region.axes.centre_lat_deg,
            region.axes.centre_lon_deg,
            ephemeris=ephemeris,
        )
        distance_m = np.linalg.norm(track.apparent_m, axis=1)
        return track.apparent_m / distance_m[:, None], distance_m, track.radius_deg

    period_sun = sun(times)
    cells = window.height * window.width
    layers = layers_for(regolith)
    absorber = _Absorber(region, regolith, round(scatter_radius_m / dem.pixel_size_m))

    def absorbed(track, instant: int, surface_k: np.ndarray | None) -> np.ndarray:
        directions, distance_m, radius_deg = track
        return absorber.absorbed(
            directions[instant], distance_m[instant], radius_deg[instant], surface_k
        )

    total = len(times)
    # The whole eclipse years just before the period: the forcing leads into its start.
    spin_sun = sun(Times(times.tdb_s[0] - step_s * np.arange(eclipse_year_steps, 0, -1)))
    spin_steps = int(spin_up_eclipse_years) * eclipse_year_steps
    # Only the start of the spin-up: four samples a day give its mean well enough.
    mean_stride = max(1, round(21_600.0 / step_s))
    mean_flux = np.zeros(cells)
    for instant in range(0, eclipse_year_steps, mean_stride):
        mean_flux += absorbed(spin_sun, instant, None)
    mean_flux /= len(range(0, eclipse_year_steps, mean_stride))
    columns = Columns.equilibrium(layers, regolith, mean_flux)
    spin_cycles, deep_change_k = 0, math.nan
    for cycle in range(int(spin_up_eclipse_years)):
        columns.start_period()
        for instant in range(eclipse_year_steps):
            columns.step(layers, regolith, absorbed(spin_sun, instant, columns.surface_k), step_s)
            if progress is not None:
                progress(cycle * eclipse_year_steps + instant + 1, spin_steps + total)
        # The deep layers onto the eclipse year's mean profile: the mean of the Sun's
        # whole declination cycle, whatever season the period starts in. How far they
        # had to move says how far from settled they were.
        deep_before_k = columns.temperature_k[:, -1].copy()
        columns.settle(layers, regolith)
        spin_cycles = cycle + 1
        deep_change_k = float(np.max(np.abs(columns.temperature_k[:, -1] - deep_before_k)))
        if deep_change_k < spin_up_tolerance_k:
            break
    spin_steps = spin_cycles * eclipse_year_steps
    max_k = np.full(cells, -np.inf)
    min_k = np.full(cells, np.inf)
    sum_k = np.zeros(cells)
    layer_max_k = columns.temperature_k.copy()
    # Sums of the sublimation rates: the surface's, then each layer's.
    loss_sum = np.zeros((cells, 1 + layers.n_layers))
    record = None if record_cells is None else np.asarray(record_cells, dtype=np.int64)
    series = None if record is None else np.empty((total, record.size))
    layer_series = None if record is None else np.empty((total, record.size, layers.n_layers))
    for instant in range(total):
        columns.step(layers, regolith, absorbed(period_sun, instant, columns.surface_k), step_s)
        surface = columns.surface_k
        np.maximum(max_k, surface, out=max_k)
        np.minimum(min_k, surface, out=min_k)
        sum_k += surface
        np.maximum(layer_max_k, columns.temperature_k, out=layer_max_k)
        accumulate_loss(surface, columns.temperature_k, loss_sum)
        if series is not None:
            series[instant] = surface[record]
            layer_series[instant] = columns.temperature_k[record]
        if progress is not None:
            progress(spin_steps + instant + 1, spin_steps + total)
    shape = region.shape
    transform = dem.transform @ Affine.translation(window.col_off, window.row_off)
    start, end = Times(times.tdb_s[[0, -1]]).utc_iso()
    provenance = {
        "PRODUCT": "regolith temperatures (Hayne et al. 2017 model) and ice stability",
        "PERIOD_UTC": f"{start}/{end}",
        "STEP_S": f"{step_s:g}",
        "SCATTER_RADIUS_M": f"{scatter_radius_m:g}",
        "MAX_DISTANCE_M": f"{max_distance_m:g}",
        "HORIZON_TRUNCATED_M": f"{region.bands.truncated_m:.0f}",
        "ICE_STABILITY_K": (
            f"{ICE_STABILITY_K:g} (exposed ice then sublimes "
            f"{float(loss_rate_m_per_gyr(ICE_STABILITY_K)):.3g} m/Gyr, Murphy & Koop 2005)"
        ),
        "ICE_CRITERION": (
            "time-mean sublimation under "
            f"{max_loss_m_per_gyr:g} m/Gyr (Schorghofer & Williams 2020)"
            if ice_criterion == "sublimation"
            else f"maximum temperature under {ICE_STABILITY_K:g} K"
        ),
        "SPIN_UP": (
            f"{spin_cycles} eclipse years before the period, the deepest layer's last "
            f"change {deep_change_k:.3g} K (tolerance {spin_up_tolerance_k:g} K)"
        ),
        "TERRAIN_SOURCE": dem.metadata.get("source", "unknown"),
        "SYNTHETIC": "synthetic" if dem.synthetic else "false",
        "EPHEMERIS": "JPL DE421",
        "SOFTWARE": f"ILRS Planner {__version__}",
    }
    if total * step_s < 0.99 * 365.25 * 86_400.0:
        provenance["NOTE"] = (
            "the period is shorter than a year: the Sun's seasonal swing at the pole is not "
            "all in the maxima nor in the mean sublimation rates, and ice stability (by the "
            "110 K maximum or by the mean loss) is judged on a whole year"
        )
    if spin_cycles and not deep_change_k < spin_up_tolerance_k:
        provenance["NOTE_SPIN_UP"] = (
            f"the deep layers had not settled after {spin_cycles} eclipse years (last change "
            f"{deep_change_k:.3g} K): their maxima, and the ice depths, may be off by about that"
        )
    # Cells without terrain data have no temperatures.
    no_data = np.isnan(dem.height_m[window.rows, window.cols])
    layer_max = layer_max_k.reshape(*shape, -1)
    layer_max[no_data] = np.nan
    loss = (loss_sum / total).reshape(*shape, -1)
    loss[no_data] = np.nan
    surface_loss, layer_loss = loss[..., 0], loss[..., 1:]
    if ice_criterion == "sublimation":
        ice_depth_m = ice_depth_at_loss_m(layer_loss, layers, surface_loss, max_loss_m_per_gyr)
    bands = {
        "max_k": max_k.reshape(shape),
        "mean_k": (sum_k / total).reshape(shape),
        "min_k": min_k.reshape(shape),
        "sky_view": region.sky_view.reshape(shape).astype(np.float64),
    }
    for values in bands.values():
        values[no_data] = np.nan
    if ice_criterion == "max-110K":
        ice_depth_m = ice_stability_depth_m(layer_max, layers, bands["max_k"])
    ice_depth_m[no_data] = np.nan
    return ThermalMap(
        max_k=bands["max_k"],
        mean_k=bands["mean_k"],
        min_k=bands["min_k"],
        ice_depth_m=ice_depth_m,
        sky_view=bands["sky_view"],
        loss_m_per_gyr=surface_loss,
        layer_max_k=layer_max,
        layer_loss_m_per_gyr=layer_loss,
        layers=layers,
        transform=transform,
        crs=dem.crs,
        ice_criterion=ice_criterion,
        max_loss_m_per_gyr=float(max_loss_m_per_gyr),
        provenance=provenance,
        series_k=series,
        series_utc=None if series is None else times.utc_iso(),
        layer_series_k=layer_series,
    )
