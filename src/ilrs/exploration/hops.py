"""Ballistic hops of a lunar hopper between landing spots, over the terrain of a DEM.

Model, per hop:

* **Impulsive burns.** A launch burn gives the launch speed ``v`` at elevation ``θ``; the
  hopper coasts on a ballistic arc; a landing burn cancels the arrival velocity. A fixed
  ``landing_allowance_m_s`` per landing may stand for hover and touchdown (0 by default).
  Delta-v = ``v + v_arrival + allowance``.
* **Uniform gravity** ``g = GM / (R + h_launch)^2`` along the launch point's vertical. For
  hops of a few km this is enough: the direction and size of real (central) gravity change
  along the hop by O(d/R), 2e-3 for 3 km.
* **Curvature, exactly.** Everything happens in the launch point's local vertical plane
  (the plane of the great circle through launch and landing): a point at great-circle
  distance ``s`` and height ``h`` lies at ``x = (R + h) sin(s/R)``, ``z = (R + h) cos(s/R)
  - (R + h_launch)`` from the launch point. So the landing spot of a level hop lies about
  ``d^2 / (2R)`` below the launch horizon, and the least-speed angle is slightly *below*
  45°: ``45° - Φ/4`` for a level hop, Φ = s/R its central angle.
* **Clearance** is the arc's height above the terrain along each point's local vertical
  (the Moon's radius through it), on the ground track sampled every half pixel. It must
  be at least ``clearance_m`` wherever the distance from both ends exceeds the lift-off /
  touch-down length ``end_zone_m`` (two pixels by default), where the arc necessarily
  meets the ground.

Choice of the angle. The arc through both ends at angle θ is, in the launch plane,
``z(x) = x tanθ (1 - x/d) + dh x^2/d^2``: it rises everywhere between the ends as θ grows,
so the clearing angles are one interval ``[θ_clear, 90°)``. The speed,
``v^2 = g d^2 / (2 cos^2θ (d tanθ - dh))``, has one minimum at ``θ* = ½ atan2(d, -dh)``
(``= 45° + ½ atan(dh/d)``; then ``v^2 = g (√(d² + dh²) + dh)``), and the arrival speed
``v_a^2 = v^2 - 2 g dh`` grows with ``v``. So the least delta-v is at ``max(θ*, θ_clear)``;
``θ_clear`` is found by bisection to 1e-10 rad, from the exact optimum, with no grid.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from ilrs.errors import InputError
from ilrs.sky.orbits import MOON_GM_M3_S2
from ilrs.terrain.grid import MOON_RADIUS_M, Dem, moon_fixed_m

__all__ = [
    "STANDARD_GRAVITY_M_S2",
    "Hop",
    "HopPlan",
    "HopTrack",
    "Hopper",
    "plan_hops",
]

STANDARD_GRAVITY_M_S2 = 9.80665  # g0 of specific impulse, exact (3rd CGPM, 1901)
_ANGLE_TOLERANCE_RAD = 1e-10  # bisection stop: far below any DEM's effect on the arc


@dataclass(frozen=True)
class Hopper:
    """A hopper: masses [kg], specific impulse [s] and flight rules.

    ``clearance_m`` is the least height above the terrain outside the end zones;
    ``end_zone_m`` the lift-off / touch-down length at either end where it is not
    required (None: two pixels of the DEM); ``max_hop_m`` limits the great-circle length
    of a hop (None: no limit); ``landing_allowance_m_s`` is added to every landing burn.
    """

    dry_mass_kg: float
    propellant_kg: float
    specific_impulse_s: float
    clearance_m: float = 20.0
    max_flight_angle_deg: float = 85.0
    max_hop_m: float | None = None
    landing_allowance_m_s: float = 0.0
    end_zone_m: float | None = None

    def __post_init__(self) -> None:
        positive = {
            "dry_mass_kg": self.dry_mass_kg,
            "propellant_kg": self.propellant_kg,
            "specific_impulse_s": self.specific_impulse_s,
        }
        if self.max_hop_m is not None:
            positive["max_hop_m"] = self.max_hop_m
        for name, value in positive.items():
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"hopper {name} must be a positive number; got {value}")
        not_negative = {
            "clearance_m": self.clearance_m,
            "landing_allowance_m_s": self.landing_allowance_m_s,
        }
        if self.end_zone_m is not None:
            not_negative["end_zone_m"] = self.end_zone_m
        for name, value in not_negative.items():
            if not (math.isfinite(value) and value >= 0):
                raise InputError(f"hopper {name} must be zero or more; got {value}")
        if not 0 < self.max_flight_angle_deg < 90:
            raise InputError(
                f"hopper max_flight_angle_deg must lie in (0, 90) deg; "
                f"got {self.max_flight_angle_deg}"
            )

    @property
    def wet_mass_kg(self) -> float:
        return float(self.dry_mass_kg + self.propellant_kg)


@dataclass(frozen=True)
class HopTrack:
    """The ground track of a hop for plotting: great-circle distance from the launch
    spot [m], the arc's and the terrain's heights above the 1 737 400 m sphere [m]."""

    distance_m: np.ndarray
    arc_height_m: np.ndarray
    terrain_height_m: np.ndarray

    def to_dict(self) -> dict:
        return {
            name: getattr(self, name).tolist()
            for name in ("distance_m", "arc_height_m", "terrain_height_m")
        }


@dataclass(frozen=True)
class Hop:
    """One planned hop. Distances along the track are great-circle distances on the sphere;
    ``apex_height_m`` is the arc's highest point above the launch spot along its vertical;
    ``min_clearance_m`` (at ``min_clearance_at_m`` along the track) is NaN when the hop is
    too short to have anything outside the end zones; ``terrain_limited`` tells whether
    the terrain, not the least-speed optimum, set the angle."""

    number: int
    launch_lat_deg: float
    launch_lon_deg: float
    landing_lat_deg: float
    landing_lon_deg: float
    distance_m: float
    launch_height_m: float
    landing_height_m: float
    height_difference_m: float
    gravity_m_s2: float
    launch_angle_deg: float
    launch_speed_m_s: float
    arrival_speed_m_s: float
    delta_v_m_s: float
    flight_time_s: float
    apex_height_m: float
    min_clearance_m: float
    min_clearance_at_m: float
    terrain_limited: bool
    mass_before_kg: float
    propellant_kg: float
    mass_after_kg: float
    track: HopTrack = field(repr=False, compare=False)

    def to_dict(self, *, include_track: bool = False) -> dict:
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "track"}
        if include_track:
            row["track"] = self.track.to_dict()
        return row


@dataclass(frozen=True)
class HopPlan:
    """The hops that can be flown, in order, and their totals. When the plan is not
    feasible, ``reason`` says why, ``infeasible_hop`` is the number (from 1) of the first
    hop that cannot be flown (not in ``hops``), and a terrain obstacle is located by
    ``obstacle_distance_m`` along that hop's track and ``obstacle_height_m`` above the
    sphere."""

    hops: list[Hop]
    total_delta_v_m_s: float
    total_propellant_kg: float
    initial_mass_kg: float
    final_mass_kg: float
    feasible: bool
    reason: str | None = None
    infeasible_hop: int | None = None
    obstacle_distance_m: float | None = None
    obstacle_height_m: float | None = None

    def rows(self) -> list[dict]:
        """One flat dict per hop (no tracks), for CSV or JSON tables."""
        return [hop.to_dict() for hop in self.hops]

    def to_dict(self, *, include_tracks: bool = False) -> dict:
        plan = {k: v for k, v in asdict(self).items() if k != "hops"}
        plan["hops"] = [hop.to_dict(include_track=include_tracks) for hop in self.hops]
        return plan


@dataclass(frozen=True)
class _Geometry:
    """A hop's ground track and its end points in the launch plane (x, z) [m]."""

    distance_m: float
    arc_rad: np.ndarray  # central angle of each track sample
    terrain_m: np.ndarray  # heights above the sphere of each sample
    launch_radius_m: float
    x_end_m: float
    z_end_m: float
    checked: np.ndarray  # samples where clearance is required


def _unit_vector(lat_deg: float, lon_deg: float) -> np.ndarray:
    return moon_fixed_m(lat_deg, lon_deg) / MOON_RADIUS_M


def _track_geometry(dem: Dem, start, end, heights_m, end_zone_m: float) -> _Geometry:
    p1, p2 = _unit_vector(*start), _unit_vector(*end)
    central_rad = math.atan2(np.linalg.norm(np.cross(p1, p2)), float(p1 @ p2))
    distance_m = MOON_RADIUS_M * central_rad
    # Half-pixel steps: bilinear terrain has no feature finer than a pixel.
    steps = max(1, math.ceil(distance_m / (0.5 * dem.pixel_size_m)))
    arc_rad = np.linspace(0.0, central_rad, steps + 1)
    points = (
        np.sin(central_rad - arc_rad)[:, None] * p1 + np.sin(arc_rad)[:, None] * p2
    ) / math.sin(central_rad)
    lat_deg = np.degrees(np.arcsin(np.clip(points[:, 2], -1.0, 1.0)))
    lon_deg = np.degrees(np.arctan2(points[:, 1], points[:, 0]))
    rows, cols = dem.rowcol_of_latlon(lat_deg, lon_deg, check=False)
    # The map's outer half-pixel counts as inside (as for the waypoints): take the edge.
    rows = np.clip(rows, 0, dem.shape[0] - 1)
    cols = np.clip(cols, 0, dem.shape[1] - 1)
    terrain_m = dem.sample(rows, cols)
    terrain_m[0], terrain_m[-1] = heights_m
    along_m = MOON_RADIUS_M * arc_rad
    launch_radius_m = MOON_RADIUS_M + heights_m[0]
    landing_radius_m = MOON_RADIUS_M + heights_m[1]
    return _Geometry(
        distance_m=distance_m,
        arc_rad=arc_rad,
        terrain_m=terrain_m,
        launch_radius_m=launch_radius_m,
        x_end_m=landing_radius_m * math.sin(central_rad),
        z_end_m=landing_radius_m * math.cos(central_rad) - launch_radius_m,
        checked=(along_m > end_zone_m) & (along_m < distance_m - end_zone_m),
    )


def _arc_radius_m(geometry: _Geometry, angle_rad: float) -> np.ndarray:
    """Distance from the Moon's centre of the arc at angle θ through both ends, along the
    radius of each track sample: the root of ``k sin²φ ρ² + (cos φ - sin φ tanθ) ρ = R1``
    (the parabola ``z = x tanθ - k x²`` met by the ray ``x = ρ sin φ``, ``z = ρ cos φ - R1``),
    written to avoid cancellation."""
    d, dz, r1 = geometry.x_end_m, geometry.z_end_m, geometry.launch_radius_m
    tan_theta = math.tan(angle_rad)
    k = (d * tan_theta - dz) / d**2  # 1/m; g / (2 v² cos²θ) for the v that lands at the end
    phi = geometry.arc_rad
    a = k * np.sin(phi) ** 2
    b = np.cos(phi) - np.sin(phi) * tan_theta
    root = np.sqrt(b * b + 4.0 * a * r1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b >= 0, 2.0 * r1 / (b + root), (root - b) / (2.0 * a))


def _clearance_m(geometry: _Geometry, angle_rad: float) -> np.ndarray:
    return _arc_radius_m(geometry, angle_rad) - MOON_RADIUS_M - geometry.terrain_m


def _clears(geometry: _Geometry, angle_rad: float, clearance_m: float) -> bool:
    return bool(np.all(_clearance_m(geometry, angle_rad)[geometry.checked] >= clearance_m))


def _least_clearance(geometry: _Geometry, clearance: np.ndarray) -> tuple[float, float, int]:
    """Least clearance [m] outside the end zones, its distance along the track [m], index."""
    if not np.any(geometry.checked):
        return math.nan, math.nan, -1
    index = int(np.flatnonzero(geometry.checked)[np.argmin(clearance[geometry.checked])])
    return float(clearance[index]), float(MOON_RADIUS_M * geometry.arc_rad[index]), index


def _check_waypoints(dem: Dem, waypoints) -> list[tuple[float, float, float]]:
    if len(waypoints) < 2:
        raise InputError(f"a hop plan needs at least two waypoints; got {len(waypoints)}")
    checked = []
    for number, point in enumerate(waypoints, start=1):
        lat_deg, lon_deg = (float(v) for v in point)
        if not (math.isfinite(lat_deg) and math.isfinite(lon_deg) and -90 <= lat_deg <= 90):
            raise InputError(
                f"waypoint {number} ({lat_deg}, {lon_deg}) is not a latitude/longitude"
            )
        try:
            rows, cols = dem.rowcol_of_latlon(lat_deg, lon_deg)
        except InputError as error:
            raise InputError(
                f"waypoint {number} at {lat_deg:.5f}°, {lon_deg:.5f}° lies outside the map: {error}"
            ) from error
        height_m = float(
            dem.sample(np.clip(rows, 0, dem.shape[0] - 1), np.clip(cols, 0, dem.shape[1] - 1))
        )
        if not math.isfinite(height_m):
            raise InputError(
                f"waypoint {number} at {lat_deg:.5f}°, {lon_deg:.5f}° has no terrain height"
            )
        if checked and checked[-1][:2] == (lat_deg, lon_deg):
            raise InputError(f"waypoints {number - 1} and {number} are the same spot")
        checked.append((lat_deg, lon_deg, height_m))
    return checked


def plan_hops(dem: Dem, waypoints: list[tuple[float, float]], hopper: Hopper) -> HopPlan:
    """Plan the least-delta-v ballistic hops through ``waypoints`` (latitude, east longitude
    [deg], planetocentric), hop after hop, spending propellant by the rocket equation
    ``m_after = m_before exp(-Δv / (Isp g0))``.

    Parameters
    ----------
    dem
        The terrain; waypoint heights and the ground tracks are sampled from it.
    waypoints
        Landing spots in flight order, the first the start.
    hopper
        Masses, specific impulse and flight rules.

    Returns
    -------
    HopPlan
        The hops that can be flown and their totals; stops at the first that cannot.

    Raises
    ------
    InputError
        Fewer than two waypoints, a waypoint outside the map or without data, two equal
        consecutive waypoints. A hop that cannot clear the terrain, is too long or runs out
        of propellant is not an error: the plan stops there, ``feasible`` False.
    """
    spots = _check_waypoints(dem, waypoints)
    end_zone_m = 2.0 * dem.pixel_size_m if hopper.end_zone_m is None else hopper.end_zone_m
    exhaust_m_s = hopper.specific_impulse_s * STANDARD_GRAVITY_M_S2
    max_angle_rad = math.radians(hopper.max_flight_angle_deg)
    hops: list[Hop] = []
    mass_kg = hopper.wet_mass_kg

    def stop(number: int, reason: str, obstacle: tuple[float, float] | None = None) -> HopPlan:
        return _plan(hops, hopper, False, reason, number, obstacle)

    for number, (start, end) in enumerate(zip(spots, spots[1:], strict=False), start=1):
        where = f"hop {number} ({start[0]:.5f}°, {start[1]:.5f}° to {end[0]:.5f}°, {end[1]:.5f}°)"
        geometry = _track_geometry(dem, start[:2], end[:2], (start[2], end[2]), end_zone_m)
        if hopper.max_hop_m is not None and geometry.distance_m > hopper.max_hop_m:
            return stop(
                number,
                f"{where} is {geometry.distance_m:.0f} m long, more than the hopper's "
                f"maximum hop of {hopper.max_hop_m:.0f} m",
            )
        gaps = np.flatnonzero(~np.isfinite(geometry.terrain_m))
        if gaps.size:
            return stop(
                number,
                f"{where} crosses a cell without terrain data "
                f"{MOON_RADIUS_M * geometry.arc_rad[gaps[0]]:.0f} m along the track",
            )
        d, dz = geometry.x_end_m, geometry.z_end_m
        if math.atan2(dz, d) >= max_angle_rad:
            return stop(
                number,
                f"{where} lands {end[2] - start[2]:.0f} m higher over "
                f"{geometry.distance_m:.0f} m: steeper than the maximum flight angle "
                f"{hopper.max_flight_angle_deg:g}°",
            )
        angle_rad = min(0.5 * math.atan2(d, -dz), max_angle_rad)
        terrain_limited = not _clears(geometry, angle_rad, hopper.clearance_m)
        if terrain_limited:
            if not _clears(geometry, max_angle_rad, hopper.clearance_m):
                least_m, at_m, index = _least_clearance(
                    geometry, _clearance_m(geometry, max_angle_rad)
                )
                height_m = float(geometry.terrain_m[index])
                return stop(
                    number,
                    f"{where} cannot clear the terrain by {hopper.clearance_m:g} m even at "
                    f"the maximum flight angle {hopper.max_flight_angle_deg:g}°: obstacle "
                    f"{at_m:.0f} m along the track, {height_m:.0f} m high "
                    f"(clearance {least_m:.0f} m)",
                    (at_m, height_m),
                )
            low_rad, high_rad = angle_rad, max_angle_rad
            while high_rad - low_rad > _ANGLE_TOLERANCE_RAD:
                middle_rad = 0.5 * (low_rad + high_rad)
                if _clears(geometry, middle_rad, hopper.clearance_m):
                    high_rad = middle_rad
                else:
                    low_rad = middle_rad
            angle_rad = high_rad

        gravity_m_s2 = MOON_GM_M3_S2 / geometry.launch_radius_m**2
        cos_theta, sin_theta = math.cos(angle_rad), math.sin(angle_rad)
        speed_m_s = math.sqrt(
            gravity_m_s2 * d**2 / (2.0 * cos_theta**2 * (d * math.tan(angle_rad) - dz))
        )
        arrival_m_s = math.sqrt(speed_m_s**2 - 2.0 * gravity_m_s2 * dz)  # energy, uniform g
        delta_v_m_s = speed_m_s + arrival_m_s + hopper.landing_allowance_m_s
        flight_time_s = d / (speed_m_s * cos_theta)
        apex_time_s = speed_m_s * sin_theta / gravity_m_s2
        apex_m = (
            (speed_m_s * sin_theta) ** 2 / (2.0 * gravity_m_s2)
            if apex_time_s < flight_time_s
            else dz  # still climbing at touch-down
        )
        mass_after_kg = mass_kg * math.exp(-delta_v_m_s / exhaust_m_s)
        used_kg = mass_kg - mass_after_kg
        if mass_after_kg < hopper.dry_mass_kg:
            return stop(
                number,
                f"propellant exhausted on {where}: it needs {used_kg:.3f} kg "
                f"(delta-v {delta_v_m_s:.1f} m/s), {mass_kg - hopper.dry_mass_kg:.3f} kg left",
            )
        arc_m = _arc_radius_m(geometry, angle_rad) - MOON_RADIUS_M
        least_m, at_m, _ = _least_clearance(geometry, arc_m - geometry.terrain_m)
        hops.append(
            Hop(
                number=number,
                launch_lat_deg=start[0],
                launch_lon_deg=start[1],
                landing_lat_deg=end[0],
                landing_lon_deg=end[1],
                distance_m=geometry.distance_m,
                launch_height_m=start[2],
                landing_height_m=end[2],
                height_difference_m=end[2] - start[2],
                gravity_m_s2=gravity_m_s2,
                launch_angle_deg=math.degrees(angle_rad),
                launch_speed_m_s=speed_m_s,
                arrival_speed_m_s=arrival_m_s,
                delta_v_m_s=delta_v_m_s,
                flight_time_s=flight_time_s,
                apex_height_m=apex_m,
                min_clearance_m=least_m,
                min_clearance_at_m=at_m,
                terrain_limited=terrain_limited,
                mass_before_kg=mass_kg,
                propellant_kg=used_kg,
                mass_after_kg=mass_after_kg,
                track=HopTrack(
                    distance_m=MOON_RADIUS_M * geometry.arc_rad,
                    arc_height_m=arc_m,
                    terrain_height_m=geometry.terrain_m,
                ),
            )
        )
        mass_kg = mass_after_kg
    return _plan(hops, hopper, True, None, None, None)


def _plan(hops, hopper: Hopper, feasible, reason, number, obstacle) -> HopPlan:
    return HopPlan(
        hops=list(hops),
        total_delta_v_m_s=float(sum(hop.delta_v_m_s for hop in hops)),
        total_propellant_kg=float(sum(hop.propellant_kg for hop in hops)),
        initial_mass_kg=hopper.wet_mass_kg,
        final_mass_kg=hops[-1].mass_after_kg if hops else hopper.wet_mass_kg,
        feasible=feasible,
        reason=reason,
        infeasible_hop=number,
        obstacle_distance_m=None if obstacle is None else obstacle[0],
        obstacle_height_m=None if obstacle is None else obstacle[1],
    )
