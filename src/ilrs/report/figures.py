"""The plan report's own figures (matplotlib, PNG): the terrain map over the real imagery
(the LROC WAC mosaic) with the site, and the site's horizon panorama with the Sun's and the
Earth's tracks over the period."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ilrs.report.imagery import WAC_PIXEL_M, imagery_for_bounds  # noqa: E402
from ilrs.report.layers import MAP_LAYERS, hillshade, layer_rgba  # noqa: E402
from ilrs.terrain import extent_km  # noqa: E402

__all__ = ["horizon_png", "lighting_png", "terrain_png"]

DPI = 120
MAP_PIXELS = 800  # maps are drawn from at most about this many rows and columns


def _save(figure, path: Path, bottom_margin: float = 0.0) -> Path:
    """Written at DPI; ``bottom_margin`` (a share of the height) kept for a line of text."""
    figure.tight_layout(rect=(0, bottom_margin, 1, 1))
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
    return path


def terrain_png(dem, site_xy_m: tuple[float, float], site_label: str, path: Path) -> Path:
    """The plan's terrain on the polar stereographic grid [km] over the real imagery (the
    LROC WAC mosaic in grey; heights as translucent colour and contours), the pole and
    the site; for a synthetic terrain, or where the mosaic does not reach the grid at all,
    the hillshaded heights as the web map's terrain layer. ``dem`` already sampled to at
    most about MAP_PIXELS a side; the imagery is cropped to it at up to MAP_PIXELS, no
    finer than its own 400 m."""
    heights = np.asarray(dem.height_m, dtype=float)
    extent = extent_km(dem.transform, dem.shape)
    # The real imagery under made-up heights would show real craters where the terrain has
    # none: a synthetic terrain is drawn alone, hillshaded.
    imagery = None if dem.synthetic else _imagery_under(extent)
    figure, axes = plt.subplots(figsize=(7.5, 7.0))
    norm = plt.Normalize(np.nanmin(heights), np.nanmax(heights))
    cmap = MAP_LAYERS["terrain"].cmap
    if imagery is not None:
        grey = np.ma.masked_where(~imagery.inside, imagery.grey)
        axes.imshow(grey, extent=extent, cmap="gray", vmin=0, vmax=255, interpolation="bilinear")
        axes.imshow(heights, extent=extent, cmap=cmap, norm=norm, alpha=0.35)
        contours = axes.contour(
            heights,
            levels=_height_levels(heights),
            extent=extent,
            origin="upper",
            cmap=cmap,
            norm=norm,
            linewidths=0.8,
        )
        axes.clabel(contours, fontsize=6, fmt="%d m")
        figure.text(
            0.01,
            0.005,
            f"Grey: {imagery.caption}.\nColour and contours: heights of the plan's terrain.",
            fontsize=7,
            color="0.3",
            va="bottom",
            wrap=True,
        )
    else:
        axes.imshow(layer_rgba(MAP_LAYERS["terrain"], dem), extent=extent, interpolation="bilinear")
    mappable = plt.cm.ScalarMappable(cmap=cmap, norm=norm)
    figure.colorbar(mappable, ax=axes, shrink=0.8, label="height [m]")
    _graticule(axes, extent)
    _named_features(axes, extent)
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
    axes.set_xlim(extent[0], extent[1])
    axes.set_ylim(extent[2], extent[3])
    axes.set_xlabel("x [km] (south polar stereographic)")
    axes.set_ylabel("y [km]")
    over = " over the LROC WAC mosaic" if imagery is not None else ""
    axes.set_title(f"Terrain around the south pole{over}")
    axes.legend(loc="lower right")
    return _save(figure, path, bottom_margin=0.04 if imagery is not None else 0.0)  # sources


def _imagery_under(extent_km_: list[float]):
    """The WAC mosaic over a map's extent [km] at up to MAP_PIXELS a side and no finer
    than its own pixels; None where it reaches none of the map."""
    left, right, bottom, top = (v * 1000.0 for v in extent_km_)
    pixel_m = max(WAC_PIXEL_M, max(right - left, top - bottom) / MAP_PIXELS)
    width = max(1, round((right - left) / pixel_m))
    height = max(1, round((top - bottom) / pixel_m))
    imagery = imagery_for_bounds(left, bottom, right, top, width, height)
    return imagery if imagery.inside.any() else None


def _height_levels(heights: np.ndarray) -> np.ndarray:
    """About eight contour levels at a round step [m] over the heights' range."""
    from matplotlib.ticker import MaxNLocator

    low, high = float(np.nanmin(heights)), float(np.nanmax(heights))
    if not high > low:
        return np.array([low])
    levels = MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    return levels[(levels > low) & (levels < high)]


def lighting_png(terrain, sunlit, earth, psr, slope, site_xy_m, path: Path) -> Path:
    """The whole terrain over the period: the sunlit fraction, the Earth's visibility, the
    permanently shadowed regions over the hillshade, and the slopes."""
    extent = extent_km(terrain.transform, terrain.shape)
    figure, grid = plt.subplots(2, 2, figsize=(13, 11.5))
    panels = [grid[0, 0], grid[0, 1], grid[1, 0], grid[1, 1]]
    for axes, values, name in [
        (panels[0], sunlit, "illumination"),
        (panels[1], earth, "earth"),
        (panels[3], slope, "slope"),
    ]:
        layer = MAP_LAYERS[name]
        image = axes.imshow(
            values.height_m, extent=extent, cmap=layer.cmap, vmin=layer.vmin, vmax=layer.vmax
        )
        figure.colorbar(image, ax=axes, shrink=0.75, extend="max" if name == "slope" else None)
        axes.set_title(f"{layer.title} [{layer.units}]", fontsize=10)
    panels[2].imshow(hillshade(terrain), extent=extent, cmap="gray")
    shadowed = np.where(psr.height_m == 1, 1.0, np.nan)
    psr_cmap = MAP_LAYERS["psr"].cmap
    panels[2].imshow(shadowed, extent=extent, cmap=psr_cmap, vmin=0, vmax=1, alpha=0.8)
    area_km2 = float(np.sum(psr.height_m == 1)) * (psr.pixel_size_m / 1000.0) ** 2
    panels[2].set_title(f"permanently shadowed over the period: {area_km2:,.1f} km²", fontsize=10)
    for axes in panels:
        _graticule(axes, extent)
        axes.plot(site_xy_m[0] / 1000.0, site_xy_m[1] / 1000.0, "*", color="red", markersize=12)
        axes.set(xlim=extent[:2], ylim=extent[2:], xlabel="x [km]", ylabel="y [km]")
    return _save(figure, path)


def _graticule(axes, extent) -> None:
    """Parallels every degree (or half degree near the pole) and meridians every 30°."""
    from ilrs.terrain import polar_xy_from_latlon

    half_width_km = max(abs(v) for v in extent)
    step_deg = 0.5 if half_width_km < 40 else 1.0
    longitudes = np.linspace(0.0, 360.0, 361)
    for lat_deg in np.arange(-90.0 + step_deg, -80.0, step_deg):
        x, y = polar_xy_from_latlon(np.full_like(longitudes, lat_deg), longitudes)
        if np.min(np.hypot(x, y)) / 1000.0 > 1.5 * half_width_km:
            break
        axes.plot(x / 1000.0, y / 1000.0, color="white", linewidth=0.5, alpha=0.5)
        label_x, label_y = polar_xy_from_latlon(lat_deg, 45.0)
        axes.annotate(
            f"{-lat_deg:g}°S", (label_x / 1000.0, label_y / 1000.0), color="white", fontsize=7
        )
    for lon_deg in range(0, 360, 30):
        x, y = polar_xy_from_latlon(np.array([-89.999, -80.0]), np.array([lon_deg, lon_deg]))
        axes.plot(x / 1000.0, y / 1000.0, color="white", linewidth=0.5, alpha=0.5)


def _named_features(axes, extent) -> None:
    """The Gazetteer's named features that fall inside the map (data/south_pole_features.csv)."""
    from ilrs.data import read_table
    from ilrs.terrain import polar_xy_from_latlon

    for row in read_table("south_pole_features.csv"):
        x_m, y_m = polar_xy_from_latlon(float(row["lat_deg"]), float(row["lon_deg"]))
        x_km, y_km = float(x_m) / 1000.0, float(y_m) / 1000.0
        if extent[0] < x_km < extent[1] and extent[2] < y_km < extent[3]:
            axes.plot(x_km, y_km, "o", color="white", markersize=3)
            axes.annotate(
                row["name"],
                (x_km, y_km),
                xytext=(4, -10),
                textcoords="offset points",
                color="white",
                fontsize=8,
                style="italic",
            )


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
