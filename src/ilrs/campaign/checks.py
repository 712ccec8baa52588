"""Findings about a campaign: what does not fit (a launcher too small, a mission before
the one it needs, launches too close) and what the station cannot give a mission's payloads
when they arrive. Each finding names its mission."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ilrs.campaign.buildup import Buildup, landing_utc
from ilrs.campaign.scenario import Campaign, station_element_names
from ilrs.sky import parse_utc
from ilrs.station.scenario import Scenario

__all__ = ["Finding", "build_up_findings", "plan_findings"]

_DAY_S = 86400.0
_YEAR_S = 365.25 * _DAY_S


@dataclass(frozen=True)
class Finding:
    severity: str  # "error": the campaign does not close as written; "warning": look at it
    mission: str | None
    message: str

    def as_dict(self) -> dict:
        return {"severity": self.severity, "mission": self.mission, "message": self.message}


def plan_findings(
    station: Scenario, campaign: Campaign, *, cancelled_because: dict[str, str] | None = None
) -> list[Finding]:
    """What the plan itself shows, before any simulation; ``cancelled_because``: why a
    what-if cancelled some missions (each said once, with what it leaves out)."""
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
        # A pair flown together on purpose (the crewed landing's two Long March 10s) is one
        # campaign step; the cadence rule is about the steps.
        paired = earlier.paired_launch and later.paired_launch
        if days < gap_days and not paired:
            findings.append(
                Finding(
                    "warning",
                    later.name,
                    f"mission {later.name!r} launches {days:.0f} days after {earlier.name!r}; "
                    f"the campaign's rules ask for at least {gap_days:g}",
                )
            )
    findings += _left_out_findings(station, campaign, cancelled_because or {})
    return findings


def _left_out_findings(
    station: Scenario, campaign: Campaign, cancelled_because: dict[str, str]
) -> list[Finding]:
    """Each station element no flying mission delivers, said once: with the cancelled
    mission that would have brought it, or as delivered by no mission at all."""
    elements = station_element_names(station)
    active = [mission for mission in campaign.missions if mission.status != "cancelled"]
    delivered = {element for mission in active for element in mission.delivers}
    findings: list[Finding] = []
    with_a_mission: set[str] = set()
    for mission in campaign.missions:
        if mission.status != "cancelled":
            continue
        left = [e for e in mission.delivers if e in elements and e not in delivered]
        with_a_mission.update(left)
        reason = cancelled_because.get(mission.name)
        if not left and reason is None:
            continue
        message = f"mission {mission.name!r} is cancelled" + (f" ({reason})" if reason else "")
        if left:
            named = ", ".join(f"{elements[e]} {e!r}" for e in left)
            message += f": left out of the build-up with it: {named}"
        findings.append(Finding("warning", mission.name, message))
    for element, kind in elements.items():
        if element not in delivered and element not in with_a_mission:
            findings.append(
                Finding(
                    "warning",
                    None,
                    f"the station's {kind} {element!r} is delivered by no mission: it is left "
                    "out of the build-up",
                )
            )
    return findings


def _first_year(buildup: Buildup, mission: str) -> np.ndarray:
    """The steps of a mission's first year on the surface (within the timeline)."""
    tdb_s = buildup.run.inputs.exposure.times.tdb_s
    landing_s = float(parse_utc(buildup.landings[mission]).tdb_s[0])
    return np.flatnonzero((tdb_s >= landing_s) & (tdb_s < landing_s + _YEAR_S))


def build_up_findings(buildup: Buildup, campaign: Campaign) -> list[Finding]:
    """What the simulated build-up shows about each mission in its first year on the
    surface: whether its payloads get the power they ask (with every other load of the
    station running as scheduled), whether survival holds, and whether the links carry
    the payloads' data besides the rest."""
    findings: list[Finding] = []
    run = buildup.run
    inputs = run.inputs
    step_h = inputs.step_h
    for mission in campaign.missions:
        if mission.status == "cancelled" or not mission.joins_station:
            continue
        steps = _first_year(buildup, mission.name)
        label = f"mission {mission.name!r}"
        if steps.size == 0:
            findings.append(
                Finding("warning", mission.name, f"{label} lands after the timeline ends")
            )
            continue
        days = steps.size * step_h / 24.0
        failed_h = float(np.sum(run.survival_failures[steps]) * step_h)
        if failed_h > 0:
            findings.append(
                Finding(
                    "warning",
                    mission.name,
                    f"{label}: survival loads go short {failed_h:,.0f} h in its first "
                    f"{days:.0f} days on the surface",
                )
            )
        rows = [
            inputs.load_names.index(f"{payload.name} ({mission.name})")
            for payload in mission.payloads
            if payload.on_surface
        ]
        if not rows:
            continue
        asked = inputs.load_w[rows][:, steps].sum()
        served = (inputs.load_w[rows][:, steps] * run.served_fraction[rows][:, steps]).sum()
        if asked > 0 and served < 0.999 * asked:
            findings.append(
                Finding(
                    "warning",
                    mission.name,
                    f"{label}: its payloads get {served / asked:.0%} of the energy they ask in "
                    f"their first {days:.0f} days (the station's other loads running as "
                    "scheduled)",
                )
            )
        step_s = step_h * 3600.0
        payload_bytes = (
            (
                run.served_fraction[rows][:, steps]
                * inputs.load_running[rows][:, steps]
                * inputs.load_data_bps[rows][:, None]
            ).sum()
            * step_s
            / 8.0
        )
        all_bytes = run.column("data_generated_bytes")[steps].sum()
        capacity_bytes = inputs.downlink_bps[steps].sum() * step_s / 8.0
        dropped_bytes = run.column("data_dropped_bytes")[steps].sum()
        spare_bytes = capacity_bytes - (all_bytes - payload_bytes)
        if payload_bytes > 0 and (payload_bytes > spare_bytes or dropped_bytes > 0):
            per_day = 1e9 * days
            findings.append(
                Finding(
                    "warning",
                    mission.name,
                    f"{label}: its payloads make {payload_bytes / per_day:,.2f} GB a day; the "
                    f"links carry {capacity_bytes / per_day:,.2f} GB a day, of which the "
                    f"other loads use {(all_bytes - payload_bytes) / per_day:,.2f} "
                    f"({dropped_bytes / 1e9:,.1f} GB dropped in its first {days:.0f} days)",
                )
            )
    failing = [figures for figures in buildup.years if figures.survival_failure_h > 0]
    if failing:
        short_loads = [name for figures in failing for name in figures.survival_short_loads]
        findings.append(
            Finding(
                "warning",
                None,
                f"survival loads ({', '.join(dict.fromkeys(short_loads))}) go short in "
                f"{', '.join(str(f.year) for f in failing)} "
                f"({sum(f.survival_failure_h for f in failing):,.0f} h in all)",
            )
        )
    return findings


def registry_findings(campaign: Campaign, session) -> list[Finding]:
    """Payloads whose owner has no agreement in force in the cooperation registry: neither
    the owner's country takes part (directly or by extension), nor is an organisation of
    the owner's name party to an agreement in force."""
    from sqlalchemy import select

    from ilrs.cooperation.answers import participation
    from ilrs.cooperation.models import Agreement, AgreementParty, Organisation
    from ilrs.cooperation.seed import name_key

    countries = participation(session)
    in_force = set(
        session.scalars(
            select(Organisation.name_key)
            .join(AgreementParty, AgreementParty.organisation_id == Organisation.id)
            .join(Agreement, Agreement.id == AgreementParty.agreement_id)
            .where(Agreement.status.in_(("signed", "active")), Agreement.deleted_at.is_(None))
        )
    )
    findings = []
    for mission in campaign.missions:
        if mission.status == "cancelled":
            continue
        for payload in mission.payloads:
            country = (payload.country or "").upper()
            if country in countries or name_key(payload.owner or "") in in_force:
                continue
            whose = f"{payload.owner}" + (f" ({country})" if country else "")
            findings.append(
                Finding(
                    "warning",
                    mission.name,
                    f"mission {mission.name!r}: payload {payload.name!r} belongs to {whose}, "
                    "which has no agreement in force in the registry",
                )
            )
    return findings
