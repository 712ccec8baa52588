"""Terrain stacks: every ray carried from the finest layer to the coarsest, each layer to its
reach; checked against a plain ray march over the same layered surface, on real LOLA
heights (the embedded 1600 m cap, and a finer grid interpolated from it)."""

from __future__ import annotations

import numpy as np
import pytest

from ilrs.data import LOLA_CAP_DEM, data_path, named_site
from ilrs.environment import HorizonLine
from ilrs.errors import InputError
from ilrs.report.authorities import finer_grid
from ilrs.report.authorities import marched_horizon_deg as march
from ilrs.terrain import Dem
from ilrs.terrain.grid import latlon_from_polar_xy, polar_xy_from_latlon
from ilrs.terrain.sources import open_dem
from ilrs.terrain.stack import StackLayer, TerrainStack, compass_name

SITE = named_site("peak-near-shackleton")  # a real rim: a near field that matters


@pytest.fixture(scope="module")
def cap() -> Dem:
    return open_dem(data_path(LOLA_CAP_DEM)).read()


def fine_window(cap: Dem, half_width_m: float, pixel_m: float, *, bump_m=None) -> Dem:
    """A finer grid about the site, the cap's surface interpolated (and, with ``bump_m``, a
    ring of extra height from a distance: terrain the stack must not see past a reach)."""
    fine = finer_grid(cap, SITE.lat_deg, SITE.lon_deg, half_width_m, pixel_m)
    if bump_m is None:
        return fine
    distance_m, extra_m = bump_m
    x0, y0 = (float(v) for v in polar_xy_from_latlon(SITE.lat_deg, SITE.lon_deg))
    x_m, y_m = fine.xy(*np.indices(fine.shape))
    raised = fine.height_m + np.where(np.hypot(x_m - x0, y_m - y0) > distance_m, extra_m, 0.0)
    return Dem(raised, fine.transform, fine.crs, {})


def marched_horizon_deg(layers, reaches_m, azimuth_deg, observer_height_m, max_m, step_m):
    """The plain ray march (ilrs validate's reference) from the site."""
    return march(
        layers, reaches_m, SITE.lat_deg, SITE.lon_deg, azimuth_deg, observer_height_m, max_m, step_m
    )


def test_a_stack_is_a_ray_march_over_its_layers(cap):
    """Fine 200 m grid to 12 km, then the cap to 150 km: the kernel's horizon equals a
    march at 2 m steps over the same layered surface (which converges on it from below:
    0.013° short at 20 m steps, 0.002° at 5 m)."""
    fine = fine_window(cap, 30_000.0, 200.0)
    stack = TerrainStack([StackLayer(fine, 12_000.0), StackLayer(cap)])
    azimuths = np.arange(0, 360, 30.0)
    horizon = stack.horizon(
        SITE.lat_deg, SITE.lon_deg, height_above_ground_m=2, azimuths=azimuths, max_distance_m=150e3
    )
    ground = horizon.ground_m + 2.0
    marched = [
        marched_horizon_deg([fine, cap], [12_000.0, 150e3], a, ground, 150e3, 2.0) for a in azimuths
    ]
    np.testing.assert_allclose(horizon.elevation_deg, marched, atol=0.002)
    assert horizon.truncation() is None


def test_a_layer_is_not_used_past_its_reach(cap):
    """A 3 km wall raised beyond 5 km on the fine layer: used to 4 km, the fine layer
    hands over before the wall and the horizon is the cap's; used to 20 km, the wall
    fills the sky."""
    walled = fine_window(cap, 20_000.0, 200.0, bump_m=(5_000.0, 3_000.0))

    args = dict(height_above_ground_m=2, azimuths=36, max_distance_m=150e3)
    short = TerrainStack([StackLayer(walled, 4_000.0), StackLayer(cap)])
    long = TerrainStack([StackLayer(walled, 20_000.0), StackLayer(cap)])
    plain = TerrainStack([StackLayer(fine_window(cap, 20_000.0, 200.0), 4_000.0), cap])
    near = short.horizon(SITE.lat_deg, SITE.lon_deg, **args).elevation_deg
    np.testing.assert_allclose(
        near, plain.horizon(SITE.lat_deg, SITE.lon_deg, **args).elevation_deg, atol=1e-9
    )
    assert np.all(long.horizon(SITE.lat_deg, SITE.lon_deg, **args).elevation_deg > 15.0)


def test_a_single_dem_is_a_stack_of_one(cap):
    """HorizonLine.from_dem (a DEM and a far field, the older call) is the two-layer
    stack: the ray march over the 400 m grid then the cap agrees with it."""
    fine = fine_window(cap, 20_000.0, 400.0)
    azimuths = np.arange(0, 360, 45.0)
    line = HorizonLine.from_dem(
        fine, SITE.lat_deg, SITE.lon_deg, azimuths=azimuths, far_field=cap, max_distance_m=150e3
    )
    marched = [
        marched_horizon_deg([fine, cap], [150e3, 150e3], a, line.ground_m, 150e3, 2.0)
        for a in azimuths
    ]
    # From the ground itself the march, sampling every 2 m, finds a little less than the
    # kernel's exact crests (never more): within 0.003° here.
    shortfall = line.elevation_deg - np.array(marched)
    assert np.all(shortfall > -1e-6) and np.all(shortfall < 0.004), shortfall
    assert "(real)" in line.source and line.note is None


def test_the_default_stack_is_the_real_cap_and_reaches_every_polar_site():
    stack = TerrainStack.default()
    assert not stack.synthetic and "LDEM_256" in stack.label and "(real)" in stack.label
    [layer] = stack.describe()
    assert layer["pixel_m"] == 1600.0 and layer["synthetic"] is False
    for name in ("connecting-ridge", "shackleton-rim", "bussey-shackleton", "de-gerlache-rim-2"):
        site = named_site(name)
        horizon = stack.horizon(site.lat_deg, site.lon_deg, azimuths=72)
        assert horizon.truncation() is None, name
        assert np.all(horizon.covered_m == 300_000.0)


def test_a_horizon_cut_short_by_the_terrain_says_where():
    """75.5°S 0°E: 300 km to local north runs past the cap's edge (its side at y = 609.6
    km, 162 km away): flagged, with the direction."""
    horizon = TerrainStack.default().horizon(-75.5, 0.0, azimuths=72)
    note = horizon.truncation()
    assert note is not None and note.startswith("horizon truncated at") and "north" in note
    # On a small DEM alone, every direction is cut at its edge.
    # On a small DEM alone (64 km about the pole), every direction is cut at its edge.
    cap = open_dem(data_path(LOLA_CAP_DEM)).read()
    small = TerrainStack([cap.window(_centre_window(cap, 20))])
    lat, lon = (float(v) for v in latlon_from_polar_xy(100.0, 100.0))
    horizon = small.horizon(lat, lon, azimuths=8, max_distance_m=100e3)
    assert np.all(horizon.covered_m < 46_000.0) and "truncated at" in horizon.truncation()


def _centre_window(dem: Dem, half_px: int):
    from ilrs.terrain import Window

    centre = dem.shape[0] // 2
    return Window(centre - half_px, centre - half_px, 2 * half_px, 2 * half_px)


def test_a_stack_goes_from_fine_to_coarse_and_a_point_off_it_is_named(cap):
    fine = fine_window(cap, 10_000.0, 400.0)
    with pytest.raises(InputError, match="finest DEM to the coarsest: 1600 m, 400 m"):
        TerrainStack([cap, fine])
    with pytest.raises(InputError, match="lies outside the terrain"):
        TerrainStack([fine]).horizon(-85.0, 0.0)


@pytest.mark.parametrize(
    ("azimuth", "name"), [(0, "north"), (44, "north-east"), (91, "east"), (270, "west")]
)
def test_compass_names(azimuth, name):
    assert compass_name(azimuth) == name
