"""Open a DEM file of any supported kind, as a windowed source."""

from __future__ import annotations

from pathlib import Path

from ilrs.errors import DataFileError

__all__ = ["open_dem"]


def open_dem(path: str | Path):
    """A windowed DEM source for a GeoTIFF/COG (``.tif``) or a PDS3 LOLA product
    (``.lbl`` or ``.img``); each has ``shape``, ``transform``, ``crs``, ``metadata`` and
    ``read(window)``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        from ilrs.terrain.geotiff import GeoTiffSource

        return GeoTiffSource(path)
    if suffix in (".lbl", ".img"):
        from ilrs.terrain.pds3 import Pds3Source

        return Pds3Source(path)
    raise DataFileError(
        f"{path}: unknown DEM format {suffix or '(no suffix)'!r}; give a GeoTIFF (.tif) or a "
        "PDS3 LOLA product (.LBL/.IMG)"
    )
