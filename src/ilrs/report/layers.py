"""The plan's map layers (the rasters of ``ilrs plan``) and how they are coloured, shared by
the report's figures and the web application's map so that both read the same."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "MAP_LAYERS",
    "LayerStyle",
    "MapLayer",
    "hillshade",
    "layer_rgba",
    "layer_style",
    "legend_colors",
]


@dataclass(frozen=True)
class MapLayer:
    name: str
    file: str  # in the plan's folder
    title: str
    units: str
    cmap: str
    vmin: float | None  # None: the layer's own range
    vmax: float | None


MAP_LAYERS = {
    layer.name: layer
    for layer in (
        MapLayer("terrain", "terrain.tif", "height, hillshaded", "m", "gist_earth", None, None),
        MapLayer(
            "illumination",
            "illumination.tif",
            "sunlit fraction (visible share of the Sun's disk)",
            "0-1",
            "inferno",
            0.0,
            1.0,
        ),
        MapLayer(
            "earth",
            "earth.tif",
            "Earth's centre visible, share of the time",
            "0-1",
            "Blues_r",
            0.0,
            1.0,
        ),
        MapLayer(
            "psr", "psr.tif", "permanently shadowed over the period", "yes/no", "cool", 0.0, 1.0
        ),
        MapLayer("slope", "slope.tif", "slope on the sphere", "deg", "YlOrBr", 0.0, 30.0),
    )
}


def hillshade(dem) -> np.ndarray:
    """Shade in 0..1 lit from the north-west at 20° (gaps filled with the mean height),
    the light stretched to the whole range as matplotlib's LightSource.hillshade does."""
    light = _light(dem)
    return (light - light.min()) / max(float(light.max() - light.min()), 1e-12)


@dataclass(frozen=True)
class LayerStyle:
    """What fixes a layer's colours: its values' range and, for the terrain, the range of
    the light it takes. Taken from the whole map, it colours any part of it the same."""

    low: float
    high: float
    light_low: float = 0.0
    light_high: float = 1.0


def _light(dem) -> np.ndarray:
    """Cosine of the angle between each pixel's normal and the light from the north-west
    at 20°, as matplotlib's LightSource.hillshade before it stretches the contrast."""
    heights = np.asarray(dem.height_m, dtype=float)
    finite = np.isfinite(heights)
    heights = np.where(finite, heights, float(np.mean(heights[finite])) if finite.any() else 0.0)
    rows, cols = heights.shape
    # A part of one pixel's width (a window at the map's edge): flat along that axis.
    heights = np.pad(heights, ((0, max(0, 2 - rows)), (0, max(0, 2 - cols))), mode="edge")
    pixel_m = dem.pixel_size_m
    slope_y, slope_x = np.gradient(heights, -pixel_m, pixel_m)  # rows run south
    slope_y, slope_x = slope_y[:rows, :cols], slope_x[:rows, :cols]
    heights = heights[:rows, :cols]
    normal = np.stack([-slope_x, -slope_y, np.ones_like(heights)], axis=-1)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    azimuth, altitude = np.radians(90.0 - 315.0), np.radians(20.0)
    light = [np.cos(azimuth) * np.cos(altitude), np.sin(azimuth) * np.cos(altitude)]
    return normal @ np.array([*light, np.sin(altitude)])


def layer_style(layer: MapLayer, dem) -> LayerStyle:
    values = np.asarray(dem.height_m, dtype=float)
    style = LayerStyle(float(np.nanmin(values)), float(np.nanmax(values)))
    if layer.name == "terrain":
        light = _light(dem)
        style = LayerStyle(style.low, style.high, float(light.min()), float(light.max()))
    return style


def layer_rgba(layer: MapLayer, dem, style: LayerStyle | None = None) -> np.ndarray:
    """The layer as an RGBA image (uint8, rows × cols × 4): the terrain hillshaded in its
    colours, the PSR opaque where shadowed and clear elsewhere, the others in their colour
    map with gaps clear; coloured by ``style`` (default: the layer's own)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LightSource

    values = np.asarray(dem.height_m, dtype=float)
    cmap = plt.get_cmap(layer.cmap)
    style = style or layer_style(layer, dem)
    if layer.name == "terrain":
        rgba = cmap(plt.Normalize(style.low, style.high)(values))
        spread = max(style.light_high - style.light_low, 1e-9)
        light = np.clip((_light(dem) - style.light_low) / spread, 0.0, 1.0)
        rgba[..., :3] = LightSource().blend_soft_light(rgba[..., :3], light[..., None])
    else:
        vmin = style.low if layer.vmin is None else layer.vmin
        vmax = style.high if layer.vmax is None else layer.vmax
        rgba = cmap(plt.Normalize(vmin, vmax)(values))
        if layer.name == "psr":
            rgba[..., 3] = np.where(values == 1, 0.85, 0.0)
    rgba[~np.isfinite(values), 3] = 0.0
    return np.round(rgba * 255).astype(np.uint8)


def legend_colors(layer: MapLayer, count: int = 11) -> list[str]:
    """The colour map at ``count`` even steps, as CSS colours (for a legend's gradient)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    cmap = plt.get_cmap(layer.cmap)
    return [to_hex(cmap(i / (count - 1))) for i in range(count)]
