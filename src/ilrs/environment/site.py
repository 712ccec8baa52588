"""Lighting and visibility at one site over a period: the Sun's visible disk, the Earth,
and the ground stations that can be reached, with their statistics."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ilrs.environment.disk import centre_margin_deg, visible_disk_fraction
from ilrs.environment.intervals import (
    Interval,
    intervals_where,
    longest_interval,
    sampled_period,
)
from ilrs.environment.profile import HorizonLine
from ilrs.errors import InputError
from ilrs.sky import LunarObserver, SkyPosition, Times, angular_radius_deg
from ilrs.sky.stations import ground_station, ground_stations, station_view

__all__ = ["SPELLS", "SiteAnalysis", "analyze_site"]

# The spells a site analysis reports; each is (series, holds where the margin is positive).
SPELLS = {
    "sunlight": "any part of the Sun above the horizon",
    "darkness": "no part of the Sun above the horizon",
    "earth": "the Earth's centre above the horizon",
    "earth_loss": "the Earth's centre below the horizon",
    "contact": "some ground station reaches the site (Earth above the site's horizon and "
    "the Moon above the station's mask)",
    "contact_gap": "no ground station reaches the site",
}


@dataclass(frozen=True)
class BodyView:
    """A body's apparent position and how it stands against the horizon line."""

    position: SkyPosition
    radius_deg: np.ndarray
    horizon_deg: np.ndarray  # horizon elevation at the body's azimuth
    centre_margin_deg: np.ndarray  # centre above the (tilted) horizon line, on the sky
    disk_fraction: np.ndarray  # visible fraction of the disk

    @property
    def any_margin_deg(self) -> np.ndarray:
        """Height of the disk's top edge above the horizon line: > 0 where any part shows."""
        return self.centre_margin_deg + self.radius_deg


def _body_view(observer: LunarObserver, body: str, horizon: HorizonLine) -> BodyView:
    position = observer.topocentric(body)
    radius_deg = angular_radius_deg(body, position.distance_m)
    horizon_deg = horizon.elevation_at(position.azimuth_deg)
    margin = centre_margin_deg(
        position.elevation_deg,
        horizon_deg,
        horizon.slope_at(position.azimuth_deg),
        elevation_for_slope_deg=position.elevation_deg,
    )
    return BodyView(
        position, radius_deg, horizon_deg, margin, visible_disk_fraction(margin, radius_deg)
    )


@dataclass(frozen=True)
class SiteAnalysis:
    """Time series at a site and what follows from them.

    ``station_margin_deg[name]`` is the Moon's elevation above that station's mask;
    contact with it holds where both that margin and the Earth's centre margin are positive.
    """

    lat_deg: float
    lon_deg: float
    times: Times
    step_s: float
    sun: BodyView
    earth: BodyView
    station_margin_deg: dict[str, np.ndarray] = field(default_factory=dict)
    horizon_source: str = ""

    def margin_deg(self, spell: str) -> np.ndarray:
        """The margin that is positive where ``spell`` holds."""
        if spell in ("contact", "contact_gap") and not self.station_margin_deg:
            raise InputError("no ground stations were analysed for contact")
        margins = {
            "sunlight": lambda: self.sun.any_margin_deg,
            "earth": lambda: self.earth.centre_margin_deg,
            "contact": lambda: np.max(
                [
                    np.minimum(m, self.earth.centre_margin_deg)
                    for m in self.station_margin_deg.values()
                ],
                axis=0,
            ),
        }
        if spell in margins:
            return margins[spell]()
        opposite = {"darkness": "sunlight", "earth_loss": "earth", "contact_gap": "contact"}
        if spell in opposite:
            return -margins[opposite[spell]]()
        if spell.startswith("contact:") and spell[8:] in self.station_margin_deg:
            return np.minimum(self.station_margin_deg[spell[8:]], self.earth.centre_margin_deg)
        if spell.startswith("contact_gap:") and spell[12:] in self.station_margin_deg:
            return -self.margin_deg("contact:" + spell[12:])
        known = list(SPELLS) + [f"contact:{name}" for name in self.station_margin_deg]
        raise InputError(f"unknown kind of interval {spell!r}; known: {', '.join(known)}")

    def intervals(self, spell: str, selection=slice(None)) -> list[Interval]:
        """The spells of one kind (see :data:`SPELLS`; ``contact:NAME`` for one station)."""
        margin = self.margin_deg(spell)[selection]
        return intervals_where(self.times.tdb_s[selection], margin > 0.0, margin)

    def _longest_h(self, spell: str, selection=slice(None)) -> float:
        longest = longest_interval(self.intervals(spell, selection))
        return 0.0 if longest is None else longest.duration_h

    def _figures(self, selection=slice(None)) -> dict[str, float]:
        figures = {
            "sunlit_fraction": float(np.mean(self.sun.disk_fraction[selection])),
            "sun_any_fraction": float(np.mean(self.sun.any_margin_deg[selection] > 0.0)),
            "earth_visible_fraction": float(np.mean(self.earth.centre_margin_deg[selection] > 0)),
            "earth_disk_fraction": float(np.mean(self.earth.disk_fraction[selection])),
            "longest_darkness_h": self._longest_h("darkness", selection),
            "longest_earth_loss_h": self._longest_h("earth_loss", selection),
        }
        if self.station_margin_deg:
            figures["contact_fraction"] = float(np.mean(self.margin_deg("contact")[selection] > 0))
            figures["longest_contact_gap_h"] = self._longest_h("contact_gap", selection)
        return figures

    def per_year(self) -> list[dict]:
        """The figures for each calendar year (UTC) the period touches."""
        years = np.array([int(text[:4]) for text in self.times.utc_iso(0)])
        rows = []
        for year in np.unique(years):
            selection = np.flatnonzero(years == year)
            span = slice(int(selection[0]), int(selection[-1]) + 1)
            rows.append({"year": int(year), "samples": int(selection.size), **self._figures(span)})
        return rows

    def summary(self) -> dict:
        """Whole-period figures, per station contact, and per year."""
        start, end = self.times[[0, -1]].utc_iso()
        result = {
            "lat_deg": self.lat_deg,
            "lon_deg": self.lon_deg,
            "start": start,
            "end": end,
            "step_s": self.step_s,
            "samples": len(self.times),
            "horizon": self.horizon_source,
            **self._figures(),
        }
        if self.station_margin_deg:
            result["stations"] = {
                name: {
                    "contact_fraction": float(np.mean(self.margin_deg(f"contact:{name}") > 0)),
                    "longest_contact_gap_h": self._longest_h(f"contact_gap:{name}"),
                }
                for name in self.station_margin_deg
            }
        result["per_year"] = self.per_year()
        return result


def analyze_site(
    horizon: HorizonLine,
    lat_deg: float,
    lon_deg: float,
    times,
    *,
    height_m: float = 0.0,
    stations: list[str] | None = None,
    ephemeris=None,
) -> SiteAnalysis:
    """Sun, Earth and ground-station visibility at a site behind its horizon.

    Parameters
    ----------
    horizon : HorizonLine
        The site's horizon (from a DEM or a profile file).
    lat_deg, lon_deg : float
        The site [degrees, planetocentric, east longitude].
    times : Times or UTC strings
        Evenly spaced instants (a :func:`ilrs.sky.utc_range`); statistics weigh each alike.
    height_m : float
        The observer's height above the 1 737 400 m sphere [m] (ground plus mast).
    stations : list of str, optional
        Ground stations for contact (built-in names); None takes them all, [] none.
    """
    times, step_s = sampled_period(times, "a site analysis")
    observer = LunarObserver(lat_deg, lon_deg, times, height_m, ephemeris=ephemeris)
    names = (
        list(ground_stations()) if stations is None else [ground_station(s).name for s in stations]
    )
    station_margin = {}
    for name in names:
        view = station_view(name, lat_deg, lon_deg, times, height_m, ephemeris=observer.ephemeris)
        station_margin[name] = view.elevation_deg - ground_station(name).elevation_mask_deg
    return SiteAnalysis(
        lat_deg=float(lat_deg),
        lon_deg=float(lon_deg),
        times=times,
        step_s=step_s,
        sun=_body_view(observer, "sun", horizon),
        earth=_body_view(observer, "earth", horizon),
        station_margin_deg=station_margin,
        horizon_source=horizon.source,
    )
