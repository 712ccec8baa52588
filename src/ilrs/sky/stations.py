"""Ground stations on Earth, and whether they see a point on the Moon.

Stations are fixed in the ITRF. The Earth's orientation is the IAU 2006/2000A
celestial-to-terrestrial matrix of ERFA (``c2t06a``; IERS Conventions 2010, chapter 5)
with UT1 taken as UTC and no polar motion: for dates ahead nobody knows either, and
|UT1 − UTC| < 0.9 s keeps the error below 0.004° of rotation, far inside any mask margin.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import NamedTuple

import erfa
import numpy as np

from ilrs.data import read_table
from ilrs.errors import DataFileError, InputError, UnknownNameError
from ilrs.sky.apparent import apparent_position
from ilrs.sky.constants import EARTH_ROTATION_RATE_RAD_S
from ilrs.sky.ephemeris import Ephemeris, default_ephemeris
from ilrs.sky.geometry import check_sites, local_axes, sphere_point_m
from ilrs.sky.timescale import as_times, tt_jd, utc_jd
from ilrs.sky.topocentric import LunarObserver, SkyPosition

__all__ = [
    "GroundStation",
    "StationView",
    "ground_station",
    "ground_stations",
    "itrs_to_icrf",
    "station_view",
    "stations_from_moon",
]

_WGS84 = 1  # ERFA's ellipsoid identifier for WGS84


@dataclass(frozen=True)
class GroundStation:
    """A ground antenna on Earth fixed in the ITRF, with its elevation mask."""

    name: str
    label: str
    operator: str
    itrf_m: tuple[float, float, float]
    dish_diameter_m: float
    elevation_mask_deg: float
    source: str

    @property
    def geodetic(self) -> tuple[float, float, float]:
        """WGS84 geodetic latitude [deg], east longitude [deg] and height [m]."""
        lon_rad, lat_rad, height_m = erfa.gc2gd(_WGS84, np.array(self.itrf_m))
        return float(np.degrees(lat_rad)), float(np.degrees(lon_rad)), float(height_m)


class StationView(NamedTuple):
    """A lunar site seen from a ground station; arrays over time."""

    azimuth_deg: np.ndarray  # clockwise from geodetic north
    elevation_deg: np.ndarray  # above the plane normal to the WGS84 ellipsoid
    distance_m: np.ndarray  # light-time corrected
    above_mask: np.ndarray  # elevation >= the station's mask


@functools.lru_cache(maxsize=1)
def ground_stations() -> dict[str, GroundStation]:
    """The built-in ground stations (``ilrs/data/ground_stations.csv``) by name."""
    stations = {}
    for line, row in enumerate(read_table("ground_stations.csv"), start=2):
        try:
            stations[row["name"]] = _station_from_row(row)
        except ValueError as error:
            raise DataFileError(f"ground_stations.csv, line {line}: {error}") from error
    return stations


def _station_from_row(row: dict[str, str]) -> GroundStation:
    if row["itrf_x_m"]:
        itrf_m = tuple(float(row[key]) for key in ("itrf_x_m", "itrf_y_m", "itrf_z_m"))
    else:
        lat_rad = np.radians(float(row["lat_deg"]))
        lon_rad = np.radians(float(row["lon_deg"]))
        itrf_m = tuple(erfa.gd2gc(_WGS84, lon_rad, lat_rad, float(row["height_m"])).tolist())
    return GroundStation(
        name=row["name"],
        label=row["label"],
        operator=row["operator"],
        itrf_m=itrf_m,
        dish_diameter_m=float(row["dish_diameter_m"]),
        elevation_mask_deg=float(row["elevation_mask_deg"]),
        source=row["source"],
    )


def ground_station(name: str | GroundStation) -> GroundStation:
    """A built-in ground station by name; the error lists the known names."""
    if isinstance(name, GroundStation):
        return name
    stations = ground_stations()
    key = name.strip().lower()
    if key not in stations:
        raise UnknownNameError(
            f"unknown ground station {name!r}; known stations: {', '.join(stations)}"
        )
    return stations[key]


def itrs_to_icrf(tdb_s: np.ndarray) -> np.ndarray:
    """Matrices turning ITRS vectors into GCRS/ICRF vectors; shape ``tdb_s.shape + (3, 3)``.

    The last few sets of instants are remembered: each ground station over the same period
    needs the same matrices, and the full precession-nutation costs some 40 us an instant.
    """
    tdb_s = np.ascontiguousarray(tdb_s, dtype=float)
    key = (tdb_s.shape, hashlib.blake2b(tdb_s.tobytes(), digest_size=16).digest())
    if key not in _EARTH_ORIENTATION:
        if len(_EARTH_ORIENTATION) >= 4:
            _EARTH_ORIENTATION.pop(next(iter(_EARTH_ORIENTATION)))
        _EARTH_ORIENTATION[key] = _itrs_to_icrf(tdb_s)
        _EARTH_ORIENTATION[key].flags.writeable = False
    return _EARTH_ORIENTATION[key]


_EARTH_ORIENTATION: dict[tuple, np.ndarray] = {}


def _itrs_to_icrf(tdb_s: np.ndarray) -> np.ndarray:
    tt1, tt2 = tt_jd(tdb_s)
    ut1, ut2 = utc_jd(tdb_s)  # UT1 taken as UTC: see the module docstring
    celestial_to_terrestrial = erfa.c2t06a(tt1, tt2, ut1, ut2, 0.0, 0.0)
    return np.swapaxes(celestial_to_terrestrial, -1, -2)


def station_view(
    station: str | GroundStation,
    lat_deg: float,
    lon_deg: float,
    times,
    height_m: float = 0.0,
    *,
    ephemeris: Ephemeris | None = None,
) -> StationView:
    """Where a point on the Moon stands in a ground station's sky, and whether it clears
    the station's elevation mask.

    Parameters
    ----------
    station : str or GroundStation
        A built-in station name (``ilrs stations`` lists them) or a station.
    lat_deg, lon_deg, height_m : float
        The lunar site: planetocentric latitude and east longitude [degrees] and height
        above the 1 737 400 m sphere [m], fixed in MOON_ME.
    times : str, sequence of str or :class:`Times`
        UTC instants.

    Returns
    -------
    StationView
        Apparent azimuth/elevation of the site from the station (light time, aberration),
        distance, and ``above_mask``.
    """
    station = ground_station(station)
    ephemeris = ephemeris or default_ephemeris()
    lat_rad, lon_rad, radius_m = check_sites(lat_deg, lon_deg, height_m)
    if lat_rad.ndim:
        raise InputError("station_view takes one lunar site; call it once per site")
    site_me_m = sphere_point_m(lat_rad, lon_rad, radius_m)
    tdb_s = as_times(times).tdb_s
    ephemeris.check_span(tdb_s)

    itrs_m = np.array(station.itrf_m)
    to_icrf = itrs_to_icrf(tdb_s)
    earth_position_m, earth_velocity_m_s = ephemeris.state_m("earth", tdb_s)
    spin_m_s = EARTH_ROTATION_RATE_RAD_S * np.array([-itrs_m[1], itrs_m[0], 0.0])
    observer_position_m = earth_position_m + to_icrf @ itrs_m
    observer_velocity_m_s = earth_velocity_m_s + to_icrf @ spin_m_s

    def lunar_site_state(tdb):
        me_to_icrf, me_to_icrf_rate = ephemeris.moon_me_to_icrf(tdb)
        moon_position_m, moon_velocity_m_s = ephemeris.state_m("moon", tdb)
        return moon_position_m + me_to_icrf @ site_me_m, moon_velocity_m_s + (
            me_to_icrf_rate @ site_me_m
        )

    apparent_m, _ = apparent_position(
        lunar_site_state, observer_position_m, observer_velocity_m_s, tdb_s
    )
    apparent_itrs_m = np.einsum("...ji,...j->...i", to_icrf, apparent_m)
    lat_deg_station, lon_deg_station, _ = station.geodetic
    east, north, up = local_axes(np.radians(lat_deg_station), np.radians(lon_deg_station))
    distance_m = np.linalg.norm(apparent_itrs_m, axis=-1)
    azimuth_deg = np.degrees(np.arctan2(apparent_itrs_m @ east, apparent_itrs_m @ north)) % 360
    elevation_deg = np.degrees(np.arcsin(np.clip(apparent_itrs_m @ up / distance_m, -1, 1)))
    return StationView(
        azimuth_deg, elevation_deg, distance_m, elevation_deg >= station.elevation_mask_deg
    )


def stations_from_moon(
    stations,
    lat_deg: float,
    lon_deg: float,
    times,
    height_m: float = 0.0,
    *,
    ephemeris: Ephemeris | None = None,
) -> dict:
    """Where each ground station stands in the sky of a point on the Moon: its azimuth,
    elevation and distance (a :class:`ilrs.sky.SkyPosition` per station name).

    The direction is the Earth's centre's apparent one (light time and aberration) plus the
    station's geocentric offset turned with the Earth: a station lies up to
    ``asin(6378 km / 384 400 km)`` = 0.95 deg from the centre, so the edges of its view from
    a polar site, where the Earth skims the horizon, move by hours. The offset is taken at
    the instant of observation, not 1.3 s earlier when the light left: the station moves
    under 0.6 km meanwhile, 1e-4 deg seen from the Moon.

    Parameters
    ----------
    stations : iterable of str or GroundStation
        Built-in station names or stations.
    lat_deg, lon_deg, height_m : float
        The lunar site (planetocentric, east longitude, above the 1 737 400 m sphere).
    times : str, sequence of str or :class:`Times`
        UTC instants.
    """
    observer = LunarObserver(lat_deg, lon_deg, times, height_m, ephemeris=ephemeris)
    if observer.lat_rad.ndim:
        raise InputError("stations_from_moon takes one lunar site; call it once per site")
    tdb_s = observer.times.tdb_s
    earth_icrf_m, _ = observer.apparent_icrf("earth")
    to_icrf = itrs_to_icrf(tdb_s)
    me_to_icrf, _ = observer.ephemeris.moon_me_to_icrf(tdb_s)
    east, north, up = local_axes(observer.lat_rad, observer.lon_rad)
    seen = {}
    for entry in stations:
        station = ground_station(entry)
        offset_icrf_m = to_icrf @ np.array(station.itrf_m)
        toward_me_m = np.einsum("...ji,...j->...i", me_to_icrf, earth_icrf_m + offset_icrf_m)
        distance_m = np.linalg.norm(toward_me_m, axis=-1)
        azimuth_deg = np.degrees(np.arctan2(toward_me_m @ east, toward_me_m @ north)) % 360.0
        elevation_deg = np.degrees(np.arcsin(np.clip(toward_me_m @ up / distance_m, -1, 1)))
        seen[station.name] = SkyPosition(azimuth_deg, elevation_deg, distance_m)
    return seen
