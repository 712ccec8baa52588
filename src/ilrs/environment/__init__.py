"""Lighting and visibility: how much of the Sun and the Earth a point of the south pole
sees, when, and for how long it goes without; for one site and for whole maps.

Built on the sky engine (where the Sun, the Earth and the ground stations are) and the
terrain engine (the horizon every pixel sees). Public surface::

    from ilrs.environment import HorizonLine, analyze_site
    horizon = HorizonLine.from_dem(dem, -89.45, 222.69, height_above_ground_m=2.0)
    result = analyze_site(horizon, -89.45, 222.69, utc_range("2026-01-01", "2027-01-01", "1h"))
    result.summary()["sunlit_fraction"]
"""

from ilrs.environment.disk import visible_disk_fraction
from ilrs.environment.intervals import Interval, intervals_where, longest_interval
from ilrs.environment.profile import HorizonLine, read_horizon_csv
from ilrs.environment.site import SiteAnalysis, analyze_site

__all__ = [
    "HorizonLine",
    "Interval",
    "SiteAnalysis",
    "analyze_site",
    "intervals_where",
    "longest_interval",
    "read_horizon_csv",
    "visible_disk_fraction",
]
