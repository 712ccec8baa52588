"""Points on the lunar sphere and their local east-north-up axes."""

from __future__ import annotations

import numpy as np

from ilrs.errors import InputError
from ilrs.sky.constants import MOON_RADIUS_M

__all__ = ["check_sites", "local_axes", "sphere_point_m"]


def sphere_point_m(lat_rad, lon_rad, radius_m) -> np.ndarray:
    """Cartesian point [m] at latitude, longitude [rad] and radius [m]; shape ``S + (3,)``."""
    cos_lat = np.cos(lat_rad)
    return radius_m[..., None] * np.stack(
        [cos_lat * np.cos(lon_rad), cos_lat * np.sin(lon_rad), np.sin(lat_rad)], axis=-1
    )


def check_sites(lat_deg, lon_deg, height_m):
    """Validate and broadcast sites; returns latitude, longitude [rad] and radius [m]."""
    lat_deg, lon_deg, height_m = np.broadcast_arrays(
        np.asarray(lat_deg, dtype=float),
        np.asarray(lon_deg, dtype=float),
        np.asarray(height_m, dtype=float),
    )
    bad_lat = ~((lat_deg >= -90.0) & (lat_deg <= 90.0))
    if np.any(bad_lat):
        value = float(lat_deg[bad_lat].ravel()[0])
        raise InputError(f"latitude {value:g} degrees is outside -90..90")
    if not np.all(np.isfinite(lon_deg)):
        raise InputError("longitude must be a finite number of degrees")
    if not np.all(np.isfinite(height_m)) or np.any(height_m < -MOON_RADIUS_M):
        raise InputError(f"height must be a finite number of metres above -{MOON_RADIUS_M:.0f}")
    return np.radians(lat_deg), np.radians(lon_deg), MOON_RADIUS_M + height_m


def local_axes(lat_rad, lon_rad):
    """East, north and up unit vectors in the body-fixed frame, well defined at the poles
    (there "north" points along the meridian ``lon_rad``)."""
    sin_lat, cos_lat = np.sin(lat_rad), np.cos(lat_rad)
    sin_lon, cos_lon = np.sin(lon_rad), np.cos(lon_rad)
    zero = np.zeros_like(lat_rad)
    east = np.stack([-sin_lon, cos_lon, zero], axis=-1)
    north = np.stack([-sin_lat * cos_lon, -sin_lat * sin_lon, cos_lat], axis=-1)
    up = np.stack([cos_lat * cos_lon, cos_lat * sin_lon, sin_lat], axis=-1)
    return east, north, up
