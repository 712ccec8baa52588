"""The LOLA south polar DEM products at the PDS Geosciences Node, and what each covers.

Each product is a square south polar stereographic grid centred on the pole (the pole is
the point between its four central pixels), so it holds every point within half its width
of the pole: its *coverage*. A terrain stack takes, for a site, the finest product that
holds the site's near field, then coarser ones for the rings beyond
(:mod:`ilrs.terrain.lola_stack`).

Source of the list: the LOLA GDR polar products of data set LRO-L-LOLA-4-GDR-V1.0
(volume LROLOL_1XXX, ``DATA/LOLA_GDR/POLAR/IMG/``; the naming ``LDEM_<lat><N|S>_<m>M`` is
described in the LOLA RDR/GDR SIS, Neumann 2011, ``document/rdrsis.pdf`` of that volume).
What was verified, and how: this module was written without access to the node itself.
The names and grids below agree between independent public descriptions of that folder
(a directory-listing report with the files' byte counts, which are exactly
``lines² × 2`` bytes for the 16-bit products; a table of the finest products' grids; code
and READMEs fetching ``ldem_*.lbl``/``.img`` from the node). Where a grid rests on fewer
sources it says so. Whatever the catalogue says, a fetch reads the real label and uses
*its* grid; the catalogue only plans which products to ask for (no network needed).
The 32-bit ``_FLOAT`` twins (``float_img/``) have the same grids and twice the bytes;
the stack uses the 16-bit products (0.5 m per DN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from affine import Affine

from ilrs.errors import InputError, UnknownNameError
from ilrs.terrain.grid import MOON_RADIUS_M

__all__ = [
    "LOLA_SOUTH_POLAR_PRODUCTS",
    "LolaPolarProduct",
    "lola_south_polar_product",
]


@dataclass(frozen=True)
class LolaPolarProduct:
    """One LOLA south polar DEM product as the node publishes it.

    Attributes
    ----------
    name : str
        Product name, e.g. ``LDEM_875S_5M`` (the file stem, upper case).
    pixel_size_m : float
        ``MAP_SCALE`` [m per pixel], true at the pole.
    nominal_latitude_deg : float
        The latitude the name says it covers to (-87.5 for ``875S``).
    lines_px : int
        Rows (= columns) of its square grid.
    """

    name: str
    pixel_size_m: float
    nominal_latitude_deg: float
    lines_px: int

    @property
    def half_width_m(self) -> float:
        """Distance [m, on the grid] from the pole to the grid's edges."""
        return self.lines_px * self.pixel_size_m / 2.0

    @property
    def covered_latitude_deg(self) -> float:
        """Latitude of the grid's inscribed circle: all of the cap poleward of it is inside.

        Slightly poleward of the nominal latitude when the grid is a little smaller than the
        nominal cap (LDEM_75S_30M: 74.999°S)."""
        return math.degrees(2.0 * math.atan(self.half_width_m / (2.0 * MOON_RADIUS_M))) - 90.0

    @property
    def transform(self) -> Affine:
        """North-up pixel-corner transform [m]: the pole at the grid's centre, as the labels'
        ``LINE/SAMPLE_PROJECTION_OFFSET = lines/2 - 0.5`` say."""
        half = self.half_width_m
        return Affine(self.pixel_size_m, 0.0, -half, 0.0, -self.pixel_size_m, half)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.lines_px, self.lines_px)


def _product(lat_code: str, latitude_deg: float, pixel_size_m: int, lines_px: int):
    return LolaPolarProduct(
        f"LDEM_{lat_code}S_{pixel_size_m}M", float(pixel_size_m), latitude_deg, lines_px
    )


# Finest first within each cap. Grid sizes: the byte counts of the 16-bit images in the
# node's listing (lines² × 2 bytes) for 87.5S, 85S, 80S and 75S (except 75S_30M, whose
# 30 496 px come from a published table of the finest products and agree with the halvings
# 15 248 / 7 624 / 3 812 of the listed 60, 120 and 240 m products). The 60S products: the
# 60 m grid (31 040 px) from that same table, the 120 m and 240 m names from code that
# fetches them from the node, their grids taken as the halvings (15 520, 7 760): the least
# verified rows, used only for sites far from the pole.
LOLA_SOUTH_POLAR_PRODUCTS: tuple[LolaPolarProduct, ...] = (
    _product("875", -87.5, 5, 30336),
    _product("85", -85.0, 10, 30336),
    _product("85", -85.0, 20, 15168),
    _product("85", -85.0, 40, 7584),
    _product("80", -80.0, 20, 30400),
    _product("80", -80.0, 40, 15200),
    _product("80", -80.0, 80, 7600),
    _product("75", -75.0, 30, 30496),
    _product("75", -75.0, 60, 15248),
    _product("75", -75.0, 120, 7624),
    _product("75", -75.0, 240, 3812),
    _product("60", -60.0, 60, 31040),
    _product("60", -60.0, 120, 15520),
    _product("60", -60.0, 240, 7760),
)


def lola_south_polar_product(name: str) -> LolaPolarProduct:
    """A catalogued product by name (any case), e.g. ``"ldem_80s_20m"``."""
    key = name.strip().upper()
    for product in LOLA_SOUTH_POLAR_PRODUCTS:
        if product.name == key:
            return product
    known = ", ".join(product.name for product in LOLA_SOUTH_POLAR_PRODUCTS)
    if not key:
        raise InputError(f"empty product name; known products: {known}")
    raise UnknownNameError(f"unknown LOLA south polar product {name!r}; known: {known}")
