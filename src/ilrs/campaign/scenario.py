"""The campaign in the scenario file: launchers, missions with their payloads and what they
deliver to the station, and the milestones the build-up is judged by.

A campaign file is a station scenario (``ilrs.station.scenario``) with a ``campaign:``
section: the station's elements are written once there, and each mission names the ones it
delivers. Every problem is reported with its line, and the mission it belongs to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from ilrs.scenario_files import read_scenario_yaml
from ilrs.sky import parse_utc
from ilrs.station.scenario import (
    Period,
    Scenario,
    Schedule,
    StrictModel,
    scenario_from_source,
    utc_text,
)

__all__ = [
    "STATUSES",
    "Campaign",
    "Criteria",
    "Launcher",
    "Milestone",
    "Mission",
    "Payload",
    "campaign_checks",
    "dependency_cycle",
    "load_campaign",
    "station_element_names",
]

STATUSES = ("planned", "approved", "launched", "landed", "cancelled")


class Launcher(StrictModel):
    name: str
    capacity_kg: float = Field(gt=0, description="the most it sends to the Moon (to landing)")
    source: str = ""


class Payload(StrictModel):
    name: str
    owner: str | None = Field(None, description="the organisation (registry id or name)")
    country: str | None = Field(None, description="ISO 3166 alpha-2 of the owner")
    mass_kg: float = Field(0.0, ge=0)
    power_w: float = Field(0.0, ge=0)
    data_rate_bps: float = Field(0.0, ge=0)
    priority: int = Field(4, ge=1, le=9)
    schedule: Schedule = Schedule()
    on_surface: bool = Field(True, description="false: flies on an orbiter, not the station")
    source: str = ""


class Mission(StrictModel):
    name: str
    purpose: str = ""
    launch_utc: str = Field(description="planned launch, ISO 8601 UTC (the window opens)")
    window_days: float = Field(
        30.0, gt=0, description="the launch window's length; landing windows are sought in it"
    )
    transfer_days: float = Field(5.0, ge=0, description="launch to landing")
    launcher: str
    mass_kg: float = Field(gt=0, description="launch mass of what the launcher carries")
    site: str | None = Field(None, description="landing site (a reference site name)")
    joins_station: bool = Field(
        True, description="lands at the station and joins it (false: a mission elsewhere)"
    )
    delivers: list[str] = Field([], description="station elements it brings, by name")
    payloads: list[Payload] = []
    depends_on: list[str] = []
    paired_launch: bool = Field(
        False,
        description="one of two launches flown days apart by design (a lander and its crew "
        "ship): the rules' min_days_between_launches is not asked between two such launches",
    )
    status: Literal["planned", "approved", "launched", "landed", "cancelled"] = "planned"
    source: str = ""

    _check_launch = field_validator("launch_utc")(utc_text)

    @property
    def launch_tdb_s(self) -> float:
        return float(parse_utc(self.launch_utc).tdb_s[0])

    @property
    def landing_tdb_s(self) -> float:
        return self.launch_tdb_s + self.transfer_days * 86400.0


class Criteria(StrictModel):
    survival: bool = Field(True, description="no survival failure in the year")
    continuous_power_w: float | None = Field(None, ge=0)
    worst_night_margin_wh: float | None = None
    data_per_day_bytes: float | None = Field(None, ge=0)
    water_per_year_kg: float | None = Field(None, ge=0)
    payloads_hosted: int | None = Field(None, ge=0)


class Milestone(StrictModel):
    name: str
    by_utc: str = Field(description="judged over the calendar year that ends the milestone")
    criteria: Criteria
    source: str = ""

    _check_by = field_validator("by_utc")(utc_text)


class Rules(StrictModel):
    min_days_between_launches: float = Field(0.0, ge=0)


class Campaign(StrictModel):
    name: str
    timeline: Period = Field(description="the build-up period (e.g. 2026 to 2045 at 1h)")
    launchers: list[Launcher] = []
    missions: list[Mission] = Field(min_length=1)
    milestones: list[Milestone] = []
    rules: Rules = Rules()

    def mission(self, name: str) -> Mission:
        for mission in self.missions:
            if mission.name == name:
                return mission
        raise KeyError(name)


def load_campaign(path: str | Path, *, within: Path | None = None) -> tuple[Scenario, Campaign]:
    """The station scenario and the campaign of a campaign file, both checked; ``within``:
    a folder the files it names must stay in."""
    source = read_scenario_yaml(path, "campaign")
    if "campaign" not in source.data:
        raise source.error((), "no campaign: section (a station scenario alone?)")
    station = scenario_from_source(source, within=within)
    campaign = source.validate(Campaign, source.data["campaign"], ("campaign",))
    problems = campaign_checks(station, campaign)
    if problems:
        raise source.problems_error(problems)
    return station, campaign


def station_element_names(station: Scenario) -> dict[str, str]:
    """Every element a mission may deliver, by name, with its kind."""
    surface = station.surface
    names = {}
    for kind, items in (
        ("solar array", surface.solar_arrays),
        ("storage", surface.storage),
        ("constant source", surface.constant_sources),
        ("load", surface.loads),
        ("rover", surface.rovers),
    ):
        names.update({item.name: kind for item in items})
    if surface.isru is not None:
        names[surface.isru.name] = "ISRU plant"
    if surface.dte is not None:
        names["dte"] = "direct-to-Earth terminal"
    if surface.relay_link is not None:
        names["relay_link"] = "relay terminal"
    return names


def campaign_checks(station: Scenario, campaign: Campaign) -> list[tuple[tuple, str]]:
    """Problems that make the campaign unreadable, each (location, message naming the
    mission): unknown launchers and dependencies, cycles, payloads without an owner,
    deliveries of elements the station does not have or that two missions bring."""
    from ilrs.data import named_sites

    problems: list[tuple[tuple, str]] = []
    sites = named_sites()
    launchers = {launcher.name for launcher in campaign.launchers}
    names = [mission.name for mission in campaign.missions]
    elements = station_element_names(station)
    delivered_by: dict[str, str] = {}
    for index, mission in enumerate(campaign.missions):
        where = ("campaign", "missions", index)
        label = f"mission {mission.name!r}"
        if names.count(mission.name) > 1 and names.index(mission.name) != index:
            problems.append((where + ("name",), f"{label} is named twice"))
        if mission.launcher not in launchers:
            problems.append(
                (
                    where + ("launcher",),
                    f"{label}: unknown launcher {mission.launcher!r}; the campaign's launchers: "
                    f"{', '.join(sorted(launchers)) or 'none'}",
                )
            )
        for position, needed in enumerate(mission.depends_on):
            if needed not in names:
                problems.append(
                    (
                        where + ("depends_on", position),
                        f"{label} depends on {needed!r}, which is not in the campaign",
                    )
                )
        payload_names = [payload.name for payload in mission.payloads]
        for position, payload in enumerate(mission.payloads):
            if payload_names.index(payload.name) != position:
                problems.append(
                    (
                        where + ("payloads", position, "name"),
                        f"{label}: two payloads are named {payload.name!r}",
                    )
                )
            if not (payload.owner or "").strip():
                problems.append(
                    (
                        where + ("payloads", position),
                        f"{label}: payload {payload.name!r} has no owner",
                    )
                )
        if mission.site is not None and mission.site.strip().lower() not in sites:
            problems.append(
                (
                    where + ("site",),
                    f"{label}: unknown site {mission.site!r}; known: {', '.join(sites)}",
                )
            )
        for position, element in enumerate(mission.delivers):
            if mission.status == "cancelled":
                break  # a cancelled mission's deliveries may go to another mission
            if element not in elements:
                problems.append(
                    (
                        where + ("delivers", position),
                        f"{label} delivers {element!r}, which the station does not have "
                        f"(its elements: {', '.join(elements)})",
                    )
                )
            elif element in delivered_by:
                problems.append(
                    (
                        where + ("delivers", position),
                        f"{label} delivers {element!r}, which {delivered_by[element]!r} "
                        "already brings",
                    )
                )
            else:
                delivered_by[element] = mission.name
    cycle = dependency_cycle(campaign)
    if cycle:
        index = names.index(cycle[0])
        problems.append(
            (
                ("campaign", "missions", index, "depends_on"),
                f"mission {cycle[0]!r} is in a cycle of dependencies: {' -> '.join(cycle)}",
            )
        )
    return problems


def dependency_cycle(campaign: Campaign) -> list[str]:
    """A cycle among the missions' dependencies (its names, first repeated at the end), or
    an empty list."""
    graph = {mission.name: list(mission.depends_on) for mission in campaign.missions}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = 1
        path.append(name)
        for needed in graph.get(name, []):
            if needed not in graph:
                continue
            if state.get(needed) == 1:
                return path[path.index(needed) :] + [needed]
            if needed not in state:
                found = visit(needed)
                if found:
                    return found
        path.pop()
        state[name] = 2
        return []

    for name in graph:
        if name not in state:
            found = visit(name)
            if found:
                return found
    return []
