"""Compiled kernel of the PSR map: each pixel's best clearance of the Sun's upper limb
over its horizon, across a set of Sun directions (see :mod:`ilrs.environment.psr`)."""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _first_band_at_or_after(bearings_deg, bearing_deg, guess):
    """Index of the first band bearing >= ``bearing_deg`` (``count`` past the last),
    walking from the previous answer: consecutive Sun directions are close in bearing."""
    count = bearings_deg.size
    index = min(max(guess, 0), count)
    while index > 0 and bearings_deg[index - 1] >= bearing_deg:
        index -= 1
    while index < count and bearings_deg[index] < bearing_deg:
        index += 1
    return index


@numba.njit(cache=True, nogil=True)
def _horizon_at(horizon_deg, bearings_deg, bearing_deg, low):
    """The horizon [deg] at a grid bearing, linear between the sorted band bearings and
    across 0/360; ``low`` is the first band at or after the bearing."""
    count = bearings_deg.size
    after = low % count
    before = (low - 1) % count
    start_deg, end_deg = bearings_deg[before], bearings_deg[after]
    span_deg = (end_deg - start_deg) % 360.0
    if span_deg == 0.0:
        return horizon_deg[before]
    weight = ((bearing_deg - start_deg) % 360.0) / span_deg
    return horizon_deg[before] + weight * (horizon_deg[after] - horizon_deg[before])


@numba.njit(cache=True, nogil=True)
def best_clearance_kernel(
    horizon_deg: np.ndarray,  # (pixels, bands), bands sorted by bearing
    bearings_deg: np.ndarray,  # (bands,) grid bearings, increasing in 0..360
    east: np.ndarray,  # (pixels, 3) unit vectors whose azimuth zero is grid north
    north: np.ndarray,  # (pixels, 3)
    up: np.ndarray,  # (pixels, 3)
    directions: np.ndarray,  # (K, 3) unit MOON_ME vectors to the Sun
    radius_deg: np.ndarray,  # (K,) the Sun's angular radius
    enough_deg: float,  # stop a pixel's search once the clearance reaches this
    out: np.ndarray,  # (pixels,) highest elevation of the upper limb above the horizon
) -> None:
    for pixel in range(horizon_deg.shape[0]):
        if math.isnan(horizon_deg[pixel, 0]):
            out[pixel] = np.nan
            continue
        best = -np.inf
        lowest_horizon_deg = horizon_deg[pixel].min()
        band = 0
        for k in range(directions.shape[0]):
            dx, dy, dz = directions[k, 0], directions[k, 1], directions[k, 2]
            sin_elevation = dx * up[pixel, 0] + dy * up[pixel, 1] + dz * up[pixel, 2]
            elevation_deg = math.degrees(math.asin(min(1.0, max(-1.0, sin_elevation))))
            upper_limb_deg = elevation_deg + radius_deg[k]
            if upper_limb_deg - lowest_horizon_deg <= best:
                continue  # cannot beat the best even over the lowest horizon
            to_east = dx * east[pixel, 0] + dy * east[pixel, 1] + dz * east[pixel, 2]
            to_north = dx * north[pixel, 0] + dy * north[pixel, 1] + dz * north[pixel, 2]
            bearing_deg = math.degrees(math.atan2(to_east, to_north)) % 360.0
            band = _first_band_at_or_after(bearings_deg, bearing_deg, band)
            clearance = upper_limb_deg - _horizon_at(
                horizon_deg[pixel], bearings_deg, bearing_deg, band
            )
            if clearance > best:
                best = clearance
                if best >= enough_deg:
                    break
        out[pixel] = best
