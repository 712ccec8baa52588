"""Deterministic synthetic south-pole terrain: the offline default DEM (NOT real topography).

The terrain is built in four layers, each a pure function of the projected position
(x, y) [m] and the seed, never of the grid it is sampled on. So a window of a large grid
equals the small grid of that window, a finer grid only adds detail below the coarser
grid's pixel, and every pixel can be computed on its own (in parallel, in any order):

1. the regional surface: a bounded tilt down towards the centre of the South Pole-Aitken
   basin, long-wavelength undulations (32-256 km), the massifs and the
   Shackleton-de Gerlache Connecting Ridge of the feature table;
2. fractal roughness: gradient noise summed over octaves (wavelengths from 4096 m down to
   two pixels) with amplitudes proportional to wavelength^H, i.e. a power spectrum
   proportional to k^-(2H+2), with a lunar-highlands Hurst exponent H;
3. a random crater population in size-frequency equilibrium, N(>D) = c D^-2, placed in
   world-fixed tiles whose random streams are seeded from (seed, size class, tile);
4. the named craters of ``data/south_pole_features.csv`` at their Gazetteer positions and
   sizes; the older population craters inside each are erased.

Craters have a fresh-crater shape (Pike 1974, 1977): a parabolic bowl for simple craters,
a flat floor and a concave wall for complex ones, a raised rim and an ejecta blanket
decaying as (r/R)^-3 (McGetchin et al. 1973).

Byte-identical output on any machine: random numbers come from numpy's PCG64 with explicit
``SeedSequence`` seeds (only uniform doubles are drawn) or from an integer hash; the
compiled kernels use only +, -, *, / and sqrt, which IEEE 754 rounds exactly; the few
parameters that go through transcendental functions (projection, power laws) are rounded
to a fixed quantum (1 µm, 1e-9) first, so that one-ulp differences between maths libraries
cannot reach the output; every pixel sums its contributions in one fixed order, whatever
the number of threads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
from affine import Affine

from ilrs.data import read_table
from ilrs.errors import DataFileError, InputError
from ilrs.terrain.geotiff import write_geotiff
from ilrs.terrain.grid import MOON_RADIUS_M, Dem, polar_xy_from_latlon

__all__ = [
    "CRATER_POPULATION_MAX_DIAMETER_M",
    "CRATER_POPULATION_MIN_DIAMETER_PX",
    "EQUILIBRIUM_DENSITY_COEFFICIENT",
    "FEATURES_FILE",
    "HURST_EXPONENT",
    "ROUGHNESS_BASELINE_M",
    "ROUGHNESS_RMS_SLOPE_DEG",
    "SIMPLE_COMPLEX_TRANSITION_M",
    "SYNTHETIC_SOURCE",
    "SYNTHETIC_TERRAIN_VERSION",
    "CraterPopulation",
    "SouthPoleFeature",
    "complex_crater_floor_diameter_m",
    "crater_population",
    "crater_population_heights_m",
    "equilibrium_cumulative_density_per_m2",
    "synthesize_around",
    "fresh_crater_depth_m",
    "fresh_crater_rim_height_m",
    "roughness_heights_m",
    "roughness_rms_slope_deg",
    "south_pole_features",
    "synthesize_south_pole",
    "write_synthetic_south_pole",
]

SYNTHETIC_TERRAIN_VERSION = "1"  # bump whenever the output for given inputs changes
SYNTHETIC_SOURCE = "ilrs synthetic south pole"
FEATURES_FILE = "south_pole_features.csv"

# --- Fresh-crater morphometry (D, d, h in km) ------------------------------------------------
# Rim-to-floor depth: d = 0.196 D^1.010 (simple), d = 1.044 D^0.301 (complex), Pike (1974).
# Rim height above the surroundings: h = 0.036 D^1.014 (simple), h = 0.236 D^0.399 (complex);
# floor diameter of complex craters: Df = 0.187 D^1.249, Pike (1977).
_PIKE_DEPTH_SIMPLE = (0.196, 1.010)
_PIKE_DEPTH_COMPLEX = (1.044, 0.301)
_PIKE_RIM_SIMPLE = (0.036, 1.014)
_PIKE_RIM_COMPLEX = (0.236, 0.399)
_PIKE_FLOOR_COMPLEX = (0.187, 1.249)
# Pike (1974): the depth/diameter relation inflects at 10-15 km; flat floors from 15 km.
SIMPLE_COMPLEX_TRANSITION_M = 15_000.0
_EJECTA_REACH_RADII = 3.0  # the (r/R)^-3 blanket is tapered to zero at 3 R ...
_EJECTA_TAPER = 1.0 / _EJECTA_REACH_RADII**3  # ... by subtracting its value there
_ERASE_INNER_RADII = 0.9  # a named crater erases older craters inside 0.9 R ...
_ERASE_OUTER_RADII = 1.4  # ... and partly buries them under its ejecta out to 1.4 R
_FLOORED_WALL_LINEAR = 0.5  # wall = 0.5 u + 0.5 u^2 of the floor-to-rim rise (u: 0 to 1),
# which gives Shackleton walls of 20-40°, about the 30° Haruyama et al. (2008) describe.

# --- Crater population -----------------------------------------------------------------------
# Equilibrium SFD: cumulative N(>D) = c D^-2 per unit area, at a few per cent of geometric
# saturation N_s(>D) = 1.54 D^-2 (Gault 1970; Minton et al. 2019): c = 0.05 x 1.54.
EQUILIBRIUM_DENSITY_COEFFICIENT = 0.05 * 1.54
CRATER_POPULATION_MIN_DIAMETER_PX = 3.0  # smallest crater: three pixels across
CRATER_POPULATION_MAX_DIAMETER_M = 20_480.0  # larger ones are the named craters
_CLASS_BASE_DIAMETER_M = 10.0  # size classes [10 x 2^k, 10 x 2^(k+1)) m
_CLASS_COUNT = 11  # up to 20 480 m
_TILE_DIAMETERS = 64.0  # tile side / class's smallest diameter: ~240 craters per tile
_DEGRADED_DEPTH_MIN = 0.35  # population craters keep 35-100 % of fresh depth (assumption)
_POPULATION_SALT = 0x5EED_C2A7  # separates the crater streams from the noise keys
_BAND_ROWS = 64  # rows per parallel band when stamping

# --- Fractal roughness -----------------------------------------------------------------------
HURST_EXPONENT = 0.95  # lunar highlands, LOLA 57 m-2.7 km baselines (Rosenburg et al. 2011)
ROUGHNESS_RMS_SLOPE_DEG = 4.0  # RMS slope of the roughness layer at 100 m (assumption)
ROUGHNESS_BASELINE_M = 100.0
_ROUGHNESS_MAX_WAVELENGTH_M = 4096.0  # longer wavelengths: craters and regional layers
_ROUGHNESS_OCTAVES = 20  # down to 4096 / 2^19 m, far below any sensible pixel
# Structure-function constant of this octave sum: with octave RMS amplitudes
# A (wavelength / L)^H (wavelengths 4096 m down to 8 m), the RMS height difference over the
# baseline L = 100 m is _FBM_STRUCTURE x A. Measured on 24 grids of 512 x 512 one-metre
# pixels spread over 500 km (12.5 million pixel pairs along rows and columns).
_FBM_STRUCTURE = 6.078
# RMS of one octave of the gradient noise below (gradients uniform in [-1, 1]^2), measured
# at 4 million uniformly random points; octave amplitudes are divided by it to be RMS heights.
_NOISE_RMS = 0.1761

# --- Regional surface (assumptions, tuned to -5..+6 km over 80-90°S) ------------------------
SPA_CENTER_LAT_DEG = -53.0  # South Pole-Aitken basin centre (Garrick-Bethell & Zuber 2009)
SPA_CENTER_LON_DEG = 191.0
_TILT_HEIGHT_M = 1200.0  # bound of the tilt; slope at the pole 1200 / 400 000 (0.17°)
_TILT_SCALE_M = 400_000.0
_UNDULATIONS = ((256_000.0, 300.0), (128_000.0, 200.0), (64_000.0, 120.0), (32_000.0, 80.0))
_RIDGE_END_FRACTION = 0.5  # the ridge falls to half its height where it meets a rim
_MASSIF_HALF_HEIGHT_DIAMETERS = 0.35  # massif profile 1 / (1 + (r / 0.35 D)^8)

# Rotations by Pythagorean triples: exact rational cos/sin, one per octave, so the lattice
# directions of the octaves differ without a transcendental function.
_TRIPLES = ((3, 4, 5), (5, 12, 13), (8, 15, 17), (7, 24, 25), (20, 21, 29), (12, 35, 37),
            (9, 40, 41), (28, 45, 53), (11, 60, 61), (33, 56, 65))  # fmt: skip

_LENGTH_QUANTUM_M = 1e-6
_FACTOR_QUANTUM = 1e-9
_MAX_SIZE_PX = 32_768


# ============================================================================================
# Feature table
# ============================================================================================


@dataclass(frozen=True)
class SouthPoleFeature:
    """A named south-polar feature of the synthetic terrain, with the source of its values.

    ``diameter_km`` is the rim diameter of a crater or the base diameter of a massif;
    ``length_km``/``width_km`` describe a ridge (its length is informational: a ridge runs
    from the rim of each crater it ``connects`` through its crest at ``lat_deg, lon_deg``).
    ``depth_km`` is a crater's rim-to-floor depth (None: fresh-crater morphometry),
    ``height_km`` a massif's or ridge's height above its surroundings. Longitudes are east.
    """

    name: str
    kind: str
    lat_deg: float
    lon_deg: float
    diameter_km: float | None
    length_km: float | None
    width_km: float | None
    depth_km: float | None
    height_km: float | None
    floor_diameter_km: float | None
    connects: tuple[str, ...]
    source: str

    @property
    def xy_m(self) -> tuple[float, float]:
        """South polar stereographic x, y [m] of the centre (crest), to the micrometre."""
        x_m, y_m = polar_xy_from_latlon(self.lat_deg, self.lon_deg)
        return float(_quantize(x_m, _LENGTH_QUANTUM_M)), float(_quantize(y_m, _LENGTH_QUANTUM_M))


_KINDS = ("crater", "massif", "ridge")


def south_pole_features() -> list[SouthPoleFeature]:
    """The named features of ``data/south_pole_features.csv``, in file order.

    Returns
    -------
    list of SouthPoleFeature
        Craters are stamped in file order, so the file lists younger craters later
        (Shackleton, Imbrian, is last; Haworth, Shoemaker and Faustini are pre-Nectarian,
        Tye et al. 2015, doi:10.1016/j.icarus.2015.03.016); the order only decides which
        crater's ejecta bury the other's small craters.
    """

    def number(row: dict[str, str], key: str, line: int) -> float | None:
        text = (row.get(key) or "").strip()
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            raise DataFileError(
                f"{FEATURES_FILE} line {line}: {key}={text!r} is not a number"
            ) from None

    features = []
    for line, row in enumerate(read_table(FEATURES_FILE), start=2):
        kind = row["kind"].strip()
        if kind not in _KINDS:
            raise DataFileError(
                f"{FEATURES_FILE} line {line}: kind {kind!r} is not one of {', '.join(_KINDS)}"
            )
        feature = SouthPoleFeature(
            name=row["name"].strip(),
            kind=kind,
            lat_deg=number(row, "lat_deg", line),
            lon_deg=number(row, "lon_deg", line),
            diameter_km=number(row, "diameter_km", line),
            length_km=number(row, "length_km", line),
            width_km=number(row, "width_km", line),
            depth_km=number(row, "depth_km", line),
            height_km=number(row, "height_km", line),
            floor_diameter_km=number(row, "floor_diameter_km", line),
            connects=tuple(n.strip() for n in (row.get("connects") or "").split(";") if n.strip()),
            source=row["source"].strip(),
        )
        needed = {
            "crater": ("diameter_km",),
            "massif": ("diameter_km", "height_km"),
            "ridge": ("width_km", "height_km"),
        }[kind]
        missing = [key for key in ("lat_deg", "lon_deg", *needed) if getattr(feature, key) is None]
        if missing or not feature.source:
            raise DataFileError(
                f"{FEATURES_FILE} line {line} ({feature.name}): a {kind} needs "
                f"{', '.join(('lat_deg', 'lon_deg', *needed, 'source'))}; missing "
                f"{', '.join(missing or ['source'])}"
            )
        if kind == "ridge" and len(feature.connects) != 2:
            raise DataFileError(
                f"{FEATURES_FILE} line {line} ({feature.name}): a ridge connects two craters "
                f"('A;B'); got {feature.connects!r}"
            )
        features.append(feature)
    return features


# ============================================================================================
# Morphometry and the size-frequency distribution
# ============================================================================================


def _power_law_km(diameter_m, coefficient_exponent) -> np.ndarray:
    coefficient, exponent = coefficient_exponent
    return 1000.0 * coefficient * np.power(np.asarray(diameter_m, dtype=float) / 1000.0, exponent)


def fresh_crater_depth_m(diameter_m) -> np.ndarray:
    """Rim-to-floor depth [m] of a fresh lunar crater of rim diameter ``diameter_m`` [m].

    The smaller of Pike's simple (0.196 D^1.010) and complex (1.044 D^0.301) fits (D, d in
    km): the two cross at D = 10.6 km, inside the 10-15 km inflection Pike found, so the
    depth is continuous.

    References
    ----------
    Pike, R. J. (1974). Depth/diameter relations of fresh lunar craters: revision from
    spacecraft data. Geophys. Res. Lett. 1(7), 291-294. doi:10.1029/GL001i007p00291
    """
    return np.minimum(
        _power_law_km(diameter_m, _PIKE_DEPTH_SIMPLE),
        _power_law_km(diameter_m, _PIKE_DEPTH_COMPLEX),
    )


def fresh_crater_rim_height_m(diameter_m) -> np.ndarray:
    """Rim height [m] above the surroundings of a fresh lunar crater of diameter [m].

    The smaller of Pike's simple (0.036 D^1.014) and complex (0.236 D^0.399) fits (km); they
    cross at D = 21 km.

    References
    ----------
    Pike, R. J. (1977). Size-dependence in the shape of fresh impact craters on the Moon.
    In Impact and Explosion Cratering (Roddy, Pepin & Merrill, eds.), Pergamon, 489-509.
    Bibcode 1977iecp.symp..489P (no DOI).
    """
    return np.minimum(
        _power_law_km(diameter_m, _PIKE_RIM_SIMPLE), _power_law_km(diameter_m, _PIKE_RIM_COMPLEX)
    )


def complex_crater_floor_diameter_m(diameter_m) -> np.ndarray:
    """Flat-floor diameter [m] of a crater of rim diameter [m]: Pike's 0.187 D^1.249 (km) at and
    above the simple-complex transition (15 km), zero (a bowl) below it; never more than
    0.8 D.

    References
    ----------
    Pike, R. J. (1977), see :func:`fresh_crater_rim_height_m`.
    """
    diameter_m = np.asarray(diameter_m, dtype=float)
    floor_m = np.minimum(_power_law_km(diameter_m, _PIKE_FLOOR_COMPLEX), 0.8 * diameter_m)
    return np.where(diameter_m >= SIMPLE_COMPLEX_TRANSITION_M, floor_m, 0.0)


def equilibrium_cumulative_density_per_m2(diameter_m) -> np.ndarray:
    """Cumulative number of craters larger than ``diameter_m`` [m] per square metre [m^-2]:
    the lunar equilibrium ``N(>D) = c D^-2`` with ``c`` = 5 % of geometric saturation.

    References
    ----------
    Gault, D. E. (1970). Saturation and equilibrium conditions for impact cratering on the
    lunar surface. Radio Science 5(2), 273-291. doi:10.1029/RS005i002p00273
    Minton, D. A., Fassett, C. I., Hirabayashi, M., Howl, B. A., Richardson, J. E. (2019).
    The equilibrium size-frequency distribution of small craters reveals the effects of
    distal ejecta on lunar landscape morphology. Icarus 326, 63-87.
    doi:10.1016/j.icarus.2019.02.021 (arXiv:1902.07746)
    """
    diameter_m = np.asarray(diameter_m, dtype=float)
    return EQUILIBRIUM_DENSITY_COEFFICIENT / (diameter_m * diameter_m)


def roughness_rms_slope_deg(baseline_m) -> np.ndarray:
    """RMS slope [deg] of the fractal roughness layer over a baseline [m] (unlimited band).

    A self-affine surface has RMS height differences growing as baseline^H, so its RMS slope
    falls as baseline^(H-1): ``tan s(L) = tan s0 (L / L0)^(H-1)`` with s0 =
    :data:`ROUGHNESS_RMS_SLOPE_DEG` at L0 = :data:`ROUGHNESS_BASELINE_M` (an assumption,
    chosen so that the whole terrain, craters included, has RMS slopes near 10° at 100-240 m
    baselines). The octave amplitudes are fixed in metres, the same at every resolution; a
    grid holds only the wavelengths from two pixels up to 4096 m, so the slope measured at
    its pixel baseline departs from this law by up to about 30 % (lower for pixels of a few
    hundred metres, where few octaves remain).

    References
    ----------
    Rosenburg, M. A., Aharonson, O., Head, J. W., et al. (2011). Global surface slopes and
    roughness of the Moon from the Lunar Orbiter Laser Altimeter. J. Geophys. Res. 116,
    E02001. doi:10.1029/2010JE003716
    """
    ratio = np.asarray(baseline_m, dtype=float) / ROUGHNESS_BASELINE_M
    return np.degrees(
        np.arctan(math.tan(math.radians(ROUGHNESS_RMS_SLOPE_DEG)) * ratio ** (HURST_EXPONENT - 1))
    )


# ============================================================================================
# Grid geometry and input checks
# ============================================================================================


@dataclass(frozen=True)
class _Grid:
    size_px: int
    pixel_m: float
    left_m: float
    top_m: float

    @property
    def right_m(self) -> float:
        return self.left_m + self.size_px * self.pixel_m

    @property
    def bottom_m(self) -> float:
        return self.top_m - self.size_px * self.pixel_m

    @property
    def transform(self) -> Affine:
        return Affine(self.pixel_m, 0.0, self.left_m, 0.0, -self.pixel_m, self.top_m)


def _grid(size_px, resolution_m, seed, center_x_m, center_y_m) -> _Grid:
    """Check the inputs (before any work) and place the grid."""
    if isinstance(size_px, bool) or not isinstance(size_px, int | np.integer):
        raise InputError(f"size_px must be a whole number of pixels; got {size_px!r}")
    if not 2 <= size_px <= _MAX_SIZE_PX:
        raise InputError(f"size_px must be 2..{_MAX_SIZE_PX}; got {size_px}")
    try:
        resolution_m = float(resolution_m)
        center_x_m = float(center_x_m)
        center_y_m = float(center_y_m)
    except (TypeError, ValueError):
        raise InputError(
            f"resolution_m, center_x_m and center_y_m must be numbers [m]; got "
            f"{resolution_m!r}, {center_x_m!r}, {center_y_m!r}"
        ) from None
    if not (math.isfinite(resolution_m) and 0.01 <= resolution_m <= 100_000.0):
        raise InputError(f"resolution_m must be 0.01..100000 m; got {resolution_m}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**63:
        raise InputError(f"seed must be a whole number 0..2^63-1; got {seed!r}")
    if not (math.isfinite(center_x_m) and math.isfinite(center_y_m)):
        raise InputError(f"the grid centre must be finite; got ({center_x_m}, {center_y_m}) m")
    half_m = 0.5 * int(size_px) * resolution_m
    grid = _Grid(int(size_px), resolution_m, center_x_m - half_m, center_y_m + half_m)
    # The equator lies at 2R from the pole on this projection: stay in the south.
    reach_m = max(
        math.hypot(x, y) for x in (grid.left_m, grid.right_m) for y in (grid.top_m, grid.bottom_m)
    )
    if reach_m > 2.0 * MOON_RADIUS_M:
        raise InputError(
            f"the grid ({size_px} px of {resolution_m:g} m centred on x={center_x_m:.0f} m, "
            f"y={center_y_m:.0f} m) reaches {reach_m / 1000:.0f} km from the pole, beyond the "
            f"equator ({2 * MOON_RADIUS_M / 1000:.0f} km); use a smaller extent"
        )
    return grid


def _quantize(values, quantum: float):
    """Round to a multiple of ``quantum``, hiding last-bit differences between libraries."""
    return np.round(np.asarray(values, dtype=float) / quantum) * quantum


# ============================================================================================
# Hash and gradient noise (compiled)
# ============================================================================================

_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)  # SplitMix64 finaliser (Steele, Lea & Flood 2014)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_HASH_X = np.uint64(0x9E3779B97F4A7C15)
_HASH_Y = np.uint64(0xC2B2AE3D27D4EB4F)
_LOW_32 = np.uint64(0xFFFFFFFF)
_SHIFT_27 = np.uint64(27)
_SHIFT_30 = np.uint64(30)
_SHIFT_31 = np.uint64(31)
_SHIFT_32 = np.uint64(32)
_LATTICE_OFFSET = 1 << 40  # lattice indices made positive before the unsigned hash
_TWO_POW_M31 = 2.0**-31


@numba.njit(cache=True, inline="always")
def _lattice_gradient(ix, iy, key):
    # A gradient vector uniform in [-1, 1)^2 for lattice point (ix, iy): SplitMix64 of the
    # point and the octave's key; integer arithmetic only.
    h = (
        key
        ^ (np.uint64(ix + _LATTICE_OFFSET) * _HASH_X)
        ^ (np.uint64(iy + _LATTICE_OFFSET) * _HASH_Y)
    )
    h = (h ^ (h >> _SHIFT_30)) * _MIX_1
    h = (h ^ (h >> _SHIFT_27)) * _MIX_2
    h = h ^ (h >> _SHIFT_31)
    gx = float(h & _LOW_32) * _TWO_POW_M31 - 1.0
    gy = float(h >> _SHIFT_32) * _TWO_POW_M31 - 1.0
    return gx, gy


@numba.njit(cache=True, inline="always")
def _gradient_noise(u, v, key, cell, k):
    # Perlin gradient noise with the quintic fade of Perlin (2002); zero at lattice points.
    # ``cell[k]`` remembers the lattice cell and its four gradients: neighbouring pixels
    # mostly share a cell, and reusing the gradients changes nothing in the result.
    fu = math.floor(u)
    fv = math.floor(v)
    iu = int(fu)
    iv = int(fv)
    if cell[k, 0] != fu or cell[k, 1] != fv:
        cell[k, 0] = fu
        cell[k, 1] = fv
        cell[k, 2], cell[k, 3] = _lattice_gradient(iu, iv, key)
        cell[k, 4], cell[k, 5] = _lattice_gradient(iu + 1, iv, key)
        cell[k, 6], cell[k, 7] = _lattice_gradient(iu, iv + 1, key)
        cell[k, 8], cell[k, 9] = _lattice_gradient(iu + 1, iv + 1, key)
    du = u - fu
    dv = v - fv
    n00 = cell[k, 2] * du + cell[k, 3] * dv
    n10 = cell[k, 4] * (du - 1.0) + cell[k, 5] * dv
    n01 = cell[k, 6] * du + cell[k, 7] * (dv - 1.0)
    n11 = cell[k, 8] * (du - 1.0) + cell[k, 9] * (dv - 1.0)
    su = du * du * du * (du * (du * 6.0 - 15.0) + 10.0)
    sv = dv * dv * dv * (dv * (dv * 6.0 - 15.0) + 10.0)
    low = n00 + su * (n10 - n00)
    high = n01 + su * (n11 - n01)
    return low + sv * (high - low)


@numba.njit(cache=True, inline="always")
def _new_cells(count):
    # Per-row cache of lattice cells (NaN: none yet) for _gradient_noise.
    return np.full((count, 10), np.nan)


@numba.njit(cache=True, inline="always")
def _octave_sum(x, y, keys, octaves, cell):
    # octaves rows: 1/wavelength [1/m], amplitude [m], cos, sin, offset u, offset v.
    total = 0.0
    for k in range(keys.size):
        inv = octaves[k, 0]
        cos_k = octaves[k, 2]
        sin_k = octaves[k, 3]
        u = (cos_k * x - sin_k * y) * inv + octaves[k, 4]
        v = (sin_k * x + cos_k * y) * inv + octaves[k, 5]
        total += octaves[k, 1] * _gradient_noise(u, v, keys[k], cell, k)
    return total


def _octave_table(wavelengths_m, amplitudes_m, salt: int, seed: int):
    """Keys and parameters of a set of noise octaves; amplitudes are RMS heights [m]."""
    count = len(wavelengths_m)
    keys = np.random.SeedSequence([seed, salt]).generate_state(count, dtype=np.uint64)
    octaves = np.zeros((count, 6))
    for k in range(count):
        a, b, c = _TRIPLES[k % len(_TRIPLES)]
        octaves[k] = (
            1.0 / wavelengths_m[k],
            amplitudes_m[k] / _NOISE_RMS,
            a / c,
            b / c,
            0.5 + 0.1234 * k,  # offsets keep the octaves' lattice points apart
            0.5 + 0.3141 * k,
        )
    octaves[:, 1] = _quantize(octaves[:, 1], _FACTOR_QUANTUM)
    return keys, octaves


def _roughness_octaves(
    pixel_m: float, seed: int, max_wavelength_m: float = _ROUGHNESS_MAX_WAVELENGTH_M
):
    """Octaves of the roughness layer for a pixel size: amplitude ∝ wavelength^H, and the
    octaves shorter than four pixels faded out (gone below two) so nothing aliases; octaves
    longer than ``max_wavelength_m`` are left out."""
    wavelengths = _ROUGHNESS_MAX_WAVELENGTH_M / 2.0 ** np.arange(_ROUGHNESS_OCTAVES)
    rise_m = math.tan(math.radians(ROUGHNESS_RMS_SLOPE_DEG)) * ROUGHNESS_BASELINE_M
    amplitudes = (rise_m / _FBM_STRUCTURE) * (wavelengths / ROUGHNESS_BASELINE_M) ** HURST_EXPONENT
    weight = np.clip((wavelengths / pixel_m - 2.0) / 2.0, 0.0, 1.0)
    weight = weight * weight * (3.0 - 2.0 * weight)
    keep = (weight > 0) & (wavelengths <= max_wavelength_m)
    return _octave_table(wavelengths[keep], (amplitudes * weight)[keep], 0x2077, seed)


def roughness_heights_m(
    size_px: int,
    resolution_m: float,
    seed: int,
    *,
    center_x_m: float = 0.0,
    center_y_m: float = 0.0,
    max_wavelength_m: float = _ROUGHNESS_MAX_WAVELENGTH_M,
) -> np.ndarray:
    """The fractal roughness layer alone [m] on a grid: the one :func:`synthesize_south_pole`
    adds, a pure function of position and seed (see :func:`roughness_rms_slope_deg`), with
    only the octaves of wavelength up to ``max_wavelength_m`` [m] (all, 4096 m, by default)."""
    grid = _grid(size_px, resolution_m, seed, center_x_m, center_y_m)
    keys, octaves = _roughness_octaves(grid.pixel_m, int(seed), max_wavelength_m)
    out = np.empty((grid.size_px, grid.size_px))
    # The regional kernel with every other layer empty (and a zero tilt).
    no_tilt = np.array([1.0, 0.0, 0.0, 1.0])
    _fill_regional(
        out, grid.left_m, grid.top_m, grid.pixel_m, no_tilt, keys, octaves, np.zeros((0, 4)),
        np.zeros(0), np.zeros((0, 3)),
    )  # fmt: skip
    return out


def _undulation_octaves(seed: int):
    wavelengths = np.array([w for w, _ in _UNDULATIONS])
    amplitudes = np.array([a for _, a in _UNDULATIONS])
    return _octave_table(wavelengths, amplitudes, 0x5BA0, seed)


# ============================================================================================
# Crater shape (compiled)
# ============================================================================================


@numba.njit(cache=True, inline="always")
def _smoothstep(t):
    if t <= 0.0:
        return 0.0
    if t >= 1.0:
        return 1.0
    return t * t * (3.0 - 2.0 * t)


@numba.njit(cache=True, inline="always")
def _crater_height(r, radius, depth, rim, floor_radius, wall_linear):
    # Height [m] relative to the pre-impact surface at distance r from the centre. Inside:
    # floor at rim - depth, wall rising to the rim crest at r = R (a parabolic bowl when there
    # is no floor); outside: rim (R/r)^3, tapered to reach zero at 3 R.
    if r >= radius:
        q = radius / r
        value = rim * (q * q * q - _EJECTA_TAPER) / (1.0 - _EJECTA_TAPER)
        return value if value > 0.0 else 0.0
    if r <= floor_radius:
        return rim - depth
    u = (r - floor_radius) / (radius - floor_radius)
    return rim - depth + depth * (wall_linear * u + (1.0 - wall_linear) * u * u)


# ============================================================================================
# Layer kernels (compiled, parallel over rows: each pixel is a pure function of its position)
# ============================================================================================


@numba.njit(cache=True, parallel=True)
def _fill_regional(
    height, left_m, top_m, pixel_m, tilt, keys, octaves, massifs, ridge, ridge_holes
):
    # tilt: (unit x, unit y towards the SPA centre, bound [m], scale [m]); massifs rows:
    # (x, y, half-height radius, height); ridge: (x0, y0, x1, y1, x2, y2, half width, height,
    # end fraction) with the crest at point 1, or empty; ridge_holes rows: (x, y, R) of the
    # craters it joins (the ridge fades out inside them).
    n_rows, n_cols = height.shape
    has_ridge = ridge.size > 0
    for i in numba.prange(n_rows):
        y = top_m - (i + 0.5) * pixel_m
        cells = _new_cells(keys.size)
        for j in range(n_cols):
            x = left_m + (j + 0.5) * pixel_m
            s = (x * tilt[0] + y * tilt[1]) / tilt[3]
            value = -tilt[2] * s / math.sqrt(1.0 + s * s)
            value += _octave_sum(x, y, keys, octaves, cells)
            for m in range(massifs.shape[0]):
                dx = x - massifs[m, 0]
                dy = y - massifs[m, 1]
                q = (dx * dx + dy * dy) / (massifs[m, 2] * massifs[m, 2])
                q2 = q * q
                value += massifs[m, 3] / (1.0 + q2 * q2)
            if has_ridge:
                value += _ridge_height(x, y, ridge, ridge_holes)
            height[i, j] = value


@numba.njit(cache=True, inline="always")
def _segment_distance(x, y, x0, y0, x1, y1):
    # Distance from (x, y) to the segment p0-p1 and the position along it (0 at p0, 1 at p1).
    ex = x1 - x0
    ey = y1 - y0
    t = ((x - x0) * ex + (y - y0) * ey) / (ex * ex + ey * ey)
    t = min(max(t, 0.0), 1.0)
    dx = x - (x0 + t * ex)
    dy = y - (y0 + t * ey)
    return math.sqrt(dx * dx + dy * dy), t


@numba.njit(cache=True, inline="always")
def _ridge_arm(x, y, x0, y0, x1, y1, half_width, end):
    # One arm of the ridge, from a rim (p0, at ``end`` of full height) to the crest (p1):
    # height profile along the arm times a 1 / (1 + (d / w)^2)^2 cross-section.
    d, t = _segment_distance(x, y, x0, y0, x1, y1)
    w = d / half_width
    across = 1.0 / (1.0 + w * w)
    return (end + (1.0 - end) * _smoothstep(t)) * across * across


@numba.njit(cache=True, inline="always")
def _ridge_height(x, y, ridge, holes):
    # The higher of the two arms (continuous, creased only along the crest line), faded out
    # inside the craters it joins.
    arm_a = _ridge_arm(x, y, ridge[0], ridge[1], ridge[2], ridge[3], ridge[6], ridge[8])
    arm_c = _ridge_arm(x, y, ridge[4], ridge[5], ridge[2], ridge[3], ridge[6], ridge[8])
    value = ridge[7] * max(arm_a, arm_c)
    for h in range(holes.shape[0]):
        dx = x - holes[h, 0]
        dy = y - holes[h, 1]
        r = math.sqrt(dx * dx + dy * dy)
        value *= _smoothstep((r - 0.75 * holes[h, 2]) / (0.35 * holes[h, 2]))
    return value


@numba.njit(cache=True, parallel=True)
def _stamp_population(
    pop, left_m, top_m, pixel_m, band_start, band_craters, craters, boxes, band_rows
):  # fmt: skip
    # craters rows: (x, y, R, depth, rim, floor radius, wall linear); boxes rows: first and
    # last row, first and last column. Each band of rows takes its craters in list order,
    # so every pixel adds its craters in the same order whatever the thread count.
    n_rows = pop.shape[0]
    for b in numba.prange(band_start.size - 1):
        band_first = b * band_rows
        band_last = min(band_first + band_rows, n_rows) - 1
        for m in range(band_start[b], band_start[b + 1]):
            c = band_craters[m]
            radius = craters[c, 2]
            reach = _EJECTA_REACH_RADII * radius
            reach2 = reach * reach
            for i in range(max(boxes[c, 0], band_first), min(boxes[c, 1], band_last) + 1):
                dy = top_m - (i + 0.5) * pixel_m - craters[c, 1]
                for j in range(boxes[c, 2], boxes[c, 3] + 1):
                    dx = left_m + (j + 0.5) * pixel_m - craters[c, 0]
                    r2 = dx * dx + dy * dy
                    if r2 < reach2:
                        pop[i, j] += _crater_height(
                            math.sqrt(r2), radius, craters[c, 3], craters[c, 4], craters[c, 5],
                            craters[c, 6],
                        )  # fmt: skip


@numba.njit(cache=True)
def _stamp_named(height, pop, left_m, top_m, pixel_m, craters, boxes):
    # Named craters in table order: add the crater to the height, and erase the population
    # craters (already in ``pop``) inside 0.9 R, fading out to 1.4 R (buried by ejecta). Serial:
    # a few large craters, a small share of the work.
    for c in range(craters.shape[0]):
        radius = craters[c, 2]
        reach = _EJECTA_REACH_RADII * radius
        reach2 = reach * reach
        inner = _ERASE_INNER_RADII * radius
        outer = _ERASE_OUTER_RADII * radius
        for i in range(boxes[c, 0], boxes[c, 1] + 1):
            dy = top_m - (i + 0.5) * pixel_m - craters[c, 1]
            for j in range(boxes[c, 2], boxes[c, 3] + 1):
                dx = left_m + (j + 0.5) * pixel_m - craters[c, 0]
                r2 = dx * dx + dy * dy
                if r2 < reach2:
                    r = math.sqrt(r2)
                    height[i, j] += _crater_height(
                        r, radius, craters[c, 3], craters[c, 4], craters[c, 5], craters[c, 6]
                    )
                    if r < outer:
                        pop[i, j] *= _smoothstep((r - inner) / (outer - inner))


def _boxes(grid: _Grid, x_m, y_m, reach_m) -> np.ndarray:
    """First/last row and column (clipped to the grid) whose pixel centres may lie within
    ``reach_m`` of each centre; boxes wholly outside the grid get an empty range."""
    px = grid.pixel_m
    first_row = np.floor((grid.top_m - (y_m + reach_m)) / px - 0.5) - 1
    last_row = np.ceil((grid.top_m - (y_m - reach_m)) / px - 0.5) + 1
    first_col = np.floor((x_m - reach_m - grid.left_m) / px - 0.5) - 1
    last_col = np.ceil((x_m + reach_m - grid.left_m) / px - 0.5) + 1
    n = grid.size_px
    boxes = np.stack(
        [
            np.clip(first_row, 0, n - 1),
            np.clip(last_row, 0, n - 1),
            np.clip(first_col, 0, n - 1),
            np.clip(last_col, 0, n - 1),
        ],
        axis=1,
    ).astype(np.int64)
    outside = (last_row < 0) | (first_row > n - 1) | (last_col < 0) | (first_col > n - 1)
    boxes[outside] = (1, 0, 1, 0)
    return boxes


def _bands(boxes: np.ndarray, size_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Craters listed per band of ``_BAND_ROWS`` rows, each band's list in crater order."""
    empty = boxes[:, 0] > boxes[:, 1]
    first = np.where(empty, 0, boxes[:, 0] // _BAND_ROWS)
    counts = np.where(empty, 0, boxes[:, 1] // _BAND_ROWS - first + 1)
    crater_of = np.repeat(np.arange(boxes.shape[0]), counts)
    starts = np.cumsum(counts) - counts
    band_of = np.repeat(first, counts) + (np.arange(crater_of.size) - np.repeat(starts, counts))
    order = np.argsort(band_of, kind="stable")
    n_bands = (size_px + _BAND_ROWS - 1) // _BAND_ROWS
    band_start = np.searchsorted(band_of[order], np.arange(n_bands + 1)).astype(np.int64)
    return band_start, crater_of[order].astype(np.int64)


# ============================================================================================
# Crater population
# ============================================================================================


@dataclass(frozen=True)
class CraterPopulation:
    """The random craters that shape a synthetic grid (centres may lie outside it).

    Attributes
    ----------
    x_m, y_m : ndarray
        Centre, south polar stereographic [m].
    diameter_m, depth_m, rim_height_m, floor_diameter_m : ndarray
        Rim diameter, rim-to-floor depth, rim height above the surroundings and flat-floor
        diameter [m]; depth and rim are the fresh values times a degradation factor.
    min_diameter_m, max_diameter_m : float
        Size range generated [m]: three pixels up to :data:`CRATER_POPULATION_MAX_DIAMETER_M`.
    density_coefficient : float
        ``c`` of the cumulative distribution ``N(>D) = c D^-2`` per unit area.
    """

    x_m: np.ndarray
    y_m: np.ndarray
    diameter_m: np.ndarray
    depth_m: np.ndarray
    rim_height_m: np.ndarray
    floor_diameter_m: np.ndarray
    min_diameter_m: float
    max_diameter_m: float
    density_coefficient: float = EQUILIBRIUM_DENSITY_COEFFICIENT

    def __len__(self) -> int:
        return int(self.x_m.size)


def _poisson(rng: np.random.Generator, mean: float, threshold: float) -> int:
    # Knuth's product-of-uniforms method: only uniform doubles and exact products, so the
    # count does not depend on numpy's (version-dependent) Poisson algorithm.
    count = 0
    product = 1.0
    while True:
        draws = rng.random(int(mean + 8.0 * math.sqrt(mean) + 16.0))
        products = product * np.cumprod(draws)
        above = int(np.count_nonzero(products > threshold))
        if above < draws.size:
            return count + above
        count += draws.size
        product = float(products[-1])


def _population(
    grid: _Grid, seed: int, exclusions, max_diameter_m: float = CRATER_POPULATION_MAX_DIAMETER_M
) -> CraterPopulation:
    min_diameter_m = CRATER_POPULATION_MIN_DIAMETER_PX * grid.pixel_m
    positions, degradation_draws = [], []
    for k in range(_CLASS_COUNT):
        d_low = _CLASS_BASE_DIAMETER_M * 2.0**k
        d_high = 2.0 * d_low
        if d_high <= min_diameter_m or d_low >= max_diameter_m:
            continue
        tile_m = _TILE_DIAMETERS * d_low
        inv_low2 = 1.0 / (d_low * d_low)
        inv_span = inv_low2 - 1.0 / (d_high * d_high)
        mean = EQUILIBRIUM_DENSITY_COEFFICIENT * inv_span * tile_m * tile_m
        threshold = math.exp(-mean)
        reach_m = 0.5 * _EJECTA_REACH_RADII * d_high
        tiles_x = range(
            math.floor((grid.left_m - reach_m) / tile_m),
            math.floor((grid.right_m + reach_m) / tile_m) + 1,
        )
        tiles_y = range(
            math.floor((grid.bottom_m - reach_m) / tile_m),
            math.floor((grid.top_m + reach_m) / tile_m) + 1,
        )
        for tx in tiles_x:
            for ty in tiles_y:
                rng = np.random.default_rng([seed, _POPULATION_SALT, k, tx + 2**40, ty + 2**40])
                count = _poisson(rng, mean, threshold)
                draws = rng.random((count, 4))
                diameter = 1.0 / np.sqrt(inv_low2 - draws[:, 2] * inv_span)
                x = (tx + draws[:, 0]) * tile_m
                y = (ty + draws[:, 1]) * tile_m
                reach = 0.5 * _EJECTA_REACH_RADII * diameter
                use = (
                    (diameter >= min_diameter_m)
                    & (diameter < max_diameter_m)
                    & (x + reach > grid.left_m)
                    & (x - reach < grid.right_m)
                    & (y + reach > grid.bottom_m)
                    & (y - reach < grid.top_m)
                )
                positions.append(np.stack([x, y, diameter], axis=1)[use])
                degradation_draws.append(draws[use, 3])
    if positions:
        xyd = np.concatenate(positions)
        degradation_draw = np.concatenate(degradation_draws)
    else:
        xyd = np.zeros((0, 3))
        degradation_draw = np.zeros(0)
    keep = ~_excluded(xyd[:, 0], xyd[:, 1], xyd[:, 2], exclusions)
    x, y, diameter = xyd[keep].T
    degradation = _DEGRADED_DEPTH_MIN + (1.0 - _DEGRADED_DEPTH_MIN) * degradation_draw[keep]
    return CraterPopulation(
        x_m=x,
        y_m=y,
        diameter_m=diameter,
        depth_m=_quantize(fresh_crater_depth_m(diameter) * degradation, _LENGTH_QUANTUM_M),
        rim_height_m=_quantize(
            fresh_crater_rim_height_m(diameter) * degradation, _LENGTH_QUANTUM_M
        ),
        floor_diameter_m=_quantize(complex_crater_floor_diameter_m(diameter), _LENGTH_QUANTUM_M),
        min_diameter_m=min_diameter_m,
        max_diameter_m=max_diameter_m,
    )


def _population_heights(grid: _Grid, population: CraterPopulation) -> np.ndarray:
    """The population craters stamped on a grid [m, float32], relative to the pre-impact
    surface."""
    pop = np.zeros((grid.size_px, grid.size_px), dtype=np.float32)
    craters = np.stack(
        [
            population.x_m,
            population.y_m,
            0.5 * population.diameter_m,
            population.depth_m,
            population.rim_height_m,
            0.5 * population.floor_diameter_m,
            np.where(population.floor_diameter_m > 0, _FLOORED_WALL_LINEAR, 0.0),
        ],
        axis=1,
    ).reshape(-1, 7)
    boxes = _boxes(grid, craters[:, 0], craters[:, 1], _EJECTA_REACH_RADII * craters[:, 2])
    band_start, band_craters = _bands(boxes, grid.size_px)
    _stamp_population(
        pop, grid.left_m, grid.top_m, grid.pixel_m, band_start, band_craters, craters, boxes,
        _BAND_ROWS,
    )  # fmt: skip
    return pop


def _excluded(x, y, diameter, exclusions) -> np.ndarray:
    """Population craters that would deface a named feature: those larger than a fifth of a
    named crater (or of the ridge's width) whose rim reaches into it."""
    out = np.zeros(x.size, dtype=bool)
    radius = 0.5 * diameter
    for cx, cy, named_radius in exclusions["craters"]:
        near = np.hypot(x - cx, y - cy) < 1.2 * named_radius + radius
        out |= near & (diameter > 0.4 * named_radius)
    for (x0, y0, x1, y1), half_width in exclusions["segments"]:
        ex, ey = x1 - x0, y1 - y0
        t = np.clip(((x - x0) * ex + (y - y0) * ey) / (ex * ex + ey * ey), 0.0, 1.0)
        distance = np.hypot(x - (x0 + t * ex), y - (y0 + t * ey))
        out |= (distance < 1.5 * half_width + radius) & (diameter > 0.4 * half_width)
    return out


# ============================================================================================
# Named features as kernel inputs
# ============================================================================================


@dataclass(frozen=True)
class _NamedLayers:
    craters: np.ndarray  # rows: x, y, R, depth, rim, floor radius, wall linear
    massifs: np.ndarray  # rows: x, y, half-height radius, height
    ridge: np.ndarray  # x0, y0, x1 (crest), y1, x2, y2, half width, height, end fraction
    ridge_holes: np.ndarray  # rows: x, y, R
    exclusions: dict


def _named_layers(features: list[SouthPoleFeature]) -> _NamedLayers:
    craters, massifs, ridge, holes = [], [], [], []
    by_name = {}
    exclusions = {"craters": [], "segments": []}
    for feature in features:
        x_m, y_m = feature.xy_m
        if feature.kind == "crater":
            diameter_m = feature.diameter_km * 1000.0
            depth_m = (
                feature.depth_km * 1000.0
                if feature.depth_km is not None
                else float(fresh_crater_depth_m(diameter_m))
            )
            floor_m = (
                feature.floor_diameter_km * 1000.0
                if feature.floor_diameter_km is not None
                else float(complex_crater_floor_diameter_m(diameter_m))
            )
            rim_m = float(fresh_crater_rim_height_m(diameter_m))
            row = _quantize(
                [x_m, y_m, diameter_m / 2, depth_m, rim_m, floor_m / 2], _LENGTH_QUANTUM_M
            )
            craters.append([*row, _FLOORED_WALL_LINEAR if floor_m > 0 else 0.0])
            by_name[feature.name] = (x_m, y_m, diameter_m / 2)
            exclusions["craters"].append((x_m, y_m, diameter_m / 2))
        elif feature.kind == "massif":
            diameter_m = feature.diameter_km * 1000.0
            massifs.append(
                _quantize(
                    [x_m, y_m, _MASSIF_HALF_HEIGHT_DIAMETERS * diameter_m, feature.height_km * 1e3],
                    _LENGTH_QUANTUM_M,
                )
            )
    for feature in features:
        if feature.kind != "ridge":
            continue
        if ridge:
            raise DataFileError(f"{FEATURES_FILE}: only one ridge is supported")
        crest = np.array(feature.xy_m)
        ends = []
        for name in feature.connects:
            if name not in by_name:
                raise DataFileError(
                    f"{FEATURES_FILE}: ridge {feature.name!r} connects {name!r}, which is not a "
                    f"crater of the table ({', '.join(by_name)})"
                )
            cx, cy, radius = by_name[name]
            toward = crest - (cx, cy)
            ends.append(np.array([cx, cy]) + radius * toward / np.hypot(*toward))
            holes.append([cx, cy, radius])
        half_width_m = 0.5 * feature.width_km * 1000.0
        ridge = list(
            _quantize(
                [*ends[0], *crest, *ends[1], half_width_m, feature.height_km * 1000.0],
                _LENGTH_QUANTUM_M,
            )
        ) + [_RIDGE_END_FRACTION]
        for end in ends:
            exclusions["segments"].append(((*end, *crest), half_width_m))
    return _NamedLayers(
        craters=np.array(craters, dtype=float).reshape(-1, 7),
        massifs=np.array(massifs, dtype=float).reshape(-1, 4),
        ridge=np.array(ridge, dtype=float),
        ridge_holes=np.array(holes, dtype=float).reshape(-1, 3),
        exclusions=exclusions,
    )


def _tilt() -> np.ndarray:
    # Unit vector from the pole towards the SPA centre on the south polar grid: (sin λ, cos λ).
    x_m, y_m = polar_xy_from_latlon(SPA_CENTER_LAT_DEG, SPA_CENTER_LON_DEG)
    norm = math.hypot(float(x_m), float(y_m))
    unit = _quantize([float(x_m) / norm, float(y_m) / norm], _FACTOR_QUANTUM)
    return np.array([unit[0], unit[1], _TILT_HEIGHT_M, _TILT_SCALE_M])


# ============================================================================================
# Public entry points
# ============================================================================================


def crater_population(
    size_px: int = 1024,
    resolution_m: float = 240.0,
    seed: int = 0,
    *,
    center_x_m: float = 0.0,
    center_y_m: float = 0.0,
) -> CraterPopulation:
    """The random crater population that :func:`synthesize_south_pole` stamps on a grid.

    Parameters are those of :func:`synthesize_south_pole`. Craters come from world-fixed
    tiles, so the same crater appears in every grid that it touches and is at least three
    pixels across; craters that would deface a named feature are left out.

    Returns
    -------
    CraterPopulation
        Every crater whose ejecta reach the grid (centres may lie outside it).

    References
    ----------
    See :func:`equilibrium_cumulative_density_per_m2` and :func:`fresh_crater_depth_m`.
    """
    grid = _grid(size_px, resolution_m, seed, center_x_m, center_y_m)
    return _population(grid, int(seed), _named_layers(south_pole_features()).exclusions)


def crater_population_heights_m(
    size_px: int,
    resolution_m: float,
    seed: int = 0,
    *,
    center_x_m: float = 0.0,
    center_y_m: float = 0.0,
    max_diameter_m: float = CRATER_POPULATION_MAX_DIAMETER_M,
) -> np.ndarray:
    """The random crater population alone [m relative to the pre-impact surface] on a grid,
    every crater from three pixels up to (not including) ``max_diameter_m`` [m].

    The same world-fixed craters as :func:`crater_population` (equilibrium size-frequency,
    Pike morphometry, degraded to 35-100 % of fresh depth), but with no named feature
    excluded: on a real-terrain base there are no synthetic named craters to keep clear.
    Returns a float32 array of ``size_px`` x ``size_px``, north-up like the DEM.
    """
    grid = _grid(size_px, resolution_m, seed, center_x_m, center_y_m)
    no_exclusions = {"craters": [], "segments": []}
    population = _population(grid, int(seed), no_exclusions, float(max_diameter_m))
    return _population_heights(grid, population)


def synthesize_around(
    lat_deg: float, lon_deg: float, size_px: int, resolution_m: float, seed: int = 0
) -> Dem:
    """The synthetic south pole on a grid centred on a site (latitude, east longitude)."""
    x_m, y_m = polar_xy_from_latlon(lat_deg, lon_deg)
    return synthesize_south_pole(
        size_px, resolution_m, seed, center_x_m=float(x_m), center_y_m=float(y_m)
    )


def synthesize_south_pole(
    size_px: int = 1024,
    resolution_m: float = 240.0,
    seed: int = 0,
    *,
    center_x_m: float = 0.0,
    center_y_m: float = 0.0,
) -> Dem:
    """A deterministic synthetic south-pole DEM with the named features at their real places.

    Parameters
    ----------
    size_px : int
        Rows and columns of the square grid [px], 2..32768.
    resolution_m : float
        Pixel size [m].
    seed : int
        Seed of the random layers (crater population, roughness, undulations), 0..2^63-1.
    center_x_m, center_y_m : float
        Centre of the grid in south polar stereographic coordinates [m]; the pole by default.

    Returns
    -------
    Dem
        Heights [m above the 1 737 400 m sphere], north-up, ``transform`` of pixel corners;
        ``metadata`` marks it ``synthetic="true"`` with the seed, the generator version and
        a note that it is not real topography. The same inputs give byte-identical heights.

    Notes
    -----
    Memory: the float64 heights plus one float32 grid of population craters. The layers and
    their sources are described in the module docstring and in the feature table.

    References
    ----------
    Garrick-Bethell, I., Zuber, M. T. (2009). Elliptical structure of the lunar South
    Pole-Aitken basin. Icarus 204, 399-408. doi:10.1016/j.icarus.2009.05.032
    McGetchin, T. R., Settle, M., Head, J. W. (1973). Radial thickness variation in impact
    crater ejecta: implications for lunar basin deposits. Earth Planet. Sci. Lett. 20,
    226-236. doi:10.1016/0012-821X(73)90162-3
    Perlin, K. (2002). Improving noise. ACM Trans. Graph. 21(3), 681-682.
    doi:10.1145/566654.566636
    Steele, G. L., Lea, D., Flood, C. H. (2014). Fast splittable pseudorandom number
    generators. OOPSLA 2014, 453-472. doi:10.1145/2660193.2660195
    Pike (1974, 1977), Gault (1970), Minton et al. (2019), Rosenburg et al. (2011): see the
    morphometry, density and roughness functions of this module.
    """
    grid = _grid(size_px, resolution_m, seed, center_x_m, center_y_m)
    seed = int(seed)
    named = _named_layers(south_pole_features())
    population = _population(grid, seed, named.exclusions)

    und_keys, und_octaves = _undulation_octaves(seed)
    rough_keys, rough_octaves = _roughness_octaves(grid.pixel_m, seed)
    height = np.empty((grid.size_px, grid.size_px), dtype=np.float64)
    _fill_regional(
        height, grid.left_m, grid.top_m, grid.pixel_m, _tilt(),
        np.concatenate([und_keys, rough_keys]), np.concatenate([und_octaves, rough_octaves]),
        named.massifs, named.ridge, named.ridge_holes,
    )  # fmt: skip

    pop = _population_heights(grid, population)

    named_boxes = _boxes(
        grid, named.craters[:, 0], named.craters[:, 1], _EJECTA_REACH_RADII * named.craters[:, 2]
    )
    _stamp_named(height, pop, grid.left_m, grid.top_m, grid.pixel_m, named.craters, named_boxes)
    height += pop
    del pop

    metadata = {
        "synthetic": "true",
        "source": SYNTHETIC_SOURCE,
        "note": (
            "NOT real topography: a synthetic south-polar terrain with the named features "
            "of ilrs/data/south_pole_features.csv at their real places and sizes, a random "
            "crater population and fractal roughness; use LOLA data for real work"
        ),
        "seed": str(seed),
        "generator": "ilrs.terrain.synthetic.synthesize_south_pole",
        "generator_version": SYNTHETIC_TERRAIN_VERSION,
        "size_px": str(grid.size_px),
        "resolution_m": f"{grid.pixel_m:g}",
        "center_x_m": f"{grid.left_m + 0.5 * grid.size_px * grid.pixel_m:.3f}",
        "center_y_m": f"{grid.top_m - 0.5 * grid.size_px * grid.pixel_m:.3f}",
        "features": FEATURES_FILE,
        "height_reference": f"sphere of radius {MOON_RADIUS_M:.0f} m",
    }
    return Dem(height, grid.transform, metadata=metadata)


def write_synthetic_south_pole(
    path: str | Path,
    size_px: int = 1024,
    resolution_m: float = 240.0,
    seed: int = 0,
    *,
    center_x_m: float = 0.0,
    center_y_m: float = 0.0,
) -> Path:
    """Write :func:`synthesize_south_pole` as a GeoTIFF with its provenance tags.

    Parameters
    ----------
    path : str or Path
        Output file (``.tif``); written under a temporary name and renamed when complete.
    size_px, resolution_m, seed, center_x_m, center_y_m
        As :func:`synthesize_south_pole` ([px], [m], -, [m], [m]).

    Returns
    -------
    Path
        The file written. Its tags (upper-case in the file) carry ``SYNTHETIC=true``, the
        source, seed, generator version and the not-real-topography note; heights are
        float32 [m above the 1 737 400 m sphere].
    """
    dem = synthesize_south_pole(
        size_px, resolution_m, seed, center_x_m=center_x_m, center_y_m=center_y_m
    )
    return write_geotiff(
        path,
        dem.height_m,
        dem.transform,
        crs=dem.crs,
        band_descriptions=["height_m above the 1737400 m sphere (synthetic)"],
        tags=dem.metadata,
    )
