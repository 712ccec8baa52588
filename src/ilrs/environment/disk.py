"""How much of a bright disk (the Sun, the Earth) shows above a horizon line.

Across a disk a fraction of a degree wide the horizon is taken as a straight line: the
horizon elevation at the disk centre's azimuth, tilted by the horizon's slope there. The
visible part is then a circular segment of the disk.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["centre_margin_deg", "disk_fraction", "visible_disk_fraction"]


@numba.njit(cache=True, inline="always", error_model="numpy")
def disk_fraction(x):
    """Visible fraction of a disk whose centre stands ``x`` radii above a straight horizon
    line (negative below): 1 - (acos x - x sqrt(1 - x^2)) / pi on -1..1."""
    if x >= 1.0:
        return 1.0
    if x <= -1.0:
        return 0.0
    return 1.0 - (math.acos(x) - x * math.sqrt(1.0 - x * x)) / math.pi


def centre_margin_deg(elevation_deg, horizon_deg, horizon_slope, *, elevation_for_slope_deg):
    """Distance [deg on the sky] of a disk centre above the tilted horizon line.

    ``horizon_slope`` is the horizon's rise per degree of azimuth; a degree of azimuth spans
    cos(elevation) degrees on the sky, so the line's slope on the sky is larger by sec(e).
    """
    sky_slope = np.asarray(horizon_slope) / np.cos(np.radians(elevation_for_slope_deg))
    return (np.asarray(elevation_deg) - np.asarray(horizon_deg)) / np.sqrt(1.0 + sky_slope**2)


def visible_disk_fraction(centre_margin_deg, radius_deg) -> np.ndarray:
    """Visible fraction (0..1) of disks of angular radius ``radius_deg`` whose centres stand
    ``centre_margin_deg`` above the horizon line (see :func:`centre_margin_deg`)."""
    x = np.asarray(centre_margin_deg, dtype=float) / np.asarray(radius_deg, dtype=float)
    x = np.clip(x, -1.0, 1.0)
    return 1.0 - (np.arccos(x) - x * np.sqrt(1.0 - x * x)) / np.pi
