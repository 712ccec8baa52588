"""The plan report's own figures (matplotlib, PNG): the terrain map with the site, and the
site's horizon panorama with the Sun's and the Earth's tracks over the period."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["horizon_png", "terrain_png"]

DPI = 120
MAP_PIXELS = 800  # the map is drawn from at most this many rows and columns


def _save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
    return path


def terrain_png(dem, site_xy_m: tuple[float, float], site_label: str, path: Path) -> Path:
    """Hillshaded heights on the polar stereographic grid [km], the pole and the site."""
    from matplotlib.colors import LightSource

    every = max(1, int(np.ceil(max(dem.shape) / MAP_PIXELS)))
    heights = np.asarray(dem.height_m[::every, ::every], dtype=float)
    pixel_m = dem.pixel_size_m * every
    left, top = dem.transform.c / 1000.0, dem.transform.f / 1000.0
    extent = [left, left + dem.shape[1] * dem.transform.a / 1000.0]
    extent += [top + dem.shape[0] * dem.transform.e / 1000.0, top]
    shaded = LightSource(azdeg=315, altdeg=20).shade(
        np.nan_to_num(heights, nan=float(np.nanmean(heights))),
        cmap=plt.get_cmap("gist_earth"),
        vert_exag=1.0,
        dx=pixel_m,
        dy=pixel_m,
        blend_mode="soft",
    )
    figure, axes = plt.subplots(figsize=(7.5, 6.5))
    axes.imshow(shaded, extent=extent, interpolation="bilinear")
    mappable = plt.cm.ScalarMappable(
        cmap="gist_earth", norm=plt.Normalize(np.nanmin(heights), np.nanmax(heights))
    )
    figure.colorbar(mappable, ax=axes, shrink=0.8, label="height [m]")
    axes.plot(0, 0, "+", color="white", markersize=12, label="south pole")
    axes.plot(site_xy_m[0] / 1000.0, site_xy_m[1] / 1000.0, "*", color="red", markersize=14)
    axes.annotate(
        site_label,
        (site_xy_m[0] / 1000.0, site_xy_m[1] / 1000.0),
        xytext=(8, 8),
        textcoords="offset points",
        color="white",
        fontsize=9,
    )
    axes.set_xlabel("x [km] (south polar stereographic)")
    axes.set_ylabel("y [km]")
    axes.set_title("Terrain around the south pole")
    axes.legend(loc="lower right")
    return _save(figure, path)


def horizon_png(line, result, site_label: str, path: Path) -> Path:
    """The horizon against azimuth, with the Sun's and the Earth's centres over the period
    (sunlit samples marked), and the sunlit fraction per month below."""
    figure, (panorama, monthly) = plt.subplots(
        2, 1, figsize=(11, 7), gridspec_kw={"height_ratios": [2, 1]}
    )
    order = np.argsort(line.azimuth_deg)
    panorama.fill_between(
        line.azimuth_deg[order], -10, line.elevation_deg[order], color="0.45", label="terrain"
    )
    sun, earth = result.sun.position, result.earth.position
    lit = result.sun.disk_fraction > 0
    panorama.scatter(
        sun.azimuth_deg[lit], sun.elevation_deg[lit], s=1, color="gold", label="Sun (visible)"
    )
    panorama.scatter(
        sun.azimuth_deg[~lit],
        sun.elevation_deg[~lit],
        s=1,
        color="darkorange",
        alpha=0.3,
        label="Sun (hidden)",
    )
    panorama.scatter(earth.azimuth_deg, earth.elevation_deg, s=1, color="tab:blue", label="Earth")
    top = max(3.0, float(np.nanmax(line.elevation_deg)) + 1, float(np.max(sun.elevation_deg)) + 1)
    panorama.set(xlim=(0, 360), ylim=(-3, top), xlabel="azimuth [deg]", ylabel="elevation [deg]")
    panorama.set_title(f"{site_label}: horizon, Sun and Earth")
    panorama.legend(loc="upper right", markerscale=6, fontsize=8)
    months = np.array([text[:7] for text in result.times.utc_iso(0)])
    labels = sorted(set(months))
    fractions = [float(np.mean(result.sun.disk_fraction[months == m])) for m in labels]
    monthly.bar(range(len(labels)), fractions, color="gold", edgecolor="0.3")
    monthly.set_xticks(range(len(labels)), labels, rotation=45, fontsize=8)
    monthly.set(ylim=(0, 1), ylabel="sunlit fraction")
    return _save(figure, path)
