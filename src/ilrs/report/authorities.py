"""Every model beside its published authority (``ilrs validate``).

Each check runs a model of the project on a case with a published answer (or against an
independent implementation) and gives one row: the model's value, the reference, their
difference, the tolerance and the source. The references, tolerances and sources live in
``data/authorities.yaml``; ``tests/test_validate.py`` asserts the same table.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["CHECKS", "Comparison", "bilinear_surface", "finer_grid", "marched_horizon_deg"]
__all__ += ["grass_reference", "horizons_vs_grass", "ingersoll_bowl_shadow_k", "P618_LONDON"]
__all__ += ["p618_london_db"]
__all__ += ["run_checks", "spherical_bowl_dem", "traced_horizon_deg"]


@dataclass(frozen=True)
class Comparison:
    """One model value against its reference."""

    area: str
    case: str
    model: float
    reference: float
    tolerance: float
    unit: str
    source: str
    how: str
    # A case shown but not held: the published figure needs what the model does not have
    # here (finer terrain, say); ``not_held`` says why, and the case never fails the table.
    not_held: str = ""

    @property
    def difference(self) -> float:
        return self.model - self.reference

    @property
    def ok(self) -> bool | None:
        """Within the tolerance; None for a case not held (neither passed nor failed)."""
        if self.not_held:
            return None
        return abs(self.difference) <= self.tolerance

    def as_dict(self) -> dict:
        return asdict(self) | {"difference": self.difference, "ok": self.ok}


def _authorities() -> dict:
    import yaml

    from ilrs.data import data_path

    with data_path("authorities.yaml").open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def _sky() -> dict[str, float]:
    """Sun and Earth directions against CSPICE at random sites and times."""
    import spiceypy

    from ilrs.sky import Times, default_kernels, site_vector_m, topocentric
    from ilrs.sky.geometry import local_axes

    kernels = default_kernels()
    # The kernel pool is the process's: load what is not there yet, and unload only that
    # afterwards (a caller that loaded the same files keeps them).
    already = {spiceypy.kdata(i, "ALL")[0] for i in range(spiceypy.ktotal("ALL"))}
    ours = [str(p) for p in (kernels.spk, kernels.moon_pck, *kernels.frame_kernels)]
    loaded_here = [path for path in ours if path not in already]
    for path in loaded_here:
        spiceypy.furnsh(path)
    try:
        rng = np.random.default_rng(20261207)
        worst_deg = 0.0
        for _ in range(20):
            et = rng.uniform(8.204e8, 1.4517e9)  # 2026 .. 2045 [TDB s past J2000]
            lat, lon = float(np.degrees(np.arcsin(rng.uniform(-1, 1)))), rng.uniform(0, 360)
            height_m = rng.uniform(0, 5000)
            site_km = site_vector_m(lat, lon, height_m) / 1e3
            east, north, up = local_axes(np.radians(lat), np.radians(lon))
            for body in ("sun", "earth"):
                state, _ = spiceypy.spkcpo(
                    body, et, "MOON_ME", "OBSERVER", "CN+S", site_km, "MOON", "MOON_ME"
                )
                theirs = np.array(state[:3]) / np.linalg.norm(state[:3])
                ours = topocentric(body, lat, lon, Times([et]), height_m)
                a, e = np.radians(ours.azimuth_deg[0]), np.radians(ours.elevation_deg[0])
                mine = np.cos(e) * (np.cos(a) * north + np.sin(a) * east) + np.sin(e) * up
                angle = math.degrees(
                    math.atan2(np.linalg.norm(np.cross(mine, theirs)), float(mine @ theirs))
                )
                worst_deg = max(worst_deg, angle)
    finally:
        for path in loaded_here:
            spiceypy.unload(path)
    return {"sun_earth_vs_cspice": worst_deg}


def bilinear_surface(dem):
    """The bilinear surface of a DEM by scipy (independent of the horizon kernel's own
    sampling): a callable of (y, x) pairs [m], NaN off the grid."""
    from scipy.interpolate import RegularGridInterpolator

    t = dem.transform
    x = t.c + (np.arange(dem.shape[1]) + 0.5) * t.a
    y = t.f + (np.arange(dem.shape[0]) + 0.5) * t.e
    return RegularGridInterpolator(
        (y[::-1], x), dem.height_m[::-1], bounds_error=False, fill_value=np.nan
    )


def finer_grid(coarse, lat_deg: float, lon_deg: float, half_width_m: float, pixel_m: float):
    """A finer grid about a point carrying a coarse DEM's bilinear surface: pixel edges on
    multiples of ``pixel_m``, a square of ``half_width_m`` about the point."""
    from affine import Affine

    from ilrs.terrain import SOUTH_POLAR_STEREOGRAPHIC, Dem
    from ilrs.terrain.grid import polar_xy_from_latlon

    x0, y0 = (float(v) for v in polar_xy_from_latlon(lat_deg, lon_deg))
    left = math.floor((x0 - half_width_m) / pixel_m) * pixel_m
    top = math.ceil((y0 + half_width_m) / pixel_m) * pixel_m
    size = int(round(2 * half_width_m / pixel_m))
    grid_x, grid_y = np.meshgrid(
        left + (np.arange(size) + 0.5) * pixel_m, top - (np.arange(size) + 0.5) * pixel_m
    )
    heights = bilinear_surface(coarse)(np.stack([grid_y.ravel(), grid_x.ravel()], -1))
    transform = Affine(pixel_m, 0, left, 0, -pixel_m, top)
    return Dem(heights.reshape(size, size), transform, SOUTH_POLAR_STEREOGRAPHIC, {})


def marched_horizon_deg(
    layers,
    reaches_m,
    lat_deg: float,
    lon_deg: float,
    azimuth_deg: float,
    observer_height_m: float,
    max_distance_m: float,
    step_m: float,
) -> float:
    """The horizon [deg] at one azimuth by a plain march along the great circle every
    ``step_m``: the height at each step from the first layer that holds it within its
    reach (scipy's bilinear), exact 3-D angles from the observer at ``observer_height_m``
    above the sphere. It approaches the exact horizon from below as the step shrinks."""
    from ilrs.sky.geometry import local_axes
    from ilrs.terrain import MOON_RADIUS_M
    from ilrs.terrain.grid import moon_fixed_m, polar_xy_from_latlon

    observer = moon_fixed_m(lat_deg, lon_deg, observer_height_m)
    east, north, up = local_axes(math.radians(lat_deg), math.radians(lon_deg))
    a = math.radians(azimuth_deg)
    direction = math.cos(a) * north + math.sin(a) * east
    s = np.arange(step_m, max_distance_m, step_m)
    sigma = s / MOON_RADIUS_M
    points = np.cos(sigma)[:, None] * up + np.sin(sigma)[:, None] * direction
    px, py = polar_xy_from_latlon(
        np.degrees(np.arcsin(points[:, 2])), np.degrees(np.arctan2(points[:, 1], points[:, 0]))
    )
    height = np.full(s.size, np.nan)
    for dem, reach_m in zip(layers, reaches_m, strict=True):
        sampled = bilinear_surface(dem)(np.stack([py, px], -1))
        take = np.isnan(height) & (s <= reach_m) & ~np.isnan(sampled)
        height[take] = sampled[take]
    to = (MOON_RADIUS_M + height)[:, None] * points - observer
    return float(np.nanmax(np.degrees(np.arcsin(to @ up / np.linalg.norm(to, axis=1)))))


def traced_horizon_deg(
    dem,
    row: int,
    col: int,
    azimuth_deg: float,
    max_distance_m: float,
    height_above_ground_m: float,
) -> float:
    """The horizon [deg] at a pixel by a plain march along the great circle at a local
    azimuth over the DEM's bilinear surface, tiny steps, exact 3-D angles: the reference
    the horizon methods are held to (tests, benchmarks)."""
    from ilrs.terrain.grid import MOON_RADIUS_M as R
    from ilrs.terrain.grid import moon_fixed_m

    lat0, lon0 = (float(v) for v in dem.latlon(row, col))
    observer = moon_fixed_m(lat0, lon0, dem.height_m[row, col] + height_above_ground_m)
    up = observer / np.linalg.norm(observer)
    lat_r, lon_r = math.radians(lat0), math.radians(lon0)
    north = np.array(
        [-math.sin(lat_r) * math.cos(lon_r), -math.sin(lat_r) * math.sin(lon_r), math.cos(lat_r)]
    )
    east = np.array([-math.sin(lon_r), math.cos(lon_r), 0.0])
    a = math.radians(azimuth_deg)
    tangent = math.cos(a) * north + math.sin(a) * east
    # Steps of 1/100 pixel near the observer, growing to 1/20 pixel; the error of a step
    # is at most slope * step / 2 / distance.
    pixel = dem.pixel_size_m
    distances = np.concatenate(
        [
            # From a millionth of a pixel: an observer on the ground sees the ground's slope.
            np.geomspace(1e-6, 0.01, 60, endpoint=False) * pixel,
            np.arange(0.01, 20.0, 0.01) * pixel,
            np.arange(20.0, max_distance_m / pixel + 0.05, 0.05) * pixel,
            [max_distance_m],
        ]
    )
    distances = distances[distances <= max_distance_m]
    sigma = distances / R
    unit = np.cos(sigma)[:, None] * up + np.sin(sigma)[:, None] * tangent
    x = 2 * R * unit[:, 1] / (1 - unit[:, 2])
    y = 2 * R * unit[:, 0] / (1 - unit[:, 2])
    rows, cols = dem.rowcol(x, y)
    heights = dem.sample(rows, cols)
    ok = ~np.isnan(heights)
    points = (R + heights[ok])[:, None] * unit[ok]
    relative = points - observer
    sin_elevation = relative @ up / np.linalg.norm(relative, axis=1)
    return math.degrees(math.asin(sin_elevation.max()))


def _terrain() -> dict[str, float]:
    """The stack's horizon against a plain ray march over the same layered real surface."""
    from ilrs.data import LOLA_CAP_DEM, data_path, named_site
    from ilrs.terrain.sources import open_dem
    from ilrs.terrain.stack import StackLayer, TerrainStack

    cap = open_dem(data_path(LOLA_CAP_DEM)).read()
    site = named_site("peak-near-shackleton")
    fine = finer_grid(cap, site.lat_deg, site.lon_deg, 30_000.0, 200.0)
    reach_m, max_m = 12_000.0, 150_000.0
    azimuths = np.arange(0.0, 360.0, 30.0)
    stack = TerrainStack([StackLayer(fine, reach_m), StackLayer(cap)])
    horizon = stack.horizon(
        site.lat_deg,
        site.lon_deg,
        height_above_ground_m=2.0,
        azimuths=azimuths,
        max_distance_m=max_m,
    )
    worst_deg = max(
        abs(
            float(computed)
            - marched_horizon_deg(
                [fine, cap],
                [reach_m, max_m],
                site.lat_deg,
                site.lon_deg,
                float(azimuth),
                horizon.ground_m + 2.0,
                max_m,
                2.0,
            )
        )
        for azimuth, computed in zip(azimuths, horizon.elevation_deg, strict=True)
    )
    return {"stack_vs_ray_march": worst_deg, "cardinal_vs_grass_r_horizon": _grass_cardinal_deg()}


# The window of the embedded cap that benchmarks/grass_validate_reference.py gave r.horizon.
GRASS_WINDOW = (286, 286, 190, 190)  # row, col, height, width
GRASS_MAX_DISTANCE_M = 100_000.0


def grass_reference() -> list[dict]:
    """GRASS r.horizon's stored horizons (``data/grass_horizons.csv``; its header says how
    they were made): one dict per observer cell and grid bearing."""
    import csv

    from ilrs.data import data_path

    with data_path("grass_horizons.csv").open(encoding="utf-8") as stream:
        rows = csv.DictReader(line for line in stream if not line.startswith("#"))
        return [
            {
                "site": row["site"],
                "row": int(row["row"]),
                "col": int(row["col"]),
                "grid_bearing_deg": float(row["grid_bearing_deg"]),
                "grass_deg": float(row["grass_deg"]),
            }
            for row in rows
        ]


def horizons_vs_grass(rows: list[dict]) -> np.ndarray:
    """The engine's horizon minus r.horizon's [deg] at each stored row: the same DEM window,
    the same ground-level observer at the cell centre, the same grid bearing (the rays
    method from grid north) and maximum distance, the Moon's curvature."""
    from ilrs.data import LOLA_CAP_DEM, data_path
    from ilrs.terrain.grid import Window
    from ilrs.terrain.horizon import horizon_for_tile
    from ilrs.terrain.sources import open_dem

    dem = open_dem(data_path(LOLA_CAP_DEM)).read(Window(*GRASS_WINDOW))
    differences = np.empty(len(rows))
    cells = sorted({(row["row"], row["col"]) for row in rows})
    for cell in cells:
        here = [i for i, row in enumerate(rows) if (row["row"], row["col"]) == cell]
        bearings = np.array([rows[i]["grid_bearing_deg"] for i in here])
        ours = horizon_for_tile(
            dem,
            Window(cell[0], cell[1], 1, 1),
            azimuths=bearings,
            max_distance_m=GRASS_MAX_DISTANCE_M,
            height_above_ground_m=0.0,
            far_field=None,
            curvature=True,
            grid_azimuths=True,
        )[:, 0, 0]
        differences[here] = ours - np.array([rows[i]["grass_deg"] for i in here])
    return differences


def _grass_cardinal_deg() -> float:
    """The largest difference from r.horizon along the grid's rows and columns, where both
    see the same heights: r.horizon the cell centres on the line, the engine the bilinear
    surface, linear between those centres (so its highest angle is at one of them too)."""
    rows = [row for row in grass_reference() if row["grid_bearing_deg"] % 90.0 == 0.0]
    return float(np.max(np.abs(horizons_vs_grass(rows))))


def _lighting() -> dict[str, float]:
    """Shackleton's floor behind its real horizon over 2020; the Connecting Ridge's real
    profiles over a whole precession cycle (Gläser 2014); Bussey 2010's best point on the
    embedded cap over 2020."""
    from ilrs.data import named_site, real_horizon_path
    from ilrs.environment import HorizonLine, analyze_site, read_horizon_csv
    from ilrs.sky import utc_range
    from ilrs.terrain.stack import TerrainStack

    def sunlit(line, lat_deg, lon_deg, height_m, times):
        result = analyze_site(line, lat_deg, lon_deg, times, height_m=height_m, stations=[])
        return result.summary()["sunlit_fraction"]

    year_2020 = utc_range("2020-01-01", "2021-01-01", "2h")
    floor = named_site("shackleton-floor")
    values = {
        "shackleton_floor_psr": sunlit(
            read_horizon_csv(real_horizon_path(floor.name, 2)),
            floor.lat_deg,
            floor.lon_deg,
            floor.ground_height_m + 2.0,
            year_2020,
        )
    }
    # Gläser et al. 2014 took a 19-year cycle; every 6 h gives the hourly figure to 1e-4.
    cycle = utc_range("2020-01-01", "2039-01-01", "6h")
    ridge = named_site("connecting-ridge-lola")
    for height in (2, 10):
        values[f"glaser2014_ridge_{height}m_sunlit"] = sunlit(
            read_horizon_csv(real_horizon_path(ridge.name, height)),
            ridge.lat_deg,
            ridge.lon_deg,
            ridge.ground_height_m + height,
            cycle,
        )
    lat_deg, lon_deg = -88.74, 124.5  # Bussey et al. 2010's best single point
    line = HorizonLine.from_stack(TerrainStack.default(), lat_deg, lon_deg)
    values["bussey2010_best_point_sunlit"] = sunlit(
        line, lat_deg, lon_deg, line.ground_m, year_2020
    )
    return values


def _regolith() -> dict[str, float]:
    """Flat surfaces at the equator and at the Apollo 15 and 17 heat-flow sites."""
    from ilrs.exploration.regolith import flat_surface_run

    equator = flat_surface_run(0.0)
    predawn = equator.local_time_h < 6.0
    apollo15, apollo17 = flat_surface_run(26.13), flat_surface_run(20.19)
    return {
        "equator_noon_k": float(equator.surface_k.max()),
        "equator_midnight_k": float(equator.surface_at(0.0)),
        "equator_night_minimum_k": float(equator.surface_k[predawn].min()),
        "apollo15_mean_surface_k": float(apollo15.mean_k[0]),
        "apollo17_mean_surface_k": float(apollo17.mean_k[0]),
        "apollo15_at_depth_k": float(apollo15.mean_k[-1]),
        "apollo17_at_depth_k": float(apollo17.mean_k[-1]),
    }


def spherical_bowl_dem(diameter_m: float, depth_m: float, pixel_m: float, lat_deg: float):
    """A spherical bowl crater in a level plain, a square of one diameter about its centre
    at ``lat_deg`` on the 0 deg meridian (heights on the sphere, centre cell at the bottom)."""
    from affine import Affine

    from ilrs.terrain import Dem
    from ilrs.terrain.grid import polar_xy_from_latlon

    size = int(round(diameter_m / pixel_m)) | 1  # odd: a cell centred on the bottom
    x0, y0 = (float(v) for v in polar_xy_from_latlon(lat_deg, 0.0))
    half_m = size * pixel_m / 2
    rows, cols = np.indices((size, size))
    r_m = np.hypot(-half_m + (cols + 0.5) * pixel_m, half_m - (rows + 0.5) * pixel_m)
    sphere_m = (diameter_m**2 / 4 + depth_m**2) / (2 * depth_m)
    inside = r_m < diameter_m / 2
    height_m = np.zeros(r_m.shape)
    height_m[inside] = (sphere_m - depth_m) - np.sqrt(sphere_m**2 - r_m[inside] ** 2)
    transform = Affine(pixel_m, 0, x0 - half_m, 0, -pixel_m, y0 + half_m)
    return Dem(height_m, transform, metadata={"source": "spherical bowl", "synthetic": "true"})


def ingersoll_bowl_shadow_k(
    insolation_w_m2: float, depth_to_diameter: float, albedo: float, emissivity: float
) -> float:
    """The radiative-equilibrium temperature [K] of every shadowed point of a spherical
    bowl (Ingersoll, Svitek & Murray 1992, Icarus 100:40, doi:10.1016/0019-1035(92)90016-Z):
    sigma T^4 = F f (1 - A) / (1 - A f) (1 + A (1 - f) / eps), F the flux on a level
    surface (S sin e), f = (1 - cos beta) / 2 the fraction of the view filled by the bowl
    from any point on it, 4 (d/D)^2 / (1 + 4 (d/D)^2) in terms of depth over diameter."""
    ratio_sq = 4.0 * depth_to_diameter**2
    f = ratio_sq / (1.0 + ratio_sq)
    stefan_boltzmann_w_m2_k4 = 5.670374419e-8  # CODATA 2018
    flux = insolation_w_m2 * f * (1 - albedo) / (1 - albedo * f)
    flux *= 1 + albedo * (1 - f) / emissivity
    return (flux / stefan_boltzmann_w_m2_k4) ** 0.25


# Ingersoll's bowl: a fresh crater (Pike 1977, d/D 0.2), 6 km across on 50 m cells, the
# Sun 10 deg up (below the 21.8 deg the rim stands over the bottom: the floor is shadowed).
BOWL_DIAMETER_M, BOWL_DEPTH_TO_DIAMETER, BOWL_PIXEL_M, BOWL_SUN_ELEVATION_DEG = (
    6_000.0,
    0.2,
    50.0,
    10.0,
)


def _ice() -> dict[str, float]:
    """The shadowed bottom of a spherical bowl under a still Sun (the thermal map's terms
    from the terrain) against Ingersoll et al. 1992; sublimation against Murphy & Koop."""
    from ilrs.exploration.regolith import Regolith
    from ilrs.exploration.sublimation import loss_rate_m_per_gyr, vapour_pressure_pa
    from ilrs.exploration.thermal import AU_M, SOLAR_CONSTANT_W_M2, radiative_equilibrium_k
    from ilrs.sky.geometry import local_axes
    from ilrs.terrain import Window

    lat_deg = -80.0
    dem = spherical_bowl_dem(
        BOWL_DIAMETER_M, BOWL_DEPTH_TO_DIAMETER * BOWL_DIAMETER_M, BOWL_PIXEL_M, lat_deg
    )
    _, north, up = local_axes(math.radians(lat_deg), 0.0)
    elevation = math.radians(BOWL_SUN_ELEVATION_DEG)
    sun = math.cos(elevation) * north + math.sin(elevation) * up
    # Ingersoll's surface: one albedo at every incidence, no heat from below.
    regolith = Regolith(albedo_a=0.0, albedo_b=0.0, geothermal_flux_w_m2=0.0)
    size = dem.shape[0]
    surface_k = radiative_equilibrium_k(
        dem,
        Window(0, 0, size, size),
        sun,
        sun_distance_m=AU_M,
        regolith=regolith,
        scatter_radius_m=BOWL_DIAMETER_M / 2,
        max_distance_m=BOWL_DIAMETER_M,
    )
    analytic_k = ingersoll_bowl_shadow_k(
        SOLAR_CONSTANT_W_M2 * math.sin(elevation),
        BOWL_DEPTH_TO_DIAMETER,
        regolith.normal_albedo,
        regolith.emissivity,
    )
    return {
        "bowl_shadowed_bottom_k": float(surface_k[size // 2, size // 2]),
        "ingersoll_formula_k": analytic_k,
        "ice_vapour_pressure_150k_pa": float(vapour_pressure_pa(150.0)),
        "ice_vapour_pressure_210k_pa": float(vapour_pressure_pa(210.0)),
        "ice_loss_at_110k_m_per_gyr": float(loss_rate_m_per_gyr(110.0)),
    }


def _orbit() -> dict[str, float]:
    """The built-in 24 h relay orbit against the frozen-orbit condition: its inclination to
    the Moon's orbit plane (DE421, at its epoch) against Kozai's for its eccentricity."""
    from ilrs.sky.orbits import builtin_orbits, moon_orbit_plane_axes, state_from_elements

    orbit = builtin_orbits()["queqiao-2-24h"]
    position_m, velocity_m_s = state_from_elements(orbit)
    momentum = np.cross(position_m, velocity_m_s)
    normal = moon_orbit_plane_axes(orbit.epoch_utc)[:, 2]
    to_plane_deg = math.degrees(
        math.acos(float(momentum @ normal) / float(np.linalg.norm(momentum)))
    )
    frozen_deg = math.degrees(math.acos(math.sqrt(3.0 / 5.0 * (1.0 - orbit.eccentricity**2))))
    return {"frozen_inclination_deg": to_plane_deg, "kozai_at_its_eccentricity_deg": frozen_deg}


# ITU-R Study Group 3's validation example for P.618-13 (the published figures and their
# source: the links cases of data/authorities.yaml): case -> availability of the weather.
P618_LONDON = {"p618_london_29ghz_1pct_db": 0.99, "p618_london_29ghz_0p1pct_db": 0.999}


def p618_london_db(availability: float) -> dict[str, np.ndarray]:
    """The slant path of ITU-R's London example: 51.5 N 0.14 W, 31.382984 m, 29 GHz,
    elevation 31.07699124 deg, a 1 m dish of efficiency 0.65, horizontal polarisation;
    the attenuation's parts [dB] exceeded for 1 - ``availability`` of the year."""
    from ilrs.station.atmosphere import slant_attenuation_db

    return slant_attenuation_db(
        51.5,
        -0.14,
        31.382984,
        29e9,
        31.07699124,
        availability,
        antenna_diameter_m=1.0,
        antenna_efficiency=0.65,
        polarization_tilt_deg=0.0,
    )


def _links() -> dict[str, float]:
    """NOAA's EMWIN-N budget: each hop's C/N0 from the table's own inputs; and the Earth's
    atmosphere on a slant path (ITU-R P.618) against ITU-R Study Group 3's validation
    example."""
    from ilrs.station.links import Terminal, link_budget

    distance_m = 41_127e3
    up = link_budget(
        Terminal("EMWIN uplink", gain_dbi=0.0, rf_power_w=10 ** ((76.7 - 30) / 10), losses_db=0.5),
        Terminal("GOES-N", gain_dbi=14.8, system_noise_temperature_k=10 ** ((14.8 + 14.2) / 10)),
        distance_m=distance_m,
        frequency_hz=2034.70e6,
        data_rate_bps=9600.0,
        required_eb_n0_db=5.6,
        other_losses_db=0.4 + 0.2,
    )
    down = link_budget(
        Terminal("GOES-N", gain_dbi=0.0, rf_power_w=10 ** ((44.8 - 30) / 10)),
        Terminal(
            "EMWIN receiver", gain_dbi=-0.3 + 10 * math.log10(290.0), system_noise_temperature_k=290
        ),
        distance_m=distance_m,
        frequency_hz=1692.70e6,
        data_rate_bps=9600.0,
        required_eb_n0_db=5.6,
        other_losses_db=0.4 + 0.2,
    )
    return {
        "emwin_uplink_c_over_n0_dbhz": up.c_over_n0_dbhz,
        "emwin_downlink_c_over_n0_dbhz": down.c_over_n0_dbhz,
    } | {
        case: float(p618_london_db(availability)["total"])
        for case, availability in P618_LONDON.items()
    }


def _power() -> dict[str, float]:
    """A VSAT-class vertical array square to the Sun at the Moon's 1361 W/m2, beginning of
    life: the power per m2 of panel the chain of ``station.solar`` gives (its defaults)."""
    from ilrs.station.scenario import SolarArray
    from ilrs.station.solar import array_power_w

    array = SolarArray(name="vsat-class", area_m2=1.0, cell_efficiency=0.30)
    power_w, _ = array_power_w(array, 1361.0, np.ones(1), np.ones(1), np.ones(1))
    return {"vsat_class_array_w_per_m2": float(power_w[0])}


def _isru() -> dict[str, float]:
    """The thermodynamic ideal energy of water from icy regolith (``station.isru``), 60 K to
    230 K, all the ice recovered, every joule of heat reaching the regolith."""
    from ilrs.station.isru import water_extraction

    def ideal_kwh(fraction):
        return (
            water_extraction(
                fraction,
                regolith_temperature_k=60.0,
                process_temperature_k=230.0,
                extraction_efficiency=1.0,
                heater_efficiency=1.0,
            ).ideal_wh_per_kg
            / 1000.0
        )

    return {"ideal_at_5wt_kwh_per_kg": ideal_kwh(0.05), "ideal_at_1wt_kwh_per_kg": ideal_kwh(0.01)}


CHECKS: dict[str, Callable[[], dict[str, float]]] = {
    "sky": _sky,
    "terrain": _terrain,
    "lighting": _lighting,
    "regolith": _regolith,
    "ice": _ice,
    "orbit": _orbit,
    "links": _links,
    "power": _power,
    "isru": _isru,
}


def run_checks(areas: list[str] | None = None, progress=None) -> list[Comparison]:
    """Run the checks of ``areas`` (all by default): one :class:`Comparison` per case."""
    from ilrs.errors import InputError

    references = _authorities()
    chosen = areas or list(CHECKS)
    unknown = [area for area in chosen if area not in CHECKS]
    if unknown:
        raise InputError(f"unknown area {unknown[0]!r}; the areas: {', '.join(CHECKS)}")
    rows = []
    for area in chosen:
        if progress is not None:
            progress(area)
        values = CHECKS[area]()
        for case, reference in references[area].items():
            rows.append(
                Comparison(
                    area=area,
                    case=case,
                    model=float(values[case]),
                    reference=float(reference["reference"]),
                    tolerance=float(reference["tolerance"]),
                    unit=reference["unit"],
                    source=reference["source"],
                    how=reference["how"],
                    not_held=reference.get("not_held", ""),
                )
            )
    return rows
