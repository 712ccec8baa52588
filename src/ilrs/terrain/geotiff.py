"""GeoTIFF (and Cloud-Optimised GeoTIFF) input and output through rasterio/GDAL.

Reading is windowed: :class:`GeoTiffSource` opens a file and reads only the block asked
for, so a 30 336 x 30 336 product is never loaded whole.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.windows import Window as RasterioWindow

from ilrs.errors import DataFileError, InputError
from ilrs.outfolder import atomic_path
from ilrs.terrain.grid import (
    MOON_RADIUS_M,
    SOUTH_POLAR_STEREOGRAPHIC,
    Dem,
    Window,
    check_has_heights,
    grid_problem,
)
from ilrs.terrain.memory import READ_ADVICE, READ_BYTES_PER_PIXEL, check_memory
from ilrs.terrain.sources import check_dem_file

__all__ = ["GeoTiffSource", "check_polar_crs", "gdal_reason", "write_geotiff"]


class GeoTiffSource:
    """A GeoTIFF DEM on disk, read by windows. Heights must be metres above the sphere.

    Opening reads only the header and checks it (a regular file, a raster GDAL reads, real
    values, the lunar south polar stereographic CRS, a north-up grid of square pixels);
    every read is checked against the memory limit (:mod:`ilrs.terrain.memory`) before
    anything is allocated. Anything GDAL cannot read is a :class:`DataFileError` naming the
    file and GDAL's reason.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        check_dem_file(self.path)
        try:
            with warnings.catch_warnings():
                # No geotransform is refused below, by its CRS or its grid, in one line.
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                with rasterio.open(self.path) as dataset:
                    self.shape = (dataset.height, dataset.width)
                    self.transform = dataset.transform
                    self.nodata = dataset.nodata
                    self.crs = check_polar_crs(dataset.crs, str(self.path))
                    self.metadata = {key.lower(): v for key, v in dataset.tags().items()}
                    self.band_count = dataset.count
                    dtypes = dataset.dtypes
        except RasterioError as error:
            raise DataFileError(
                f"{self.path}: not a readable GeoTIFF ({gdal_reason(error)})"
            ) from error
        if min(self.shape) <= 0 or self.band_count <= 0:
            raise DataFileError(
                f"{self.path}: the raster is empty ({self.shape[0]} x {self.shape[1]} px, "
                f"{self.band_count} bands)"
            )
        if np.dtype(dtypes[0]).kind not in "iuf":
            raise DataFileError(
                f"{self.path}: band 1 holds {dtypes[0]} values; heights are integers or reals"
            )
        problem = grid_problem(self.transform)
        if problem:
            raise DataFileError(f"{self.path}: {problem}")
        self.metadata.setdefault("source", self.path.name)

    def read(self, window: Window | None = None, band: int = 1) -> Dem:
        """The DEM (or one window of it) as a :class:`Dem`; nodata becomes NaN.

        The window's float64 heights must fit the memory limit
        (:func:`ilrs.terrain.memory.check_memory`); the whole DEM (no window) must hold at
        least one height.
        """
        whole = window is None
        window = window or Window(0, 0, *self.shape)
        if not window.inside(self.shape):
            raise InputError(
                f"{window} lies outside {self.path.name} ({self.shape[0]} x {self.shape[1]} px)"
            )
        if not 1 <= band <= self.band_count:
            raise InputError(f"{self.path} has bands 1..{self.band_count}, not band {band}")
        what = f"reading {window.height:,} x {window.width:,} px of {self.path}"
        check_memory(window.height * window.width * READ_BYTES_PER_PIXEL, what, READ_ADVICE)
        try:
            with rasterio.open(self.path) as dataset:
                data = dataset.read(
                    band,
                    window=RasterioWindow(
                        window.col_off, window.row_off, window.width, window.height
                    ),
                    out_dtype=np.float64,
                )
        except RasterioError as error:
            raise DataFileError(
                f"{self.path}: cannot read {window.height} x {window.width} px at row "
                f"{window.row_off}, column {window.col_off} ({gdal_reason(error)})"
            ) from error
        except MemoryError:
            raise InputError(f"{what}: out of memory; {READ_ADVICE}") from None
        if self.nodata is not None and not np.isnan(self.nodata):
            data[data == self.nodata] = np.nan
        if whole:
            check_has_heights(data, str(self.path))
        transform = self.transform @ Affine.translation(window.col_off, window.row_off)
        return Dem(data, transform, self.crs, dict(self.metadata))


def gdal_reason(error: BaseException) -> str:
    """GDAL's own words for a rasterio error: rasterio's "Read failed. See previous
    exception for details." carries them in the exception it was raised from."""
    cause = error.__cause__
    if cause is not None and str(cause):
        return str(cause)
    return str(error) or type(error).__name__


def check_polar_crs(crs: CRS | None, where: str) -> str:
    """The project's CRS string if ``crs`` is the lunar south polar stereographic one.

    Accepts any spelling (PROJ, WKT, IAU codes) with the stere projection centred on -90°,
    longitude 0, true scale at the pole, no false easting/northing, on the 1 737 400 m
    sphere; anything else is a clear error.
    """
    if crs is None:
        raise DataFileError(
            f"{where}: the GeoTIFF has no CRS; expected the lunar south polar stereographic "
            f"projection ({SOUTH_POLAR_STEREOGRAPHIC})"
        )
    params = crs.to_dict()
    radius = params.get("R", params.get("a"))
    ok = (
        params.get("proj") == "stere"
        and float(params.get("lat_0", 0)) == -90.0
        and float(params.get("lon_0", 0)) == 0.0
        and float(params.get("x_0", 0)) == 0.0
        and float(params.get("y_0", 0)) == 0.0
        and float(params.get("k", params.get("k_0", 1.0))) == 1.0
        and float(params.get("lat_ts", -90.0)) == -90.0
        and radius is not None
        and abs(float(radius) - MOON_RADIUS_M) < 1.0
        and abs(float(params.get("b", radius)) - MOON_RADIUS_M) < 1.0
    )
    if not ok:
        raise DataFileError(
            f"{where}: CRS {crs.to_string()!r} is not the lunar south polar stereographic "
            f"projection ({SOUTH_POLAR_STEREOGRAPHIC}); reproject it first (gdalwarp -t_srs)"
        )
    return SOUTH_POLAR_STEREOGRAPHIC


def write_geotiff(
    path: str | Path,
    bands: np.ndarray,
    transform: Affine,
    *,
    crs: str = SOUTH_POLAR_STEREOGRAPHIC,
    band_descriptions: list[str] | None = None,
    tags: dict[str, str] | None = None,
    dtype: str = "float32",
) -> Path:
    """Write one band (2-D array) or several (3-D, bands first) as a tiled, compressed
    GeoTIFF with NaN as nodata; ``tags`` carry provenance."""
    path = Path(path)
    data = np.asarray(bands)
    if data.ndim == 2:
        data = data[None]
    count, height, width = data.shape
    if band_descriptions is not None and len(band_descriptions) != count:
        raise InputError(f"{count} bands but {len(band_descriptions)} band descriptions")
    tiled = height >= 256 and width >= 256
    profile = {
        "driver": "GTiff",
        "height": height,
        "width": width,
        "count": count,
        "dtype": dtype,
        "crs": CRS.from_proj4(crs),
        "transform": transform,
        "nodata": np.nan,
        "compress": "deflate",
        "predictor": 3 if dtype.startswith("float") else 2,
        "BIGTIFF": "IF_SAFER",
    }
    if tiled:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    try:
        with atomic_path(path) as partial, rasterio.open(partial, "w", **profile) as dataset:
            dataset.write(data.astype(dtype))
            if tags:
                dataset.update_tags(**{key.upper(): str(value) for key, value in tags.items()})
            for index, description in enumerate(band_descriptions or [], start=1):
                dataset.set_band_description(index, description)
    except (RasterioError, OSError) as error:
        raise DataFileError(f"cannot write {path}: {error}") from error
    return path
