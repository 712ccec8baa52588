"""The lines method: one sample per column on parallel grid lines. Faster than the sweep,
less exact; its errors are bounded here against the same brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.terrain import MOON_RADIUS_M
from ilrs.terrain.horizon import horizon_map
from test_terrain_horizon import grid, rough_dem, sampled_errors_deg  # noqa: F401

BEARINGS = np.array([0.0, 13.7, 45.0, 90.0, 128.2, 180.0, 233.3, 301.9])


@pytest.mark.parametrize(
    ("height_m", "max_distance_m"), [(0.0, 4_000.0), (2.0, 4_000.0), (0.0, 900.0)]
)
def test_against_brute_force(rough_dem, height_m, max_distance_m):  # noqa: F811
    horizons = horizon_map(
        rough_dem,
        azimuths=BEARINGS,
        max_distance_m=max_distance_m,
        height_above_ground_m=height_m,
        grid_azimuths=True,
        method="lines",
        tile_px=64,
    )
    errors = sampled_errors_deg(
        rough_dem,
        horizons,
        BEARINGS,
        np.random.default_rng(11),
        samples=150,
        max_distance_m=max_distance_m,
        height_m=height_m,
        grid_bearings=True,
    )
    # The terrain between two lines a row apart is interpolated: a few degrees at worst on
    # this steep ground (measured 2.4-2.5), a tenth on average, a few thousandths typically.
    assert np.max(errors) < 3.0
    assert np.mean(errors) < 0.15
    assert np.median(errors) < 0.01


def test_flat_sphere_dips_by_the_curvature():
    dem = grid(np.zeros((300, 300)), 50.0, center_y_m=-20_000.0)
    horizons = horizon_map(
        dem,
        azimuths=BEARINGS,
        max_distance_m=9_000.0,
        height_above_ground_m=10.0,
        grid_azimuths=True,
        method="lines",
    )
    expected = -math.degrees(math.acos(MOON_RADIUS_M / (MOON_RADIUS_M + 10.0)))
    interior = horizons[:, 140:160, 140:160]  # far enough in for 5.9 km of reach
    assert np.max(np.abs(interior - expected)) < 0.01


def test_tiles_do_not_change_a_bit(rough_dem):  # noqa: F811
    options = dict(azimuths=BEARINGS, max_distance_m=1_500.0, grid_azimuths=True, method="lines")
    whole = horizon_map(rough_dem, tile_px=512, **options)
    tiled = horizon_map(rough_dem, tile_px=37, **options)
    assert np.array_equal(whole, tiled, equal_nan=True)


def test_grid_bearings_on_one_grid_only(rough_dem):  # noqa: F811
    with pytest.raises(InputError, match="lines method computes bearings from grid north"):
        horizon_map(rough_dem, azimuths=4, method="lines")
    with pytest.raises(InputError, match="lines method works on one grid"):
        horizon_map(rough_dem, azimuths=4, method="lines", grid_azimuths=True, far_field=rough_dem)


def test_cli_writes_the_bearings_asked(tmp_path, capsys, rough_dem):  # noqa: F811
    import rasterio

    from ilrs.cli import main
    from ilrs.terrain.geotiff import write_geotiff

    dem_path = write_geotiff(
        tmp_path / "dem.tif", rough_dem.height_m, rough_dem.transform, dtype="float64"
    )
    out = tmp_path / "horizon.tif"
    status = main(
        ["terrain", "horizon", str(dem_path), "--out", str(out), "--azimuths", "7",
         "--bearings", "grid", "--method", "lines", "--max-distance-m", "1000"]
    )  # fmt: skip
    assert status == 0 and "lines" in capsys.readouterr().out
    with rasterio.open(out) as dataset:
        assert dataset.descriptions[1] == f"grid_bearing_deg={360 / 7:g}"
        assert dataset.tags()["METHOD"] == "lines"
        written = dataset.read()
    expected = horizon_map(
        rough_dem, azimuths=7, max_distance_m=1000.0, grid_azimuths=True, method="lines"
    )
    assert np.allclose(written, expected, equal_nan=True)


def test_the_vectorised_arctangent_matches_the_library():
    from ilrs.terrain._lines_kernel import _atan

    rng = np.random.default_rng(3)
    # Across each branch of the reduction: below tan 15 deg, up to 1, beyond, far beyond.
    values = np.concatenate(
        [
            rng.uniform(-0.27, 0.27, 2000),
            rng.uniform(-1.0, 1.0, 2000),
            rng.uniform(-50.0, 50.0, 2000),
            [0.0, -0.0, 1.0, -1.0, 2.0 - math.sqrt(3.0), 1e300, -1e-300, math.inf, -math.inf],
        ]
    )
    errors = [abs(_atan(float(x)) - math.atan(x)) for x in values]
    assert max(errors) < 3e-16
    assert math.isnan(_atan(math.nan))
    assert math.copysign(1.0, _atan(-0.0)) == -1.0
