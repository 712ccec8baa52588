"""The embedded default: the real LOLA south polar cap and its imagery, real horizons of
named sites, reference sites, ground stations, the reference scenario and the registry's
seed facts, each value with its source. The bottom layer: imports nothing above it.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from ilrs.errors import DataFileError, InputError, UnknownNameError

__all__ = ["NamedSite", "data_path", "named_site", "named_sites", "read_table"]
__all__ += ["REAL_HORIZON_HEIGHTS_M", "REAL_HORIZON_SOURCE", "real_horizon_path"]
__all__ += ["IMAGERY_HALF_WIDTH_M", "LOLA_CAP_DEM", "LOLA_SHADE_IMAGE", "WAC_MOSAIC_IMAGE"]

# The real south polar cap (lola/README.md): LOLA topography, 762 x 762 px of 1600 m, and
# two images of the same square (the LROC WAC mosaic at 400 m, LOLA shaded relief at 800 m),
# all south polar stereographic, north up, over x and y of +-609 600 m.
LOLA_CAP_DEM = "lola/lola_dem_south.tif"
WAC_MOSAIC_IMAGE = "lola/wac_south.jpg"
LOLA_SHADE_IMAGE = "lola/lola_shade_south.jpg"
IMAGERY_HALF_WIDTH_M = 609_600.0

# The real horizons of named sites (real_horizons/README.md): one profile per height above
# the ground, NAME_2m.csv and NAME_10m.csv, from lunahorizon's LOLA-derived profiles.
REAL_HORIZONS_FOLDER = "real_horizons"
REAL_HORIZON_HEIGHTS_M = (2.0, 10.0)
REAL_HORIZON_SOURCE = "LOLA-derived horizon (lunahorizon), 5–240 m layered"


def data_path(name: str) -> Path:
    """Path of an embedded data file by its name within the data folder (e.g.
    ``"ground_stations.csv"``, :data:`LOLA_CAP_DEM`)."""
    from importlib import resources  # here: its import would add to every command's start-up

    return Path(str(resources.files(__name__).joinpath(*name.split("/"))))


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of an embedded CSV table, as dicts of strings; a damaged installation (a file
    missing, not UTF-8, not CSV) is a :class:`DataFileError` naming the file and line."""
    path = data_path(name)
    line = 0
    try:
        with path.open(newline="", encoding="utf-8") as stream:
            reader = csv.DictReader(stream)
            rows = []
            for row in reader:
                line = reader.line_num
                rows.append(row)
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        where = f"{path}:{line + 1}" if line else str(path)
        raise DataFileError(f"embedded table {where}: {error}; reinstall ilrs-planner") from None


@dataclass(frozen=True)
class NamedSite:
    """A named point near the lunar south pole, with the source of its coordinates.

    ``ground_height_m`` is the LOLA height of the ground [m above the 1 737 400 m sphere]
    where the source gives one (else None); ``real_horizon`` the stem of its embedded real
    horizon profiles (``real_horizons/STEM_2m.csv``), None where there is none.
    """

    name: str
    label: str
    lat_deg: float
    lon_deg: float
    source: str
    ground_height_m: float | None = None
    real_horizon: str | None = None


def _optional_float(text: str | None) -> float | None:
    return None if text is None or not text.strip() else float(text)


def named_sites() -> dict[str, NamedSite]:
    """The reference sites (``sites.csv``) by name."""
    sites = {}
    for number, row in enumerate(read_table("sites.csv"), start=2):
        try:
            site = NamedSite(
                row["name"],
                row["label"],
                float(row["lat_deg"]),
                float(row["lon_deg"]),
                row["source"],
                ground_height_m=_optional_float(row.get("ground_height_m")),
                real_horizon=(row.get("horizon") or "").strip() or None,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise DataFileError(
                f"embedded table {data_path('sites.csv')}:{number}: {error!r}; reinstall "
                "ilrs-planner"
            ) from None
        sites[site.name] = site
    return sites


def named_site(name: str) -> NamedSite:
    """One reference site by name; the error lists the known names."""
    sites = named_sites()
    key = name.strip().lower()
    if key not in sites:
        raise UnknownNameError(f"unknown site {name!r}; known sites: {', '.join(sites)}")
    return sites[key]


def real_horizon_path(site_name: str, height_m: float) -> Path | None:
    """The embedded real horizon profile of a named site seen from ``height_m`` above the
    ground (2 or 10 m), or None where the site has none.

    An unknown site is an :class:`UnknownNameError`; a height with no profile an
    :class:`InputError` naming the heights there are.
    """
    site = named_site(site_name)
    if site.real_horizon is None:
        return None
    if float(height_m) not in REAL_HORIZON_HEIGHTS_M:
        heights = " or ".join(f"{h:g}" for h in REAL_HORIZON_HEIGHTS_M)
        raise InputError(
            f"the real horizon of {site.name!r} is given {heights} m above the ground, not "
            f"{height_m:g} m; choose --height-m {heights}"
        )
    path = data_path(f"{REAL_HORIZONS_FOLDER}/{site.real_horizon}_{float(height_m):g}m.csv")
    if not path.is_file():
        raise DataFileError(f"embedded horizon {path} is missing; reinstall ilrs-planner")
    return path
