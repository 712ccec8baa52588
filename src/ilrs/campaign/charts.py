"""The campaign drawn: a Gantt of the missions with the milestones, and the station's
capabilities year by year against the milestones' thresholds. Each draws from a build-up's
figures alone (:class:`~ilrs.campaign.buildup.BuildupFigures`), so a build-up read back
from a cache is drawn the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ilrs.campaign.buildup import BuildupFigures, milestone_year
from ilrs.campaign.scenario import Campaign
from ilrs.sky import Times, parse_utc

__all__ = ["draw_capabilities", "draw_gantt", "write_timeline_files"]

_PANELS = (
    ("continuous_power_w", "continuous power [kW]", 1e-3),
    ("data_per_day_bytes", "data home [GB/day]", 1e-9),
    ("water_per_year_kg", "water [t/year]", 1e-3),
    ("worst_night_margin_wh", "worst-night margin [kWh]", 1e-3),
)


def _figure(**layout):
    """A figure drawn by Agg, made without pyplot (whose import and figure manager cost
    a few tenths of a second and keep nothing a file needs)."""
    from matplotlib.figure import Figure

    return Figure(constrained_layout=True, **layout)


def _decimal_year(tdb_s: float) -> float:
    iso = Times(np.array([tdb_s])).utc_iso(0)[0]
    year = int(iso[:4])
    start = float(parse_utc(f"{year}-01-01").tdb_s[0])
    end = float(parse_utc(f"{year + 1}-01-01").tdb_s[0])
    return year + (tdb_s - start) / (end - start)


def draw_gantt(
    campaign: Campaign,
    buildup: BuildupFigures,
    path: Path,
    *,
    cancelled_because: dict[str, str] | None = None,
) -> Path:
    """Each mission from launch to landing (and its surface life to the timeline's end
    when it joins the station), milestones as lines, green where met, red where not.
    Missions a what-if cancelled stay on the chart, grey, with the reason."""
    cancelled_because = cancelled_because or {}
    missions = [
        m for m in campaign.missions if m.status != "cancelled" or m.name in cancelled_because
    ]
    end = _decimal_year(float(parse_utc(campaign.timeline.end).tdb_s[0]))
    figure = _figure(figsize=(11, 0.45 * len(missions) + 1.8))
    axes = figure.subplots()
    for row, mission in enumerate(reversed(missions)):
        launch = _decimal_year(mission.launch_tdb_s)
        landing = _decimal_year(mission.landing_tdb_s)
        if mission.status == "cancelled":
            axes.barh(row, max(landing - launch, 0.03), left=launch, color="0.75", height=0.5)
            axes.text(
                launch - 0.1,
                row,
                f"{mission.name} (cancelled: {cancelled_because[mission.name]})",
                ha="right",
                va="center",
                fontsize=8,
                color="0.45",
            )
            continue
        if mission.joins_station:
            axes.barh(row, end - landing, left=landing, color="tab:blue", alpha=0.25, height=0.5)
        axes.barh(row, max(landing - launch, 0.03), left=launch, color="tab:blue", height=0.5)
        axes.text(launch - 0.1, row, mission.name, ha="right", va="center", fontsize=8)
    for judged in buildup.milestones:
        when = _decimal_year(float(parse_utc(judged["by_utc"]).tdb_s[0]))
        colour = "tab:green" if judged["passed"] else "tab:red"
        axes.axvline(when, color=colour, lw=1.5)
        verdict = "met" if judged["passed"] else "not met"
        axes.text(
            when,
            len(missions) - 0.4,
            f"{judged['milestone']} ({verdict})",
            rotation=90,
            va="top",
            ha="right",
            fontsize=8,
            color=colour,
        )
    start = _decimal_year(float(parse_utc(campaign.timeline.start).tdb_s[0]))
    # Room on the left for the names (and a cancelled mission's reason).
    axes.set_xlim(start - (8.0 if cancelled_because else 3.0), end + 0.5)
    axes.set_yticks([])
    axes.set_xlabel("year (dark: launch to landing; light: on the surface)")
    axes.set_title(campaign.name)
    figure.savefig(path, dpi=120)
    return path


def draw_capabilities(campaign: Campaign, buildup: BuildupFigures, path: Path) -> Path:
    """The capability curves, one panel each, with the milestones' thresholds marked."""
    from matplotlib.ticker import MaxNLocator

    years = np.array([figures.year for figures in buildup.years])
    figure = _figure(figsize=(11, 7))
    axes = figure.subplots(2, 2, sharex=True)
    for axis, (key, label, scale) in zip(axes.ravel(), _PANELS, strict=True):
        values = np.array([getattr(figures, key) for figures in buildup.years]) * scale
        axis.step(years, values, where="mid", color="tab:blue")
        for milestone in campaign.milestones:
            wanted = getattr(milestone.criteria, key, None)
            if wanted is None:
                continue
            year = milestone_year(milestone.by_utc)
            axis.plot([year], [wanted * scale], "v", color="tab:red")
            axis.annotate(
                milestone.name,
                (year, wanted * scale),
                fontsize=7,
                xytext=(-4, 6),
                textcoords="offset points",
                ha="right",
            )
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    for landing in buildup.landings.values():
        for axis in axes.ravel():
            axis.axvline(int(landing[:4]), color="0.85", lw=0.8, zorder=0)
    figure.suptitle(f"{campaign.name}: the station year by year (red: milestone thresholds)")
    figure.savefig(path, dpi=120)
    return path


def write_timeline_files(
    folder: Path,
    campaign: Campaign,
    buildup: BuildupFigures,
    *,
    cancelled_because: dict[str, str] | None = None,
) -> None:
    """A build-up's table (``timeline.csv``, a row per year) and its two charts
    (``gantt.png``, ``capability.png``) in ``folder``."""
    from ilrs.environment.export import write_table_csv

    write_table_csv(folder / "timeline.csv", buildup.timeline_columns())
    draw_gantt(campaign, buildup, folder / "gantt.png", cancelled_because=cancelled_because)
    draw_capabilities(campaign, buildup, folder / "capability.png")
