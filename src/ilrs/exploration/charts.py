"""Plots of the exploration products: temperature maps, diurnal curves, targets, routes
with their timelines, and hop profiles (matplotlib, written as PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ilrs.exploration.thermal import ICE_STABILITY_K  # noqa: E402
from ilrs.terrain import extent_km  # noqa: E402

__all__ = ["diurnal_png", "hops_png", "targets_png", "thermal_png", "traverse_png"]

DPI = 130


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def thermal_png(thermal, path: Path, *, title: str, marker=None) -> Path:
    """Maximum and mean surface temperature with the 110 K contour, and the ice depth."""
    extent = extent_km(thermal.transform, thermal.max_k.shape)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    panels = (
        (thermal.max_k, "maximum surface temperature [K]", "inferno"),
        (thermal.mean_k, "mean surface temperature [K]", "inferno"),
        (thermal.ice_depth_m, "ice stable below [m] (0: at the surface)", "viridis_r"),
    )
    for ax, (values, label, cmap) in zip(axes, panels, strict=True):
        image = ax.imshow(values, extent=extent, cmap=cmap, interpolation="nearest")
        fig.colorbar(image, ax=ax, shrink=0.85, label=label)
        if np.nanmin(thermal.max_k) < ICE_STABILITY_K < np.nanmax(thermal.max_k):
            ax.contour(
                thermal.max_k,
                levels=[ICE_STABILITY_K],
                colors="cyan",
                linewidths=0.8,
                extent=extent,
                origin="upper",
            )
        if marker is not None:
            ax.plot(*marker, marker="+", color="white", markersize=12)
        ax.set_xlabel("polar stereographic x [km]")
        ax.set_ylabel("y [km]")
    fig.suptitle(f"{title}  (cyan: maximum 110 K, the ice stability limit)")
    return _save(fig, path)


def diurnal_png(local_time_h, surface_k, path: Path, *, title: str) -> Path:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(local_time_h, surface_k, color="tab:red")
    ax.axhline(ICE_STABILITY_K, color="tab:blue", linestyle="--", linewidth=0.8, label="110 K")
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    ax.set_xlabel("local time [lunar hours, noon = 12]")
    ax.set_ylabel("surface temperature [K]")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def targets_png(layers, labels, targets, path: Path, *, landing=None) -> Path:
    extent = extent_km(layers.transform, labels.shape)
    fig, ax = plt.subplots(figsize=(8, 7))
    ax.imshow(layers.max_k, extent=extent, cmap="gray", interpolation="nearest")
    shown = np.ma.masked_equal(labels, 0)
    ax.imshow(shown, extent=extent, cmap="tab20", interpolation="nearest", alpha=0.8)
    t = layers.transform
    for target in targets[:10]:
        rows, cols = np.nonzero(labels == target.rank)
        x = (t.c + (cols.mean() + 0.5) * t.a) / 1000.0
        y = (t.f + (rows.mean() + 0.5) * t.e) / 1000.0
        ax.annotate(str(target.rank), (x, y), color="yellow", fontsize=9, ha="center")
    if landing is not None:
        ax.plot(*landing, marker="*", color="red", markersize=14, label="landing site")
        ax.legend(loc="lower right")
    ax.set_title("Candidate ice sites (numbered by rank) over the maximum temperature")
    ax.set_xlabel("polar stereographic x [km]")
    ax.set_ylabel("y [km]")
    return _save(fig, path)


def traverse_png(dem, traverse, path: Path) -> Path:
    """The route over the terrain, and its timeline: battery, sunlight and contact."""
    region = traverse.region
    heights = dem.height_m[region.rows, region.cols]
    transform = dem.transform @ dem.transform.translation(region.col_off, region.row_off)
    extent = extent_km(transform, heights.shape)
    fig, (ax_map, ax_time) = plt.subplots(1, 2, figsize=(15, 6))
    image = ax_map.imshow(heights, extent=extent, cmap="terrain", interpolation="nearest")
    fig.colorbar(image, ax=ax_map, shrink=0.8, label="height [m]")
    route = traverse.route
    if route.found:
        x, y = dem.xy(route.rows + region.row_off, route.cols + region.col_off)
        ax_map.plot(x / 1000.0, y / 1000.0, color="red", linewidth=1.5)
        ax_map.plot(x[0] / 1000.0, y[0] / 1000.0, "o", color="white", label="start")
        ax_map.plot(
            x[-1] / 1000.0, y[-1] / 1000.0, "*", color="yellow", markersize=12, label="goal"
        )
        ax_map.legend(loc="lower right")
        hours = route.time_s / 3600.0
        ax_time.plot(hours, route.energy_wh, color="tab:green", label="battery [Wh]")
        top = float(np.max(route.energy_wh)) or 1.0
        ax_time.fill_between(
            hours,
            0,
            top,
            where=np.asarray(route.lit, bool),
            step="post",
            color="gold",
            alpha=0.25,
            label="sunlit",
        )
        ax_time.fill_between(
            hours,
            0,
            top * 0.05,
            where=np.asarray(route.in_contact, bool),
            step="post",
            color="tab:blue",
            alpha=0.6,
            label="Earth contact",
        )
        ax_time.set_xlabel("hours since departure")
        ax_time.set_ylabel("battery [Wh]")
        ax_time.legend(loc="lower left")
        ax_time.set_title(f"{route.length_m / 1000.0:.1f} km in {route.duration_s / 3600.0:.1f} h")
    else:
        ax_time.text(0.05, 0.5, f"no route: {route.reason}", wrap=True, transform=ax_time.transAxes)
        ax_time.set_axis_off()
    ax_map.set_xlabel("polar stereographic x [km]")
    ax_map.set_ylabel("y [km]")
    ax_map.set_title(f"Traverse from {traverse.start_utc}")
    return _save(fig, path)


def hops_png(plan, path: Path) -> Path:
    """Each hop's arc over the terrain along its track."""
    count = max(len(plan.hops), 1)
    fig, axes = plt.subplots(count, 1, figsize=(9, 3.2 * count), squeeze=False)
    for ax, hop in zip(axes[:, 0], plan.hops, strict=False):
        track = hop.track
        distance_km = track.distance_m / 1000.0
        floor = float(np.nanmin(track.terrain_height_m)) - 50.0
        ax.fill_between(distance_km, track.terrain_height_m, floor, color="tan", label="terrain")
        ax.plot(distance_km, track.arc_height_m, color="tab:red", label="arc")
        ax.set_xlabel("distance along the track [km]")
        ax.set_ylabel("height above the 1737.4 km sphere [m]")
        ax.set_title(
            f"hop {hop.number}: {hop.distance_m / 1000.0:.2f} km, {hop.launch_angle_deg:.1f}°, "
            f"Δv {hop.delta_v_m_s:.0f} m/s, clearance {hop.min_clearance_m:.0f} m"
        )
        ax.legend(loc="upper right")
    if not plan.feasible:
        fig.suptitle(f"infeasible: {plan.reason}", color="tab:red")
    return _save(fig, path)
