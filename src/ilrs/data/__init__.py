"""The embedded default: reference sites, ground stations, the reference scenario and the
registry's seed facts, each value with its source. The bottom layer: imports nothing above it.
"""

from importlib import resources
from pathlib import Path


def data_path(name: str) -> Path:
    """Path of an embedded data file by its file name (e.g. ``"ground_stations.csv"``)."""
    return Path(str(resources.files(__name__) / name))
