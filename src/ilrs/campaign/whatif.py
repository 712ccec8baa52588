"""What-if: delay, drop or move missions and see what changes in the build-up and the
milestones. The site's exposure is shared, so a variant costs a simulation, not a sky."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ilrs.campaign.buildup import BuildupFigures, build_up
from ilrs.campaign.checks import Finding, plan_findings
from ilrs.campaign.scenario import Campaign
from ilrs.errors import InputError
from ilrs.sky import Times, parse_utc
from ilrs.station.scenario import Scenario

if TYPE_CHECKING:
    from ilrs.station.exposure import Exposure

__all__ = [
    "MAX_DELAY_DAYS",
    "Change",
    "EffectiveCampaign",
    "check_changes",
    "effective_campaign",
    "parse_change",
    "what_if",
]

MAX_DELAY_DAYS = 36_525  # a century either way: beyond it no ephemeris reaches


@dataclass(frozen=True)
class Change:
    kind: str  # "delay", "drop", "move" or "keep" (fly a dropped mission's dependent)
    mission: str
    days: float = 0.0  # delay
    launch_utc: str | None = None  # move

    def describe(self) -> str:
        if self.kind == "delay":
            return f"delay {self.mission} by {self.days:g} days"
        if self.kind == "move":
            return f"move {self.mission} to launch {self.launch_utc}"
        if self.kind == "keep":
            return f"keep {self.mission}"
        return f"drop {self.mission}"


def parse_change(kind: str, text: str) -> Change:
    """A change from the command line: ``delay`` ``NAME:DAYS``, ``move`` ``NAME:ISO`` or
    ``drop`` or ``keep`` ``NAME``."""
    if kind in ("drop", "keep"):
        return Change(kind, text.strip())
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


@dataclass(frozen=True)
class EffectiveCampaign:
    """The campaign as a what-if flies it: every reader (build-up, Gantt, milestones,
    findings) takes this one, so none of them can tell a different story."""

    campaign: Campaign
    cancelled_because: dict[str, str]  # mission -> why this what-if does not fly it
    findings: list[Finding]  # what the changes themselves did (kept dependents)


def check_changes(campaign: Campaign, changes: list[Change]) -> None:
    """Refuse, in one line, changes naming a mission the campaign does not have (before
    anything is computed)."""
    names = [mission.name for mission in campaign.missions]
    unknown = [change for change in changes if change.mission not in names]
    if unknown:
        raise InputError(
            f"{'; '.join(change.describe() for change in unknown)}: no mission "
            f"{', '.join(repr(change.mission) for change in unknown)}; the campaign's "
            f"missions: {', '.join(names)}"
        )


def effective_campaign(campaign: Campaign, changes: list[Change]) -> EffectiveCampaign:
    """The campaign with the changes made. The rule: a dropped mission cancels every
    mission that depends on it, transitively, unless a ``keep`` change names that mission
    (it then flies without what it depended on, and a finding says so)."""
    check_changes(campaign, changes)
    by_name = {mission.name: mission for mission in campaign.missions}
    for change in changes:
        mission = by_name[change.mission]
        if change.kind == "delay":
            shifted = mission.launch_tdb_s + change.days * 86400.0
            launch = Times(np.array([shifted])).utc_iso(0)[0]
            by_name[change.mission] = mission.model_copy(update={"launch_utc": launch})
        elif change.kind == "move":
            by_name[change.mission] = mission.model_copy(update={"launch_utc": change.launch_utc})
    dropped = [change.mission for change in changes if change.kind == "drop"]
    kept = [change.mission for change in changes if change.kind == "keep"]
    both = sorted(set(dropped) & set(kept))
    if both:
        raise InputError(f"{', '.join(map(repr, both))}: both dropped and kept; choose one")
    cancelled_because = {name: "dropped" for name in dropped}
    findings: list[Finding] = []
    kept_used: set[str] = set()
    settled = False
    while not settled:  # to a fixed point: what depends on a cancelled mission goes too
        settled = True
        for name, mission in by_name.items():
            if name in cancelled_because or mission.status == "cancelled":
                continue
            gone = [needed for needed in mission.depends_on if needed in cancelled_because]
            if not gone:
                continue
            settled = False
            if name in kept:
                kept_used.add(name)
                for needed in gone:
                    findings.append(
                        Finding(
                            "warning",
                            name,
                            f"mission {name!r} is kept though {needed!r}, which it depends "
                            f"on, is {_gone_how(needed, cancelled_because)}: it flies without it",
                        )
                    )
                by_name[name] = mission.model_copy(
                    update={"depends_on": [d for d in mission.depends_on if d not in gone]}
                )
            else:
                needed = gone[0]
                cancelled_because[name] = (
                    f"depends on {needed!r}, {_gone_how(needed, cancelled_because)}"
                )
    idle_keeps = [name for name in kept if name not in kept_used]
    if idle_keeps:
        raise InputError(
            f"keep {', '.join(map(repr, idle_keeps))}: depends on no dropped mission "
            "(keep names a mission that would be cancelled with one it depends on)"
        )
    missions = [
        by_name[mission.name].model_copy(update={"status": "cancelled"})
        if mission.name in cancelled_because
        else by_name[mission.name]
        for mission in campaign.missions
    ]
    return EffectiveCampaign(
        campaign.model_copy(update={"missions": missions}), cancelled_because, findings
    )


def _gone_how(name: str, cancelled_because: dict[str, str]) -> str:
    return "dropped" if cancelled_because[name] == "dropped" else "cancelled"


def what_if(
    station: Scenario,
    campaign: Campaign,
    changes: list[Change],
    exposure: Exposure | None,
    *,
    baseline: BuildupFigures | None = None,
    build: Callable[[Campaign], BuildupFigures] | None = None,
) -> dict:
    """The build-up with and without the changes: milestones, capabilities per year and
    the findings of the changed plan. ``build`` gives a campaign's build-up (by default
    simulated on ``exposure``; a cache passes its own, and ``exposure`` may then be None)."""
    effective = effective_campaign(campaign, changes)  # refused before any simulation
    if build is None:

        def build(variant: Campaign) -> BuildupFigures:
            return build_up(station, variant, exposure)

    baseline = baseline or build(campaign)
    changed_campaign = effective.campaign
    changed = build(changed_campaign)
    findings = effective.findings + plan_findings(
        station, changed_campaign, cancelled_because=effective.cancelled_because
    )
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
        "cancelled": effective.cancelled_because,
        "milestones": milestones,
        "findings": [finding.as_dict() for finding in findings],
        "years": years,
        "buildup": changed,
        "campaign": changed_campaign,
    }
