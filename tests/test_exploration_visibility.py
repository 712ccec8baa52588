"""Sunlight and Earth visibility of a region's cells per instant, against an independent
computation per cell: the body's topocentric direction at the cell (ilrs.sky.topocentric)
against its horizon from the rays method at local azimuths (HorizonLine.from_dem)."""

from __future__ import annotations

import numpy as np
import pytest

from ilrs.environment import HorizonLine
from ilrs.environment.maps import body_track
from ilrs.errors import InputError
from ilrs.exploration.visibility import HorizonBands, RegionAxes, visibility_bits
from ilrs.sky import topocentric, utc_range
from ilrs.terrain import Window
from ilrs.terrain.synthetic import synthesize_around

MAST_M = 1.5


@pytest.fixture(scope="module")
def region():
    dem = synthesize_around(-89.3, 200.0, 240, 40.0, seed=11)
    window = Window(70, 70, 100, 100)
    times = utc_range("2026-03-01T00:00:00Z", "2026-03-15T00:00:00Z", "2h")
    return dem, window, times


def _bits_for(body, dem, window, times, mask_deg=0.0, step=2.0):
    axes = RegionAxes.of(dem, window)
    track = body_track(body, times, axes.centre_lat_deg, axes.centre_lon_deg)
    directions = track.apparent_m / np.linalg.norm(track.apparent_m, axis=1, keepdims=True)
    bands = HorizonBands(
        dem, window, bearing_step_deg=step, max_distance_m=8_000.0, height_above_ground_m=MAST_M
    )
    bits = visibility_bits(bands, axes, directions, mask_deg=mask_deg)
    return np.unpackbits(bits, axis=-1, bitorder="little")[..., : len(times)].astype(bool)


@pytest.mark.parametrize("step", [1.0, 2.0])
@pytest.mark.parametrize("body", ["sun", "earth"])
def test_cells_agree_with_the_per_cell_reference(region, body, step):
    dem, window, times = region
    seen = _bits_for(body, dem, window, times, step=step)
    rng = np.random.default_rng(5)
    cells = rng.integers(0, 100, size=(12, 2))
    margins, agree = [], []
    for row, col in cells:
        lat, lon = dem.latlon(window.row_off + row, window.col_off + col)
        ground = float(dem.height_m[window.row_off + row, window.col_off + col])
        line = HorizonLine.from_dem(
            dem, float(lat), float(lon), height_above_ground_m=MAST_M, max_distance_m=8_000.0
        )
        sky = topocentric(body, float(lat), float(lon), times, height_m=ground + MAST_M)
        margin = sky.elevation_deg - line.elevation_at(sky.azimuth_deg)
        margins.append(margin)
        agree.append(seen[row, col] == (margin > 0))
    margins, agree = np.concatenate(margins), np.concatenate(agree)
    # The two horizons differ by the methods' resolution (lines on 1-degree bands against
    # rays at 0.5 degree): only grazing instants may disagree.
    clear = np.abs(margins) > 0.5
    assert clear.sum() > 0.5 * margins.size
    assert agree[clear].all()
    assert agree.mean() > 0.97
    # Both states occur, so the test can fail either way.
    assert 0 < seen.mean() < 1


def test_a_mask_takes_the_body_away_sooner(region):
    dem, window, times = region
    open_sky = _bits_for("earth", dem, window, times)
    masked = _bits_for("earth", dem, window, times, mask_deg=2.0)
    assert not (masked & ~open_sky).any()
    assert masked.sum() < open_sky.sum()


def test_bad_bearing_step_and_region_are_refused(region):
    dem, _, _ = region
    with pytest.raises(InputError, match="divide 360"):
        HorizonBands(dem, Window(0, 0, 10, 10), bearing_step_deg=0.7)
    with pytest.raises(InputError, match="outside the DEM"):
        HorizonBands(dem, Window(200, 200, 100, 100))
