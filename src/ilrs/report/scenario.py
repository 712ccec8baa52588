"""The plan scenario: what ``ilrs plan`` computes, read from YAML with every problem told
as ``file:line: field: problem``.

A plan names its terrain (the synthetic south pole, or a DEM file), the site whose
lighting it analyses, the period of that analysis, and the station and campaign scenario
files it runs (the embedded references when not given). Relative paths are taken from
the plan file's folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from ilrs.errors import InputError
from ilrs.scenario_files import ScenarioSource, named_file_problem, read_scenario_yaml
from ilrs.station.scenario import StrictModel as _Strict
from ilrs.terrain.sources import dem_files

__all__ = ["MAX_PLAN_INSTANTS", "PlanScenario", "load_plan", "reference_plan_path"]

# The instants of a plan's lighting period: 114 years at 1 h (the maps light every pixel
# at each: a million instants on the default 1024 px map is hours of work already).
MAX_PLAN_INSTANTS = 1_000_000


class SyntheticTerrain(_Strict):
    size_px: Annotated[int, Field(ge=16, le=65_536)] = 1024
    resolution_m: Annotated[float, Field(gt=0)] = 60.0
    seed: int = 0


class LolaTerrain(_Strict):
    """The embedded real LOLA polar cap (1600 m): the map is the square of
    ``map_half_width_km`` about the pole; every horizon runs on over the whole cap."""

    map_half_width_km: Annotated[float, Field(gt=0, le=600)] = 200.0
    # Real fine LOLA around the site, fetched on the first run (``ilrs terrain fetch
    # --site``): the finest product within this radius, coarser ones out to far_radius_km.
    near_radius_km: Annotated[float, Field(gt=0, le=100)] | None = None
    far_radius_km: Annotated[float, Field(gt=0, le=600)] = 200.0
    base_url: str | None = None  # a mirror of the PDS node's LOLA polar folder


class Terrain(_Strict):
    """Exactly one of the real LOLA cap, a synthetic south pole and a DEM file."""

    lola: LolaTerrain | None = None
    synthetic: SyntheticTerrain | None = None
    dem: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Terrain:
        if sum(kind is not None for kind in (self.lola, self.synthetic, self.dem)) != 1:
            raise ValueError(
                "give one terrain: 'lola: {...}' (the real polar cap), 'synthetic: {...}' or "
                "'dem: FILE'"
            )
        return self


class Site(_Strict):
    """A named site (data/sites.csv) or a latitude and longitude."""

    name: str | None = None
    lat_deg: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon_deg: float | None = None
    height_m: Annotated[float, Field(ge=0)] = 2.0

    @model_validator(mode="after")
    def _one_place(self) -> Site:
        by_name = self.name is not None
        by_position = self.lat_deg is not None or self.lon_deg is not None
        if by_name == by_position:
            raise ValueError("give the site by 'name', or by 'lat_deg' and 'lon_deg'")
        if by_position and (self.lat_deg is None or self.lon_deg is None):
            raise ValueError("give both 'lat_deg' and 'lon_deg'")
        return self


class Lighting(_Strict):
    start: str
    end: str
    step: str = "1h"


class PlanScenario(_Strict):
    name: str
    terrain: Terrain
    site: Site
    lighting: Lighting
    station: str | None = None
    campaign: str | None = None
    maps: bool = True  # the whole terrain's lighting (minutes on a 1024 px DEM over a year)


class LoadedPlan:
    """A validated plan, its file, and its inputs' resolved paths; once :func:`load_plan`
    has read them, the station scenario (``station``) and the campaign file's station and
    campaign (``campaign``)."""

    def __init__(self, scenario: PlanScenario, source: ScenarioSource, folder: Path | None = None):
        self.scenario = scenario
        self.source = source
        self.folder = Path(folder).resolve() if folder is not None else source.path.resolve().parent
        self.station = None
        self.campaign = None
        self.fetched_manifest: Path | None = None  # its fetched LOLA stack, once fetched

    def path(self, relative: str) -> Path:
        return (self.folder / relative).resolve()

    def station_file(self) -> Path:
        from ilrs.data import data_path

        name = self.scenario.station
        return Path(data_path("station_reference.yaml")) if name is None else self.path(name)

    def campaign_file(self) -> Path:
        from ilrs.data import data_path

        name = self.scenario.campaign
        return Path(data_path("campaign_reference.yaml")) if name is None else self.path(name)

    def input_files(self) -> list[Path]:
        """Every file the plan reads: the plan file, its DEM, the station and campaign
        files and the terrain or horizon profile each of their stations names."""
        files = [self.source.path, self.station_file(), self.campaign_file()]
        if self.scenario.terrain.dem is not None:
            files += dem_files(self.path(self.scenario.terrain.dem))
        for station in (self.station, self.campaign[0] if self.campaign else None):
            if station is not None:
                files += station.referenced_files()
        return files


def reference_plan_path() -> Path:
    from ilrs.data import data_path

    return Path(data_path("plan_reference.yaml"))


def load_plan(
    path: str | Path | None = None, *, folder: Path | None = None, confined: bool = False
) -> LoadedPlan:
    """Read and check a plan file (the embedded reference when None): fields, the site's
    name, the period, the files it names. Every problem with its line. The files it names
    are taken from ``folder`` (default: the plan file's own); ``confined`` (a plan sent to
    the web application): they, and those its scenario files name, must lie inside that
    folder, and no file outside it is read or said to exist."""
    source = read_scenario_yaml(reference_plan_path() if path is None else path, "plan")
    scenario = source.validate(PlanScenario, source.data)
    plan = LoadedPlan(scenario, source, folder)
    problems = []
    if scenario.site.name is not None:
        from ilrs.data import named_sites

        if scenario.site.name.lower() not in named_sites():
            known = ", ".join(sorted(named_sites()))
            problems.append((("site", "name"), f"unknown site (known: {known})"))
    try:
        from ilrs.sky import utc_range

        lighting = scenario.lighting
        utc_range(lighting.start, lighting.end, lighting.step, max_instants=MAX_PLAN_INSTANTS)
    except InputError as error:
        problems.append((("lighting",), str(error)))
    confine_to = plan.folder if confined else None
    files = [("terrain", "dem", scenario.terrain.dem)]
    files += [("station", None, scenario.station), ("campaign", None, scenario.campaign)]
    for section, field, name in files:
        if name is None:
            continue
        where = (section, field) if field else (section,)
        problem = named_file_problem(name, confine_to, scenario=field is None)
        if problem is not None:
            problems.append((where, problem))
        elif not plan.path(name).is_file():
            problems.append((where, f"no such file: {name if confined else plan.path(name)}"))
    if problems:
        raise source.problems_error(problems)
    # The station and campaign files are read now, so that their mistakes show before
    # anything is computed (each told with its own file and line).
    from ilrs.campaign.scenario import load_campaign
    from ilrs.station.scenario import load_scenario

    def within(named: str | None) -> Path | None:  # the embedded references are trusted
        return confine_to if named is not None else None

    plan.station = load_scenario(plan.station_file(), within=within(scenario.station))
    plan.campaign = load_campaign(plan.campaign_file(), within=within(scenario.campaign))
    return plan
