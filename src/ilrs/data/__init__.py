"""The embedded default: reference sites, ground stations, the reference scenario and the
registry's seed facts, each value with its source. The bottom layer: imports nothing above it.
"""

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ilrs.errors import UnknownNameError

__all__ = ["NamedSite", "data_path", "named_site", "named_sites", "read_table"]


def data_path(name: str) -> Path:
    """Path of an embedded data file by its file name (e.g. ``"ground_stations.csv"``)."""
    return Path(str(resources.files(__name__) / name))


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of an embedded CSV table, as dicts of strings."""
    with data_path(name).open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


@dataclass(frozen=True)
class NamedSite:
    """A named point near the lunar south pole, with the source of its coordinates."""

    name: str
    label: str
    lat_deg: float
    lon_deg: float
    source: str


def named_sites() -> dict[str, NamedSite]:
    """The reference sites (``sites.csv``) by name."""
    return {
        row["name"]: NamedSite(
            row["name"], row["label"], float(row["lat_deg"]), float(row["lon_deg"]), row["source"]
        )
        for row in read_table("sites.csv")
    }


def named_site(name: str) -> NamedSite:
    """One reference site by name; the error lists the known names."""
    sites = named_sites()
    key = name.strip().lower()
    if key not in sites:
        raise UnknownNameError(f"unknown site {name!r}; known sites: {', '.join(sites)}")
    return sites[key]
