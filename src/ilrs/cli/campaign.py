"""``ilrs campaign``: check a campaign, simulate its build-up, find landing windows, and
ask what a delay or a dropped mission would change."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ilrs.cli.output import (
    ForceFolderOption,
    FormatOption,
    OutputFormat,
    write_json,
    write_table,
)
from ilrs.errors import InputError
from ilrs.outfolder import OutputFolder

campaign_app = typer.Typer(
    help="The campaign: missions, launch windows and the station's build-up to 2045."
)

CampaignArgument = Annotated[
    Path | None,
    typer.Argument(help="Campaign scenario YAML (default: the embedded reference campaign)."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(campaign_app, name="campaign")


def _load(path: Path | None):
    from ilrs.campaign.scenario import load_campaign
    from ilrs.data import data_path

    path = path if path is not None else data_path("campaign_reference.yaml")
    station, campaign = load_campaign(path)
    return path, station, campaign


def _output(out: Path, command: str, path: Path, station, force: bool) -> OutputFolder:
    """The command's output folder, checked before anything is computed."""
    return OutputFolder(
        out,
        command=f"ilrs campaign {command}",
        inputs=[path, *station.referenced_files()],
        force=force,
    )


CacheOption = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        help="Folder where the site's sky over the timeline is kept and reused while its "
        "inputs are unchanged (default: ~/.cache/ilrs/steps, or under $XDG_CACHE_HOME).",
    ),
]


def _step_cache(cache: Path | None):
    """The cache the site's sky is kept in (the plan's kind: ``ilrs plan --cache``)."""
    from ilrs.report.steps import StepCache

    if cache is None:
        from ilrs.terrain.fetch import default_cache_dir

        cache = default_cache_dir() / "steps"
    step_cache = StepCache(cache, lambda line: print(f"ilrs campaign: {line}", file=sys.stderr))
    step_cache.check()
    return step_cache


def _years(campaign) -> str:
    return f"{campaign.timeline.start[:4]}-{campaign.timeline.end[:4]}"


def _simulated(station, campaign, step_cache):
    from ilrs.campaign.buildup import build_up
    from ilrs.report.exposure_cache import cached_campaign_exposure

    print(f"ilrs campaign: {campaign.name}: the site's sky {_years(campaign)} ...", file=sys.stderr)
    exposure = cached_campaign_exposure(station, campaign, step_cache)
    return exposure, build_up(station, campaign, exposure)


def _print_findings(findings) -> None:
    if not findings:
        print("no findings")
    for finding in findings:
        print(f"{finding.severity}: {finding.message}")


@campaign_app.command("check")
def check_command(
    campaign_file: CampaignArgument = None,
    plan_only: Annotated[
        bool, typer.Option("--plan-only", help="Only the plan's own checks (no simulation).")
    ] = False,
    registry: Annotated[
        str | None,
        typer.Option(
            "--registry",
            help="Check payload owners against the cooperation registry at this URL "
            "('default': the user's registry).",
        ),
    ] = None,
    cache: CacheOption = None,
) -> None:
    """Masses against launchers, dependency order, launch cadence; then (simulating the
    build-up) each mission's payloads against the power and data the station offers."""
    from ilrs.campaign.checks import build_up_findings, plan_findings

    _, station, campaign = _load(campaign_file)
    findings = plan_findings(station, campaign)
    if registry is not None:
        from ilrs.campaign.checks import registry_findings
        from ilrs.cooperation.database import open_registry

        with open_registry(None if registry == "default" else registry)() as session:
            findings += registry_findings(campaign, session)
    if not plan_only and not any(f.severity == "error" for f in findings):
        _, buildup = _simulated(station, campaign, _step_cache(cache))
        findings += build_up_findings(buildup, campaign)
    _print_findings(findings)


def _write_timeline(staging: Path, campaign, buildup, step_cache, cancelled_because=None):
    """The table and the charts, drawn once per build-up and copied from the cache."""
    import shutil

    from ilrs.report.exposure_cache import TIMELINE_FILES, cached_timeline_files

    drawn = cached_timeline_files(
        campaign, buildup, step_cache, cancelled_because=cancelled_because
    )
    for name in TIMELINE_FILES:
        shutil.copyfile(drawn / name, staging / name)


@campaign_app.command("timeline")
def timeline_command(
    campaign_file: CampaignArgument = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("build/campaign"),
    force: ForceFolderOption = False,
    cache: CacheOption = None,
) -> None:
    """The build-up simulated over the timeline: capabilities per year, milestones judged,
    findings, the Gantt and capability charts. Prints the milestones (JSON)."""
    from ilrs.campaign.checks import build_up_findings, plan_findings

    path, station, campaign = _load(campaign_file)
    output = _output(out, "timeline", path, station, force)
    step_cache = _step_cache(cache)
    _, buildup = _simulated(station, campaign, step_cache)
    findings = plan_findings(station, campaign) + build_up_findings(buildup, campaign)
    with output.staged() as staging:
        _write_timeline(staging, campaign, buildup, step_cache)
        write_json(buildup.milestones, staging / "milestones.json")
        write_json([finding.as_dict() for finding in findings], staging / "findings.json")
    write_json(buildup.milestones)


@campaign_app.command("windows")
def windows_command(
    mission: Annotated[str, typer.Option("--mission", help="The mission, by name.")],
    campaign_file: CampaignArgument = None,
    first: Annotated[
        str | None,
        typer.Option("--first", help="First landing (default: the planned launch's landing)."),
    ] = None,
    last: Annotated[
        str | None,
        typer.Option("--last", help="Last landing (default: the launch window's end)."),
    ] = None,
    stay_days: Annotated[float, typer.Option("--stay-days", help="Surface stay [days].")] = 14.0,
    earth_contact_days: Annotated[
        float, typer.Option("--earth-contact-days", help="Earth in view from landing [days].")
    ] = 2.0,
    max_darkness_h: Annotated[
        float, typer.Option("--max-darkness-h", help="Longest night the lander survives [h].")
    ] = 48.0,
    min_sunlit_fraction: Annotated[
        float, typer.Option("--min-sunlit-fraction", help="Mean sunlight over the stay.")
    ] = 0.0,
    sunlit_at_landing: Annotated[
        bool, typer.Option("--sunlit-at-landing/--any-light", help="Sun up at touchdown.")
    ] = True,
    step: Annotated[str, typer.Option("--step", help="Between candidate landings.")] = "6h",
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("build/windows"),
    output_format: FormatOption = OutputFormat.csv,
    force: ForceFolderOption = False,
) -> None:
    """Landing dates for a mission whose surface stay meets its profile; a feasibility
    calendar (CSV, iCalendar) and the table on stdout."""
    from ilrs.campaign.buildup import landing_utc
    from ilrs.campaign.windows import (
        StayProfile,
        find_landing_windows,
        write_calendar_csv,
        write_calendar_ics,
    )
    from ilrs.data import named_site
    from ilrs.sky import Times
    from ilrs.station.exposure import site_horizons, site_position

    path, station, campaign = _load(campaign_file)
    output = _output(out, "windows", path, station, force)
    try:
        chosen = campaign.mission(mission)
    except KeyError:
        names = ", ".join(m.name for m in campaign.missions)
        raise InputError(f"no mission {mission!r}; the campaign's missions: {names}") from None
    if chosen.site is not None:
        named = named_site(chosen.site)
        lat_deg, lon_deg, label = named.lat_deg, named.lon_deg, named.label
    elif chosen.joins_station:
        lat_deg, lon_deg = site_position(station)
        label = station.site.name or "the station's site"
    else:
        raise InputError(
            f"mission {mission!r} lands away from the station and names no site; give it one"
        )
    if (lat_deg, lon_deg) != site_position(station) and station.site.horizon_csv is not None:
        raise InputError(
            f"mission {mission!r} lands at {label}, but the station's terrain is a measured "
            "horizon profile of its own site; give a DEM or 'synthetic' terrain to find "
            "windows elsewhere"
        )
    site_update = {"name": None, "lat_deg": lat_deg, "lon_deg": lon_deg}
    at_site = station.model_copy(update={"site": station.site.model_copy(update=site_update)})
    horizon_at, ground_m, _ = site_horizons(at_site, lat_deg, lon_deg)
    profile = StayProfile(
        stay_days=stay_days,
        sunlit_at_landing=sunlit_at_landing,
        earth_contact_days=earth_contact_days,
        max_darkness_h=max_darkness_h,
        min_sunlit_fraction=min_sunlit_fraction,
    )
    first = first or landing_utc(chosen)
    if last is None:
        from ilrs.sky import parse_utc

        last = Times(parse_utc(first).tdb_s + chosen.window_days * 86400.0).utc_iso(0)[0]
    options = find_landing_windows(
        horizon_at(2.0),
        lat_deg,
        lon_deg,
        first,
        last,
        profile,
        landing_step=step,
        height_m=ground_m + 2.0,
        stations=[],
    )
    with output.staged() as staging:
        write_calendar_csv(staging / "calendar.csv", options)
        write_calendar_ics(
            staging / "calendar.ics",
            options,
            where=f"{label} ({lat_deg:.4f}°, {lon_deg:.4f}°, Moon)",
        )
    write_table(
        {
            "landing_utc": [o.landing_utc for o in options],
            "feasible": [o.feasible for o in options],
            "sunlit_fraction": [round(o.sunlit_fraction, 4) for o in options],
            "longest_darkness_h": [round(o.longest_darkness_h, 2) for o in options],
            "earth_contact_h": [round(o.earth_contact_h, 2) for o in options],
            "reasons": ["; ".join(o.reasons) for o in options],
        },
        output_format,
    )


@campaign_app.command("whatif")
def whatif_command(
    campaign_file: CampaignArgument = None,
    delay: Annotated[
        list[str] | None, typer.Option("--delay", help="MISSION:DAYS (repeatable).")
    ] = None,
    drop: Annotated[
        list[str] | None,
        typer.Option(
            "--drop",
            help="MISSION (repeatable); what depends on it is cancelled with it (see --keep).",
        ),
    ] = None,
    keep: Annotated[
        list[str] | None,
        typer.Option(
            "--keep",
            help="MISSION that depends on a dropped one but flies without it (repeatable).",
        ),
    ] = None,
    move: Annotated[
        list[str] | None, typer.Option("--move", help="MISSION:LAUNCH_DATE (repeatable).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("build/whatif"),
    force: ForceFolderOption = False,
    cache: CacheOption = None,
) -> None:
    """The build-up with missions delayed, dropped or moved, against the plan as written:
    which milestones change and why. A dropped mission cancels every mission that depends
    on it, unless --keep names it. Prints the comparison (JSON)."""
    from ilrs.campaign.whatif import effective_campaign, parse_change, what_if
    from ilrs.report.exposure_cache import CachedBuildups

    changes = [parse_change("delay", text) for text in delay or []]
    changes += [parse_change("drop", text) for text in drop or []]
    changes += [parse_change("move", text) for text in move or []]
    changes += [parse_change("keep", text) for text in keep or []]
    if not changes:
        raise InputError("give at least one change: --delay, --drop or --move")
    path, station, campaign = _load(campaign_file)
    effective_campaign(campaign, changes)  # a misspelt mission is refused before the sky
    output = _output(out, "whatif", path, station, force)
    step_cache = _step_cache(cache)
    print(
        f"ilrs campaign: {campaign.name}: the build-up {_years(campaign)}, as planned and "
        "changed (the site's sky and each build-up kept in the cache) ...",
        file=sys.stderr,
    )
    build = CachedBuildups(station, step_cache)
    result = what_if(station, campaign, changes, None, baseline=build(campaign), build=build)
    changed, changed_campaign = result.pop("buildup"), result.pop("campaign")
    with output.staged() as staging:
        write_json(result, staging / "whatif.json")
        _write_timeline(staging, changed_campaign, changed, step_cache, result["cancelled"])
    report = {key: result[key] for key in ("changes", "cancelled", "milestones", "findings")}
    write_json(report)
