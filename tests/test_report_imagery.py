"""The LROC WAC mosaic under the maps (ilrs.report.imagery): it lies where the LOLA DEM says
things are (Shackleton's dark floor at the DEM's low; the relief's shading correlates with
the picture only the right way round), and a crop has the mosaic's own pixels."""

from __future__ import annotations

import io

import numpy as np
import pytest
import rasterio
from affine import Affine
from PIL import Image

from ilrs.data import LOLA_CAP_DEM, LOLA_SHADE_IMAGE, data_path
from ilrs.errors import InputError
from ilrs.report.imagery import (
    WAC_CAPTION,
    imagery_for_bounds,
    imagery_for_grid,
    imagery_png,
    wac_mosaic,
)
from ilrs.report.layers import hillshade
from ilrs.terrain import polar_xy_from_latlon
from ilrs.terrain.grid import Dem

# Shackleton crater's centre (IAU Gazetteer of Planetary Nomenclature): 89.67°S, 129.78°E;
# about 21 km across, its floor about 2.8 km below the rim and in permanent shadow.
SHACKLETON_LAT_DEG, SHACKLETON_LON_DEG = -89.67, 129.78


@pytest.fixture(scope="module")
def lola_cap() -> Dem:
    with rasterio.open(data_path(LOLA_CAP_DEM)) as source:
        return Dem(source.read(1).astype(float), source.transform)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


TURNS = {
    "flipped north-south": np.flipud,
    "flipped east-west": np.fliplr,
    "turned 90°": np.rot90,
    "turned 180°": lambda a: np.rot90(a, 2),
    "turned 270°": lambda a: np.rot90(a, 3),
    "transposed": np.transpose,
}


def test_wac_mosaic_correlates_with_the_dems_shading_only_the_right_way_round(lola_cap):
    """A hillshade of the LOLA DEM against the WAC mosaic on the DEM's grid. Found
    (2026): 0.424 as they lie, at most 0.018 flipped, turned or transposed; the embedded
    LOLA shaded relief against the hillshade 0.874 as it lies, at most 0.024 otherwise."""
    shade = hillshade(lola_cap)
    wac = imagery_for_grid(lola_cap.transform, lola_cap.shape).grey.astype(float)
    as_they_lie = _correlation(shade, wac)
    turned = {name: _correlation(shade, turn(wac)) for name, turn in TURNS.items()}
    assert as_they_lie > 0.35
    assert max(abs(c) for c in turned.values()) < as_they_lie / 5, turned

    with Image.open(data_path(LOLA_SHADE_IMAGE)) as image:  # 1524 px of 800 m: to 1600 m
        lola_shade = np.asarray(
            image.convert("L").resize(lola_cap.shape[::-1], Image.Resampling.BOX), dtype=float
        )
    assert _correlation(shade, lola_shade) > 0.8
    assert max(abs(_correlation(shade, turn(lola_shade))) for turn in TURNS.values()) < 0.1


def test_shackleton_floor_is_the_dems_low_and_the_mosaics_dark(lola_cap):
    """Found (2026): the DEM's lowest pixel within 16 km is 2 pixels (3.6 km) from the IAU
    centre, at -2794 m; the mosaic's 7 × 7 pixels (2.8 km) there average 1.7 of 255, the
    24 km square around them 40."""
    x_m, y_m = (float(v) for v in polar_xy_from_latlon(SHACKLETON_LAT_DEG, SHACKLETON_LON_DEG))
    rows, cols = lola_cap.rowcol(x_m, y_m)
    row, col = int(round(float(rows))), int(round(float(cols)))
    around = lola_cap.height_m[row - 10 : row + 11, col - 10 : col + 11]
    low_row, low_col = np.unravel_index(np.argmin(around), around.shape)
    assert np.hypot(low_row - 10, low_col - 10) * lola_cap.pixel_size_m < 5_000
    assert around.min() < -2500

    floor = imagery_for_bounds(x_m - 1400, y_m - 1400, x_m + 1400, y_m + 1400, 7, 7)
    half_m = 12_000  # 24 km square, 400 m pixels
    around_m = (x_m - half_m, y_m - half_m, x_m + half_m, y_m + half_m)
    surroundings = imagery_for_bounds(*around_m, 60, 60)
    assert floor.grey.mean() < 10
    assert floor.grey.mean() < surroundings.grey.mean() / 4


def test_a_crop_at_the_mosaics_own_pixels_is_the_mosaic():
    """8 × 8 pixels of 400 m about the pole are the mosaic's central 8 × 8 (it has 3048, so
    the pole is the corner between pixels 1523 and 1524)."""
    mosaic = wac_mosaic()
    crop = imagery_for_bounds(-1600, -1600, 1600, 1600, 8, 8)
    np.testing.assert_array_equal(crop.grey, mosaic[1520:1528, 1520:1528])
    assert crop.inside.all()
    assert crop.caption == WAC_CAPTION and "LROC WAC" in crop.caption
    # The same through a transform, one pixel: the one south-east of the pole.
    one = imagery_for_grid(Affine(400.0, 0, 0.0, 0, -400.0, 0.0), (1, 1))
    assert one.grey[0, 0] == mosaic[1524, 1524]


def test_a_coarser_grid_takes_the_mean_and_a_finer_one_interpolates():
    mosaic = wac_mosaic().astype(float)
    coarse = imagery_for_bounds(-1600, -1600, 1600, 1600, 4, 4).grey
    means = mosaic[1520:1528, 1520:1528].reshape(4, 2, 4, 2).mean(axis=(1, 3))
    assert np.abs(coarse - means).max() <= 1  # rounded to 8 bits
    fine = imagery_for_bounds(-1600, -1600, 1600, 1600, 32, 32).grey.astype(float)
    assert fine.min() >= mosaic[1520:1528, 1520:1528].min()
    assert fine.max() <= mosaic[1520:1528, 1520:1528].max()
    assert abs(fine.mean() - mosaic[1520:1528, 1520:1528].mean()) < 8


def test_a_grid_beyond_the_mosaic_is_clear_outside():
    imagery = imagery_for_bounds(-800_000, -800_000, 800_000, 800_000, 400, 400)
    # 4 km pixels: the mosaic's ±609.6 km hold columns 48 … 351 (pixel centres inside).
    assert imagery.inside[:, 48:352].all(axis=1).any()
    assert not imagery.inside[:, :48].any() and not imagery.inside[:, 352:].any()
    assert not imagery.inside[:48].any() and imagery.inside[48:352, 48:352].all()
    assert (imagery.grey[~imagery.inside] == 0).all()
    with Image.open(io.BytesIO(imagery_png(imagery))) as picture:
        assert picture.mode == "LA" and picture.size == (400, 400)
        alpha = np.asarray(picture)[..., 1]
    np.testing.assert_array_equal(alpha == 255, imagery.inside)

    off = imagery_for_bounds(700_000, 700_000, 800_000, 800_000, 10, 10)
    assert not off.inside.any()


@pytest.mark.parametrize(
    "transform, shape",
    [
        (Affine(400.0, 0, 0, 0, 400.0, 0), (4, 4)),  # rows running north
        (Affine(400.0, 10.0, 0, 0, -400.0, 0), (4, 4)),  # rotated
        (Affine(400.0, 0, 0, 0, -400.0, 0), (0, 4)),
        (Affine(400.0, 0, 0, 0, -400.0, 0), (100_000, 4)),
    ],
)
def test_grids_the_imagery_cannot_fill_are_refused(transform, shape):
    with pytest.raises(InputError, match="imagery"):
        imagery_for_grid(transform, shape)


def test_empty_bounds_are_refused():
    with pytest.raises(InputError, match="left < right"):
        imagery_for_bounds(10.0, 0.0, 10.0, 5.0, 4, 4)


def test_the_reports_terrain_figure_lies_over_the_imagery_and_names_both_sources(
    lola_cap, tmp_path, monkeypatch
):
    """The figure of a window about the pole is drawn over the mosaic (its title and the
    sources' line say so); a grid the mosaic does not reach falls back to the hillshade."""
    import matplotlib.pyplot as plt

    from ilrs.report import figures
    from ilrs.terrain.grid import Window

    drawn = []
    real_text = plt.Figure.text

    def kept_text(figure, x, y, text, *args, **kwargs):
        drawn.append(text)
        return real_text(figure, x, y, text, *args, **kwargs)

    monkeypatch.setattr(plt.Figure, "text", kept_text)
    window = lola_cap.window(Window(321, 321, 120, 120))  # 192 km about the pole
    on_imagery = figures.terrain_png(window, (0.0, 0.0), "pole", tmp_path / "on.png")
    far = Dem(np.zeros((10, 10)), Affine(1600.0, 0, 700_000.0, 0, -1600.0, 800_000.0))
    fallback = figures.terrain_png(far, (0.0, 0.0), "pole", tmp_path / "off.png")
    # Made-up heights are never drawn over the real imagery, even where it reaches.
    made_up = Dem(window.height_m, window.transform, window.crs, {"synthetic": "true"})
    alone = figures.terrain_png(made_up, (0.0, 0.0), "pole", tmp_path / "synthetic.png")
    assert on_imagery.is_file() and fallback.is_file() and alone.is_file()
    sources = [text for text in drawn if text.startswith("Grey: ")]
    assert len(sources) == 1  # only the real terrain's figure over the imagery has the line
    assert WAC_CAPTION in sources[0] and "heights of the plan's terrain" in sources[0]
    with Image.open(on_imagery) as picture:
        assert np.asarray(picture.convert("L")).std() > 20
