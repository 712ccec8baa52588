"""How much a site's figures move within the terrain pixel it stands on.

A DEM pixel of a kilometre smooths the ridge a lander stands on: the figures at one
point of it are one draw of many. Where the site's terrain is coarser than
``COARSE_PIXEL_M``, the figures are recomputed at the 8 points one pixel away (in each
direction of the grid) and from higher up at the site, and their range is reported
beside the site's own, so a reader sees how far the answer can be trusted.
"""

from __future__ import annotations

import numpy as np

from ilrs.errors import InputError

__all__ = ["FIGURES", "pixel_spread", "terrain_caveats"]

FIGURES = ("sunlit_fraction", "sun_any_fraction", "longest_darkness_h", "earth_visible_fraction")

# How far above a coarse pixel's height the ground a lander stands on may be: a 1600 m
# pixel averages a ridge crest away. At the three real ridge and rim sites finer LOLA
# stands 40-163 m above the embedded 1600 m cap (data/real_horizons/sites.csv against the
# cap's bilinear heights; on Shackleton's floor it is 33 m below).
CREST_ALLOWANCE_M = 100.0


def pixel_spread(
    stack, lat_deg: float, lon_deg: float, height_m: float, times, max_distance_m=None
) -> dict | None:
    """The minimum and maximum of :data:`FIGURES` over the site and the 8 points one pixel
    of its terrain away, from ``height_m`` above the ground, and at the site from
    :data:`CREST_ALLOWANCE_M` higher (a crest the pixel hides); None on terrain of pixels
    no coarser than the stack's ``COARSE_PIXEL_M`` (100 m). Horizons reach
    ``max_distance_m`` (the stack's default when None), as the site's own; a neighbour
    off the terrain is left out, and ``points`` says how many were counted."""
    from ilrs.environment.profile import HorizonLine
    from ilrs.environment.site import analyze_site
    from ilrs.terrain import latlon_from_polar_xy, polar_xy_from_latlon
    from ilrs.terrain.stack import COARSE_PIXEL_M

    pixel_m = stack.layer_at(lat_deg, lon_deg).pixel_m
    if pixel_m <= COARSE_PIXEL_M:
        return None
    x_m, y_m = (float(v) for v in polar_xy_from_latlon(lat_deg, lon_deg))
    values: dict[str, list[float]] = {name: [] for name in FIGURES}
    offsets = [(dx, dy, height_m) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    offsets.append((0, 0, height_m + CREST_ALLOWANCE_M))
    counted = 0
    for dx, dy, above_m in offsets:
        points = latlon_from_polar_xy(x_m + dx * pixel_m, y_m + dy * pixel_m)
        lat, lon = (float(v) for v in points)
        try:
            line = HorizonLine.from_stack(
                stack, lat, lon, height_above_ground_m=above_m, max_distance_m=max_distance_m
            )
        except InputError:
            continue  # a neighbour beyond the terrain's edge or on its nodata
        counted += 1
        figures = analyze_site(
            line, lat, lon, times, height_m=line.ground_m + above_m, stations=[]
        ).summary()
        for name in FIGURES:
            values[name].append(float(figures[name]))
    return {
        "why": (
            f"the terrain at the site has {pixel_m:g} m pixels (coarser than "
            f"{COARSE_PIXEL_M:g} m): ridges and rims are smoothed, so the figures are given "
            "with their range over the site and the 8 points one pixel away, and from "
            f"{CREST_ALLOWANCE_M:g} m higher at the site (a crest the pixel averages away)"
        ),
        "pixel_m": pixel_m,
        "points": counted,
        **{name: [float(np.min(v)), float(np.max(v))] for name, v in values.items()},
    }


def terrain_caveats(
    stack, line, lat_deg: float, lon_deg: float, height_m: float, times, max_distance_m=None
) -> dict:
    """What a site's figures stand on, for its summary: the stack (its label, layers and
    whether any is synthetic), the ground under the observer, where the horizon ran out
    of terrain (``horizon_note``) and, on coarse terrain, the figures' ``spread``."""
    caveats = {
        "terrain": stack.label,
        "terrain_layers": stack.describe(),
        "synthetic": stack.synthetic,
        "ground_m": round(line.ground_m, 1),
    }
    if line.note:
        caveats["horizon_note"] = line.note
    spread = pixel_spread(stack, lat_deg, lon_deg, height_m, times, max_distance_m)
    if spread is not None:
        caveats["spread"] = spread
    return caveats
