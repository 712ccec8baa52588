"""Ballistic hops: analytic least-speed arcs, terrain clearance checked independently, the
rocket equation across hops, and infeasible plans.

The DEMs are small synthetic grids 30 km from the pole (20 m pixels, pixel centres on
multiples of 20 m in x). Hops run along grid x between x = -1500 and +1500 m, so a ridge
along grid y at x = 0 lies exactly midway, on a track sample.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from affine import Affine

from ilrs.errors import InputError
from ilrs.exploration.hops import Hopper, plan_hops
from ilrs.terrain.grid import MOON_RADIUS_M, Dem, latlon_from_polar_xy, polar_xy_from_latlon

GM_MOON_M3_S2 = 4.9028e12  # DE421 (Folkner et al. 2009), to 5 digits: g agrees to 1e-8
G0_M_S2 = 9.80665  # standard gravity, exact (CGPM 1901)
PIXEL_M = 20.0
Y_TRACK_M = 30_000.0


def make_dem(height_of_x) -> Dem:
    """A 300 x 300 grid of 20 m pixels; height a function of projected x [m] only."""
    x0, y0 = -3010.0, Y_TRACK_M + 3010.0  # pixel centres at x = -3000, -2980, ..., 2980
    cols = np.arange(300)
    x_m = x0 + (cols + 0.5) * PIXEL_M
    heights = np.broadcast_to(height_of_x(x_m), (300, 300)).astype(float)
    return Dem(np.array(heights), Affine(PIXEL_M, 0, x0, 0, -PIXEL_M, y0))


def spot(x_m: float, y_m: float = Y_TRACK_M) -> tuple[float, float]:
    lat, lon = latlon_from_polar_xy(x_m, y_m)
    return float(lat), float(lon)


def unit(lat_deg: float, lon_deg: float) -> np.ndarray:
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    return np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])


def central_angle_rad(a, b) -> float:
    """Haversine (well conditioned for short arcs)."""
    lat1, lon1, lat2, lon2 = (math.radians(v) for v in (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * math.asin(math.sqrt(h))


def arc_points(a, b, angle_deg, speed_m_s, gravity_m_s2, launch_height_m, n=3001):
    """Points of the uniform-gravity parabola from spot a towards b, built in Moon-fixed
    coordinates: (great-circle distance [m], height above the sphere [m], lat, lon)."""
    up = unit(*a)
    towards = unit(*b) - (unit(*b) @ up) * up
    forward = towards / np.linalg.norm(towards)
    theta = math.radians(angle_deg)
    r1 = MOON_RADIUS_M + launch_height_m
    phi_end = central_angle_rad(a, b)
    # Far enough to pass the landing spot; cut at its radius below.
    x = np.linspace(0.0, 1.2 * r1 * math.sin(phi_end), n)
    z = x * math.tan(theta) - gravity_m_s2 * x**2 / (2 * speed_m_s**2 * math.cos(theta) ** 2)
    points = (r1 + z)[:, None] * up + x[:, None] * forward
    radius = np.linalg.norm(points, axis=1)
    s_m = MOON_RADIUS_M * np.arctan2(x, r1 + z)
    keep = s_m <= MOON_RADIUS_M * phi_end
    lat = np.degrees(np.arcsin(points[:, 2] / radius))
    lon = np.degrees(np.arctan2(points[:, 1], points[:, 0]))
    return s_m[keep], (radius - MOON_RADIUS_M)[keep], lat[keep], lon[keep]


def dem_height(dem: Dem, lat, lon) -> np.ndarray:
    rows, cols = dem.rowcol(*polar_xy_from_latlon(lat, lon))
    return dem.sample(rows, cols)


def test_level_hop_on_flat_ground_matches_the_analytic_arc():
    # Constant height -1500 m. The landing spot lies R0 (1 - cos Φ) below the launch
    # horizon (the sphere's curvature, 0.65 m over 3 km), so the exact least-speed angle
    # is 45° - Φ/4 (tan 2θ = sin Φ / (1 - cos Φ) = cot(Φ/2)), 0.025° below 45°, and
    # v² = g (chord + drop) = 2 g R0 sin(Φ/2) (1 - sin(Φ/2)) ≈ g d (1 - Φ/2).
    h0 = -1500.0
    dem = make_dem(lambda x: np.full_like(x, h0))
    a, b = spot(-1500.0), spot(1500.0)
    hopper = Hopper(dry_mass_kg=100.0, propellant_kg=50.0, specific_impulse_s=300.0)
    plan = plan_hops(dem, [a, b], hopper)
    assert plan.feasible and plan.reason is None
    hop = plan.hops[0]

    phi = central_angle_rad(a, b)
    r0 = MOON_RADIUS_M + h0
    g = GM_MOON_M3_S2 / r0**2
    ground_m = r0 * phi  # 2999.5 m at this height (3000 m in the projection, k < 1)
    theta_deg = 45.0 - math.degrees(phi) / 4
    v = math.sqrt(2 * g * r0 * math.sin(phi / 2) * (1 - math.sin(phi / 2)))
    drop_m = r0 * (1 - math.cos(phi))
    v_arrival = math.sqrt(v**2 + 2 * g * drop_m)
    time_s = r0 * math.sin(phi) / (v * math.cos(math.radians(theta_deg)))

    assert hop.distance_m == pytest.approx(MOON_RADIUS_M * phi, rel=1e-12)
    assert hop.gravity_m_s2 == pytest.approx(g, rel=1e-6)
    assert hop.launch_angle_deg == pytest.approx(theta_deg, abs=1e-9)
    assert hop.launch_angle_deg < 45.0
    assert hop.launch_speed_m_s == pytest.approx(v, rel=1e-6)
    assert hop.arrival_speed_m_s == pytest.approx(v_arrival, rel=1e-6)
    assert hop.delta_v_m_s == pytest.approx(v + v_arrival, rel=1e-6)
    assert hop.flight_time_s == pytest.approx(time_s, rel=1e-6)
    assert hop.apex_height_m == pytest.approx(
        (v * math.sin(math.radians(theta_deg))) ** 2 / (2 * g), rel=1e-6
    )
    # The flat-Moon figures, v = sqrt(g d), Δv = 2v, T = sqrt(2 d / g), hold to O(Φ), 9e-4.
    assert hop.launch_speed_m_s == pytest.approx(math.sqrt(g * ground_m) * (1 - phi / 4), rel=1e-6)
    assert hop.launch_speed_m_s == pytest.approx(math.sqrt(g * ground_m), rel=phi)
    assert hop.delta_v_m_s == pytest.approx(2 * math.sqrt(g * ground_m), rel=phi)
    assert hop.flight_time_s == pytest.approx(math.sqrt(2 * ground_m / g), rel=phi)
    assert not hop.terrain_limited

    m0 = 150.0
    m1 = m0 * math.exp(-(v + v_arrival) / (300.0 * G0_M_S2))
    assert hop.mass_after_kg == pytest.approx(m1, rel=1e-9)
    assert hop.propellant_kg == pytest.approx(m0 - m1, rel=1e-6)
    assert plan.final_mass_kg == hop.mass_after_kg

    track = hop.track
    assert track.arc_height_m[0] == pytest.approx(h0, abs=1e-6)
    assert track.arc_height_m[-1] == pytest.approx(h0, abs=1e-6)
    assert np.diff(track.distance_m).max() <= PIXEL_M / 2
    np.testing.assert_allclose(track.terrain_height_m, h0)


def test_arc_clears_a_ridge_that_a_45_degree_arc_would_hit():
    # A 900 m ridge 100 m wide at each side of its crest, midway on a 3 km hop: the 45° arc
    # at sqrt(g d) rises only d/4 = 750 m there.
    dem = make_dem(lambda x: np.clip(900.0 * (1 - np.abs(x) / 100.0), 0, None))
    a, b = spot(-1500.0), spot(1500.0)
    hopper = Hopper(dry_mass_kg=100.0, propellant_kg=50.0, specific_impulse_s=300.0)
    plan = plan_hops(dem, [a, b], hopper)
    assert plan.feasible
    hop = plan.hops[0]
    assert hop.terrain_limited
    assert hop.launch_angle_deg > 45.0
    # Crest 920 m over d/2: tanθ ≈ 920 / 750, θ ≈ 50.8° (plus 0.65 m of curvature drop).
    assert hop.launch_angle_deg == pytest.approx(math.degrees(math.atan(920 / 750)), abs=0.05)
    assert hop.min_clearance_m == pytest.approx(20.0, abs=1e-3)
    assert hop.min_clearance_at_m == pytest.approx(hop.distance_m / 2, abs=PIXEL_M / 2)

    end_zone_m = 2 * PIXEL_M
    d = hop.distance_m

    # The arc rebuilt from the reported angle, speed and gravity, with the DEM sampled
    # at its own points (not the module's track): clear by 20 m outside the end zones.
    s, height, lat, lon = arc_points(
        a, b, hop.launch_angle_deg, hop.launch_speed_m_s, hop.gravity_m_s2, 0.0
    )
    inside = (s > end_zone_m) & (s < d - end_zone_m)
    clearance = height[inside] - dem_height(dem, lat[inside], lon[inside])
    assert clearance.min() >= 20.0 - 1e-3
    assert s[-1] == pytest.approx(d, abs=2.0) and height[-1] == pytest.approx(0.0, abs=2.0)

    # The reported track lies on that same arc, and its terrain is the DEM's.
    s_rep, h_rep = hop.track.distance_m, hop.track.arc_height_m
    np.testing.assert_allclose(np.interp(s_rep, s, height)[1:-1], h_rep[1:-1], atol=0.05)
    assert (h_rep - hop.track.terrain_height_m)[
        (s_rep > end_zone_m) & (s_rep < d - end_zone_m)
    ].min() >= 20 - 1e-6

    # The unconstrained 45° arc at v = sqrt(g d) would hit the ridge.
    g = hop.gravity_m_s2
    s45, h45, lat45, lon45 = arc_points(a, b, 45.0, math.sqrt(g * d), g, 0.0)
    inside = (s45 > end_zone_m) & (s45 < d - end_zone_m)
    assert (h45[inside] - dem_height(dem, lat45[inside], lon45[inside])).min() < 0.0


def test_landing_200_m_lower_takes_the_analytic_angle():
    # A plane falling 200 m over the 3 km hop. Least speed: d (cos 2θ) + dh sin 2θ = 0,
    # θ* = ½ atan2(d, -dh) = 45° + ½ atan(dh/d), v² = g (sqrt(d² + dh²) + dh); with the
    # curvature, d and dh are the landing spot's coordinates in the launch plane.
    dem = make_dem(lambda x: -200.0 * (x + 1500.0) / 3000.0)
    a, b = spot(-1500.0), spot(1500.0)
    plan = plan_hops(dem, [a, b], Hopper(100.0, 50.0, 300.0))
    hop = plan.hops[0]
    assert hop.height_difference_m == pytest.approx(-200.0, abs=1e-6)

    phi = central_angle_rad(a, b)
    r1, r2 = MOON_RADIUS_M, MOON_RADIUS_M - 200.0
    d, dh = r2 * math.sin(phi), r2 * math.cos(phi) - r1
    theta = 0.5 * math.atan2(d, -dh)
    g = GM_MOON_M3_S2 / r1**2
    assert hop.launch_angle_deg == pytest.approx(math.degrees(theta), abs=1e-9)
    assert hop.launch_speed_m_s == pytest.approx(math.sqrt(g * (math.hypot(d, dh) + dh)), rel=1e-6)
    assert hop.arrival_speed_m_s == pytest.approx(
        math.sqrt(hop.launch_speed_m_s**2 - 2 * g * dh), rel=1e-9
    )
    # Flat-Moon formula with the great-circle distance: 43.09°, within Φ/4 + 0.01°.
    flat_deg = 45.0 + 0.5 * math.degrees(math.atan(-200.0 / hop.distance_m))
    assert flat_deg == pytest.approx(43.09, abs=0.01)
    assert hop.launch_angle_deg == pytest.approx(flat_deg, abs=0.04)
    assert not hop.terrain_limited


def test_mass_falls_by_the_rocket_equation_hop_after_hop():
    dem = make_dem(lambda x: np.zeros_like(x))
    waypoints = [spot(-1500.0), spot(1500.0), spot(1500.0, 28_000.0), spot(-500.0, 29_000.0)]
    hopper = Hopper(dry_mass_kg=80.0, propellant_kg=40.0, specific_impulse_s=285.0)
    plan = plan_hops(dem, waypoints, hopper)
    assert plan.feasible and len(plan.hops) == 3
    mass = 120.0
    for number, hop in enumerate(plan.hops, start=1):
        assert hop.number == number
        assert hop.mass_before_kg == pytest.approx(mass, rel=1e-12)
        mass *= math.exp(-hop.delta_v_m_s / (285.0 * G0_M_S2))
        assert hop.mass_after_kg == pytest.approx(mass, rel=1e-12)
    assert plan.final_mass_kg == pytest.approx(mass, rel=1e-12)
    assert plan.total_propellant_kg == pytest.approx(120.0 - mass, rel=1e-9)
    assert plan.total_delta_v_m_s == pytest.approx(sum(h.delta_v_m_s for h in plan.hops))
    # Second hop 2 km, third sqrt(2000² + 1000²): Δv ≈ 2 sqrt(g d).
    g = plan.hops[0].gravity_m_s2
    assert plan.hops[1].delta_v_m_s == pytest.approx(2 * math.sqrt(g * 2000.0), rel=2e-3)

    rows = plan.rows()
    assert [row["number"] for row in rows] == [1, 2, 3] and "track" not in rows[0]
    document = json.loads(json.dumps(plan.to_dict(include_tracks=True)))
    assert document["feasible"] is True
    assert len(document["hops"][0]["track"]["arc_height_m"]) == len(plan.hops[0].track.distance_m)


def test_landing_allowance_adds_to_each_hop():
    dem = make_dem(lambda x: np.zeros_like(x))
    a, b = spot(-1500.0), spot(1500.0)
    plain = plan_hops(dem, [a, b], Hopper(100.0, 50.0, 300.0)).hops[0]
    hover = plan_hops(dem, [a, b], Hopper(100.0, 50.0, 300.0, landing_allowance_m_s=15.0)).hops[0]
    assert hover.delta_v_m_s == pytest.approx(plain.delta_v_m_s + 15.0, rel=1e-12)


def test_a_wall_too_high_for_the_maximum_angle_makes_the_plan_infeasible():
    # 2000 m wall midway; at 60° the arc reaches tan 60° d/4 = 1299 m there.
    dem = make_dem(lambda x: np.clip(2000.0 * (1 - np.abs(x) / 60.0), 0, None))
    waypoints = [spot(-1500.0, 31_000.0), spot(-1500.0), spot(1500.0)]
    hopper = Hopper(100.0, 50.0, 300.0, max_flight_angle_deg=60.0)
    plan = plan_hops(dem, waypoints, hopper)
    assert not plan.feasible
    assert plan.infeasible_hop == 2 and "hop 2" in plan.reason
    assert len(plan.hops) == 1 and plan.final_mass_kg == plan.hops[0].mass_after_kg
    assert plan.obstacle_distance_m == pytest.approx(1500.0, abs=PIXEL_M)
    assert plan.obstacle_height_m == pytest.approx(2000.0, abs=1.0)
    assert "1500 m along the track" in plan.reason and "2000 m high" in plan.reason
    # At 85° the same wall is cleared (tan θ ≥ 2020 / 750 needs 69.6°).
    relaxed = plan_hops(dem, waypoints, Hopper(100.0, 50.0, 300.0))
    assert relaxed.feasible and relaxed.hops[1].launch_angle_deg == pytest.approx(69.6, abs=0.1)


def test_a_hop_longer_than_the_maximum_is_infeasible():
    dem = make_dem(lambda x: np.zeros_like(x))
    plan = plan_hops(dem, [spot(-1500.0), spot(1500.0)], Hopper(100, 50, 300, max_hop_m=2000.0))
    assert not plan.feasible and plan.infeasible_hop == 1 and "hop 1" in plan.reason
    assert plan.hops == [] and plan.final_mass_kg == 150.0


def test_propellant_running_out_names_the_hop():
    dem = make_dem(lambda x: np.zeros_like(x))
    waypoints = [spot(-1500.0), spot(1500.0), spot(-1500.0), spot(1500.0)]
    isp_s, dry_kg = 300.0, 100.0
    ample = plan_hops(dem, waypoints, Hopper(dry_kg, 1000.0, isp_s))
    dv = np.cumsum([hop.delta_v_m_s for hop in ample.hops])
    # The propellant two hops need from a wet mass m: m - dry, with m = dry exp(Δv / c).
    need_kg = dry_kg * (np.exp(dv / (isp_s * G0_M_S2)) - 1.0)
    plan = plan_hops(dem, waypoints, Hopper(dry_kg, 0.5 * (need_kg[1] + need_kg[2]), isp_s))
    assert not plan.feasible
    assert plan.infeasible_hop == 3
    assert "hop 3" in plan.reason and "propellant exhausted" in plan.reason
    assert len(plan.hops) == 2 and plan.final_mass_kg > dry_kg


def test_a_waypoint_outside_the_map_is_named():
    dem = make_dem(lambda x: np.zeros_like(x))
    outside = spot(9000.0)
    with pytest.raises(InputError, match=r"waypoint 2 at -8\d\.\d+°, \d+\.\d+° lies outside"):
        plan_hops(dem, [spot(0.0), outside, spot(1000.0)], Hopper(100, 50, 300))


@pytest.mark.parametrize(
    "waypoints, hopper, message",
    [
        ([(-89.0, 0.0)], dict(), "at least two waypoints"),
        (None, dict(dry_mass_kg=0.0), "dry_mass_kg"),
        (None, dict(propellant_kg=-1.0), "propellant_kg"),
        (None, dict(specific_impulse_s=0.0), "specific_impulse_s"),
        (None, dict(max_flight_angle_deg=90.0), "max_flight_angle_deg"),
        ("same", dict(), "waypoints 1 and 2 are the same spot"),
    ],
)
def test_bad_input_is_an_input_error(waypoints, hopper, message):
    dem = make_dem(lambda x: np.zeros_like(x))
    spec = dict(dry_mass_kg=100.0, propellant_kg=50.0, specific_impulse_s=300.0) | hopper
    if waypoints is None:
        waypoints = [spot(-1500.0), spot(1500.0)]
    elif waypoints == "same":
        waypoints = [spot(-1500.0), spot(-1500.0)]
    with pytest.raises(InputError, match=message):
        plan_hops(dem, waypoints, Hopper(**spec))
