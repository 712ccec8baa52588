"""The countries of the world as SVG paths (plate carrée: x = longitude, y = -latitude, in
degrees), from Natural Earth's 1:110m boundaries shipped as TopoJSON
(``data/world_countries_110m.json``; its source and licence beside it)."""

from __future__ import annotations

import functools
import json

import numpy as np

__all__ = ["world_countries"]


@functools.cache
def world_countries() -> list[dict]:
    """Each country: ``code`` (ISO 3166-1 alpha-2, or None where Natural Earth gives no
    ISO number, e.g. Kosovo), ``name`` and ``d`` (an SVG path)."""
    import pycountry

    from ilrs.data import data_path

    with data_path("world_countries_110m.json").open(encoding="utf-8") as stream:
        topology = json.load(stream)
    arcs = _decoded_arcs(topology)
    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry["type"] == "Polygon":
            polygons = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["arcs"]
        else:
            continue
        path = []
        for polygon in polygons:
            for ring in polygon:
                for points in _unwrapped(_ring(arcs, ring)):
                    text = "L".join(f"{lon:.2f},{-lat:.2f}" for lon, lat in points)
                    path.append(f"M{text}Z")
        number = geometry.get("id")
        country = pycountry.countries.get(numeric=number) if number else None
        countries.append(
            {
                "code": country.alpha_2 if country else None,
                "name": geometry.get("properties", {}).get("name", ""),
                "d": "".join(path),
            }
        )
    return countries


def _decoded_arcs(topology: dict) -> list[np.ndarray]:
    """The arcs in degrees: quantized positions are delta-encoded along each arc
    (TopoJSON specification, 2.1.2 and 2.2)."""
    scale = np.array(topology["transform"]["scale"], dtype=float)
    translate = np.array(topology["transform"]["translate"], dtype=float)
    return [
        np.cumsum(np.array(arc, dtype=float), axis=0) * scale + translate
        for arc in topology["arcs"]
    ]


def _ring(arcs: list[np.ndarray], indexes: list[int]) -> list[tuple[float, float]]:
    """A ring's points from its arcs; a negative index ~i is arc i reversed. Each arc after
    the first starts on the previous one's last point, which is not repeated."""
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        start = 1 if points else 0
        points.extend((float(lon), float(lat)) for lon, lat in arc[start:])
    return points


def _unwrapped(points: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """A ring that crosses the antimeridian (Russia, Fiji) made continuous past ±180°, and
    a copy of it a turn over so that both sides show on a map that ends at ±180°. A ring
    round the pole is left as it is: its jump runs along the map's edge."""
    lon = np.array([p[0] for p in points])
    lat = [p[1] for p in points]
    if lon.size < 2 or np.max(np.abs(np.diff(lon))) <= 180.0:
        return [points]
    steps = (np.diff(lon) + 180.0) % 360.0 - 180.0
    if abs(np.sum(steps)) > 180.0:  # it goes round the pole (Antarctica): drawn as it is
        return [points]
    lon = np.concatenate([[lon[0]], lon[0] + np.cumsum(steps)])
    shift = -360.0 if lon.max() > 180.0 else 360.0
    return [list(zip(lon, lat, strict=True)), list(zip(lon + shift, lat, strict=True))]
