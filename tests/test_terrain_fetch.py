"""Fetching LOLA windows over HTTP range requests, against a real local HTTP server.

The server runs in a thread on 127.0.0.1 (an ephemeral port) and serves products written by
``write_lola_product`` under lower-case names, as the PDS Geosciences Node does. It can
misbehave on request: drop a connection mid-transfer once, ignore ranges (answer 200), or
send the wrong bytes. Nothing here touches the internet.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from affine import Affine

from http_fixtures import ProductServer
from ilrs.errors import DataFileError, InputError
from ilrs.terrain.fetch import (
    LOLA_POLAR_BASE_URL,
    default_cache_dir,
    fetch_around,
    fetch_label,
    fetch_window,
    lola_polar_label_url,
    window_for_latlon_box,
    window_for_radius,
)
from ilrs.terrain.grid import MOON_RADIUS_M, Window, polar_xy_from_latlon
from ilrs.terrain.pds3 import Pds3Source, write_lola_product


@pytest.fixture
def server():
    product_server = ProductServer()
    yield product_server
    product_server.close()


def serve_product(server: ProductServer, tmp_path: Path, name: str, h, pixel_m, **kw) -> str:
    """Write a product, serve it under lower-case names, return the label URL."""
    label = write_lola_product(tmp_path / "origin", name, h, pixel_m, **kw)
    for path in (label, label.with_suffix(".IMG")):
        server.files[f"/lola/img/{path.name.lower()}"] = path.read_bytes()
    return f"{server.url}/lola/img/{name.lower()}.lbl"


def heights(shape=(60, 80), seed=11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(0, 2000, shape) / 0.5) * 0.5


def final_files(cache: Path) -> list[Path]:
    """Files under a window's final names (the source label copy and progress are not)."""
    return [
        p
        for p in cache.rglob("*")
        if p.suffix in (".LBL", ".IMG", ".json")
        and p.name != "source.LBL"
        and not p.name.endswith(".progress.json")
    ]


LOLA_IDENTITY = {
    "DATA_SET_ID": "LRO-L-LOLA-4-GDR-V1.0",
    "PRODUCT_VERSION_ID": "V2.0",
    "MISSION_PHASE_NAME": ("COMMISSIONING", "NOMINAL MISSION"),
    "START_TIME": "2009-07-13T17:33:17",
}


def test_fetched_window_reads_back_as_the_original_window(server, tmp_path):
    h = heights()
    url = serve_product(server, tmp_path, "LDEM_TEST_5M", h, 5.0, identity=LOLA_IDENTITY)
    window = Window(10, 20, 25, 30)
    progress = []
    label = fetch_window(
        url,
        window,
        cache_dir=tmp_path / "cache",
        max_request_bytes=1000,  # several requests of several rows each
        progress=lambda done, total: progress.append((done, total)),
    )
    original = Pds3Source(tmp_path / "origin" / "LDEM_TEST_5M.LBL").read(window)
    fetched = Pds3Source(label)
    dem = fetched.read()
    np.testing.assert_array_equal(dem.height_m, original.height_m)
    assert dem.transform == original.transform
    assert fetched.metadata["source_product_id"] == "LDEM_TEST_5M"
    # The source's identity keywords carry over to the window's label.
    assert fetched.metadata["data_set_id"] == "LRO-L-LOLA-4-GDR-V1.0"
    for key, value in LOLA_IDENTITY.items():
        assert fetched.label[key] == value
    # Requests: the label, then ranges of whole consecutive rows, in order, none repeated.
    stride = 80 * 2
    ranges = server.range_requests()
    assert server.requests[0] == ("/lola/img/ldem_test_5m.lbl", None)
    assert all(path == "/lola/img/ldem_test_5m.img" for path, r in server.requests[1:])
    starts = [int(r.removeprefix("bytes=").split("-")[0]) for r in ranges]
    assert starts[0] == 10 * stride + 20 * 2
    assert len(ranges) == math.ceil(25 / ((1000 - 60) // stride + 1)) == 5
    assert progress[-1] == (25 * 30 * 2, 25 * 30 * 2)
    # The sidecar records what was fetched, from where, and its SHA-256.
    record = json.loads(label.with_suffix(".json").read_text())
    image_bytes = label.with_suffix(".IMG").read_bytes()
    assert record["sha256"] == hashlib.sha256(image_bytes).hexdigest()
    assert record["size_bytes"] == len(image_bytes) == 25 * 30 * 2
    assert record["source_url"] == url.replace(".lbl", ".img")
    assert record["window"] == {"row_off": 10, "col_off": 20, "height": 25, "width": 30}
    assert record["fetched_utc"].endswith("Z")
    assert not list((tmp_path / "cache").rglob("*.partial"))
    assert not list((tmp_path / "cache").rglob("*.progress.json"))


def test_gdal_reads_the_fetched_window_where_it_belongs(server, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    h = heights()
    url = serve_product(server, tmp_path, "LDEM_GDAL_5M", h, 5.0)
    window = Window(33, 41, 20, 25)
    label = fetch_window(url, window, cache_dir=tmp_path / "cache")
    with rasterio.open(tmp_path / "origin" / "LDEM_GDAL_5M.LBL") as dataset:
        expected = dataset.window_transform(rasterio.windows.Window(41, 33, 25, 20))
    with rasterio.open(label) as dataset:
        assert dataset.transform.almost_equals(expected, precision=1e-9)
        values = dataset.read(1).astype(float) * dataset.scales[0] + dataset.offsets[0]
    np.testing.assert_array_equal(values - MOON_RADIUS_M, h[window.rows, window.cols])


def test_a_float_product_window(server, tmp_path):
    h = heights() + 0.25
    url = serve_product(server, tmp_path, "LDEM_TEST_5M_FLOAT", h, 5.0, floating=True)
    window = Window(0, 5, 60, 10)
    label = fetch_window(url, window, cache_dir=tmp_path / "cache", max_gap_bytes=0)
    # With no gap allowed, each row is its own request of just the window's bytes.
    assert len(server.range_requests()) == 60
    original = Pds3Source(tmp_path / "origin" / "LDEM_TEST_5M_FLOAT.LBL").read(window)
    np.testing.assert_array_equal(Pds3Source(label).read().height_m, original.height_m)


def test_a_second_fetch_makes_no_request(server, tmp_path):
    url = serve_product(server, tmp_path, "LDEM_CACHE_5M", heights(), 5.0)
    cache = tmp_path / "cache"
    first = fetch_window(url, Window(5, 5, 10, 10), cache_dir=cache)
    server.requests.clear()
    assert fetch_window(url, Window(5, 5, 10, 10), cache_dir=cache) == first
    assert server.requests == []
    # The same through a centre and radius: the label is cached too.
    around = fetch_around(url, -89.997, 45.0, 50.0, cache_dir=cache)
    count = len(server.requests)
    assert count > 0 and fetch_around(url, -89.997, 45.0, 50.0, cache_dir=cache) == around
    assert len(server.requests) == count


def test_an_interrupted_download_resumes_where_it_stopped(server, tmp_path):
    h = heights()
    url = serve_product(server, tmp_path, "LDEM_DROP_5M", h, 5.0)
    cache = tmp_path / "cache"
    window = Window(4, 10, 30, 50)
    options = {"cache_dir": cache, "max_request_bytes": 800, "retry_wait_s": 0.0}
    server.mode = "drop_once"
    with pytest.raises(DataFileError, match="interrupted after .* run the same fetch again"):
        fetch_window(url, window, retries=0, **options)
    assert final_files(cache) == []
    partial = next(cache.rglob("*.IMG.partial"))
    rows_kept = partial.stat().st_size // 100
    assert 0 < rows_kept < 30 and partial.stat().st_size == rows_kept * 100
    server.requests.clear()
    label = fetch_window(url, window, retries=0, **options)
    # The second run asked only for the rows it lacked.
    first_start = int(server.range_requests()[0].removeprefix("bytes=").split("-")[0])
    assert first_start == (4 + rows_kept) * 160 + 10 * 2
    np.testing.assert_array_equal(Pds3Source(label).read().height_m, h[window.rows, window.cols])
    record = json.loads(label.with_suffix(".json").read_text())
    assert record["resumed"] is True
    assert record["sha256"] == hashlib.sha256(label.with_suffix(".IMG").read_bytes()).hexdigest()


def test_a_republished_product_restarts_the_download(server, tmp_path):
    url = serve_product(server, tmp_path, "LDEM_NEW_5M", heights(seed=1), 5.0)
    options = {"cache_dir": tmp_path / "cache", "max_request_bytes": 800, "retries": 0}
    server.mode = "drop_once"
    with pytest.raises(DataFileError, match="interrupted"):
        fetch_window(url, Window(0, 0, 40, 50), **options)
    # A new label and image: the partial rows belong to the old one and are not reused.
    new = heights(seed=2)
    serve_product(server, tmp_path, "LDEM_NEW_5M", new, 5.0)
    server.requests.clear()
    label = fetch_window(url, Window(0, 0, 40, 50), **options)
    assert server.range_requests()[0].startswith("bytes=0-")  # from the first row again
    np.testing.assert_array_equal(Pds3Source(label).read().height_m, new[:40, :50])


def test_an_image_changed_under_the_same_label_is_caught(server, tmp_path):
    url = serve_product(server, tmp_path, "LDEM_MOVED_5M", heights(seed=1), 5.0)
    options = {"cache_dir": tmp_path / "cache", "max_request_bytes": 800, "retries": 0}
    server.mode = "drop_once"
    with pytest.raises(DataFileError, match="interrupted"):
        fetch_window(url, Window(0, 0, 40, 50), **options)
    # Only the image is replaced (same size, another ETag); the label stays as it was.
    new = heights(seed=2)
    other = write_lola_product(tmp_path / "other", "LDEM_MOVED_5M", new, 5.0)
    server.files["/lola/img/ldem_moved_5m.img"] = other.with_suffix(".IMG").read_bytes()
    with pytest.raises(DataFileError, match="the remote file changed .* discarded: run again"):
        fetch_window(url, Window(0, 0, 40, 50), **options)
    assert not list((tmp_path / "cache").rglob("*.partial"))
    label = fetch_window(url, Window(0, 0, 40, 50), **options)
    np.testing.assert_array_equal(Pds3Source(label).read().height_m, new[:40, :50])


def test_a_dropped_connection_is_retried_within_one_call(server, tmp_path):
    h = heights()
    url = serve_product(server, tmp_path, "LDEM_RETRY_5M", h, 5.0)
    server.mode = "drop_once"
    window = Window(0, 0, 60, 80)
    label = fetch_window(
        url, window, cache_dir=tmp_path / "cache", max_request_bytes=2000, retry_wait_s=0.0
    )
    assert server.mode is None  # the drop happened
    np.testing.assert_array_equal(Pds3Source(label).read().height_m, h)


def test_a_connection_that_keeps_dropping_gives_up_cleanly(server, tmp_path):
    url = serve_product(server, tmp_path, "LDEM_FLAKY_5M", heights(), 5.0)
    server.mode = "drop_always"
    with pytest.raises(DataFileError, match="interrupted"):
        fetch_window(url, Window(0, 0, 10, 10), cache_dir=tmp_path / "c", retries=2, retry_wait_s=0)
    assert len(server.range_requests()) == 3
    assert final_files(tmp_path / "c") == []


def test_a_server_that_ignores_ranges_is_refused(server, tmp_path):
    url = serve_product(server, tmp_path, "LDEM_200_5M", heights(), 5.0)
    server.mode = "ignore_range"
    with pytest.raises(DataFileError, match="answered 200 instead of 206"):
        fetch_window(url, Window(0, 0, 10, 10), cache_dir=tmp_path / "cache")
    assert final_files(tmp_path / "cache") == []


def test_wrong_bytes_are_refused(server, tmp_path):
    url = serve_product(server, tmp_path, "LDEM_SHIFT_5M", heights(), 5.0)
    server.mode = "shift"
    with pytest.raises(DataFileError, match="wrong bytes: asked for bytes"):
        fetch_window(url, Window(0, 0, 10, 10), cache_dir=tmp_path / "cache")
    assert final_files(tmp_path / "cache") == []


def test_a_remote_image_of_another_size_than_its_label_is_refused(server, tmp_path):
    url = serve_product(server, tmp_path, "LDEM_LONG_5M", heights(), 5.0)
    server.files["/lola/img/ldem_long_5m.img"] += b"\0" * 160  # one line more than labelled
    with pytest.raises(DataFileError, match="the remote image has 9,760 bytes but its label"):
        fetch_window(url, Window(0, 0, 10, 10), cache_dir=tmp_path / "cache")


def test_a_window_outside_the_product_is_an_input_error(server, tmp_path):
    url = serve_product(server, tmp_path, "LDEM_EDGE_5M", heights(), 5.0)
    with pytest.raises(InputError, match=r"outside LDEM_EDGE_5M \(60 x 80 px\)"):
        fetch_window(url, Window(50, 70, 20, 20), cache_dir=tmp_path / "cache")
    assert server.range_requests() == []
    with pytest.raises(InputError, match="outside the product"):
        fetch_around(url, -89.0, 0.0, 1000.0, cache_dir=tmp_path / "cache")


def test_a_missing_product_is_a_data_file_error(server, tmp_path):
    with pytest.raises(DataFileError, match="404"):
        fetch_label(f"{server.url}/lola/img/nothing.lbl", cache_dir=tmp_path)


def test_the_image_url_may_be_given_instead_of_the_label(server, tmp_path):
    h = heights()
    url = serve_product(server, tmp_path, "LDEM_BYIMG_5M", h, 5.0)
    label = fetch_window(url.replace(".lbl", ".img"), Window(1, 2, 3, 4), cache_dir=tmp_path)
    np.testing.assert_array_equal(Pds3Source(label).read().height_m, h[1:4, 2:6])


# --------------------------------------------------------------------------------------
# Names, URLs, cache
# --------------------------------------------------------------------------------------


def test_lola_product_urls():
    base = "https://pds-geosciences.wustl.edu/lro/lro-l-lola-3-rdr-v1/lrolol_1xxx/data/lola_gdr/"
    assert base + "polar/" == LOLA_POLAR_BASE_URL
    assert lola_polar_label_url("LDEM_875S_5M") == base + "polar/img/ldem_875s_5m.lbl"
    assert lola_polar_label_url("LDEM_80S_20M_FLOAT") == (
        base + "polar/float_img/ldem_80s_20m_float.lbl"
    )
    with pytest.raises(InputError):
        lola_polar_label_url("../etc/passwd")
    with pytest.raises(InputError, match="only http"):
        fetch_window("ftp://example.org/x.lbl", Window(0, 0, 1, 1), cache_dir="/nonexistent")


def test_default_cache_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "ilrs"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "ilrs"


# --------------------------------------------------------------------------------------
# Windows from geography
# --------------------------------------------------------------------------------------

# The LDEM_875S_5M grid: 30336 px of 5 m centred on the pole.
LDEM_875S_5M = SimpleNamespace(
    transform=Affine(5.0, 0, -75840.0, 0, -5.0, 75840.0), shape=(30336, 30336)
)


def destination(lat_deg, lon_deg, distance_m, bearing_deg):
    """Great-circle destination on the sphere (the standard spherical-trigonometry formula)."""
    phi, lam = np.radians(lat_deg), np.radians(lon_deg)
    delta, theta = distance_m / MOON_RADIUS_M, np.radians(bearing_deg)
    phi2 = np.arcsin(np.sin(phi) * np.cos(delta) + np.cos(phi) * np.sin(delta) * np.cos(theta))
    lam2 = lam + np.arctan2(
        np.sin(theta) * np.sin(delta) * np.cos(phi), np.cos(delta) - np.sin(phi) * np.sin(phi2)
    )
    return np.degrees(phi2), np.degrees(lam2)


def pixel_bounds(grid, window):
    t = grid.transform
    left = t.c + window.col_off * t.a
    top = t.f - window.row_off * t.a
    return left, left + window.width * t.a, top - window.height * t.a, top


@pytest.mark.parametrize(
    ("lat", "lon", "radius_m"),
    [(-89.45, 222.69, 10_000.0), (-88.0, 10.0, 3_000.0), (-89.9, 90.0, 8_000.0)],
)
def test_window_for_radius_holds_the_whole_disc_and_little_more(lat, lon, radius_m):
    window = window_for_radius(LDEM_875S_5M, lat, lon, radius_m)
    bearings = np.linspace(0, 360, 3601)
    distances = np.linspace(0, radius_m, 21)[:, None]
    lat2, lon2 = destination(lat, lon, distances, bearings)
    x, y = polar_xy_from_latlon(lat2, lon2)
    left, right, bottom, top = pixel_bounds(LDEM_875S_5M, window)
    assert left <= x.min() and x.max() <= right and bottom <= y.min() and y.max() <= top
    # Tight: within one pixel of the disc on every side.
    assert x.min() - left < 5 and right - x.max() < 5
    assert y.min() - bottom < 5 and top - y.max() < 5


def test_window_for_a_latlon_box():
    window = window_for_latlon_box(LDEM_875S_5M, -89.6, -89.2, 350.0, 20.0)  # across 0°
    lats = np.linspace(-89.6, -89.2, 201)[:, None]
    lons = np.linspace(-10.0, 20.0, 301)
    x, y = polar_xy_from_latlon(lats, lons)
    left, right, bottom, top = pixel_bounds(LDEM_875S_5M, window)
    assert left <= x.min() and x.max() <= right and bottom <= y.min() and y.max() <= top
    assert x.min() - left < 5 and right - x.max() < 5
    assert y.min() - bottom < 5 and top - y.max() < 5
    # A cap round the pole is a square centred on it.
    cap = window_for_latlon_box(LDEM_875S_5M, -90.0, -89.9, 0.0, 360.0)
    assert cap.row_off + cap.height / 2 == pytest.approx(15168, abs=1)
    assert cap.width == cap.height
    with pytest.raises(InputError, match="outside the product"):
        window_for_latlon_box(LDEM_875S_5M, -88.0, -87.0, 0.0, 10.0)
    with pytest.raises(InputError):
        window_for_latlon_box(LDEM_875S_5M, -89.0, -89.5, 0.0, 10.0)


def test_cli_fetch_then_horizon_profile_on_the_fetched_window(server, tmp_path, capsys):
    """`ilrs terrain fetch` end to end against the local server, then a profile on it."""
    from ilrs.cli import main

    url = serve_product(server, tmp_path, "LDEM_TEST", heights((120, 120)), 40.0)
    cache = tmp_path / "cache"
    assert (
        main(["terrain", "fetch", url, "--window", "20,30,50,60", "--cache-dir", str(cache)]) == 0
    )
    label = Path(capsys.readouterr().out.strip())
    assert label.suffix.lower() == ".lbl" and label.exists()
    assert main(["terrain", "info", str(label)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["rows"], info["cols"]) == (50, 60)
    assert main(["terrain", "fetch", url, "--window", "200,0,5,5", "--cache-dir", str(cache)]) == 1
    assert "outside" in capsys.readouterr().err
