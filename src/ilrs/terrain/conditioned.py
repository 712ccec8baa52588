"""Synthetic detail conditioned on real topography (NOT real topography below the coarse pixel).

Where no real fine DEM is at hand around a site, a finer grid can still be useful for
pictures, slopes and roughness studies if its large scales are the real ones. This module
builds it from a real coarse DEM (by default the embedded LOLA cap, 1600 m pixels):

``fine = S(coarse) + D``

* ``S`` is the *histopolating* bicubic B-spline of the coarse DEM: a C2 surface whose mean
  over every coarse pixel (of the fine pixels inside it) is that pixel's real height. A
  spline through the pixel centres would miss those means by about ``h''P²/24``, tens of
  metres on crater walls; bilinear interpolation would also leave facets.
* ``D`` is synthetic detail with only wavelengths below the coarse pixel: the roughness
  octaves (``ilrs.terrain.synthetic``, lunar Hurst exponent) up to the coarse pixel and the
  equilibrium crater population up to (not including) the coarse pixel in diameter, minus
  its own smooth low-pass at the coarse scale, built so that ``D`` averages to exactly zero
  over every coarse pixel. So block means of the fine grid give back the real heights.

Everything synthetic is a pure function of the absolute position on the polar
stereographic grid and the seed, and the low-pass uses only the coarse pixel and its eight
neighbours: the same site and seed give the same grid, and overlapping windows agree
where they overlap (the spline part to far below a millimetre, see ``_SPLINE_MARGIN_PX``).

The result is labelled synthetic everywhere: ``metadata["synthetic"] == "true"`` (which
horizons and reports carry on as "(synthetic)"), ``synthetic_kind``, the seed, the cutoff
and the coarse source's own provenance (keys ``coarse_*``), also as GeoTIFF tags.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from affine import Affine
from scipy.linalg import solve_banded

from ilrs.errors import DataFileError, InputError
from ilrs.terrain.geotiff import write_geotiff
from ilrs.terrain.grid import MOON_RADIUS_M, Dem, polar_xy_from_latlon
from ilrs.terrain.synthetic import crater_population_heights_m, roughness_heights_m

__all__ = [
    "CONDITIONED_DETAIL_VERSION",
    "BLOCK_MEAN_TOLERANCE_M",
    "block_means_m",
    "conditioned_detail",
    "write_conditioned_detail",
]

CONDITIONED_DETAIL_VERSION = "1"  # bump whenever the output for given inputs changes
# Fine-grid means over each whole coarse pixel equal the coarse heights to this [m] (float64
# arithmetic and the spline's boundary margin; measured errors are ~1e-9 m).
BLOCK_MEAN_TOLERANCE_M = 1e-3
# Coarse pixels of real DEM read beyond the fine window on each side for the spline: the
# histopolation's inverse filter decays by 0.36 per pixel, so a crop edge 24 pixels away
# changes the surface by < 1e-10 of the height contrast there (< 1 µm on the Moon).
_SPLINE_MARGIN_PX = 24
_MAX_FINE_PX = 16_384  # a 16k x 16k float64 grid is 2 GB; larger asks are an error
_MIN_RATIO = 2  # fine pixels per coarse pixel side: at least two


# ============================================================================================
# 1-D weights (the tensor products of these make every 2-D operator here)
# ============================================================================================


def _cubic_bspline(t: np.ndarray) -> np.ndarray:
    """The centred cubic B-spline (C2, support -2..2, partition of unity)."""
    a = np.abs(np.asarray(t, dtype=float))
    return np.where(
        a < 1.0,
        2.0 / 3.0 - a * a + 0.5 * a**3,
        np.where(a < 2.0, (2.0 - a) ** 3 / 6.0, 0.0),
    )


def _sample_offsets(ratio: int) -> np.ndarray:
    """Fine pixel centres inside one coarse pixel, in coarse pixels from its centre."""
    return (np.arange(ratio) + 0.5) / ratio - 0.5


def _histopolation_bands(ratio: int, size: int) -> np.ndarray:
    """The banded matrix (scipy ``solve_banded`` layout, 2 bands each side) that maps B-spline
    coefficients at coarse pixel centres to the means of the fine samples per coarse pixel."""
    offsets = _sample_offsets(ratio)
    # Mean over the fine samples of coarse pixel k of the basis centred on pixel k + d.
    weight = {d: float(np.mean(_cubic_bspline(offsets - d))) for d in (-2, -1, 0, 1, 2)}
    bands = np.zeros((5, size))
    for d in (-2, -1, 0, 1, 2):
        bands[2 - d] = weight[d]  # ab[u + i - j, j] = a[i, j], u = 2, d = j - i
    return bands


def _spline_evaluation(ratio: int, first_fine_px: int, count: int, coarse_size: int):
    """Weights (count x coarse_size) of the B-spline coefficients at ``count`` fine pixel
    centres, the first ``first_fine_px`` fine pixels from the coarse crop's first edge."""
    t = (first_fine_px + np.arange(count) + 0.5) / ratio - 0.5  # in coarse pixel centres
    return _cubic_bspline(t[:, None] - np.arange(coarse_size)[None, :])


def _mean_preserving_bump(ratio: int) -> np.ndarray:
    """Discrete weights (3 * ratio) over a coarse pixel and its two neighbours whose means per
    coarse pixel are 0, 1, 0 and whose shifted copies sum to one everywhere.

    ``phi = P + L (2 q(t) - q(t - 1) - q(t + 1))``: ``P`` a C2 partition of unity (one minus
    the quintic smootherstep of |t|, support ±1 pixel) leaks ``L`` into each neighbour;
    ``q``, a C2 bump inside one pixel with mean one there, takes that leak back. The
    correction's shifted copies cancel (2 - 1 - 1 = 0), so constants are still reproduced.
    """
    t = (np.arange(3 * ratio) + 0.5) / ratio - 1.5
    a = np.minimum(np.abs(t), 1.0)
    partition = 1.0 - a**3 * (a * (a * 6.0 - 15.0) + 10.0)

    def bump(u):
        return np.where(np.abs(u) < 0.5, (1.0 - 4.0 * u * u) ** 3, 0.0)

    inner = bump(_sample_offsets(ratio))
    scale = 1.0 / inner.mean()  # mean one over its coarse pixel, on these very samples
    leak = partition[:ratio].mean()
    return partition + leak * scale * (2.0 * bump(t) - bump(t - 1.0) - bump(t + 1.0))


def _block_mean_lowpass(block_means: np.ndarray, ratio: int) -> np.ndarray:
    """A smooth surface on the fine grid whose mean over each coarse pixel is the given
    block mean, using only that pixel and its eight neighbours (so it is local and the
    same in any window). The outer ring of coarse pixels lacks neighbours: not valid there."""
    phi = _mean_preserving_bump(ratio)
    blocks = block_means.shape[0]
    weights = np.zeros((blocks * ratio, blocks))
    for b in range(blocks):
        first = (b - 1) * ratio
        lo, hi = max(first, 0), min(first + 3 * ratio, blocks * ratio)
        weights[lo:hi, b] = phi[lo - first : hi - first]
    return weights @ block_means @ weights.T


def block_means_m(height_m: np.ndarray, ratio: int) -> np.ndarray:
    """Means over ``ratio`` x ``ratio`` blocks [m] (the array's size a multiple of ratio)."""
    rows, cols = height_m.shape
    return height_m.reshape(rows // ratio, ratio, cols // ratio, ratio).mean(axis=(1, 3))


# ============================================================================================
# Checks
# ============================================================================================


def _whole_multiple(value: float, unit: float) -> int | None:
    """``value / unit`` when it is a whole number (to 1e-9), else None."""
    quotient = value / unit
    nearest = round(quotient)
    return int(nearest) if abs(quotient - nearest) <= 1e-9 * max(1.0, abs(quotient)) else None


def _check_inputs(coarse: Dem, half_width_m, resolution_m, seed) -> tuple[int, int]:
    """Refuse bad inputs before any work; return (fine pixels per coarse pixel, fine size)."""
    for name, value in (("half_width_m", half_width_m), ("resolution_m", resolution_m)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise InputError(f"{name} must be a number [m]; got {value!r}")
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"{name} must be a positive number of metres; got {value}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**63:
        raise InputError(f"seed must be a whole number 0..2^63-1; got {seed!r}")
    coarse_px_m = coarse.pixel_size_m
    ratio = _whole_multiple(coarse_px_m, resolution_m)
    if ratio is None or ratio < _MIN_RATIO:
        divisors = [coarse_px_m / k for k in (2, 4, 5, 8, 10, 16, 20, 32, 40, 64, 80)]
        raise InputError(
            f"resolution_m {resolution_m:g} m must divide the coarse pixel ({coarse_px_m:g} m) "
            f"at least twice, so that fine pixels tile each coarse pixel; e.g. "
            f"{', '.join(f'{d:g}' for d in divisors)} m"
        )
    t = coarse.transform
    if _whole_multiple(t.c, resolution_m) is None or _whole_multiple(t.f, resolution_m) is None:
        raise InputError(
            f"the coarse grid's corner ({t.c:g}, {t.f:g}) m is not on a multiple of "
            f"resolution_m {resolution_m:g} m, so fine pixels cannot tile its pixels"
        )
    size_px = max(2, round(2.0 * half_width_m / resolution_m))
    if size_px > _MAX_FINE_PX:
        raise InputError(
            f"the fine grid would be {size_px} x {size_px} px ({2 * half_width_m:g} m of "
            f"{resolution_m:g} m); at most {_MAX_FINE_PX} px on a side: use a smaller "
            "half_width_m or a coarser resolution_m"
        )
    return ratio, size_px


# ============================================================================================
# The layers
# ============================================================================================


def _histopolating_spline(
    coarse: Dem, ratio: int, first_row_px: int, first_col_px: int, size_px: int
) -> np.ndarray:
    """The C2 surface of the coarse DEM on the fine window whose top-left fine pixel is
    ``(first_row_px, first_col_px)`` fine pixels from the coarse grid's corner."""
    n_rows, n_cols = coarse.shape
    row_lo = max(first_row_px // ratio - _SPLINE_MARGIN_PX, 0)
    col_lo = max(first_col_px // ratio - _SPLINE_MARGIN_PX, 0)
    row_hi = min((first_row_px + size_px - 1) // ratio + 1 + _SPLINE_MARGIN_PX, n_rows)
    col_hi = min((first_col_px + size_px - 1) // ratio + 1 + _SPLINE_MARGIN_PX, n_cols)
    crop = np.asarray(coarse.height_m[row_lo:row_hi, col_lo:col_hi], dtype=np.float64)
    if not np.isfinite(crop).all():
        raise DataFileError(
            f"the coarse DEM ({coarse.metadata.get('source', 'unnamed')}) has nodata within "
            f"{_SPLINE_MARGIN_PX} pixels of the window (rows {row_lo}..{row_hi - 1}, cols "
            f"{col_lo}..{col_hi - 1}); choose a site or size that stays clear of it"
        )
    # Coefficients: solve the separable block-mean equations along columns, then rows.
    along_rows = solve_banded((2, 2), _histopolation_bands(ratio, crop.shape[0]), crop)
    coefficients = solve_banded((2, 2), _histopolation_bands(ratio, crop.shape[1]), along_rows.T).T
    rows = _spline_evaluation(ratio, first_row_px - row_lo * ratio, size_px, crop.shape[0])
    cols = _spline_evaluation(ratio, first_col_px - col_lo * ratio, size_px, crop.shape[1])
    return rows @ coefficients @ cols.T


def _detail(
    left_m: float, top_m: float, ratio: int, resolution_m: float, blocks: int, seed: int
) -> np.ndarray:
    """Zero-block-mean synthetic detail on ``blocks`` x ``blocks`` coarse pixels whose top-left
    corner is (left_m, top_m); the outer ring of coarse pixels is a margin (not valid)."""
    coarse_px_m = ratio * resolution_m
    size_px = blocks * ratio
    half_m = 0.5 * size_px * resolution_m
    where = {"center_x_m": left_m + half_m, "center_y_m": top_m - half_m}
    raw = roughness_heights_m(
        size_px, resolution_m, seed, max_wavelength_m=coarse_px_m, **where
    ) + crater_population_heights_m(
        size_px, resolution_m, seed, max_diameter_m=coarse_px_m, **where
    )
    return raw - _block_mean_lowpass(block_means_m(raw, ratio), ratio)


# ============================================================================================
# Public entry points
# ============================================================================================


def conditioned_detail(
    coarse: Dem,
    lat_deg: float,
    lon_deg: float,
    *,
    half_width_m: float,
    resolution_m: float,
    seed: int = 0,
) -> Dem:
    """A fine DEM around a site: the real coarse DEM's large scales plus synthetic detail.

    Parameters
    ----------
    coarse : Dem
        The real coarse DEM, e.g. ``open_dem(data_path(LOLA_CAP_DEM)).read()`` (1600 m).
    lat_deg, lon_deg : float
        The site [degrees, planetocentric latitude, east longitude]; the grid is centred on
        it (to the nearest fine pixel edge).
    half_width_m : float
        Half the side of the square grid [m, projected].
    resolution_m : float
        Fine pixel size [m]; it must divide the coarse pixel (at least twice) and the coarse
        grid's corner, so that fine pixel edges lie on multiples of ``resolution_m`` and
        every coarse pixel is tiled by whole fine pixels.
    seed : int
        Seed of the synthetic detail, 0..2^63-1 (the same seed and place, the same detail).

    Returns
    -------
    Dem
        Heights [m above the 1 737 400 m sphere], float64. Over every coarse pixel wholly
        inside it, the mean of its fine pixels equals the coarse height within
        :data:`BLOCK_MEAN_TOLERANCE_M`. The detail holds roughness of wavelengths up to the
        coarse pixel and craters from three fine pixels up to the coarse pixel; zero means
        over every coarse pixel leave a transition from one to four coarse pixels, beyond
        which the detail is near zero (below 0.3 % of its power).
        ``metadata``: ``synthetic="true"``,
        ``synthetic_kind``, ``seed``, ``cutoff_wavelength_m`` and the coarse provenance.

    Notes
    -----
    The detail below the coarse pixel is NOT real: it has the statistics of lunar
    highlands (Rosenburg et al. 2011; the equilibrium crater population of Gault 1970 and
    Minton et al. 2019; Pike's fresh-crater shapes), not the real small craters of the
    site. See :mod:`ilrs.terrain.synthetic` for these models and their references.
    """
    ratio, size_px = _check_inputs(coarse, half_width_m, resolution_m, seed)
    resolution_m = float(resolution_m)
    coarse_px_m = coarse.pixel_size_m
    x_m, y_m = (float(v) for v in polar_xy_from_latlon(lat_deg, lon_deg))
    left_m = round((x_m - 0.5 * size_px * resolution_m) / resolution_m) * resolution_m
    top_m = round((y_m + 0.5 * size_px * resolution_m) / resolution_m) * resolution_m
    t = coarse.transform
    # Fine pixels from the coarse grid's top-left corner to the window's (whole numbers).
    first_col_px = round((left_m - t.c) / resolution_m)
    first_row_px = round((t.f - top_m) / resolution_m)
    coarse_rows, coarse_cols = coarse.shape
    if (
        first_col_px < 0
        or first_row_px < 0
        or first_col_px + size_px > coarse_cols * ratio
        or first_row_px + size_px > coarse_rows * ratio
    ):
        raise InputError(
            f"the fine grid around {lat_deg}°, {lon_deg}° ({size_px} px of {resolution_m:g} "
            f"m) reaches beyond the coarse DEM ({coarse.describe_extent()}); use a smaller "
            "half_width_m or a site further inside"
        )

    height_m = _histopolating_spline(coarse, ratio, first_row_px, first_col_px, size_px)

    # Detail on whole coarse pixels with one pixel of margin (the low-pass's neighbours).
    first_block_row = first_row_px // ratio - 1
    first_block_col = first_col_px // ratio - 1
    last_block = max(
        (first_row_px + size_px - 1) // ratio - first_block_row,
        (first_col_px + size_px - 1) // ratio - first_block_col,
    )
    blocks = last_block + 2
    detail = _detail(
        t.c + first_block_col * coarse_px_m,
        t.f - first_block_row * coarse_px_m,
        ratio,
        resolution_m,
        blocks,
        int(seed),
    )
    row0 = first_row_px - first_block_row * ratio
    col0 = first_col_px - first_block_col * ratio
    height_m += detail[row0 : row0 + size_px, col0 : col0 + size_px]

    provenance = {key: str(value).strip('"') for key, value in coarse.metadata.items()}
    coarse_source = provenance.get("source", "unnamed coarse DEM")
    if "product_id" in provenance:  # e.g. "LDEM_256 (lola_dem_south.tif)"
        coarse_source = f"{provenance['product_id']} ({coarse_source})"
    metadata = {
        "synthetic": "true",
        "synthetic_kind": f"detail conditioned on {coarse_source}",
        "source": f"{coarse_source} + synthetic detail below {coarse_px_m:g} m",
        "note": (
            f"NOT real topography below {coarse_px_m:g} m: the real coarse DEM "
            f"({coarse_source}) as a mean-preserving C2 spline plus synthetic roughness and "
            "craters with lunar statistics; the means over each coarse pixel are the real "
            "heights, the small craters and roughness are invented"
        ),
        "seed": str(int(seed)),
        "cutoff_wavelength_m": f"{coarse_px_m:g}",
        "coarse_pixel_m": f"{coarse_px_m:g}",
        "resolution_m": f"{resolution_m:g}",
        "block_mean_tolerance_m": f"{BLOCK_MEAN_TOLERANCE_M:g}",
        "site_lat_deg": f"{float(lat_deg):.6f}",
        "site_lon_deg": f"{float(lon_deg):.6f}",
        "generator": "ilrs.terrain.conditioned.conditioned_detail",
        "generator_version": CONDITIONED_DETAIL_VERSION,
        "height_reference": f"sphere of radius {MOON_RADIUS_M:.0f} m",
        **{f"coarse_{key}": value for key, value in sorted(provenance.items())},
    }
    transform = Affine(resolution_m, 0.0, left_m, 0.0, -resolution_m, top_m)
    return Dem(height_m, transform, crs=coarse.crs, metadata=metadata)


def write_conditioned_detail(path: str | Path, dem: Dem) -> Path:
    """Write a :func:`conditioned_detail` grid as a GeoTIFF (float32 heights) whose tags
    carry its metadata: ``SYNTHETIC=true``, ``SYNTHETIC_KIND``, the seed, the cutoff and the
    coarse source's provenance."""
    if not dem.synthetic or "synthetic_kind" not in dem.metadata:
        raise InputError("write_conditioned_detail writes the Dem that conditioned_detail made")
    return write_geotiff(
        path,
        dem.height_m,
        dem.transform,
        crs=dem.crs,
        band_descriptions=["height_m above the 1737400 m sphere (synthetic detail, real means)"],
        tags=dem.metadata,
    )
