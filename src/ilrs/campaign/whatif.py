"""What-if: delay, drop or move missions and see what changes in the build-up and the
milestones. The site's exposure is shared, so a variant costs a simulation, not a sky."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ilrs.campaign.buildup import Buildup, build_up
from ilrs.campaign.checks import Finding, plan_findings
from ilrs.campaign.scenario import Campaign
from ilrs.errors import InputError
from ilrs.sky import Times, parse_utc
from ilrs.station.exposure import Exposure
from ilrs.station.scenario import Scenario

__all__ = ["MAX_DELAY_DAYS", "Change", "apply_changes", "parse_change", "what_if"]

MAX_DELAY_DAYS = 36_525  # a century either way: beyond it no ephemeris reaches


@dataclass(frozen=True)
class Change:
    kind: str  # "delay", "drop" or "move"
    mission: str
    days: float = 0.0  # delay
    launch_utc: str | None = None  # move

    def describe(self) -> str:
        if self.kind == "delay":
            return f"delay {self.mission} by {self.days:g} days"
        if self.kind == "move":
            return f"move {self.mission} to launch {self.launch_utc}"
        return f"drop {self.mission}"


def parse_change(kind: str, text: str) -> Change:
    """A change from the command line: ``delay`` ``NAME:DAYS``, ``move`` ``NAME:ISO`` or
    ``drop`` ``NAME``."""
    if kind == "drop":
        return Change("drop", text.strip())
    name, separator, value = text.rpartition(":") if kind == "delay" else text.partition(":")
    if not separator or not name.strip() or not value.strip():
        example = "ILRS-1:365" if kind == "delay" else "ILRS-2:2034-06-01"
        raise InputError(
            f"--{kind} takes MISSION:{'DAYS' if kind == 'delay' else 'DATE'}, "
            f"e.g. {example}; got {text!r}"
        )
    if kind == "delay":
        try:
            days = float(value)
        except ValueError:
            days = math.nan
        if not math.isfinite(days) or abs(days) > MAX_DELAY_DAYS:
            raise InputError(
                f"--delay {text!r}: {value!r} is not a number of days (within +-{MAX_DELAY_DAYS:,})"
            )
        return Change("delay", name.strip(), days=days)
    parse_utc(value.strip())
    return Change("move", name.strip(), launch_utc=value.strip())


def apply_changes(campaign: Campaign, changes: list[Change]) -> tuple[Campaign, list[Finding]]:
    """The campaign with the changes made, and findings about what they break: missions
    that depended on a dropped one lose that dependency (and are flagged)."""
    names = [mission.name for mission in campaign.missions]
    missions = list(campaign.missions)
    findings: list[Finding] = []
    for change in changes:
        if change.mission not in names:
            raise InputError(
                f"{change.describe()}: no mission {change.mission!r}; the campaign's missions: "
                f"{', '.join(names)}"
            )
        index = next(i for i, m in enumerate(missions) if m.name == change.mission)
        mission = missions[index]
        if change.kind == "drop":
            missions[index] = mission.model_copy(update={"status": "cancelled"})
            for position, other in enumerate(missions):
                if change.mission in other.depends_on and other.status != "cancelled":
                    findings.append(
                        Finding(
                            "warning",
                            other.name,
                            f"mission {other.name!r} depended on {change.mission!r}, dropped",
                        )
                    )
                    missions[position] = other.model_copy(
                        update={"depends_on": [d for d in other.depends_on if d != change.mission]}
                    )
            continue
        if change.kind == "delay":
            shifted = mission.launch_tdb_s + change.days * 86400.0
            launch = Times(np.array([shifted])).utc_iso(0)[0]
        else:
            launch = change.launch_utc
        missions[index] = mission.model_copy(update={"launch_utc": launch})
    return campaign.model_copy(update={"missions": missions}), findings


def what_if(
    station: Scenario,
    campaign: Campaign,
    changes: list[Change],
    exposure: Exposure,
    *,
    baseline: Buildup | None = None,
) -> dict:
    """The build-up with and without the changes: milestones, capabilities per year and
    the findings of the changed plan."""
    baseline = baseline or build_up(station, campaign, exposure)
    changed_campaign, change_findings = apply_changes(campaign, changes)
    changed = build_up(station, changed_campaign, exposure)
    findings = change_findings + plan_findings(station, changed_campaign)
    milestones = []
    for before, after in zip(baseline.milestones, changed.milestones, strict=True):
        milestones.append(
            {
                "milestone": before["milestone"],
                "passed_before": before["passed"],
                "passed_after": after["passed"],
                "changed": before["passed"] != after["passed"],
                "reasons_after": after["reasons"],
            }
        )
    years = []
    for before, after in zip(baseline.years, changed.years, strict=True):
        row = {"year": before.year}
        for key, value in before.as_dict().items():
            if key != "year":
                row[f"{key}_before"] = value
                row[f"{key}_after"] = getattr(after, key)
        years.append(row)
    return {
        "changes": [change.describe() for change in changes],
        "milestones": milestones,
        "findings": [finding.as_dict() for finding in findings],
        "years": years,
        "buildup": changed,
        "campaign": changed_campaign,
    }
