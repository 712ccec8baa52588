"""What the web application shows of a plan's folder (``ilrs plan --out``): its summary, its
map layers as pictures, the values under a point, the named sites and features on the map,
the graticule, and the campaign's tables."""

from __future__ import annotations

import csv
import functools
import io
import json
import threading
from pathlib import Path

import numpy as np

from ilrs.errors import DataFileError, IlrsError, InputError, UnknownNameError
from ilrs.report.imagery import WAC_CAPTION, WAC_PIXEL_M, imagery_for_bounds, imagery_png
from ilrs.report.layers import MAP_LAYERS, LayerStyle, layer_rgba, layer_style, legend_colors

__all__ = ["PlanFolder"]

LAYER_PIXELS = 1280  # the map's pictures: at most this many pixels a side (1024 whole)
MAX_TRACK_POINTS = 10_000  # the Sun's and Earth's tracks sent to a page (every n-th beyond)


_DAMAGE = (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, csv.Error)


def _damage_told(method):
    """A folder's file that cannot be read as written (half written, edited, truncated)
    is told as the folder's damage (409 on the web), never a server error."""

    @functools.wraps(method)
    def reading(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except IlrsError:
            raise
        except _DAMAGE as error:
            raise DamagedFolderError(self.folder, error) from None
        except Exception as error:  # GDAL's and matplotlib's own errors on a damaged raster
            if type(error).__module__.split(".")[0] in ("rasterio", "PIL", "matplotlib"):
                raise DamagedFolderError(self.folder, error) from None
            raise

    return reading


class DamagedFolderError(DataFileError):
    """A file of a plan's folder cannot be read as ``ilrs plan`` wrote it."""

    def __init__(self, folder: Path, error: Exception):
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        name = getattr(error, "filename", None)
        where = f"{Path(name).name}: " if name else ""
        super().__init__(
            f"the plan's folder {folder} is damaged ({where}{reason}); run the plan again"
        )


class PlanFolder:
    def __init__(self, folder: Path, layer_pixels: int = LAYER_PIXELS):
        self.folder = Path(folder)
        self.layer_pixels = layer_pixels
        # layer -> (file version, its colouring, PNG of the whole)
        self._pictures: dict[str, tuple[tuple, LayerStyle, bytes]] = {}
        self._imagery: tuple[tuple, bytes, list[float]] | None = None  # the terrain's version
        self._lock = threading.Lock()

    def exists(self) -> bool:
        return (self.folder / "plan.json").is_file()

    @_damage_told
    def summary(self) -> dict | None:
        return self._json("plan.json") if self.exists() else None

    def _json(self, name: str):
        with (self.folder / name).open(encoding="utf-8") as stream:
            return json.load(stream)

    def _csv(self, name: str) -> list[dict[str, str]]:
        with (self.folder / name).open(newline="", encoding="utf-8") as stream:
            return list(csv.DictReader(stream))

    @_damage_told
    def validation(self) -> list[dict]:
        """Every model beside its authority, as the plan's report has it
        (``validation.json``, ``ilrs validate``)."""
        if not (self.folder / "validation.json").is_file():
            raise UnknownNameError("the plan has no validation.json (run the plan again)")
        return self._json("validation.json")

    @_damage_told
    def dem_path(self) -> Path:
        """The plan's terrain: ``terrain.tif`` in the folder (a synthetic one), or the DEM
        file the plan named (``dem_file`` in ``plan.json``)."""
        summary = self.summary() or {}
        path = self.folder / summary.get("dem_file", "terrain.tif")  # an absolute one wins
        if not path.is_file():
            raise UnknownNameError(f"the plan's terrain {path} is not there any more")
        return path

    @_damage_told
    def layer_path(self, name: str) -> Path:
        if name not in MAP_LAYERS:
            raise UnknownNameError(f"no map layer {name!r}; the layers: {', '.join(MAP_LAYERS)}")
        if name == "terrain":
            return self.dem_path()
        path = self.folder / MAP_LAYERS[name].file
        if not path.is_file():
            raise UnknownNameError(f"the plan has no {name} layer (it ran with maps: false)")
        return path

    @_damage_told
    def map(self) -> dict:
        """The map's extent [m], its layers with their legends, the graticule, the
        named features and the sites that fall on it."""
        from ilrs.terrain.sources import open_dem

        source = open_dem(self.dem_path())
        t, (rows, cols) = source.transform, source.shape
        extent_m = [t.c, t.c + cols * t.a, t.f + rows * t.e, t.f]
        layers = []
        for layer in MAP_LAYERS.values():
            layers.append(
                {
                    "name": layer.name,
                    "title": layer.title,
                    "units": layer.units,
                    "available": layer.name == "terrain" or (self.folder / layer.file).is_file(),
                    "colors": legend_colors(layer),
                    "vmin": layer.vmin,
                    "vmax": layer.vmax,
                }
            )
        every = max(1, int(np.ceil(max(rows, cols) / self.layer_pixels)))  # read_overview's
        return {
            "extent_m": extent_m,
            "pixel_m": abs(t.a),
            "overview_pixel_m": abs(t.a) * every,  # the whole map's pictures
            "synthetic": str(source.metadata.get("synthetic", "")).lower() == "true",
            "terrain_caption": _terrain_caption(source),
            "lighting_caption": self._lighting_caption(),
            "layers": layers,
            "graticule": _graticule(extent_m),
            "features": self._on_map(_features(), extent_m),
            "sites": self._on_map(self.sites(), extent_m),
            "imagery": {
                "caption": WAC_CAPTION,
                "pixel_m": WAC_PIXEL_M,
                # the whole map's picture (imagery_png): finer parts come as windows
                "overview_pixel_m": max(
                    WAC_PIXEL_M, max(cols, rows) * abs(t.a) / self.layer_pixels
                ),
            },
        }

    def _lighting_caption(self) -> str | None:
        """Which question the lighting layers answer: the height above the ground they are
        seen from, and the period (from illumination.tif's tags)."""
        path = self.folder / MAP_LAYERS["illumination"].file
        if not path.is_file():
            return None
        import rasterio

        with rasterio.open(path) as dataset:
            tags = dataset.tags()
        return (
            f"Lighting layers seen from {tags.get('HEIGHT_ABOVE_GROUND_M', '?')} m above the "
            f"ground, {tags.get('START', '?')} to {tags.get('END', '?')} every "
            f"{float(tags.get('STEP_S', 'nan')) / 3600:g} h, on the terrain below."
        )

    @_damage_told
    def sites(self) -> list[dict]:
        """The reference sites and the plan's own (first)."""
        from ilrs.data import named_sites

        plan_site = self._json("site.json")
        sites = [
            {
                "name": "plan",
                "label": f"the plan's site: {plan_site['site']}",
                "lat_deg": plan_site["lat_deg"],
                "lon_deg": plan_site["lon_deg"],
                "source": "the plan file",
            }
        ]
        for site in named_sites().values():
            sites.append(
                {
                    "name": site.name,
                    "label": site.label,
                    "lat_deg": site.lat_deg,
                    "lon_deg": site.lon_deg,
                    "source": site.source,
                }
            )
        return sites

    @staticmethod
    def _on_map(points: list[dict], extent_m: list[float]) -> list[dict]:
        from ilrs.terrain import polar_xy_from_latlon

        kept = []
        for point in points:
            x_m, y_m = (float(v) for v in polar_xy_from_latlon(point["lat_deg"], point["lon_deg"]))
            if extent_m[0] <= x_m <= extent_m[1] and extent_m[2] <= y_m <= extent_m[3]:
                kept.append(point | {"x_m": round(x_m, 1), "y_m": round(y_m, 1)})
        return kept

    @_damage_told
    def layer_png(self, name: str) -> bytes:
        """The layer as a PNG of at most ``layer_pixels`` a side (made once per file
        version)."""
        return self._overview(name)[1]

    def _overview(self, name: str) -> tuple[LayerStyle, bytes]:
        """The layer's colouring and its whole picture, made once per file version."""
        import matplotlib.pyplot as plt

        from ilrs.terrain.sources import open_dem, read_overview

        path = self.layer_path(name)
        stamp = (str(path), path.stat().st_mtime_ns)
        with self._lock:
            if self._pictures.get(name, (None,))[0] != stamp:  # one version kept a layer
                dem = read_overview(open_dem(path), self.layer_pixels)
                style = layer_style(MAP_LAYERS[name], dem)
                buffer = io.BytesIO()
                plt.imsave(buffer, layer_rgba(MAP_LAYERS[name], dem, style), format="png")
                self._pictures[name] = (stamp, style, buffer.getvalue())
            return self._pictures[name][1:]

    @_damage_told
    def layer_window_png(self, name: str, extent_m: list[float]) -> tuple[bytes, list[float]]:
        """A part of the layer (``extent_m``: x_min, x_max, y_min, y_max) as a PNG of at
        most ``layer_pixels`` a side, in the colours of the whole; and the extent it covers
        (the part snapped out to whole pixels and clipped to the map)."""
        import matplotlib.pyplot as plt

        from ilrs.terrain import Window
        from ilrs.terrain.sources import open_dem, read_overview

        x_min, x_max, y_min, y_max = extent_m
        if not (np.all(np.isfinite(extent_m)) and x_min < x_max and y_min < y_max):
            raise InputError(f"window {extent_m}: give finite x_min < x_max, y_min < y_max [m]")
        style, _ = self._overview(name)
        source = open_dem(self.layer_path(name))
        t, (rows, cols) = source.transform, source.shape
        col0 = max(0, int(np.floor((x_min - t.c) / t.a)))
        col1 = min(cols, int(np.ceil((x_max - t.c) / t.a)))
        row0 = max(0, int(np.floor((y_max - t.f) / t.e)))
        row1 = min(rows, int(np.ceil((y_min - t.f) / t.e)))
        if col1 <= col0 or row1 <= row0:
            raise InputError(f"window {extent_m} is off the plan's map")
        window = Window(row0, col0, row1 - row0, col1 - col0)
        dem = read_overview(source, self.layer_pixels, window)
        buffer = io.BytesIO()
        plt.imsave(buffer, layer_rgba(MAP_LAYERS[name], dem, style), format="png")
        covered = [t.c + col0 * t.a, t.c + col1 * t.a, t.f + row1 * t.e, t.f + row0 * t.e]
        return buffer.getvalue(), covered

    @_damage_told
    def imagery_png(self, extent_m: list[float] | None = None) -> tuple[bytes, list[float]]:
        """The LROC WAC mosaic under the map (:mod:`ilrs.report.imagery`) as a grey PNG
        with alpha, over the map's extent or a part of it (``extent_m``: x_min, x_max,
        y_min, y_max, clipped to the map), at most ``layer_pixels`` a side and no finer
        than the mosaic's 400 m; and the extent it covers. The whole is made once per
        terrain file."""
        from ilrs.terrain.sources import open_dem

        path = self.dem_path()
        source = open_dem(path)
        t, (rows, cols) = source.transform, source.shape
        whole = [t.c, t.c + cols * t.a, t.f + rows * t.e, t.f]
        if extent_m is None:
            stamp = (str(path), path.stat().st_mtime_ns, self.layer_pixels)
            with self._lock:
                if self._imagery is None or self._imagery[0] != stamp:
                    self._imagery = (stamp, *self._imagery_of(whole))
                return self._imagery[1:]
        x_min, x_max, y_min, y_max = extent_m
        if not (np.all(np.isfinite(extent_m)) and x_min < x_max and y_min < y_max):
            raise InputError(f"window {extent_m}: give finite x_min < x_max, y_min < y_max [m]")
        clipped = [
            max(x_min, whole[0]),
            min(x_max, whole[1]),
            max(y_min, whole[2]),
            min(y_max, whole[3]),
        ]
        if clipped[0] >= clipped[1] or clipped[2] >= clipped[3]:
            raise InputError(f"window {extent_m} is off the plan's map")
        return self._imagery_of(clipped)

    def _imagery_of(self, extent_m: list[float]) -> tuple[bytes, list[float]]:
        x_min, x_max, y_min, y_max = extent_m
        longest_m = max(x_max - x_min, y_max - y_min)
        pixel_m = max(WAC_PIXEL_M, longest_m / self.layer_pixels)  # no finer than its own
        width = max(1, round((x_max - x_min) / pixel_m))
        height = max(1, round((y_max - y_min) / pixel_m))
        imagery = imagery_for_bounds(x_min, y_min, x_max, y_max, width, height)
        return imagery_png(imagery), list(extent_m)

    @_damage_told
    def point(self, x_m: float, y_m: float) -> dict:
        """Latitude, longitude and every layer's value at a map point."""
        from ilrs.terrain import Window, latlon_from_polar_xy
        from ilrs.terrain.sources import open_dem

        if not (np.isfinite(x_m) and np.isfinite(y_m)):
            raise InputError(f"x {x_m} m, y {y_m} m: give finite numbers")
        lat_deg, lon_deg = (float(v) for v in latlon_from_polar_xy(x_m, y_m))
        answer = {"x_m": x_m, "y_m": y_m, "lat_deg": lat_deg, "lon_deg": lon_deg, "values": {}}
        for layer in MAP_LAYERS.values():
            try:
                source = open_dem(self.layer_path(layer.name))
            except UnknownNameError:  # a plan without maps: the terrain only
                continue
            t, (rows, cols) = source.transform, source.shape
            row, col = int((y_m - t.f) // t.e), int((x_m - t.c) // t.a)
            if not (0 <= row < rows and 0 <= col < cols):
                raise InputError(
                    f"the point ({lat_deg:.4f}°, {lon_deg:.4f}°) is off the plan's map"
                )
            value = float(source.read(Window(row, col, 1, 1)).height_m[0, 0])
            answer["values"][layer.name] = None if not np.isfinite(value) else round(value, 4)
        return answer

    @_damage_told
    def site_files(self) -> dict:
        """The plan's site, read back as the site page draws it. Its station series is
        the station file's own run (at that file's site, on its terrain, over its period)."""
        answer = study_files(self.folder, PLAN_SITE_FILES)
        if answer["station"] is not None:
            times = answer["station"]["time_utc"]
            answer["station_caption"] = (
                f"the station file's own run, at its own site and terrain, {times[0]} – {times[-1]}"
            )
        return answer

    @_damage_told
    def campaign(self) -> dict:
        return {
            "milestones": self._json("campaign_milestones.json"),
            "findings": self._json("campaign_findings.json"),
            "timeline": self._csv("campaign_timeline.csv"),
        }


# Where a site's files are: in a plan's folder, and in a study's (ilrs.report.study).
PLAN_SITE_FILES = {
    "site": "site.json",
    "horizon": "site_horizon.csv",
    "spells": "site_spells.csv",
    "tracks": "site_tracks.csv",
    "series": "station_series.csv",
}
STUDY_SITE_FILES = {
    "site": "site.json",
    "horizon": "horizon.csv",
    "spells": "spells.csv",
    "tracks": "tracks.csv",
    "series": "station/series.csv",
}


def study_files(folder: Path, names: dict[str, str] = STUDY_SITE_FILES) -> dict:
    """A site's files (:func:`ilrs.report.steps.write_site_analysis`) and its station run,
    as the site page draws them (the station's series thinned to at most 3,000 points)."""

    def read_csv(name: str) -> list[dict[str, str]]:
        with (folder / name).open(newline="", encoding="utf-8") as stream:
            return list(csv.DictReader(stream))

    def columns(rows: list[dict[str, str]], names: list[str]) -> dict[str, list]:
        out: dict[str, list] = {}
        for name in names:
            values = [row[name] for row in rows]
            out[name] = values if name.startswith("time") else [float(v) for v in values]
        return out

    with (folder / names["site"]).open(encoding="utf-8") as stream:
        summary = json.load(stream)
    tracks_file, series_file = names["tracks"], names["series"]
    answer = {
        "summary": summary,
        "horizon": columns(read_csv(names["horizon"]), ["azimuth_deg", "elevation_deg"]),
        "spells": read_csv(names["spells"]),
        "tracks": None,
        "station": None,
        "station_caption": "the plan's station set down here, over the same period",
    }
    if (folder / tracks_file).is_file():
        rows = read_csv(tracks_file)
        every = max(1, -(-len(rows) // MAX_TRACK_POINTS))
        answer["tracks"] = columns(
            rows[::every],
            [
                "time_utc",
                "sun_azimuth_deg",
                "sun_elevation_deg",
                "sun_visible_fraction",
                "earth_azimuth_deg",
                "earth_elevation_deg",
                "earth_visible_fraction",
            ],
        )
    if (folder / series_file).is_file():
        rows = read_csv(series_file)
        every = max(1, -(-len(rows) // 3000))
        answer["station"] = columns(
            rows[::every], ["time_utc", "generated_w", "demand_w", "stored_wh", "state_of_charge"]
        )
    return answer


def _terrain_caption(source) -> str:
    """What the terrain under the map is, real or not, from its tags."""
    meta = source.metadata
    pixel = f"{abs(source.transform.a):g} m pixels"
    if str(meta.get("synthetic", "")).lower() == "true":
        return f"Synthetic terrain, not the real Moon (marked synthetic in its file), {pixel}."
    product = (meta.get("product_id") or "").strip('"')
    if product == "LDEM_256":
        return f"Real LRO LOLA topography (LDEM_256, {pixel}), embedded."
    return f"The DEM {Path(str(getattr(source, 'path', ''))).name}, {pixel}."


def _graticule(extent_m: list[float]) -> dict:
    """Parallels and meridians crossing the map, as polylines [m] with their labels."""
    from ilrs.terrain import latlon_from_polar_xy, polar_xy_from_latlon

    corners_x = np.array(extent_m[:2])[[0, 1, 0, 1]]
    corners_y = np.array(extent_m[2:])[[0, 0, 1, 1]]
    corner_lat, _ = latlon_from_polar_xy(corners_x, corners_y)
    lat_edge = float(np.max(corner_lat))  # the parallel through the farthest corner
    step = 0.25 if lat_edge < -89.0 else 0.5 if lat_edge < -87.5 else 1.0
    parallels = []
    for lat in np.arange(-90.0 + step, lat_edge + step, step):
        lon = np.linspace(0.0, 360.0, 181)
        x_m, y_m = polar_xy_from_latlon(np.full_like(lon, lat), lon)
        # Labelled where the parallel crosses the 135°E meridian (towards a corner).
        at_m = [float(v) for v in polar_xy_from_latlon(lat, 135.0)]
        parallels.append(
            {
                "label": f"{-lat:g}°S",
                "x_m": x_m.round(1).tolist(),
                "y_m": y_m.round(1).tolist(),
                "label_at_m": [round(v, 1) for v in at_m],
            }
        )
    meridians = []
    for lon in range(0, 360, 30):
        lat = np.array([-90.0, lat_edge])
        x_m, y_m = polar_xy_from_latlon(lat, np.full(2, float(lon)))
        # Labelled inside the circle the map's square holds, so that every label shows.
        reach_m = 0.9 * min(abs(v) for v in extent_m)
        radians = np.radians(lon)
        meridians.append(
            {
                "label": f"{lon}°E",
                "x_m": x_m.round(1).tolist(),
                "y_m": y_m.round(1).tolist(),
                "label_at_m": [
                    round(reach_m * np.sin(radians), 1),
                    round(reach_m * np.cos(radians), 1),
                ],
            }
        )
    return {"parallels": parallels, "meridians": meridians}


def _features() -> list[dict]:
    from ilrs.data import read_table

    return [
        {
            "name": row["name"],
            "kind": row["kind"],
            "lat_deg": float(row["lat_deg"]),
            "lon_deg": float(row["lon_deg"]),
        }
        for row in read_table("south_pole_features.csv")
    ]
