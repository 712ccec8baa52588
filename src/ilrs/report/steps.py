"""The steps of a plan, each computed once and kept in a cache folder named by its inputs.

A step's folder is ``<cache>/<step>-<key>``, the key a hash of everything the step's
results depend on (its part of the plan, the text of the scenario files it reads, the
package's version and :data:`CACHE_FORMAT`): a second run with the same inputs reads the
folder, a changed input makes a new one. A folder is written beside its final name and
renamed when complete, so an interrupted run leaves no half-written step behind.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ilrs import __version__
from ilrs.errors import InputError
from ilrs.outfolder import staging_folder
from ilrs.report.scenario import LoadedPlan
from ilrs.station.scenario import BUILT_IN_TERRAINS

__all__ = ["CACHE_FORMAT", "KEPT_PLAN_FOLDER", "StepCache", "campaign_step", "site_step"]
__all__ += ["BackgroundSteps"]
__all__ += ["maps_step", "station_step", "terrain_step", "validation_step", "write_json_file"]

CACHE_FORMAT = 1  # raise when a step's files change meaning
CACHE_TAG_NAME = "CACHEDIR.TAG"
CACHE_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"  # the Cache Directory Tagging Specification
    "# This file is a cache directory tag created by ILRS Planner (ilrs plan --cache).\n"
)
# What a cache of ours holds (folders from before it was tagged are recognised by these):
# step folders, staging folders, and the web application's plans (in folders by digest).
_CACHE_ENTRY = re.compile(r"^(\w+-[0-9a-f]{16}|\.[\w.-]+\.staging|\.probe\.\w+)$")
# A plan the web application keeps in ``plans/``: a folder named by its text's digest
# (only these are ever pruned there).
KEPT_PLAN_FOLDER = re.compile(r"^[0-9a-f]{16}$")


def _cache_entry(root: Path, name: str) -> bool:
    """Whether ``name`` in an untagged folder is what a cache of ours holds."""
    if name == "plans":
        return all(KEPT_PLAN_FOLDER.match(each) for each in os.listdir(root / name))
    return bool(_CACHE_ENTRY.match(name))


class StepCache:
    """Step folders under ``root``; ``progress`` hears each step's name and whether it was
    computed or reused (by default on standard error, as ``ilrs plan`` prints it)."""

    def __init__(self, root: Path, progress: Callable[[str], None] | None = None):
        self.root = Path(root)
        self.progress = progress or (lambda line: print(f"ilrs plan: {line}", file=sys.stderr))
        self.reused: list[str] = []
        self.computed: list[str] = []

    def folder(self, step: str, inputs: dict) -> Path:
        """Where ``step``'s results for ``inputs`` are (or will be) kept."""
        text = json.dumps([inputs, code_digest(), CACHE_FORMAT], sort_keys=True, default=str)
        key = hashlib.sha256(text.encode()).hexdigest()[:16]
        return self.root / f"{step}-{key}"

    def run(
        self, step: str, inputs: dict, compute: Callable[[Path], None], *, record: bool = True
    ) -> Path:
        """The folder of ``step`` for ``inputs``: reused, or made by ``compute(folder)``
        (told and listed unless not ``record``)."""
        folder = self.folder(step, inputs)
        if folder.is_dir():
            if record:
                self.progress(f"{step}: reused ({folder})")
                self.reused.append(step)
            return folder
        if record:
            self.progress(f"{step}: computing ...")
        staging = staging_folder(folder)
        try:
            compute(staging)
            try:
                staging.rename(folder)
            except OSError:
                if not folder.is_dir():
                    raise
                # another run finished the same step first: its folder is as good
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if record:
            self.computed.append(step)
        return folder

    def check(self) -> None:
        """Make the cache folder, or say in one line why it cannot be. A folder holding
        anything but a cache of ours is refused: the web application prunes old plans in
        it, and nothing of a user's may be among them. The folder is tagged by
        ``CACHEDIR.TAG`` (https://bford.info/cachedir/), which backup tools skip."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tag = self.root / CACHE_TAG_NAME
            if not tag.is_file():
                foreign = [n for n in os.listdir(self.root) if not _cache_entry(self.root, n)]
                if foreign:
                    shown = ", ".join(sorted(foreign)[:5]) + (", …" if len(foreign) > 5 else "")
                    raise InputError(
                        f"the cache folder {self.root} holds files that are not ILRS "
                        f"Planner's cache ({shown}); give a new or empty folder (--cache)"
                    )
                tag.write_text(CACHE_TAG, encoding="utf-8")
            probe = Path(tempfile.mkdtemp(prefix=".probe.", dir=self.root))
            probe.rmdir()
        except OSError as error:
            raise InputError(f"the cache folder {self.root}: {error.strerror}") from None


@functools.cache
def code_digest() -> str:
    """A digest of the package's code and embedded data, so that a changed program does not
    reuse what an earlier one computed (version numbers alone do not change with it)."""
    import ilrs

    root = Path(ilrs.__file__).parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".csv", ".yaml") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def terrain_step(plan: LoadedPlan, cache: StepCache) -> Path:
    """The map's DEM: the square of the real LOLA cap the plan asks for, or the synthetic
    south pole, each written once (cached); or the plan's DEM file."""
    terrain = plan.scenario.terrain
    if terrain.dem is not None:
        return plan.path(terrain.dem)
    if terrain.lola is not None:
        half_width_m = terrain.lola.map_half_width_km * 1000.0

        def compute_lola(folder: Path) -> None:
            write_cap_square(folder / "terrain.tif", half_width_m)

        inputs = terrain.lola.model_dump() | {"cap": file_identity(_cap_path())}
        return cache.run("terrain", inputs, compute_lola) / "terrain.tif"
    synthetic = terrain.synthetic

    def compute(folder: Path) -> None:
        from ilrs.terrain.synthetic import write_synthetic_south_pole

        write_synthetic_south_pole(
            folder / "terrain.tif", synthetic.size_px, synthetic.resolution_m, synthetic.seed
        )

    return cache.run("terrain", synthetic.model_dump(), compute) / "terrain.tif"


def fetched_stack(plan: LoadedPlan, progress: Callable[[str], None] | None = None) -> Path:
    """The manifest of the real LOLA stack around the plan's site, fetched on the first
    run into the terrain cache (``ilrs terrain fetch --site``; resumed if interrupted, a
    second run downloads nothing). Fetched once per loaded plan: its steps ask again."""
    if plan.fetched_manifest is not None and plan.fetched_manifest.is_file():
        return plan.fetched_manifest
    from ilrs.terrain.fetch import LOLA_POLAR_BASE_URL
    from ilrs.terrain.lola_stack import fetch_stack

    lola = plan.scenario.terrain.lola
    lat_deg, lon_deg, _ = site_position(plan)

    def tell(product: str, done: int, total: int) -> None:
        if progress is not None and done == total:
            progress(f"terrain: fetched {product} ({total / 1e6:.1f} MB)")

    manifest = fetch_stack(
        lat_deg,
        lon_deg,
        near_radius_m=lola.near_radius_km * 1000.0,
        far_radius_m=lola.far_radius_km * 1000.0,
        base_url=lola.base_url or LOLA_POLAR_BASE_URL,
        site_name=plan.scenario.site.name,
        progress=tell,
    )
    plan.fetched_manifest = manifest.path
    return manifest.path


def terrain_identity(plan: LoadedPlan) -> dict:
    """The plan's terrain as a cache input: its settings, the embedded cap's bytes, and a
    fetched stack's layers (product, reach, SHA-256), so a re-fetch of new data is seen."""
    identity = {"settings": plan.scenario.terrain.model_dump(), "cap": file_identity(_cap_path())}
    lola = plan.scenario.terrain.lola
    if lola is not None and lola.near_radius_km is not None:
        from ilrs.terrain.lola_stack import stack_identity

        identity["stack"] = stack_identity(fetched_stack(plan))
    return identity


def _cap_path() -> Path:
    from ilrs.data import LOLA_CAP_DEM, data_path

    return data_path(LOLA_CAP_DEM)


def write_cap_square(path: Path, half_width_m: float) -> Path:
    """The square of the embedded LOLA cap within ``half_width_m`` of the pole (whole
    pixels), as a GeoTIFF tagged with the cap's provenance: real data, nothing added."""
    import math

    from ilrs.terrain import Window
    from ilrs.terrain.geotiff import write_geotiff
    from ilrs.terrain.sources import open_dem

    cap = open_dem(_cap_path())
    pixel_m = cap.transform.a
    reach_px = min(math.ceil(half_width_m / pixel_m), cap.shape[0] // 2)
    centre_row = round(cap.transform.f / pixel_m)  # the pole is on a pixel corner
    window = Window(centre_row - reach_px, centre_row - reach_px, 2 * reach_px, 2 * reach_px)
    grid = cap.read(window)
    tags = {key.upper(): value for key, value in cap.metadata.items()}
    tags |= {
        "SOURCE": "LRO LOLA LDEM_256 south polar cap (embedded in ILRS Planner)",
        "SYNTHETIC": "false",
        "NOTE": "real LOLA topography, a window of the 1600 m cap; heights above 1737400 m",
    }
    return write_geotiff(path, grid.height_m, grid.transform, tags=tags)


def plan_terrain(plan: LoadedPlan, dem_path: Path):
    """The terrain stack the plan's site stands on: the whole real LOLA cap (``lola``),
    the plan's DEM with the cap as its far field, or the synthetic south pole alone (real
    terrain beyond a made-up one would not join it)."""
    from ilrs.terrain.sources import open_dem
    from ilrs.terrain.stack import TerrainStack

    terrain = plan.scenario.terrain
    if terrain.lola is not None and terrain.lola.near_radius_km is not None:
        return TerrainStack.from_manifest(fetched_stack(plan))
    if terrain.lola is not None:
        return TerrainStack.default()
    if terrain.dem is not None:
        return TerrainStack.from_files([dem_path])
    return TerrainStack([open_dem(dem_path)])


def file_identity(path: Path) -> dict:
    """A file (and its PDS3 image beside a label) as a cache input: its content's digest
    for files up to 64 MiB, else its size, times and inode (a copy that keeps the
    modification time still gets a new change time)."""
    paths = [Path(path)] + sorted(Path(path).parent.glob(Path(path).stem + ".[Ii][Mm][Gg]"))
    identity = []
    for each in paths:
        stat = each.stat()
        if stat.st_size <= 64 << 20:
            identity.append([str(each), hashlib.sha256(each.read_bytes()).hexdigest()])
        else:
            times = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
            identity.append([str(each), *times])
    return {"files": identity}


def site_step(plan: LoadedPlan, dem_path: Path, cache: StepCache) -> Path:
    """The site's horizon and its sunlight, Earth visibility and station contact over the
    plan's period: ``site.json``, ``spells.csv``, ``horizon.csv``, ``horizon.png``."""
    scenario = plan.scenario
    inputs = {
        "dem": file_identity(dem_path),
        "terrain": terrain_identity(plan),
        "site": scenario.site.model_dump(),
        "lighting": scenario.lighting.model_dump(),
    }

    def compute(folder: Path) -> None:
        from ilrs.sky import utc_range

        lat_deg, lon_deg, label = site_position(plan)
        lighting = scenario.lighting
        times = utc_range(lighting.start, lighting.end, lighting.step)
        write_site_analysis(
            plan_terrain(plan, dem_path),
            lat_deg,
            lon_deg,
            scenario.site.height_m,
            times,
            label,
            folder,
            real_horizon=_real_horizon(plan),
        )

    return cache.run("site", inputs, compute)


def _real_horizon(plan: LoadedPlan) -> Path | None:
    """The embedded real horizon of the plan's named site at its height, if there is one."""
    from ilrs.data import REAL_HORIZON_HEIGHTS_M, real_horizon_path

    site = plan.scenario.site
    if site.name is None or float(site.height_m) not in REAL_HORIZON_HEIGHTS_M:
        return None
    return real_horizon_path(site.name, site.height_m)


MAP_PRODUCTS = ("illumination", "earth", "psr")
MAP_HORIZON = {"azimuths": 36, "max_distance_m": 50_000.0, "method": "sweep"}
# On the real cap the map's rays run on over the whole cap, as far as the site's own.
MAP_HORIZON_ON_CAP = {"azimuths": 36, "max_distance_m": 300_000.0, "method": "rays"}


def write_site_analysis(
    stack,
    lat_deg: float,
    lon_deg: float,
    height_m: float,
    times,
    label: str,
    folder: Path,
    *,
    real_horizon: Path | None = None,
) -> None:
    """A site's horizon on a terrain stack and its sunlight and Earth visibility at
    ``times`` from ``height_m`` above the ground: ``site.json``, ``spells.csv``,
    ``horizon.csv``, ``tracks.csv`` (the Sun and the Earth at each time) and
    ``horizon.png``. On coarse terrain ``site.json`` also gives the spread of the figures
    over the neighbouring cells; with ``real_horizon`` (a profile CSV of the site) the
    figures on that profile beside them."""
    from ilrs.environment import HorizonLine, analyze_site, read_horizon_csv
    from ilrs.environment.export import write_intervals_csv, write_table_csv
    from ilrs.environment.site import SPELLS
    from ilrs.environment.spread import FIGURES, terrain_caveats
    from ilrs.report.figures import horizon_png

    line = HorizonLine.from_stack(stack, lat_deg, lon_deg, height_above_ground_m=height_m)
    result = analyze_site(line, lat_deg, lon_deg, times, height_m=line.ground_m + height_m)
    start, end = times[[0, -1]].utc_iso()
    summary = result.summary() | {
        "site": label,
        "height_above_ground_m": height_m,
        "question": (
            f"sunlight and Earth visibility at {height_m:g} m above the ground, {start} to "
            f"{end}, on {stack.label}"
        ),
    }
    summary |= terrain_caveats(stack, line, lat_deg, lon_deg, height_m, times)
    if real_horizon is not None:
        profile = read_horizon_csv(real_horizon)
        on_real = analyze_site(
            profile, lat_deg, lon_deg, times, height_m=line.ground_m + height_m, stations=[]
        ).summary()
        summary["real_horizon"] = {
            "source": "LOLA-derived horizon of the site (5 m and 20 m site windows, "
            "LDEM_80S_80M, LDEM_75S_240M; lunahorizon, MIT), embedded: " + real_horizon.name,
            **{key: on_real[key] for key in FIGURES},
        }
    write_json_file(summary, folder / "site.json")
    kinds = list(SPELLS) + [f"contact:{name}" for name in result.station_margin_deg]
    kinds = [k for k in kinds if result.station_margin_deg or not k.startswith("contact")]
    write_intervals_csv(folder / "spells.csv", {k: result.intervals(k) for k in kinds})
    write_table_csv(
        folder / "horizon.csv",
        {"azimuth_deg": line.azimuth_deg.tolist(), "elevation_deg": line.elevation_deg.tolist()},
    )
    sun, earth = result.sun, result.earth
    write_table_csv(
        folder / "tracks.csv",
        {
            "time_utc": times.utc_iso(0),
            "sun_azimuth_deg": sun.position.azimuth_deg.round(3).tolist(),
            "sun_elevation_deg": sun.position.elevation_deg.round(3).tolist(),
            "sun_visible_fraction": sun.disk_fraction.round(4).tolist(),
            "earth_azimuth_deg": earth.position.azimuth_deg.round(3).tolist(),
            "earth_elevation_deg": earth.position.elevation_deg.round(3).tolist(),
            "earth_visible_fraction": earth.disk_fraction.round(4).tolist(),
        },
    )
    horizon_png(line, result, label, folder / "horizon.png")


def maps_step(plan: LoadedPlan, dem_path: Path, cache: StepCache) -> Path:
    """The whole terrain's lighting over the plan's period, seen from the site's height
    above the ground (``ilrs map``'s products from one horizon map on 36 grid bearings: on
    the real cap, rays to 300 km; else the sweep to 50 km): ``illumination.tif``,
    ``earth.tif``, ``psr.tif``; and the slopes, ``slope.tif``."""
    scenario = plan.scenario
    on_cap = scenario.terrain.lola is not None
    horizon_options = MAP_HORIZON_ON_CAP if on_cap else MAP_HORIZON
    height_m = scenario.site.height_m
    inputs = {
        "dem": file_identity(dem_path),
        "lighting": scenario.lighting.model_dump(),
        "horizon": horizon_options,
        "height_above_ground_m": height_m,
    } | ({"cap": file_identity(_cap_path())} if on_cap else {})

    def compute(folder: Path) -> None:
        from ilrs.environment.maps import write_lighting_map, write_psr_from_illumination
        from ilrs.sky import utc_range
        from ilrs.terrain.horizon import write_horizon_map
        from ilrs.terrain.sources import open_dem

        lighting = scenario.lighting
        times = utc_range(lighting.start, lighting.end, lighting.step)

        def tiles(what: str):
            return lambda done, total: cache.progress(f"maps: {what} {done}/{total}")

        horizon = write_horizon_map(
            open_dem(dem_path),
            folder / "horizon.tif",
            azimuths=horizon_options["azimuths"],
            max_distance_m=horizon_options["max_distance_m"],
            height_above_ground_m=height_m,
            far_field=open_dem(_cap_path()).read() if on_cap else None,
            grid_azimuths=True,
            method=horizon_options["method"],
            provenance={"dem": str(dem_path), "far_field": "LOLA cap" if on_cap else ""},
            progress=tiles("horizon tiles"),
        )
        for product in ("illumination", "earth"):
            write_lighting_map(
                horizon, folder / f"{product}.tif", product, times, progress=tiles(product)
            )
        # Never any of the Sun over the period: read off the illumination map's band.
        write_psr_from_illumination(folder / "illumination.tif", folder / "psr.tif")
        _write_slope(open_dem(dem_path), folder / "slope.tif")

    return cache.run("maps", inputs, compute)


def _write_slope(source, path: Path) -> None:
    """Slope and aspect on the sphere (``ilrs terrain slope``'s bands)."""
    import numpy as np

    from ilrs.terrain.geotiff import write_geotiff
    from ilrs.terrain.slope import slope_aspect_deg

    grid = source.read()
    write_geotiff(
        path,
        np.stack(slope_aspect_deg(grid)),
        grid.transform,
        band_descriptions=["slope_deg", "aspect_deg"],
        tags={"dem_source": grid.metadata.get("source", str(source.path))},
    )


def site_position(plan: LoadedPlan) -> tuple[float, float, str]:
    """The site's latitude, longitude [deg] and how the report names it."""
    site = plan.scenario.site
    if site.name is None:
        return site.lat_deg, site.lon_deg, f"{site.lat_deg:.4f}°, {site.lon_deg:.4f}°"
    from ilrs.data import named_sites

    named = named_sites()[site.name.lower()]
    return named.lat_deg, named.lon_deg, named.label


def station_step(plan: LoadedPlan, cache: StepCache) -> Path:
    """The station run over its scenario's period (``ilrs station simulate``'s files)."""
    path, scenario = plan.station_file(), plan.station

    def compute(folder: Path) -> None:
        from ilrs.station.exposure import site_exposure
        from ilrs.station.outputs import write_run
        from ilrs.station.simulation import prepare, simulate

        run = simulate(prepare(scenario, site_exposure(scenario)))
        write_run(run, folder, scenario_name=scenario.name, scenario_file=str(path))

    return cache.run("station", _scenario_inputs(path, scenario), compute)


def campaign_step(plan: LoadedPlan, cache: StepCache) -> Path:
    """The campaign's build-up (``ilrs campaign timeline``'s files)."""
    path, (station, campaign) = plan.campaign_file(), plan.campaign

    def compute(folder: Path) -> None:
        from ilrs.campaign.buildup import build_up
        from ilrs.campaign.charts import draw_capabilities, draw_gantt
        from ilrs.campaign.checks import build_up_findings, plan_findings
        from ilrs.environment.export import write_table_csv
        from ilrs.report.exposure_cache import cached_campaign_exposure

        # The sky is kept apart, by its own inputs: a changed mission reuses it (what-ifs
        # too). Its own cache object, so the plan's summary lists the plan's steps alone.
        sky = cached_campaign_exposure(station, campaign, StepCache(cache.root, cache.progress))
        buildup = build_up(station, campaign, sky)
        findings = plan_findings(station, campaign) + build_up_findings(buildup, campaign)
        write_table_csv(folder / "timeline.csv", buildup.timeline_columns())
        draw_gantt(campaign, buildup, folder / "gantt.png")
        draw_capabilities(campaign, buildup, folder / "capability.png")
        write_json_file(buildup.milestones, folder / "milestones.json")
        write_json_file([finding.as_dict() for finding in findings], folder / "findings.json")
        place = {
            "lat_deg": buildup.run.inputs.exposure.lat_deg,
            "lon_deg": buildup.run.inputs.exposure.lon_deg,
            "horizon": buildup.run.inputs.exposure.horizon_source,
        }
        write_json_file(
            {"name": campaign.name, "file": str(path)} | place, folder / "campaign.json"
        )

    return cache.run("campaign", _scenario_inputs(path, station), compute)


def validation_step(cache: StepCache) -> Path:
    """Every model beside its authority (``ilrs validate``): ``validation.json``. Its only
    input is the program itself (and the embedded references), so it runs once per
    version."""

    def compute(folder: Path) -> None:
        from ilrs.report.authorities import run_checks

        write_json_file([row.as_dict() for row in run_checks()], folder / "validation.json")

    return cache.run("validation", {}, compute)


class BackgroundSteps:
    """The station and validation steps begun in a second process, when they are not in
    the cache: they need nothing from the other steps (the station reads its own
    scenario), and on a first run the validation is mostly the compiling of its models'
    kernels (numba, on one core), which the plan need not wait for. :meth:`wait` gives a
    step's folder where the plan takes it; should the second process fail, the step is
    run here (and says why it fails)."""

    def __init__(self, plan: LoadedPlan, cache: StepCache):
        import pickle
        import subprocess

        import ilrs

        self.plan, self.cache = plan, cache
        self.folders = {
            "station": cache.folder("station", _scenario_inputs(*_station_of(plan))),
            "validation": cache.folder("validation", {}),
        }
        steps = [step for step, folder in self.folders.items() if not folder.is_dir()]
        self.beside = set(steps)
        self.process = None
        if not steps:
            return
        cache.progress(f"{' and '.join(steps)}: computing in a second process ...")
        package_root = str(Path(ilrs.__file__).resolve().parent.parent)
        paths = [package_root, os.environ.get("PYTHONPATH", "")]
        env = os.environ | {
            "PYTHONPATH": os.pathsep.join(p for p in paths if p),
            "NUMBA_NUM_THREADS": "1",  # the plan's own steps keep the cores
        }
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from ilrs.report.steps import _steps_from_stdin as s; s()"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # a failure is told by running the step here
        )
        try:
            self.process.stdin.write(pickle.dumps((plan, str(cache.root), steps)))
            self.process.stdin.close()
        except OSError:
            self.stop()  # it died at once: the steps run here

    def wait(self, step: str) -> Path:
        """The step's folder: from the second process, the cache, or made here."""
        folder = self.folders[step]
        if step in self.beside and self.process is not None:
            if not folder.is_dir() and self.process.poll() is None:
                self.cache.progress(f"{step}: waiting for the second process ...")
            while not folder.is_dir() and self.process.poll() is None:
                time.sleep(0.05)
            if folder.is_dir():
                self.cache.progress(f"{step}: computed ({folder})")
                self.cache.computed.append(step)
                return folder
        if step == "station":
            return station_step(self.plan, self.cache)
        return validation_step(self.cache)

    def stop(self) -> None:
        """End the second process (all taken, or the plan failed before)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def _station_of(plan: LoadedPlan):
    return plan.station_file(), plan.station


def _steps_from_stdin() -> None:
    """The second process's work: (plan, cache folder, steps) pickled on standard input,
    each step computed into the cache, silently."""
    import pickle

    plan, root, steps = pickle.loads(sys.stdin.buffer.read())
    cache = StepCache(Path(root), progress=lambda line: None)
    for step in steps:
        station_step(plan, cache) if step == "station" else validation_step(cache)


def _scenario_inputs(path: Path, scenario) -> dict:
    """A station or campaign file as a cache input: its text and the files its station
    scenario names (the terrain or horizon profile its site reads)."""
    named = [scenario.site.horizon_csv, scenario.site.terrain]
    referenced = [scenario.path(name) for name in named if name not in BUILT_IN_TERRAINS]
    if scenario.site.terrain not in ("synthetic", None):  # 'lola', or the cap beyond a DEM
        referenced.append(_cap_path())
    return {
        "file": file_identity(path),
        "referenced": [file_identity(each) for each in referenced],
    }


def write_json_file(value, path: Path) -> None:
    """``value`` as indented JSON (NaN refused)."""
    with path.open("w", encoding="utf-8") as stream:
        json.dump(value, stream, indent=1, allow_nan=False)
        stream.write("\n")
