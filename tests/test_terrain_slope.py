"""Slope and aspect on the sphere against an analytic cone about the pole."""

from __future__ import annotations

import numpy as np
from affine import Affine

from ilrs.terrain import MOON_RADIUS_M, Dem, latlon_from_polar_xy
from ilrs.terrain.slope import slope_aspect_deg


def test_cone_about_the_pole_has_its_slope_and_faces_the_pole():
    """Height rising with the great-circle distance s from the pole, z = c s: the slope is
    atan(c R / (R + z)) (horizontal distances scale with the radius), downhill is towards
    the pole, i.e. local south (180 deg)."""
    n, pixel_m, rise = 401, 100.0, 0.3
    transform = Affine(pixel_m, 0, -n / 2 * pixel_m, 0, -pixel_m, n / 2 * pixel_m)
    rows, cols = np.indices((n, n))
    x = transform.c + (cols + 0.5) * pixel_m
    y = transform.f - (rows + 0.5) * pixel_m
    lat, _ = latlon_from_polar_xy(x, y)
    s_m = np.radians(lat + 90.0) * MOON_RADIUS_M
    heights = rise * s_m
    slope, aspect = slope_aspect_deg(Dem(heights, transform))
    ring = (s_m > 5_000) & (s_m < 19_000)
    expected = np.degrees(np.arctan(rise * MOON_RADIUS_M / (MOON_RADIUS_M + heights)))
    assert np.nanmax(np.abs(slope[ring] - expected[ring])) < 0.01
    assert np.nanmax(np.abs(((aspect[ring] - 180.0) + 180) % 360 - 180)) < 0.05


def test_flat_sphere_has_no_slope_and_edges_are_nan():
    transform = Affine(240.0, 0, -24_000, 0, -240.0, 24_000)
    slope, aspect = slope_aspect_deg(Dem(np.zeros((200, 200)), transform))
    assert np.nanmax(slope) < 1e-6
    assert np.isnan(slope[0]).all() and np.isnan(slope[:, -1]).all()


def test_a_window_has_the_slopes_of_the_whole_grid():
    from ilrs.terrain import Window
    from ilrs.terrain.synthetic import synthesize_around

    dem = synthesize_around(-89.5, 45.0, 60, 100.0, seed=2)
    whole_slope, whole_aspect = slope_aspect_deg(dem)
    for window in (Window(10, 12, 20, 25), Window(0, 0, 15, 60)):  # inside; on the edge
        slope, aspect = slope_aspect_deg(dem, window)
        np.testing.assert_array_equal(slope, whole_slope[window.rows, window.cols])
        np.testing.assert_array_equal(aspect, whole_aspect[window.rows, window.cols])
