"""Findings about a campaign: what does not fit (a launcher too small, a mission before
the one it needs, launches too close) and what the station cannot give a mission's payloads
when they arrive. Each finding names its mission."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ilrs.campaign.buildup import Buildup, continuous_power_w, landing_utc
from ilrs.campaign.scenario import Campaign, station_element_names
from ilrs.sky import parse_utc
from ilrs.station.scenario import Scenario

__all__ = ["Finding", "build_up_findings", "plan_findings"]

_DAY_S = 86400.0


@dataclass(frozen=True)
class Finding:
    severity: str  # "error": the campaign does not close as written; "warning": look at it
    mission: str | None
    message: str

    def as_dict(self) -> dict:
        return {"severity": self.severity, "mission": self.mission, "message": self.message}


def plan_findings(station: Scenario, campaign: Campaign) -> list[Finding]:
    """What the plan itself shows, before any simulation."""
    findings: list[Finding] = []
    launchers = {launcher.name: launcher for launcher in campaign.launchers}
    active = [mission for mission in campaign.missions if mission.status != "cancelled"]
    by_name = {mission.name: mission for mission in active}
    for mission in active:
        launcher = launchers[mission.launcher]
        if mission.mass_kg > launcher.capacity_kg:
            findings.append(
                Finding(
                    "error",
                    mission.name,
                    f"mission {mission.name!r}: {mission.mass_kg:,.0f} kg exceeds the "
                    f"{launcher.capacity_kg:,.0f} kg {launcher.name} can carry",
                )
            )
        for needed in mission.depends_on:
            if needed not in by_name:
                findings.append(
                    Finding(
                        "error",
                        mission.name,
                        f"mission {mission.name!r} depends on {needed!r}, which is cancelled "
                        "or dropped",
                    )
                )
            elif mission.launch_tdb_s < by_name[needed].landing_tdb_s:
                lands = landing_utc(by_name[needed])[:10]
                findings.append(
                    Finding(
                        "error",
                        mission.name,
                        f"mission {mission.name!r} launches {mission.launch_utc[:10]}, before "
                        f"{needed!r}, which it depends on, lands ({lands})",
                    )
                )
        if mission.delivers and not mission.joins_station:
            findings.append(
                Finding(
                    "error",
                    mission.name,
                    f"mission {mission.name!r} delivers station elements but does not land at "
                    "the station (joins_station: false)",
                )
            )
    ordered = sorted(active, key=lambda mission: mission.launch_tdb_s)
    gap_days = campaign.rules.min_days_between_launches
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        days = (later.launch_tdb_s - earlier.launch_tdb_s) / _DAY_S
        if days < gap_days:
            findings.append(
                Finding(
                    "warning",
                    later.name,
                    f"mission {later.name!r} launches {days:.0f} days after {earlier.name!r}; "
                    f"the campaign's rules ask for at least {gap_days:g}",
                )
            )
    delivered = {element for mission in active for element in mission.delivers}
    for element, kind in station_element_names(station).items():
        if element not in delivered:
            findings.append(
                Finding(
                    "warning",
                    None,
                    f"the station's {kind} {element!r} is delivered by no mission: it is left "
                    "out of the build-up",
                )
            )
    return findings


def _steps_from(buildup: Buildup, mission: str) -> np.ndarray:
    """The steps from a mission's landing to the end of that calendar year."""
    times = buildup.run.inputs.exposure.times
    landing_s = float(parse_utc(buildup.landings[mission]).tdb_s[0])
    year_end_s = float(parse_utc(f"{int(buildup.landings[mission][:4]) + 1}-01-01").tdb_s[0])
    return np.flatnonzero((times.tdb_s >= landing_s) & (times.tdb_s < year_end_s))


def build_up_findings(buildup: Buildup, campaign: Campaign) -> list[Finding]:
    """What the simulated build-up shows about each mission's payloads: power and data
    against what the station offers in the year they arrive, and survival after landing."""
    findings: list[Finding] = []
    for mission in campaign.missions:
        if mission.status == "cancelled" or not mission.joins_station:
            continue
        year = int(buildup.landings[mission.name][:4])
        figures = buildup.year(year)
        if figures is None:
            continue
        payloads = [payload for payload in mission.payloads if payload.on_surface]
        power_w = sum(payload.power_w for payload in payloads)
        # What the station carries from the landing to the year's end, the mission's own
        # elements included.
        carried_w = continuous_power_w(buildup.run.inputs, _steps_from(buildup, mission.name))
        if power_w > carried_w:
            findings.append(
                Finding(
                    "warning",
                    mission.name,
                    f"mission {mission.name!r}: its payloads ask {power_w:,.0f} W; from its "
                    f"landing to the end of {year} the station carries {carried_w:,.0f} W "
                    "without a break",
                )
            )
        data_per_day = sum(payload.data_rate_bps for payload in payloads) * _DAY_S / 8.0
        if data_per_day > figures.data_per_day_bytes:
            findings.append(
                Finding(
                    "warning",
                    mission.name,
                    f"mission {mission.name!r}: its payloads make {data_per_day / 1e9:,.2f} GB "
                    f"a day; the station sends home {figures.data_per_day_bytes / 1e9:,.2f} GB a "
                    f"day in {year}",
                )
            )
    failing = [figures for figures in buildup.years if figures.survival_failure_h > 0]
    if failing:
        years = ", ".join(str(figures.year) for figures in failing)
        findings.append(
            Finding(
                "warning",
                None,
                f"survival loads go short in {years} "
                f"({sum(f.survival_failure_h for f in failing):,.0f} h in all)",
            )
        )
    return findings
