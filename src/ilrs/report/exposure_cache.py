"""The campaign's exposure kept in the plan's step cache, keyed by what it depends on.

Twenty years of the site's sky take half a minute; a what-if that only moves missions
needs the same sky again. The exposure is a step like the plan's (``<cache>/exposure-<key>``
with ``exposure.npz`` in it, made by :class:`~ilrs.report.steps.StepCache`), its key a
digest of exactly what :func:`~ilrs.station.exposure.site_exposure` reads: the site and the
terrain files it names, the arrays' geometry, the links, relays and ground stations, the
timeline, and the program (``code_digest``). The loads, the storage, the missions and their
dates are not in it: they change the simulation, not the sky.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ilrs.campaign.buildup import campaign_exposure
from ilrs.campaign.scenario import Campaign
from ilrs.report.steps import StepCache, file_identity
from ilrs.station.exposure import Exposure
from ilrs.station.scenario import BUILT_IN_TERRAINS, Scenario

__all__ = ["EXPOSURE_FILE", "cached_campaign_exposure", "exposure_inputs"]

EXPOSURE_FILE = "exposure.npz"
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


def cached_campaign_exposure(station: Scenario, campaign: Campaign, cache: StepCache) -> Exposure:
    """The campaign's exposure (:func:`~ilrs.campaign.buildup.campaign_exposure`), read from
    ``cache`` when it was computed from the same inputs, else computed and kept there. A
    damaged file is computed again, never trusted."""
    from ilrs.station.exposure_file import UnreadableExposureError, read_exposure, write_exposure

    inputs = exposure_inputs(station, campaign)
    computed: list[Exposure] = []

    def compute(folder: Path) -> None:
        computed.append(campaign_exposure(station, campaign))
        write_exposure(computed[0], folder / EXPOSURE_FILE)

    folder = cache.run("exposure", inputs, compute)
    if computed:
        return computed[0]
    try:
        return read_exposure(folder / EXPOSURE_FILE)
    except UnreadableExposureError as error:
        cache.progress(f"exposure: unreadable, computed again ({error})")
        cache.reused.remove("exposure")
        shutil.rmtree(folder, ignore_errors=True)
        folder = cache.run("exposure", inputs, compute)
        return computed[0] if computed else read_exposure(folder / EXPOSURE_FILE)
