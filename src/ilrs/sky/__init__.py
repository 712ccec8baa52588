"""The sky engine: time, ephemerides, Moon frames, topocentric directions, ground stations.

Where are the Sun, the Earth and the planets seen from any point on the Moon, and can a
ground station on Earth see that point? Built on JPL DE421 and its lunar libration PCK,
offline. Public surface::

    from ilrs.sky import topocentric, utc_range
    sun = topocentric("sun", -89.45, 222.69, utc_range("2026-01-01", "2026-02-01", "1h"))
"""

from ilrs.sky.ephemeris import Ephemeris, default_ephemeris, naif_id
from ilrs.sky.kernels import KernelSet, default_kernels
from ilrs.sky.timescale import Times, as_times, parse_duration_s, parse_utc, utc_range
from ilrs.sky.topocentric import (
    LunarObserver,
    SkyPosition,
    angular_radius_deg,
    illuminated_fraction,
    site_vector_m,
    subpoint,
    topocentric,
)

__all__ = [
    "Ephemeris",
    "KernelSet",
    "LunarObserver",
    "SkyPosition",
    "Times",
    "angular_radius_deg",
    "as_times",
    "default_ephemeris",
    "default_kernels",
    "illuminated_fraction",
    "naif_id",
    "parse_duration_s",
    "parse_utc",
    "site_vector_m",
    "subpoint",
    "topocentric",
    "utc_range",
]
