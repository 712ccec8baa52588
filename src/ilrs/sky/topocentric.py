"""Where a body stands in the sky of a point on the Moon.

Sites are given by planetocentric latitude, east longitude and height above the
1 737 400 m sphere, fixed in MOON_ME. Directions are apparent (light time and stellar
aberration, the observer moving with the Moon's rotation), azimuth clockwise from local
north, elevation above the plane normal to the radius vector (DESIGN.md conventions).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ilrs.errors import InputError
from ilrs.sky.apparent import apparent_position
from ilrs.sky.constants import BODY_RADIUS_M, MOON_RADIUS_M
from ilrs.sky.ephemeris import Ephemeris, default_ephemeris, naif_id
from ilrs.sky.geometry import check_sites, local_axes, sphere_point_m
from ilrs.sky.timescale import as_times

__all__ = [
    "LunarObserver",
    "SkyPosition",
    "angular_radius_deg",
    "illuminated_fraction",
    "site_vector_m",
    "subpoint",
    "topocentric",
]


class SkyPosition(NamedTuple):
    """Apparent topocentric direction and distance; arrays of shape ``sites + times``."""

    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    distance_m: np.ndarray


def topocentric(
    body: str,
    lat_deg,
    lon_deg,
    times,
    height_m=0.0,
    *,
    ephemeris: Ephemeris | None = None,
) -> SkyPosition:
    """Apparent azimuth, elevation and distance of ``body`` from sites on the Moon.

    Parameters
    ----------
    body : str
        ``"sun"``, ``"earth"``, or a planet (``"mars"``, ``"jupiter"`` ...).
    lat_deg, lon_deg : float or array
        Planetocentric latitude [degrees, -90..90] and east longitude [degrees] of the sites
        (broadcast together with ``height_m`` into the site shape ``S``).
    times : str, sequence of str, datetime, datetime64 array or :class:`Times`
        UTC instants (shape ``T``).
    height_m : float or array
        Height above the 1 737 400 m sphere [m].

    Returns
    -------
    SkyPosition
        ``azimuth_deg`` (clockwise from local north, 0..360), ``elevation_deg`` and
        ``distance_m`` (light-time corrected), each of shape ``S + T`` (``T`` alone for a
        single site).

    Notes
    -----
    At the poles "north" is the direction along the given meridian ``lon_deg`` (towards
    the equator at the south pole), the limit of local north as one approaches the pole
    along that meridian. For several bodies at the same sites and times,
    :class:`LunarObserver` computes the Moon's state and orientation once.
    """
    return LunarObserver(lat_deg, lon_deg, times, height_m, ephemeris=ephemeris).topocentric(body)


def angular_radius_deg(body: str, distance_m) -> np.ndarray:
    """Apparent angular radius [degrees] of ``body`` (its mean radius) at ``distance_m``."""
    naif_id(body)
    radius_m = BODY_RADIUS_M[body.strip().lower()]
    return np.degrees(np.arcsin(np.clip(radius_m / np.asarray(distance_m), 0.0, 1.0)))


def illuminated_fraction(
    body: str, lat_deg, lon_deg, times, height_m=0.0, *, ephemeris: Ephemeris | None = None
) -> np.ndarray:
    """Fraction of ``body``'s disk that is sunlit as seen from the sites (the phase).

    ``(1 + cos α) / 2`` for the phase angle α at the body between the Sun and the observer;
    for the Earth seen from the Moon, the "Earth phase" (1 = full Earth). Shape ``S + T``.
    """
    observer = LunarObserver(lat_deg, lon_deg, times, height_m, ephemeris=ephemeris)
    return observer.illuminated_fraction(body)


def subpoint(
    body: str, times, *, ephemeris: Ephemeris | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and east longitude [degrees] of the point on the Moon below ``body``.

    The point where the apparent direction of ``body`` seen from the Moon's centre crosses
    the surface: the sub-solar point for the Sun, the sub-Earth point (the optical
    libration) for the Earth. Longitudes in -180..180.
    """
    centre = LunarObserver(0.0, 0.0, times, -MOON_RADIUS_M, ephemeris=ephemeris)
    apparent_me = centre.apparent_in_moon_frame(body)
    x, y, z = np.moveaxis(apparent_me, -1, 0)
    lat_deg = np.degrees(np.arctan2(z, np.hypot(x, y)))
    lon_deg = np.degrees(np.arctan2(y, x))
    return lat_deg, lon_deg


def site_vector_m(lat_deg, lon_deg, height_m=0.0) -> np.ndarray:
    """MOON_ME position [m] of sites on the 1 737 400 m sphere; shape ``S + (3,)``."""
    lat_rad, lon_rad, radius_m = check_sites(lat_deg, lon_deg, height_m)
    return sphere_point_m(lat_rad, lon_rad, radius_m)


class LunarObserver:
    """Sites fixed in MOON_ME at a set of times, with the Moon's state and orientation
    computed once for every body asked about.

    ``LunarObserver(lat_deg, lon_deg, times, height_m)`` takes the arguments of
    :func:`topocentric`; its methods take the body.
    """

    def __init__(
        self, lat_deg, lon_deg, times, height_m=0.0, *, ephemeris: Ephemeris | None = None
    ):
        self.ephemeris = ephemeris or default_ephemeris()
        self.lat_rad, self.lon_rad, radius_m = check_sites(lat_deg, lon_deg, height_m)
        self.times = as_times(times)
        self.ephemeris.check_span(self.times.tdb_s)
        site_me_m = sphere_point_m(self.lat_rad, self.lon_rad, radius_m)
        tdb_s = self.times.tdb_s
        self._me_to_icrf, me_to_icrf_rate = self.ephemeris.moon_me_to_icrf(tdb_s)
        moon_position_m, moon_velocity_m_s = self.ephemeris.state_m("moon", tdb_s)
        self._observer_position_m = moon_position_m + _rotate(self._me_to_icrf, site_me_m)
        self._observer_velocity_m_s = moon_velocity_m_s + _rotate(me_to_icrf_rate, site_me_m)
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def topocentric(self, body: str) -> SkyPosition:
        """Apparent azimuth, elevation and distance of ``body`` (see :func:`topocentric`)."""
        apparent_me = self.apparent_in_moon_frame(body)
        east, north, up = local_axes(self.lat_rad, self.lon_rad)
        to_time_axes = (...,) + (None,) * self.times.tdb_s.ndim + (slice(None),)
        east_m = np.sum(apparent_me * east[to_time_axes], axis=-1)
        north_m = np.sum(apparent_me * north[to_time_axes], axis=-1)
        up_m = np.sum(apparent_me * up[to_time_axes], axis=-1)
        distance_m = np.linalg.norm(apparent_me, axis=-1)
        azimuth_deg = np.degrees(np.arctan2(east_m, north_m)) % 360.0
        elevation_deg = np.degrees(np.arcsin(np.clip(up_m / distance_m, -1.0, 1.0)))
        return SkyPosition(azimuth_deg, elevation_deg, distance_m)

    def apparent_icrf(self, body: str) -> tuple[np.ndarray, np.ndarray]:
        """Apparent position [m] of ``body`` in ICRF axes, and the light time [s]."""
        key = body.strip().lower()
        if naif_id(key) == naif_id("moon"):
            raise InputError("the observer stands on the Moon; choose another body")
        if key not in self._cache:

            def target_state(tdb_s):
                return self.ephemeris.state_m(key, tdb_s)

            self._cache[key] = apparent_position(
                target_state,
                self._observer_position_m,
                self._observer_velocity_m_s,
                self.times.tdb_s,
            )
        return self._cache[key]

    def apparent_in_moon_frame(self, body: str) -> np.ndarray:
        """Apparent position [m] of ``body`` in MOON_ME axes at the observation time."""
        apparent_m, _ = self.apparent_icrf(body)
        # ICRF -> MOON_ME is the transpose of MOON_ME -> ICRF.
        return np.einsum("...ji,...j->...i", self._me_to_icrf, apparent_m)

    def illuminated_fraction(self, body: str) -> np.ndarray:
        """Sunlit fraction of ``body``'s disk seen from the sites (see the function)."""
        if body.strip().lower() == "sun":
            raise InputError("the Sun shines by itself; illuminated fraction is for other bodies")
        apparent_m, light_time_s = self.apparent_icrf(body)
        # The body where the light left it, and the Sun then: a light time of the Sun's own
        # (minutes) moves the phase angle by under 0.01 deg, so one emission time serves.
        emission_tdb_s = self.times.tdb_s - light_time_s
        body_position_m, _ = self.ephemeris.state_m(body, emission_tdb_s)
        sun_position_m, _ = self.ephemeris.state_m("sun", emission_tdb_s)
        to_sun = sun_position_m - body_position_m
        to_observer = self._observer_position_m - body_position_m
        cos_phase = np.sum(to_sun * to_observer, axis=-1) / (
            np.linalg.norm(to_sun, axis=-1) * np.linalg.norm(to_observer, axis=-1)
        )
        return 0.5 * (1.0 + cos_phase)


def _rotate(matrices: np.ndarray, site_vectors: np.ndarray) -> np.ndarray:
    """Apply per-time matrices (``T + (3, 3)``) to per-site vectors (``S + (3,)``).

    Returns ``S + T + (3,)``.
    """
    time_ndim = matrices.ndim - 2
    expanded = site_vectors.reshape(site_vectors.shape[:-1] + (1,) * time_ndim + (3,))
    return np.einsum("...ij,...j->...i", matrices, expanded)
