"""The campaign's exposure, build-ups and charts kept in the plan's step cache, each keyed
by what it depends on.

Twenty years of the site's sky take half a minute; a what-if that only moves missions
needs the same sky again. The exposure is a step like the plan's (``<cache>/exposure-<key>``
with ``exposure.npz`` in it, made by :class:`~ilrs.report.steps.StepCache`), its key a
digest of exactly what :func:`~ilrs.station.exposure.site_exposure` reads: the site and the
terrain files it names, the arrays' geometry, the links, relays and ground stations, the
timeline, and the program (``code_digest``). The loads, the storage, the missions and their
dates are not in it: they change the simulation, not the sky.

A what-if then costs two build-ups (as planned and changed) and its charts. Each build-up's
figures are a step too (``buildup-<key>/buildup.json``, keyed by the sky's inputs and the
whole station and campaign), and so are the table and charts drawn from them
(``timeline-<key>``): asked again, a what-if reads them back, with neither the compiled
simulation nor matplotlib loaded, and its answer is the same, byte for byte.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ilrs.campaign.buildup import BuildupFigures, campaign_exposure
from ilrs.campaign.scenario import Campaign
from ilrs.report.steps import StepCache, file_identity
from ilrs.station.scenario import BUILT_IN_TERRAINS, Scenario

if TYPE_CHECKING:
    from ilrs.station.exposure import Exposure

__all__ = ["BUILDUP_FILE", "EXPOSURE_FILE", "TIMELINE_FILES", "CachedBuildups"]
__all__ += ["buildup_inputs", "cached_campaign_exposure", "cached_timeline_files"]
__all__ += ["exposure_inputs"]

EXPOSURE_FILE = "exposure.npz"
BUILDUP_FILE = "buildup.json"
TIMELINE_FILES = ("timeline.csv", "gantt.png", "capability.png")
# Of each solar array, what the Sun on it depends on (its rating, losses and cells do not).
ARRAY_GEOMETRY = ("name", "mount", "height_m", "azimuth_deg", "tilt_deg")
_NOT_EXPOSURE = {"installed_utc"}  # when an element arrives is the simulation's business


def exposure_inputs(station: Scenario, campaign: Campaign) -> dict:
    """Everything the campaign's exposure is computed from, as a cache input."""
    surface = station.surface
    site = station.site
    inputs = {
        "timeline": campaign.timeline.model_dump(mode="json"),
        "site": site.model_dump(mode="json"),
        "terrain_files": [file_identity(path) for path in station.referenced_files()],
        "arrays": [array.model_dump(include=set(ARRAY_GEOMETRY)) for array in surface.solar_arrays],
        "dte": _link(surface.dte),
        "relay_link": _link(surface.relay_link),
        "orbital": station.orbital.model_dump(mode="json"),
        "ground_stations": [spec.model_dump(mode="json") for spec in station.ground.stations],
    }
    if site.terrain not in ("synthetic", None):
        from ilrs.report.steps import _cap_path  # 'lola', or the cap beyond a DEM

        inputs["cap"] = file_identity(_cap_path())
    if site.terrain not in BUILT_IN_TERRAINS and site.terrain.endswith(".json"):
        from ilrs.terrain.lola_stack import stack_identity  # a fetched stack: its layers

        inputs["stack"] = stack_identity(station.path(site.terrain))
    return inputs


def _link(link) -> dict | None:
    return None if link is None else link.model_dump(mode="json", exclude=_NOT_EXPOSURE)


Kept = TypeVar("Kept")


def _kept_step(
    cache: StepCache,
    step: str,
    inputs: dict,
    compute: Callable[[Path], Kept],
    read: Callable[[Path], Kept],
    unreadable: tuple[type[Exception], ...],
) -> Kept:
    """``step`` for ``inputs``: what ``compute(folder)`` returned (it writes the folder),
    or, when the folder is there, ``read(folder)``. A folder ``read`` fails on (one of
    ``unreadable``) is computed again, never trusted."""
    computed: list = []

    def make(folder: Path) -> None:
        computed.append(compute(folder))

    folder = cache.run(step, inputs, make)
    if computed:
        return computed[0]
    try:
        return read(folder)
    except unreadable as error:
        cache.progress(f"{step}: unreadable, computed again ({error})")
        cache.reused.remove(step)
        shutil.rmtree(folder, ignore_errors=True)
        folder = cache.run(step, inputs, make)
        return computed[0] if computed else read(folder)


def cached_campaign_exposure(station: Scenario, campaign: Campaign, cache: StepCache) -> Exposure:
    """The campaign's exposure (:func:`~ilrs.campaign.buildup.campaign_exposure`), read from
    ``cache`` when it was computed from the same inputs, else computed and kept there. A
    damaged file is computed again, never trusted."""
    from ilrs.station.exposure_file import UnreadableExposureError, read_exposure, write_exposure

    def compute(folder: Path) -> Exposure:
        exposure = campaign_exposure(station, campaign)
        write_exposure(exposure, folder / EXPOSURE_FILE)
        return exposure

    def read(folder: Path) -> Exposure:
        return read_exposure(folder / EXPOSURE_FILE)

    inputs = exposure_inputs(station, campaign)
    return _kept_step(cache, "exposure", inputs, compute, read, (UnreadableExposureError,))


def buildup_inputs(station: Scenario, campaign: Campaign) -> dict:
    """Everything a build-up is computed from, as a cache input: the sky's inputs (with
    the terrain files' bytes) and the whole station and campaign (loads, storage, cells,
    missions and their dates, milestones)."""
    return {
        "exposure": exposure_inputs(station, campaign),
        "station": station.model_dump(mode="json"),
        "campaign": campaign.model_dump(mode="json"),
    }


class CachedBuildups:
    """The build-ups of a campaign and its what-if variants on one station: each read from
    the cache when simulated before from the same inputs, else simulated on the site's sky
    (read from the cache at most once) and kept. Called with a campaign, gives its
    :class:`~ilrs.campaign.buildup.BuildupFigures`."""

    def __init__(self, station: Scenario, cache: StepCache):
        self.station = station
        self.cache = cache
        self._skies: dict[str, Exposure] = {}

    def exposure(self, campaign: Campaign) -> Exposure:
        """The site's sky over the campaign's timeline (its variants share it)."""
        key = json.dumps(exposure_inputs(self.station, campaign), sort_keys=True, default=str)
        if key not in self._skies:
            self._skies[key] = cached_campaign_exposure(self.station, campaign, self.cache)
        return self._skies[key]

    def __call__(self, campaign: Campaign) -> BuildupFigures:
        def compute(folder: Path) -> BuildupFigures:
            from ilrs.campaign.buildup import build_up

            built = build_up(self.station, campaign, self.exposure(campaign)).as_figures()
            (folder / BUILDUP_FILE).write_text(json.dumps(built.as_json()), encoding="utf-8")
            return built

        def read(folder: Path) -> BuildupFigures:
            text = (folder / BUILDUP_FILE).read_text(encoding="utf-8")
            return BuildupFigures.from_json(json.loads(text))

        inputs = buildup_inputs(self.station, campaign)
        unreadable = (OSError, ValueError, KeyError, TypeError)  # missing, cut short, other
        return _kept_step(self.cache, "buildup", inputs, compute, read, unreadable)


def cached_timeline_files(
    campaign: Campaign,
    buildup: BuildupFigures,
    cache: StepCache,
    *,
    cancelled_because: dict[str, str] | None = None,
) -> Path:
    """The folder holding a build-up's table and charts (:data:`TIMELINE_FILES`), drawn
    once for the same campaign, figures and cancellations (drawing takes a second or two
    with matplotlib's import; copying, milliseconds)."""
    from ilrs.campaign.charts import write_timeline_files

    def compute(folder: Path) -> None:
        write_timeline_files(folder, campaign, buildup, cancelled_because=cancelled_because)

    def read(folder: Path) -> None:
        missing = [name for name in TIMELINE_FILES if not (folder / name).is_file()]
        if missing:
            raise FileNotFoundError(f"{folder}: no {', '.join(missing)}")

    inputs = {
        "campaign": campaign.model_dump(mode="json"),
        "buildup": buildup.as_figures().as_json(),
        "cancelled_because": cancelled_because or {},
    }
    _kept_step(cache, "timeline", inputs, compute, read, (FileNotFoundError,))
    return cache.folder("timeline", inputs)
