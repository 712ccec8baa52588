"""Temperature maps: a bowl crater near the pole (its floor a cold trap, its sky-view
factor analytic), an open plain against radiative equilibrium, and ice stability depths."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine

from ilrs.errors import InputError
from ilrs.exploration.regolith import Layers, Regolith, layers_for
from ilrs.exploration.sublimation import loss_rate_m_per_gyr
from ilrs.exploration.thermal import (
    ICE_STABILITY_K,
    STEFAN_BOLTZMANN_W_M2_K4,
    ice_depth_at_loss_m,
    ice_stability_depth_m,
    sky_view_factor,
    thermal_map,
)
from ilrs.sky import topocentric, utc_range
from ilrs.terrain import Dem, Window, latlon_from_polar_xy

PIXEL_M = 100.0
SIZE_PX = 140
CENTRE_Y_M = 15_160.0  # about 89.5 deg S: the Sun never more than ~2 deg up
DIAMETER_M = 6_000.0
DEPTH_M = 0.2 * DIAMETER_M  # a fresh bowl (Pike 1977: d/D ~ 0.2)


def _bowl_dem() -> Dem:
    """A spherical bowl crater of depth/diameter 0.2 in a plain (heights on the sphere)."""
    sphere_r = (DIAMETER_M**2 / 4 + DEPTH_M**2) / (2 * DEPTH_M)
    half = SIZE_PX * PIXEL_M / 2
    transform = Affine(PIXEL_M, 0, -half, 0, -PIXEL_M, CENTRE_Y_M + half)
    rows, cols = np.indices((SIZE_PX, SIZE_PX))
    x = -half + (cols + 0.5) * PIXEL_M
    y = CENTRE_Y_M + half - (rows + 0.5) * PIXEL_M
    r = np.hypot(x, y - CENTRE_Y_M)
    inside = r < DIAMETER_M / 2
    height = np.zeros(r.shape)
    height[inside] = (sphere_r - DEPTH_M) - np.sqrt(sphere_r**2 - r[inside] ** 2)
    return Dem(height, transform, metadata={"source": "test bowl", "synthetic": "true"})


@pytest.fixture(scope="module")
def bowl():
    dem = _bowl_dem()
    times = utc_range("2026-12-01T00:00:00Z", "2026-12-30T12:00:00Z", "2h")
    window = Window(0, 0, SIZE_PX, SIZE_PX)
    common = dict(max_distance_m=10_000.0, spin_up_eclipse_years=0, bearing_step_deg=2.0)
    lit = thermal_map(dem, window, times, scatter_radius_m=3_500.0, **common)
    unlit = thermal_map(dem, window, times, scatter_radius_m=0.0, **common)
    return dem, times, lit, unlit


CENTRE = (SIZE_PX // 2, SIZE_PX // 2)
CORNER = (8, 8)


def test_the_bowl_floor_is_a_cold_trap(bowl):
    _, _, lit, unlit = bowl
    floor_max = lit.max_k[CENTRE]
    assert floor_max < ICE_STABILITY_K
    assert lit.ice_depth_m[CENTRE] == 0.0
    # The walls' light and heat warm it: without them only the geothermal flux does
    # (equilibrium 24 K for 0.018 W/m2).
    assert floor_max > unlit.max_k[CENTRE] + 10.0
    geothermal_k = (0.018 / (0.95 * STEFAN_BOLTZMANN_W_M2_K4)) ** 0.25
    assert unlit.max_k[CENTRE] == pytest.approx(geothermal_k, abs=3.0)
    # The plain around warms past it: no ice at its surface.
    assert lit.max_k[CORNER] > ICE_STABILITY_K
    assert lit.ice_depth_m[CORNER] != 0.0


def test_sky_view_of_the_floor_is_analytic(bowl):
    _, _, lit, _ = bowl
    # From the floor's centre the rim stands atan(depth / radius) up all round.
    rim_deg = math.degrees(math.atan(DEPTH_M / (DIAMETER_M / 2)))
    assert lit.sky_view[CENTRE] == pytest.approx(math.cos(math.radians(rim_deg)) ** 2, abs=0.01)
    assert lit.sky_view[CORNER] > 0.999


def test_the_open_plain_nears_radiative_equilibrium(bowl):
    dem, times, lit, _ = bowl
    lat, lon = latlon_from_polar_xy(*dem.xy(*CORNER))
    sun = topocentric("sun", float(lat), float(lon), times)
    highest = np.argmax(sun.elevation_deg)
    regolith = Regolith()
    incidence = 90.0 - sun.elevation_deg[highest]
    absorbed = (
        (1 - regolith.albedo(incidence))
        * 1361.0
        * (149_597_870_700.0 / sun.distance_m[highest]) ** 2
        * math.sin(math.radians(sun.elevation_deg[highest]))
    )
    equilibrium_k = (absorbed / (regolith.emissivity * STEFAN_BOLTZMANN_W_M2_K4)) ** 0.25
    # The regolith's heat capacity keeps the peak a little below equilibrium.
    assert equilibrium_k - 8.0 < lit.max_k[CORNER] <= equilibrium_k + 0.5


def test_ice_depth_from_layer_maxima():
    layers = layers_for(Regolith())
    n = layers.top_m.size
    warm_top = np.where(np.arange(n) < 5, 150.0, 100.0)
    assert ice_stability_depth_m(warm_top, layers) == layers.centre_m[5]
    # A surface warmer than its first layer keeps the ice off the surface.
    cold = np.full(n, 90.0)
    assert ice_stability_depth_m(cold, layers, np.array(120.0)) == layers.centre_m[0]
    assert ice_stability_depth_m(np.full(n, 90.0), layers) == 0.0
    assert np.isnan(ice_stability_depth_m(np.full(n, 150.0), layers))
    # A cold layer above a warm one does not hold ice: the warm one below must be cold too.
    pocket = np.where(np.arange(n) == 3, 100.0, 150.0)
    assert np.isnan(ice_stability_depth_m(pocket, layers))
    assert isinstance(layers, Layers)


def test_sky_view_factor_of_simple_horizons():
    assert sky_view_factor(np.zeros((36, 1, 1)))[0, 0] == pytest.approx(1.0)
    assert sky_view_factor(np.full((36, 1, 1), 30.0))[0, 0] == pytest.approx(0.75)
    assert sky_view_factor(np.full((36, 1, 1), -2.0))[0, 0] == pytest.approx(1.0)


def test_bad_input(bowl):
    dem, times, _, _ = bowl
    with pytest.raises(InputError, match="scatter radius"):
        thermal_map(dem, Window(0, 0, 10, 10), times, scatter_radius_m=-1.0)
    with pytest.raises(InputError, match="ice criterion 'mean-100K' is not one of"):
        thermal_map(dem, Window(0, 0, 10, 10), times, ice_criterion="mean-100K")
    with pytest.raises(InputError, match="max loss -1.0 m/Gyr must be > 0"):
        thermal_map(dem, Window(0, 0, 10, 10), times, max_loss_m_per_gyr=-1.0)


def test_box_mean_against_brute_force():
    from ilrs.exploration.thermal import _box_mean

    values = np.random.default_rng(1).random((23, 31))
    out = np.empty_like(values)
    _box_mean(values, 4, out)
    for row, col in [(0, 0), (11, 15), (22, 30), (3, 29)]:
        block = values[max(row - 4, 0) : row + 5, max(col - 4, 0) : col + 5]
        assert out[row, col] == pytest.approx(block.mean(), rel=1e-12)


def test_kernel_albedo_is_the_regolith_law():
    from ilrs.exploration.thermal import _direct_flux

    regolith = Regolith()
    incidence_deg = np.array([0.0, 30.0, 60.0, 80.0, 89.0])
    normal = np.tile([0.0, 0.0, 1.0], (5, 1))
    up = normal.copy()
    out = np.empty((2, 5))
    for i, incidence in enumerate(incidence_deg):
        sun = np.array([math.sin(math.radians(incidence)), 0.0, math.cos(math.radians(incidence))])
        _direct_flux(
            up[i : i + 1],
            normal[i : i + 1],
            sun,
            1000.0,
            0.27,
            np.full(1, -5.0),
            np.full(1, -5.0),
            0.0,
            np.array([regolith.normal_albedo, regolith.albedo_a, regolith.albedo_b]),
            out[:, i : i + 1],
        )
    irradiance = 1000.0 * np.cos(np.radians(incidence_deg))
    assert np.allclose(out[1], regolith.albedo(incidence_deg) * irradiance, rtol=1e-12)
    assert np.allclose(out[0] + out[1], irradiance, rtol=1e-12)


def test_cells_without_data_have_no_temperatures_and_short_periods_spin_up_alike():
    dem = _bowl_dem()
    dem.height_m[20:24, 20:24] = np.nan
    window = Window(10, 10, 30, 30)
    month = utc_range("2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z", "4h")
    common = dict(
        max_distance_m=5_000.0,
        scatter_radius_m=500.0,
        spin_up_eclipse_years=0,
        record_cells=[0, 899],
    )
    long_run = thermal_map(dem, window, month, **common)
    short_run = thermal_map(dem, window, month[:13], **common)
    for band in ("max_k", "mean_k", "min_k", "ice_depth_m", "sky_view"):
        assert np.isnan(getattr(long_run, band)[10:14, 10:14]).all()
    assert np.isfinite(long_run.max_k[:10]).all()
    # Both spin up on the same eclipse year before the start: two days agree with the month's
    # first two days (the start differs only by the mean flux the columns begin at).
    assert np.allclose(short_run.series_k, long_run.series_k[:13], atol=1.0)
    assert "shorter than a year" in short_run.provenance["NOTE"]


def _flat_plane_year(lat_deg: float, start_utc: str, end_utc: str):
    """A year of a level plain at ``lat_deg`` (a 5 x 5 DEM, heights on the sphere)."""
    from ilrs.terrain.grid import polar_xy_from_latlon

    x_m, y_m = polar_xy_from_latlon(lat_deg, 0.0)
    half_m = 2.5 * PIXEL_M
    transform = Affine(PIXEL_M, 0, float(x_m) - half_m, 0, -PIXEL_M, float(y_m) + half_m)
    dem = Dem(np.zeros((5, 5)), transform, metadata={"source": "flat", "synthetic": "true"})
    times = utc_range(start_utc, end_utc, "12h")  # the deep layers see the mean
    return thermal_map(dem, Window(0, 0, 5, 5), times, scatter_radius_m=0.0, max_distance_m=1_000.0)


def _free_column_deep_max_k(lat_deg: float, periods_utc) -> list[float]:
    """The authority: one column of a level plain at ``lat_deg`` run freely (no settling)
    from 1996 at the equilibrium of its mean flux, through the period: thirty years, past
    the deep layers' relaxation (a few years, 1.35 m at the deep diffusivity ~8e-9 m2/s)
    and over a whole 18.6-year node cycle. The deepest layer's maximum over each period."""
    from ilrs.environment.disk import disk_fraction
    from ilrs.exploration.regolith import Columns

    regolith = Regolith()
    layers = layers_for(regolith)
    times = utc_range("1996-01-01T00:00:00Z", max(end for _, end in periods_utc), "6h")
    sun = topocentric("sun", lat_deg, 0.0, times)
    radius_deg = np.degrees(np.arcsin(695_700e3 / sun.distance_m))  # IAU 2015 B3 radius
    margins = sun.elevation_deg / radius_deg
    visible = np.array([disk_fraction(margin) for margin in margins])
    elevation_deg = np.clip(sun.elevation_deg, 0.0, 90.0)
    flux_w_m2 = (
        1361.0
        * (149_597_870_700.0 / sun.distance_m) ** 2
        * visible
        * np.sin(np.radians(elevation_deg))
        * (1.0 - regolith.albedo(90.0 - elevation_deg))
    )
    column = Columns.equilibrium(layers, regolith, np.array([flux_w_m2.mean()]))
    deep_k = np.empty(len(times))
    for k in range(len(times)):
        column.step(layers, regolith, flux_w_m2[k : k + 1], 21_600.0)
        deep_k[k] = column.temperature_k[0, -1]
    utc = np.array([text[:19] for text in times.utc_iso()])
    return [
        float(deep_k[(utc >= start[:19]) & (utc <= end[:19])].max()) for start, end in periods_utc
    ]


JANUARY_YEAR = ("2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z")
JUNE_YEAR = ("2026-06-01T00:00:00Z", "2027-05-31T00:00:00Z")


@pytest.mark.parametrize("lat_deg", [-88.0, -87.5])
def test_deep_temperatures_do_not_depend_on_the_start_date(lat_deg):
    # Issue 20: settled on the first lunation, a year from January gave 104.6 K at 1.23 m
    # at 88 S and one from June 61.0 K (ice at 6.7 against 4.2 cm). Settled over whole
    # eclipse years they agree within 2 K, ice depths within a layer, and both lie within
    # 1.5 K of thirty free years of one column.
    january = _flat_plane_year(lat_deg, *JANUARY_YEAR)
    june = _flat_plane_year(lat_deg, *JUNE_YEAR)
    centre = (2, 2)
    assert january.layers.centre_m[-1] == pytest.approx(1.23, abs=0.01)
    january_deep_k = january.layer_max_k[centre][-1]
    june_deep_k = june.layer_max_k[centre][-1]
    assert january_deep_k == pytest.approx(june_deep_k, abs=2.0)
    layer_m = float(np.max(january.layers.thickness_m[january.layers.centre_m < 0.2]))
    assert january.ice_depth_m[centre] == pytest.approx(june.ice_depth_m[centre], abs=layer_m)
    free_january_k, free_june_k = _free_column_deep_max_k(lat_deg, [JANUARY_YEAR, JUNE_YEAR])
    assert january_deep_k == pytest.approx(free_january_k, abs=1.5)
    assert june_deep_k == pytest.approx(free_june_k, abs=1.5)
    assert "eclipse years" in january.provenance["SPIN_UP"]


LOSS_AT_110_K = float(loss_rate_m_per_gyr(ICE_STABILITY_K))  # 0.154 m/Gyr


@pytest.fixture(scope="module")
def plain_88s():
    """A month of a level plain at 88 S under the sublimation criterion (1 mm/Gyr), its
    centre's surface and layer series recorded."""
    from ilrs.terrain.grid import polar_xy_from_latlon

    x_m, y_m = polar_xy_from_latlon(-88.0, 0.0)
    half_m = 2.5 * PIXEL_M
    transform = Affine(PIXEL_M, 0, float(x_m) - half_m, 0, -PIXEL_M, float(y_m) + half_m)
    dem = Dem(np.zeros((5, 5)), transform, metadata={"source": "flat", "synthetic": "true"})
    times = utc_range("2026-12-01T00:00:00Z", "2026-12-30T12:00:00Z", "2h")
    return thermal_map(
        dem,
        Window(0, 0, 5, 5),
        times,
        scatter_radius_m=0.0,
        max_distance_m=1_000.0,
        spin_up_eclipse_years=0,
        ice_criterion="sublimation",
        record_cells=[12],
    )


def test_time_mean_loss_and_its_depth_by_brute_force(plain_88s):
    # The authority: the recorded series of the centre, each level's rate at each instant
    # by the formula, averaged; the depth by walking up from the deepest layer.
    m = plain_88s
    centre = (2, 2)
    surface_mean = float(np.mean(loss_rate_m_per_gyr(m.series_k[:, 0])))
    layer_mean = np.mean(loss_rate_m_per_gyr(m.layer_series_k[:, 0, :]), axis=0)
    assert m.loss_m_per_gyr[centre] == pytest.approx(surface_mean, rel=1e-9)
    assert np.allclose(m.layer_loss_m_per_gyr[centre], layer_mean, rtol=1e-9, atol=1e-15)
    levels = [surface_mean, *layer_mean]
    depths_m = [0.0, *m.layers.centre_m]
    expected_m = math.nan
    for level in range(len(levels) - 1, -1, -1):
        if levels[level] >= 1e-3:
            break
        expected_m = depths_m[level]
    assert m.ice_depth_m[centre] == expected_m
    # The surface warms past 110 K at noon: ice only below (8 cm here, the deep layers
    # left at the equilibrium of the mean flux: no spin-up).
    assert 0.05 < m.ice_depth_m[centre] < 0.15
    assert m.provenance["ICE_CRITERION"].startswith("time-mean sublimation under 0.001 m/Gyr")
    assert "0.154 m/Gyr" in m.provenance["ICE_STABILITY_K"]


def test_the_mean_rate_is_not_the_rate_of_the_mean_temperature(plain_88s):
    # E grows tenfold every 5 K: the hours near the maximum dominate the mean, which is
    # far above E(mean T) and below E(max T).
    m = plain_88s
    centre = (2, 2)
    loss = m.loss_m_per_gyr[centre]
    assert loss > 1e3 * loss_rate_m_per_gyr(m.mean_k[centre])
    assert loss < loss_rate_m_per_gyr(m.max_k[centre])


def test_the_sublimation_criterion_at_110_k_s_rate_holds_more_ice(plain_88s, bowl):
    # At the rate of 110 K (0.154 m/Gyr) the time-mean criterion keeps ice wherever the
    # maximum does (mean E <= E(max T)), and more: the plain at 88 S is stable from
    # 4 cm by the mean and from 5 cm by the maximum, a layer deeper.
    m = plain_88s
    by_mean = ice_depth_at_loss_m(m.layer_loss_m_per_gyr, m.layers, m.loss_m_per_gyr, LOSS_AT_110_K)
    by_max = ice_stability_depth_m(m.layer_max_k, m.layers, m.max_k)
    assert by_mean[2, 2] < by_max[2, 2]
    assert by_mean[2, 2] == pytest.approx(0.042, abs=0.002)
    assert by_max[2, 2] == pytest.approx(0.053, abs=0.002)
    _, _, lit, _ = bowl
    by_mean = ice_depth_at_loss_m(
        lit.layer_loss_m_per_gyr, lit.layers, lit.loss_m_per_gyr, LOSS_AT_110_K
    )
    by_mean = np.nan_to_num(by_mean, nan=np.inf)
    assert np.all(by_mean <= np.nan_to_num(lit.ice_depth_m, nan=np.inf))
    surface_by_mean = lit.loss_m_per_gyr < LOSS_AT_110_K
    assert np.all(surface_by_mean[lit.cold_trap])
    # Cells whose maximum passes 110 K for a few hours yet lose less than 0.154 m/Gyr.
    assert np.sum(surface_by_mean & ~lit.cold_trap) > 0
    assert lit.ice_criterion == "max-110K"


def test_the_geotiff_carries_the_loss_band(plain_88s, tmp_path):
    import rasterio

    plain_88s.write_geotiff(tmp_path / "thermal.tif")
    with rasterio.open(tmp_path / "thermal.tif") as dataset:
        assert dataset.descriptions[-1] == "loss_m_per_gyr"
        assert dataset.read(6)[2, 2] == pytest.approx(plain_88s.loss_m_per_gyr[2, 2], rel=1e-6)
        assert "0.154 m/Gyr" in dataset.tags()["ICE_STABILITY_K"]


def test_the_shadowed_bottom_of_a_bowl_against_ingersoll():
    # Ingersoll, Svitek & Murray 1992: every shadowed point of a spherical bowl in
    # radiative equilibrium has one temperature, here 154.5 K (d/D 0.2, Sun 10 deg up,
    # A 0.12, eps 0.95). The terrain's light and heat, averaged over the true area of the
    # walls and scattered to all orders, bring the bottom within a kelvin (50 m cells);
    # the projected-area mean and one scattering left it 3.6 K short (100 m cells).
    from ilrs.report.authorities import _ice

    values = _ice()
    assert values["bowl_shadowed_bottom_k"] == pytest.approx(values["ingersoll_formula_k"], abs=1.2)


def test_true_area_weighting_of_a_tilted_plane():
    # A plane tilted 45 deg: every cell has sqrt(2) times its map area, the weights cancel
    # and the terrain mean of a uniform field is the field.
    from ilrs.exploration.thermal import _Absorber, _Region

    transform = Affine(PIXEL_M, 0, -1_000.0, 0, -PIXEL_M, CENTRE_Y_M + 1_000.0)
    rows, cols = np.indices((20, 20))
    dem = Dem(cols * PIXEL_M, transform, metadata={"source": "ramp", "synthetic": "true"})
    region = _Region.of(dem, Window(0, 0, 20, 20), 10.0, 3_000.0)
    absorber = _Absorber(region, Regolith(), 3)
    inner = absorber.area[2:-2, 2:-2]
    assert np.allclose(inner, math.sqrt(2.0), rtol=1e-3)
    assert np.allclose(absorber._terrain_mean(np.full(400, 7.0)), 7.0, rtol=1e-12)
