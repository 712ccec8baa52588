"""What the site gives the station over the period, step by step: sunlight on each array,
and how fast data can leave, directly to Earth and through each relay.

Computed once per scenario (the slow part: ephemerides, horizons, orbits); the power and
data simulation then runs on these arrays alone.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from ilrs.environment import HorizonLine, analyze_site, read_horizon_csv
from ilrs.environment.disk import centre_margin_deg
from ilrs.environment.intervals import Interval, intervals_where
from ilrs.errors import InputError
from ilrs.sky import Times, default_ephemeris, site_vector_m, utc_range
from ilrs.sky.constants import MOON_RADIUS_M
from ilrs.sky.geometry import local_axes
from ilrs.sky.stations import GroundStation, ground_station, station_view, stations_from_moon
from ilrs.station.links import Terminal, best_rate_bps, c_over_n0_dbhz
from ilrs.station.scenario import GroundStationSpec, LinkSpec, Scenario, TerminalSpec

__all__ = [
    "ASTRONOMICAL_UNIT_M",
    "SOLAR_CONSTANT_W_M2",
    "Exposure",
    "assign_stations",
    "site_exposure",
    "site_horizons",
    "site_terrain",
    "site_position",
]

DIRECT = "direct to Earth"
SOLAR_CONSTANT_W_M2 = 1361.0  # total solar irradiance at 1 au; Kopp & Lean 2011, GRL 38:L01706
ASTRONOMICAL_UNIT_M = 149_597_870_700.0  # IAU 2012 Resolution B2


@dataclass(frozen=True)
class SunOnArray:
    """The Sun as one array sees it: the visible fraction of its disk behind the horizon
    (at the array's height) and the cosine of its incidence on the panel."""

    disk_fraction: np.ndarray
    incidence_cos: np.ndarray


@dataclass(frozen=True)
class LinkUse:
    """One link as the period uses it: its two ends, the distance at each step where both
    ends are up (NaN elsewhere), and what the weather takes off its C/N0 at each step
    (attenuation and sky noise at the stated availability; zeros without atmosphere)."""

    name: str
    link: LinkSpec
    receiver: TerminalSpec
    distance_m: np.ndarray
    weather_db: np.ndarray | None = None

    def terminals(self) -> tuple[Terminal, Terminal]:
        return _terminal(self.link.terminal, "transmitter"), _terminal(self.receiver, "receiver")


@dataclass(frozen=True)
class Exposure:
    """Per-step inputs of the simulation, all arrays over ``times``."""

    times: Times
    step_s: float
    lat_deg: float
    lon_deg: float
    horizon_source: str
    solar_flux_w_m2: np.ndarray  # at the Moon, from the Sun's distance
    sun_elevation_deg: np.ndarray
    sunlit_fraction: np.ndarray  # visible disk fraction at the ground (2 m), for schedules
    arrays: dict[str, SunOnArray]
    dte_rate_bps: np.ndarray  # the best ground station reachable now (0 when none)
    relay_rate_bps: dict[str, np.ndarray] = field(default_factory=dict)  # through each relay
    station_available: dict[str, np.ndarray] = field(default_factory=dict)
    links: list[LinkUse] = field(default_factory=list)
    relay_upkeep: dict[str, dict] = field(default_factory=dict)  # what holding each orbit costs

    def contact_windows(self) -> dict[str, list[Interval]]:
        """When data can leave: directly, through each relay, and by any way."""
        tdb_s = self.times.tdb_s
        kinds = {"direct to Earth": self.dte_rate_bps > 0}
        kinds.update({f"via {name}": rate > 0 for name, rate in self.relay_rate_bps.items()})
        kinds["any"] = self.downlink_rate_bps > 0
        return {kind: intervals_where(tdb_s, holds) for kind, holds in kinds.items()}

    @property
    def downlink_rate_bps(self) -> np.ndarray:
        """Direct link and the relay in use together (separate terminals; the ground
        stations' antennas already shared out between them)."""
        best_relay = np.zeros_like(self.dte_rate_bps)
        for rate in self.relay_rate_bps.values():
            best_relay = np.maximum(best_relay, rate)
        return self.dte_rate_bps + best_relay


def site_exposure(scenario: Scenario, *, ephemeris=None) -> Exposure:
    """Sun, Earth, relays and ground stations seen from the scenario's site."""
    ephemeris = ephemeris or default_ephemeris()
    period = scenario.period
    times = utc_range(period.start, period.end, period.step)
    step_s = float(np.median(np.diff(times.tdb_s))) if len(times) > 1 else 0.0
    lat_deg, lon_deg = site_position(scenario)
    horizon_at, ground_m, source_label = site_horizons(scenario, lat_deg, lon_deg)

    surface = scenario.surface
    analyses = {}

    def analysis_at(height: float):
        """The Sun and the Earth behind the horizon seen from this height above the ground
        (computed once per height: arrays and antennas may share one)."""
        if height not in analyses:
            analyses[height] = analyze_site(
                horizon_at(height),
                lat_deg,
                lon_deg,
                times,
                height_m=ground_m + height,
                stations=[],
                ephemeris=ephemeris,
            )
        return analyses[height]

    heights = {array.height_m for array in surface.solar_arrays} | {2.0}
    sun_by_height = {height: analysis_at(height).sun for height in sorted(heights)}
    sun = sun_by_height[2.0]
    flux = SOLAR_CONSTANT_W_M2 * (ASTRONOMICAL_UNIT_M / sun.position.distance_m) ** 2
    arrays = {
        array.name: SunOnArray(
            sun_by_height[array.height_m].disk_fraction,
            _incidence_cos(array, sun_by_height[array.height_m].position),
        )
        for array in surface.solar_arrays
    }

    stations = {spec.name: _ground_station(spec) for spec in scenario.ground.stations}
    day_index = _utc_day_index(times) if scenario.ground.stations else None
    available = {
        spec.name: _available(
            spec, stations[spec.name], lat_deg, lon_deg, times, ground_m, ephemeris, day_index
        )
        for spec in scenario.ground.stations
    }
    # Per user of the ground stations (the direct link, each relay): its rate through each
    # station, were that station's antenna given to it.
    through: dict[str, dict[str, np.ndarray]] = {}
    links: list[LinkUse] = []
    if surface.dte is not None and stations:
        dte = surface.dte
        # The site must see the station itself, not the Earth's centre: a station stands up
        # to 0.95 deg from it, hours of a window's edge at the pole.
        line = horizon_at(dte.antenna_height_m)
        seen_from_site = stations_from_moon(
            list(stations.values()),
            lat_deg,
            lon_deg,
            times,
            ground_m + dte.antenna_height_m,
            ephemeris=ephemeris,
        )
        through[DIRECT] = {}
        for spec in scenario.ground.stations:
            allowed, distance_m, station_elevation = available[spec.name]
            in_sky = _above_horizon(line, seen_from_site[stations[spec.name].name])
            weather = _weather_db(dte, spec, stations[spec.name], station_elevation)
            rate = _rates(dte, spec.terminal, spec.name, distance_m, weather)
            through[DIRECT][spec.name] = np.where(in_sky & allowed, rate, 0.0)
            in_view = np.where(in_sky & allowed, distance_m, np.nan)
            links.append(
                LinkUse(f"direct to Earth: {spec.name}", dte, spec.terminal, in_view, weather)
            )

    if scenario.orbital.relays:
        through.update(
            _relay_rates(
                scenario,
                times,
                lat_deg,
                lon_deg,
                ground_m,
                horizon_at,
                available,
                stations,
                ephemeris,
                links,
            )
        )
    antennas = {spec.name: spec.antennas for spec in scenario.ground.stations}
    relays = frozenset(relay.name for relay in scenario.orbital.relays)
    assigned = assign_stations(through, antennas, len(times), relays)
    dte = assigned.pop(DIRECT, np.zeros(len(times)))
    relay_rates = assigned
    return Exposure(
        times=times,
        step_s=step_s,
        lat_deg=lat_deg,
        lon_deg=lon_deg,
        horizon_source=source_label,
        solar_flux_w_m2=flux,
        sun_elevation_deg=sun.position.elevation_deg,
        sunlit_fraction=sun.disk_fraction,
        arrays=arrays,
        dte_rate_bps=dte,
        relay_rate_bps=relay_rates,
        station_available={name: found[0] for name, found in available.items()},
        links=links,
        relay_upkeep=relay_upkeep(scenario, ephemeris),
    )


def relay_upkeep(scenario: Scenario, ephemeris) -> dict[str, dict]:
    """Per relay, over the scenario's period: how low its perilune sinks with no manoeuvre
    (the tracks above are flown free) and the velocity change a year that holding it would
    take (:func:`ilrs.sky.orbits.station_keeping`)."""
    from ilrs.sky.orbits import station_keeping

    period = scenario.period
    upkeep = {}
    for relay in scenario.orbital.relays:
        elements = _relay_elements(relay)
        try:
            kept = station_keeping(elements, period.start, period.end, ephemeris=ephemeris)
        except InputError:
            continue  # a period shorter than two revolutions says nothing of the drift
        upkeep[relay.name] = {
            "lowest_perilune_km": round(kept.lowest_perilune_altitude_m / 1000.0, 1),
            "start_perilune_km": round(kept.start_perilune_altitude_m / 1000.0, 1),
            "hold_delta_v_m_s_per_year": round(kept.floor_delta_v_m_s_per_year, 2),
            "note": "the orbit is flown unmaintained here; keeping its perilune from sinking "
            "below its start (averaged over the semi-monthly tide) takes the velocity change "
            "given, over this period (apolune and perilune burns)",
        }
    return upkeep


def site_position(scenario: Scenario) -> tuple[float, float]:
    """The scenario site's latitude and east longitude [deg]."""
    site = scenario.site
    if site.lat_deg is not None:
        return float(site.lat_deg), float(site.lon_deg)
    from ilrs.data import named_site

    named = named_site(site.name)
    return named.lat_deg, named.lon_deg


def site_horizons(scenario: Scenario, lat_deg: float, lon_deg: float):
    """A function giving the horizon line at a height above the ground, the ground's
    height, and a label of the terrain used (with where the horizon ran out of it)."""
    site = scenario.site
    if site.horizon_csv is not None:
        line = read_horizon_csv(scenario.path(site.horizon_csv))
        # A measured profile stands for one height: every element sees the same line.
        return (lambda height_m: line), 0.0, line.source
    stack = site_terrain(scenario)
    ground_m = stack.ground_height_m(lat_deg, lon_deg)
    lines: dict[float, HorizonLine] = {}

    def horizon_at(height_m: float) -> HorizonLine:
        if height_m not in lines:
            lines[height_m] = HorizonLine.from_stack(
                stack,
                lat_deg,
                lon_deg,
                height_above_ground_m=height_m,
                max_distance_m=site.max_distance_m,
            )
        return lines[height_m]

    line = horizon_at(2.0)
    # Where the terrain ran out, the label says so wherever the station's figures go.
    return horizon_at, ground_m, line.source + (f"; {line.note}" if line.note else "")


def site_terrain(scenario: Scenario):
    """The terrain stack a scenario's site names: the embedded real LOLA cap (``lola``), a
    DEM file with the cap as its far field, a fetched stack (``stack.json``), or the
    synthetic south pole around the site
    (alone: real terrain beyond it would not join it)."""
    from ilrs.terrain.stack import TerrainStack

    site = scenario.site
    if site.terrain == "lola":
        return TerrainStack.default()
    if site.terrain == "synthetic":
        from ilrs.terrain.synthetic import synthesize_around

        lat_deg, lon_deg = site_position(scenario)
        return TerrainStack(
            [
                synthesize_around(
                    lat_deg, lon_deg, site.synthetic_size_px, site.synthetic_resolution_m, seed=0
                )
            ]
        )
    return TerrainStack.from_path(scenario.path(site.terrain))


def _incidence_cos(array, sun) -> np.ndarray:
    elevation = np.radians(sun.elevation_deg)
    if array.mount == "vertical-tracking":
        # A vertical panel turned to the Sun's azimuth: the Sun strikes it at its elevation.
        return np.maximum(np.cos(elevation), 0.0)
    azimuth = np.radians(sun.azimuth_deg)
    tilt, facing = np.radians(array.tilt_deg), np.radians(array.azimuth_deg)
    cosine = np.sin(tilt) * np.cos(elevation) * np.cos(azimuth - facing) + np.cos(tilt) * np.sin(
        elevation
    )
    return np.maximum(cosine, 0.0)


def _ground_station(spec: GroundStationSpec) -> GroundStation:
    if spec.lat_deg is None:
        built_in = ground_station(spec.name)
        return GroundStation(
            built_in.name,
            built_in.label,
            built_in.operator,
            built_in.itrf_m,
            built_in.dish_diameter_m,
            spec.elevation_mask_deg,
            built_in.source,
        )
    import erfa

    itrf = erfa.gd2gc(1, np.radians(spec.lon_deg), np.radians(spec.lat_deg), spec.height_m)
    return GroundStation(
        spec.name, spec.name, "", tuple(itrf.tolist()), 0.0, spec.elevation_mask_deg, "scenario"
    )


def _available(spec, station, lat_deg, lon_deg, times, ground_m, ephemeris, day_index):
    """When the station works for the ILRS: the Moon above its mask, within the hours a day
    it gives (the first ones of each UTC day the Moon is up). Also the view's distance and
    the site's elevation in the station's sky (for the weather on the path)."""
    view = station_view(station, lat_deg, lon_deg, times, ground_m + 2.0, ephemeris=ephemeris)
    up = np.asarray(view.above_mask, dtype=bool)
    if spec.hours_per_day >= 24.0 or len(times) < 2:
        return up, view.distance_m, view.elevation_deg
    step_h = float(np.median(np.diff(times.tdb_s))) / 3600.0
    # Rank of each up step within its day: up steps so far, less those before the day.
    counted = np.cumsum(up)
    day_starts = np.flatnonzero(np.diff(day_index, prepend=-1))
    before_day = (counted - up)[day_starts]
    rank = counted - before_day[np.cumsum(np.diff(day_index, prepend=-1) != 0) - 1]
    within_hours = rank <= int(round(spec.hours_per_day / step_h))
    return up & within_hours, view.distance_m, view.elevation_deg


def _utc_day_index(times) -> np.ndarray:
    """A number for each instant's UTC calendar day, increasing."""
    days = np.array([text[:10] for text in times.utc_iso(0)])
    _, index = np.unique(days, return_inverse=True)
    return index


def _terminal(spec: TerminalSpec, name: str) -> Terminal:
    return Terminal(
        name=name,
        diameter_m=spec.diameter_m,
        gain_dbi=spec.gain_dbi,
        efficiency=spec.efficiency,
        rf_power_w=spec.rf_power_w,
        system_noise_temperature_k=spec.system_noise_temperature_k,
        losses_db=spec.losses_db,
    )


def _rates(
    link: LinkSpec, receiver: TerminalSpec, receiver_name: str, distance_m, weather_db=None
) -> np.ndarray:
    """The link's rate at each step: free space at ``distance_m``, less the weather."""
    c_n0 = c_over_n0_dbhz(
        _terminal(link.terminal, "transmitter"),
        _terminal(receiver, receiver_name),
        distance_m=np.asarray(distance_m, dtype=float),
        frequency_hz=link.frequency_hz,
    )
    if weather_db is not None:
        c_n0 = c_n0 - weather_db
    rate, _ = best_rate_bps(
        c_n0, link.rate_modes(), margin_db=link.margin_db, rate_steps_bps=link.rate_steps_bps
    )
    return rate


def _above_horizon(line: HorizonLine, position) -> np.ndarray:
    """Where a point source at ``position`` stands above the horizon line (the same test
    as the Earth's centre's, :func:`ilrs.environment.disk.centre_margin_deg`)."""
    margin = centre_margin_deg(
        position.elevation_deg,
        line.elevation_at(position.azimuth_deg),
        line.slope_at(position.azimuth_deg),
        elevation_for_slope_deg=position.elevation_deg,
    )
    return margin > 0


_ATMOSPHERES: dict[tuple, object] = {}


def _weather_db(link: LinkSpec, spec: GroundStationSpec, station: GroundStation, elevation_deg):
    """C/N0 lost to the Earth's atmosphere at the station at each step, at the link's
    weather availability (None without one). The attenuation is tabulated on elevations
    once per station, frequency and availability (ITU-R P.618: see station.atmosphere)."""
    if link.weather_availability is None:
        return None
    from ilrs.station.atmosphere import atmosphere_table, equivalent_dish_diameter_m

    lat, lon, height = station.geodetic
    terminal = spec.terminal
    if terminal.diameter_m is not None:
        diameter_m = terminal.diameter_m
    else:
        diameter_m = equivalent_dish_diameter_m(
            terminal.gain_dbi, link.frequency_hz, terminal.efficiency
        )
    key = (lat, lon, height, link.frequency_hz, link.weather_availability, diameter_m)
    key += (terminal.efficiency,)  # scintillation depends on the aperture's effective area
    if key not in _ATMOSPHERES:
        _ATMOSPHERES[key] = atmosphere_table(
            lat,
            lon,
            height,
            link.frequency_hz,
            link.weather_availability,
            antenna_diameter_m=diameter_m,
            antenna_efficiency=terminal.efficiency,
        )
    return _ATMOSPHERES[key].penalty_at_db(elevation_deg, terminal.system_noise_temperature_k)


def _relay_rates(
    scenario, times, lat_deg, lon_deg, ground_m, horizon_at, available, stations, eph, links
):
    """Per relay and ground station: the rate of the surface->relay hop where the relay
    stands above the site's horizon, capped by the relay->station hop where the station is
    working and the Moon does not hide the station from the relay (the relay decodes and
    forwards at once, storing nothing: the slower hop sets the rate)."""
    from ilrs.sky.orbits import propagate
    from ilrs.sky.stations import itrs_to_icrf

    surface = scenario.surface
    if surface.relay_link is None:
        raise InputError("the scenario has relays but no surface.relay_link terminal to reach them")
    link = surface.relay_link
    antenna_height = link.antenna_height_m
    line = horizon_at(antenna_height)
    site_me = site_vector_m(lat_deg, lon_deg, ground_m + antenna_height)
    east, north, up = local_axes(np.radians(lat_deg), np.radians(lon_deg))
    earth_m, _ = eph.relative_state_m("earth", "moon", times.tdb_s)
    to_icrf = itrs_to_icrf(times.tdb_s)
    # Each station from the Moon's centre, and its local vertical, in ICRF axes.
    station_m, station_up = {}, {}
    for name, station in stations.items():
        station_m[name] = earth_m + to_icrf @ np.array(station.itrf_m)
        station_lat, station_lon, _ = station.geodetic
        _, _, vertical = local_axes(np.radians(station_lat), np.radians(station_lon))
        station_up[name] = to_icrf @ vertical
    rates = {}
    for relay in scenario.orbital.relays:
        elements = _relay_elements(relay)
        track = propagate(elements, times, ephemeris=eph)
        to_relay = track.position_me_m - site_me
        distance = np.linalg.norm(to_relay, axis=-1)
        elevation = np.degrees(np.arcsin(np.clip(to_relay @ up / distance, -1, 1)))
        azimuth = np.degrees(np.arctan2(to_relay @ east, to_relay @ north)) % 360.0
        seen = elevation > line.elevation_at(azimuth)
        up_rate = _rates(link, relay.proximity_terminal, relay.name, distance)
        links.append(
            LinkUse(
                f"surface to {relay.name}",
                link,
                relay.proximity_terminal,
                np.where(seen, distance, np.nan),
            )
        )
        rates[relay.name] = {}
        for spec in scenario.ground.stations:
            path_m = station_m[spec.name] - track.position_icrf_m
            to_earth_m = np.linalg.norm(path_m, axis=-1)
            # The relay's elevation in the station's sky, for the weather on the path.
            relay_elevation = np.degrees(
                np.arcsin(
                    np.clip(-np.sum(path_m * station_up[spec.name], axis=-1) / to_earth_m, -1, 1)
                )
            )
            clear = _clear_of_moon(track.position_icrf_m, station_m[spec.name])
            weather = _weather_db(relay.to_earth, spec, stations[spec.name], relay_elevation)
            rate = _rates(relay.to_earth, spec.terminal, spec.name, to_earth_m, weather)
            # The station's window is for the Moon above its mask; the relay, up to a few
            # degrees from the Moon in the station's sky, must be above the mask too.
            above_mask = relay_elevation >= stations[spec.name].elevation_mask_deg
            working = available[spec.name][0] & clear & above_mask
            rates[relay.name][spec.name] = np.where(seen & working, np.minimum(up_rate, rate), 0)
            links.append(
                LinkUse(
                    f"{relay.name} to Earth: {spec.name}",
                    relay.to_earth,
                    spec.terminal,
                    np.where(working, to_earth_m, np.nan),
                    weather,
                )
            )
    return rates


def _relay_elements(relay):
    """A relay's orbital elements: a built-in orbit by name, or the scenario's own."""
    from ilrs.sky.orbits import OrbitElements, builtin_orbits

    if relay.builtin is not None:
        known = builtin_orbits()
        if relay.builtin not in known:
            raise InputError(
                f"orbital.relays: unknown builtin orbit {relay.builtin!r}; "
                f"known: {', '.join(known)}"
            )
        return known[relay.builtin]
    orbit = relay.orbit
    return OrbitElements.from_altitudes(
        orbit.perilune_altitude_m,
        orbit.apolune_altitude_m,
        orbit.inclination_deg,
        orbit.raan_deg,
        orbit.arg_perilune_deg,
        orbit.mean_anomaly_deg,
        orbit.epoch_utc,
    )


def assign_stations(
    through: dict[str, dict[str, np.ndarray]],
    antennas: dict[str, int],
    n_steps: int,
    one_at_a_time: frozenset[str] = frozenset(),
) -> dict[str, np.ndarray]:
    """Each user's rate when, at every step, the stations' antennas go to the users so that
    the most data flows: an antenna serves one user at a time (a dish tracks the lander or
    the relay, not both), a user takes one station, and of the users ``one_at_a_time`` (the
    relays, which share the surface's one relay terminal) only one works at once. Every
    assignment is tried (few users, few stations)."""
    users = list(through)
    names = list(antennas)
    if not users:
        return {}
    choices = len(names) + 1  # each station, or none
    if choices ** len(users) > 20_000:
        raise InputError(
            f"{len(users)} links over {len(names)} ground stations are too many to assign "
            "(at most about 20 000 combinations)"
        )
    best_total = np.full(n_steps, -1.0)
    best = {user: np.zeros(n_steps) for user in users}
    for assignment in itertools.product(range(choices), repeat=len(users)):
        used = [names[index] for index in assignment if index < len(names)]
        if any(used.count(name) > antennas[name] for name in set(used)):
            continue
        working = [u for u, index in zip(users, assignment, strict=True) if index < len(names)]
        if sum(user in one_at_a_time for user in working) > 1:
            continue
        rates = [
            through[user][names[index]] if index < len(names) else np.zeros(n_steps)
            for user, index in zip(users, assignment, strict=True)
        ]
        total = np.sum(rates, axis=0)
        better = total > best_total
        best_total = np.where(better, total, best_total)
        for user, rate in zip(users, rates, strict=True):
            best[user] = np.where(better, rate, best[user])
    return best


def _clear_of_moon(relay_m: np.ndarray, earth_m: np.ndarray) -> np.ndarray:
    """Whether the straight path from the relay to a point on Earth (``earth_m``, from the
    Moon's centre) misses the lunar sphere."""
    path = earth_m - relay_m
    along = np.clip(-np.sum(relay_m * path, axis=-1) / np.sum(path * path, axis=-1), 0.0, 1.0)
    closest = relay_m + along[:, None] * path
    return np.linalg.norm(closest, axis=-1) > MOON_RADIUS_M
