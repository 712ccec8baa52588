"""Synthetic detail conditioned on the real LOLA cap: real block means, detail only below the
coarse pixel with the synthetic module's roughness, determinism, labels, and how horizons
from it compare with the real horizons of four sites."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from ilrs.cli import main
from ilrs.data import LOLA_CAP_DEM, data_path, read_table
from ilrs.environment.profile import HorizonLine
from ilrs.errors import InputError
from ilrs.terrain import conditioned
from ilrs.terrain.conditioned import (
    BLOCK_MEAN_TOLERANCE_M,
    block_means_m,
    conditioned_detail,
    write_conditioned_detail,
)
from ilrs.terrain.grid import Dem
from ilrs.terrain.horizon import horizon_profile
from ilrs.terrain.sources import open_dem
from ilrs.terrain.synthetic import (
    crater_population_heights_m,
    roughness_heights_m,
    roughness_rms_slope_deg,
)

RIDGE = (-89.53432, -150.05233)  # connecting-ridge of real_horizons/sites.csv
COARSE_PX_M = 1600.0


@pytest.fixture(scope="module")
def cap() -> Dem:
    return open_dem(data_path(LOLA_CAP_DEM)).read()


@pytest.fixture(scope="module")
def ridge_fine(cap) -> Dem:
    return conditioned_detail(cap, *RIDGE, half_width_m=8_000.0, resolution_m=50.0, seed=3)


def whole_block_means(fine: Dem, cap: Dem):
    """Means of the fine grid over the coarse pixels wholly inside it, and those pixels'
    real heights."""
    ratio = round(cap.pixel_size_m / fine.pixel_size_m)
    first_row = round((cap.transform.f - fine.transform.f) / fine.pixel_size_m)
    first_col = round((fine.transform.c - cap.transform.c) / fine.pixel_size_m)
    skip_rows, skip_cols = -first_row % ratio, -first_col % ratio
    blocks = (min(fine.shape) - max(skip_rows, skip_cols)) // ratio
    part = fine.height_m[
        skip_rows : skip_rows + blocks * ratio, skip_cols : skip_cols + blocks * ratio
    ]
    row0, col0 = (first_row + skip_rows) // ratio, (first_col + skip_cols) // ratio
    real = cap.height_m[row0 : row0 + blocks, col0 : col0 + blocks]
    return block_means_m(part, ratio), real


# --- (a) block means ---------------------------------------------------------------------------


def test_block_means_give_back_the_real_lola_heights(cap, ridge_fine):
    means, real = whole_block_means(ridge_fine, cap)
    assert means.shape[0] >= 8  # 8 x 8 whole coarse pixels or more
    # Real heights over the window span hundreds of metres; the fine grid keeps each
    # coarse pixel's mean to BLOCK_MEAN_TOLERANCE_M (1 mm).
    assert np.ptp(real) > 500.0
    assert np.max(np.abs(means - real)) < BLOCK_MEAN_TOLERANCE_M
    # ... while the fine grid itself departs from them by tens of metres (it has detail).
    assert np.std(ridge_fine.height_m - np.kron(real, np.ones((32, 32))).mean()) > 10.0


def test_without_the_detail_lowpass_block_means_drift(cap, monkeypatch):
    """The high-pass is what keeps the means: without it the craters and roughness shift the
    coarse pixels' means by metres."""
    monkeypatch.setattr(conditioned, "_block_mean_lowpass", lambda means, ratio: 0.0)
    fine = conditioned_detail(cap, *RIDGE, half_width_m=8_000.0, resolution_m=50.0, seed=3)
    means, real = whole_block_means(fine, cap)
    assert np.max(np.abs(means - real)) > 1.0


def test_the_large_scales_are_a_smooth_surface_not_facets(cap):
    """With a flat detail the surface is the C2 spline: its second differences are small
    and continuous across coarse pixel edges (bilinear would have kinks there)."""
    flat_seed_free = conditioned._histopolating_spline(cap, 32, 11_900, 11_900, 320)
    curvature = np.diff(flat_seed_free, 2, axis=1)
    jumps = np.abs(np.diff(curvature, axis=1))
    assert np.max(jumps) < 0.05 * np.max(np.abs(curvature)) + 1e-6


# --- (b) spectrum and roughness ------------------------------------------------------------


def radial_power(height_m: np.ndarray, pixel_m: float):
    """Power per wavelength band [m^2] of a square grid: wavelengths [m] and powers."""
    n = height_m.shape[0]
    spectrum = np.abs(np.fft.fft2(height_m - height_m.mean())) ** 2 / n**4
    k = np.hypot(*np.meshgrid(np.fft.fftfreq(n, pixel_m), np.fft.fftfreq(n, pixel_m)))
    with np.errstate(divide="ignore"):
        wavelength = np.where(k > 0, 1.0 / k, np.inf)
    return wavelength, spectrum


def test_detail_has_nothing_above_the_cutoff_and_synthetic_roughness_below(cap):
    # A flat coarse DEM on the cap's grid: the fine grid is then the detail alone.
    flat = Dem(np.zeros(cap.shape), cap.transform, metadata={"source": "flat"})
    pixel_m, half_m = 100.0, 25_600.0
    detail = conditioned_detail(flat, *RIDGE, half_width_m=half_m, resolution_m=pixel_m, seed=5)
    where = dict(center_x_m=detail.transform.c + half_m, center_y_m=detail.transform.f - half_m)
    raw = roughness_heights_m(
        512, pixel_m, 5, max_wavelength_m=COARSE_PX_M, **where
    ) + crater_population_heights_m(512, pixel_m, 5, max_diameter_m=COARSE_PX_M, **where)
    wavelength, detail_power = radial_power(detail.height_m, pixel_m)
    _, raw_power = radial_power(raw, pixel_m)

    # Zero means over every coarse pixel leave a transition between one and four coarse
    # pixels (1.6-6.4 km); beyond it the detail is near zero.
    long = wavelength >= 4.0 * COARSE_PX_M
    short = wavelength <= 0.5 * COARSE_PX_M
    rms_long = math.sqrt(detail_power[long].sum())
    rms_all = math.sqrt(detail_power.sum())
    rms_raw_long = math.sqrt(raw_power[long].sum())
    print(
        f"\ndetail RMS at wavelengths >= 6.4 km: {rms_long:.2f} m (before the high-pass "
        f"{rms_raw_long:.2f} m) of {rms_all:.2f} m in all; <= 0.8 km: "
        f"{math.sqrt(detail_power[short].sum()):.2f} m (synthetic layers "
        f"{math.sqrt(raw_power[short].sum()):.2f} m)"
    )
    assert rms_long < 0.1 * rms_all
    assert rms_long < 0.7 * rms_raw_long
    # Below the cutoff the detail is the synthetic module's roughness and craters.
    assert detail_power[short].sum() == pytest.approx(raw_power[short].sum(), rel=0.05)


def test_roughness_of_the_detail_follows_the_synthetic_slope_law(cap, monkeypatch):
    """Without craters, the detail's RMS slope at a 100 m baseline is the roughness law of
    ilrs.terrain.synthetic (4° at 100 m; the law holds within 30 % on a grid)."""
    monkeypatch.setattr(conditioned, "crater_population_heights_m", lambda size_px, *a, **k: 0.0)
    flat = Dem(np.zeros(cap.shape), cap.transform, metadata={"source": "flat"})
    detail = conditioned_detail(flat, *RIDGE, half_width_m=8_000.0, resolution_m=25.0, seed=1)
    z = detail.height_m
    rise = np.concatenate([(z[:, 4:] - z[:, :-4]).ravel(), (z[4:] - z[:-4]).ravel()])
    slope_deg = math.degrees(math.atan(np.sqrt(np.mean(rise**2)) / 100.0))
    expected_deg = float(roughness_rms_slope_deg(100.0))
    print(f"\nRMS slope at 100 m: detail {slope_deg:.2f}°, synthetic law {expected_deg:.2f}°")
    assert slope_deg == pytest.approx(expected_deg, rel=0.3)


# --- (c) determinism -------------------------------------------------------------------------


def test_same_site_and_seed_give_the_same_grid(cap, ridge_fine):
    again = conditioned_detail(cap, *RIDGE, half_width_m=8_000.0, resolution_m=50.0, seed=3)
    assert np.array_equal(again.height_m, ridge_fine.height_m)
    assert again.transform == ridge_fine.transform
    other = conditioned_detail(cap, *RIDGE, half_width_m=8_000.0, resolution_m=50.0, seed=4)
    assert np.std(other.height_m - ridge_fine.height_m) > 1.0


def test_overlapping_windows_agree(cap, ridge_fine):
    lat, lon = (float(v) for v in ridge_fine.latlon(100, 250))  # 3.75 km east, 2.5 km north
    shifted = conditioned_detail(cap, lat, lon, half_width_m=6_000.0, resolution_m=50.0, seed=3)
    # Both grids' pixel edges lie on multiples of 50 m: the overlap is whole pixels of each.
    left = max(ridge_fine.transform.c, shifted.transform.c)
    top = min(ridge_fine.transform.f, shifted.transform.f)
    right = min(g.transform.c + g.shape[1] * 50.0 for g in (ridge_fine, shifted))
    bottom = max(g.transform.f - g.shape[0] * 50.0 for g in (ridge_fine, shifted))

    def part(grid):
        row, col = round((grid.transform.f - top) / 50.0), round((left - grid.transform.c) / 50.0)
        rows, cols = round((top - bottom) / 50.0), round((right - left) / 50.0)
        return grid.height_m[row : row + rows, col : col + cols]

    a, b = part(ridge_fine), part(shifted)
    assert a.shape == b.shape and a.size > 10_000
    assert np.max(np.abs(a - b)) < 1e-6  # metres: only the spline's crop differs


def test_bad_resolutions_are_refused_before_any_work(cap):
    with pytest.raises(InputError, match="must divide the coarse pixel"):
        conditioned_detail(cap, *RIDGE, half_width_m=5_000.0, resolution_m=30.0)
    with pytest.raises(InputError, match="positive"):
        conditioned_detail(cap, *RIDGE, half_width_m=-1.0, resolution_m=50.0)
    with pytest.raises(InputError, match="beyond the coarse DEM"):
        conditioned_detail(cap, -60.0, 0.0, half_width_m=5_000.0, resolution_m=50.0)


# --- (d) labels --------------------------------------------------------------------------------


def check_labels(metadata: dict[str, str], seed: int) -> None:
    assert metadata["synthetic"] == "true"
    assert metadata["synthetic_kind"] == "detail conditioned on LDEM_256 (lola_dem_south.tif)"
    assert metadata["seed"] == str(seed)
    assert metadata["cutoff_wavelength_m"] == "1600"
    assert metadata["coarse_product_id"] == "LDEM_256"
    assert metadata["coarse_data_set_id"] == "LRO-L-LOLA-4-GDR-V1.0"
    assert "NOT real topography" in metadata["note"]


def test_labels_are_in_the_written_geotiff(tmp_path, ridge_fine):
    check_labels(ridge_fine.metadata, 3)
    path = write_conditioned_detail(tmp_path / "fine.tif", ridge_fine)
    source = open_dem(path)
    check_labels(source.metadata, 3)
    read = source.read()
    assert read.synthetic
    assert np.allclose(read.height_m, ridge_fine.height_m, atol=1e-3)
    line = HorizonLine.from_dem(read, *RIDGE, azimuths=36, max_distance_m=5_000.0)
    assert line.source.endswith("(synthetic)")


def test_cli_writes_a_labelled_conditioned_dem(tmp_path, capsys):
    out = tmp_path / "ridge.tif"
    args = ["terrain", "conditioned", "--site", "connecting-ridge", "--radius-km", "4"]
    assert main([*args, "--resolution-m", "100", "--seed", "7", "--out", str(out)]) == 0
    assert "synthetic detail conditioned on LDEM_256" in capsys.readouterr().out
    source = open_dem(out)
    assert source.shape == (80, 80)
    check_labels(source.metadata, 7)
    assert main([*args, "--resolution-m", "30", "--out", str(tmp_path / "x.tif")]) == 1


# --- (e) horizons against the real ones ------------------------------------------------------


def real_profile(name: str) -> np.ndarray:
    with data_path(f"real_horizons/{name}_2m.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    return np.array([[float(r["azimuth_deg"]), float(r["elevation_deg"])] for r in rows])


def test_horizons_from_conditioned_detail_against_the_real_ones(cap):
    """Mean and 90th-percentile |error| [deg] of the 2 m horizon, 720 azimuths to 260 km, for
    the cap alone, the conditioned spline without detail, and with detail (three seeds);
    reported, not asserted tightly."""
    half_m, pixel_m = 12_000.0, 50.0
    rows = []
    for site in read_table("real_horizons/sites.csv"):
        name, lat, lon = site["site"], float(site["lat_deg"]), float(site["lon_deg"])
        real = real_profile(name)
        options = dict(azimuths=real[:, 0], height_above_ground_m=2.0, max_distance_m=260_000.0)

        def errors(dem, far_field, real=real, lat=lat, lon=lon, options=options):
            profile = horizon_profile(dem, lat, lon, far_field=far_field, **options)
            error = np.abs(profile.elevation_deg - real[:, 1])
            return float(np.mean(error)), float(np.percentile(error, 90))

        cap_alone = errors(cap, None)
        detailed = [
            conditioned_detail(cap, lat, lon, half_width_m=half_m, resolution_m=pixel_m, seed=s)
            for s in (0, 1, 2)
        ]
        smooth = Dem(
            detailed[0].height_m
            - conditioned_detail(
                Dem(np.zeros(cap.shape), cap.transform), lat, lon,
                half_width_m=half_m, resolution_m=pixel_m, seed=0,
            ).height_m,
            detailed[0].transform,
        )  # fmt: skip
        spline = errors(smooth, cap)
        with_detail = np.array([errors(dem, cap) for dem in detailed])
        rows.append((name, cap_alone, spline, with_detail.mean(axis=0), with_detail.max(axis=0)))

    print("\n2 m horizon |error| vs real (deg): mean / p90")
    print(f"{'site':22} {'cap alone':>13} {'spline only':>13} {'+detail (3 seeds)':>18}")
    for name, cap_alone, spline, mean_detail, worst in rows:
        print(
            f"{name:22} {cap_alone[0]:6.2f}/{cap_alone[1]:5.2f} {spline[0]:6.2f}/{spline[1]:5.2f}"
            f" {mean_detail[0]:6.2f}/{mean_detail[1]:5.2f}"
            f" (worst seed {worst[0]:.2f}/{worst[1]:.2f})"
        )
    for _, cap_alone, spline, mean_detail, _ in rows:
        assert all(math.isfinite(v) for v in (*cap_alone, *spline, *mean_detail))
        assert mean_detail[0] < 10.0  # loose: detail must not wreck the horizon
