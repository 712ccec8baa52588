"""A site's LOLA terrain stack, fetched end to end from a local stand-in of the PDS node.

The server (``http_fixtures.ProductServer``) answers at the real node's URL paths
(``…/lola_gdr/polar/img/ldem_875s_5m.lbl``) with labels of the real product names and
grids (LDEM_875S_5M: 30 336 x 30 336 px of 5 m). Their images are too big to write, so
each requested byte range is made on the fly: the product's pixels in that range, at their
map positions, bilinearly interpolated from the *real* embedded LOLA cap (LDEM_256,
1600 m), as 16-bit DNs of 0.5 m. A 5 m window of a few km is thus real topography,
smoothed to 1.6 km. The expected heights come from scipy's RegularGridInterpolator on the
same cap, an implementation independent of the server's. Nothing touches the internet.
"""

from __future__ import annotations

import json
import math
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from scipy.interpolate import RegularGridInterpolator

from http_fixtures import ProductServer
from ilrs.data import LOLA_CAP_DEM, data_path, named_site
from ilrs.errors import DataFileError, InputError
from ilrs.terrain.catalog import (
    LOLA_SOUTH_POLAR_PRODUCTS,
    LolaPolarProduct,
    lola_south_polar_product,
)
from ilrs.terrain.fetch import LOLA_POLAR_BASE_URL, window_for_radius
from ilrs.terrain.grid import pixel_of_latlon, polar_xy_from_latlon
from ilrs.terrain.lola_stack import (
    fetch_stack,
    largest_reach_m,
    plan_stack,
    read_stack_manifest,
)
from ilrs.terrain.pds3 import Pds3Source, format_lola_label
from ilrs.terrain.sources import open_dem

NODE_PATH = urllib.parse.urlsplit(LOLA_POLAR_BASE_URL).path  # /lro/…/lola_gdr/polar/
SITE = named_site("connecting-ridge")
NEAR_M = 500.0  # small windows keep the test fast; the stack's shape is the default's
FAR_M = 200_000.0
DN_M = 0.5  # metres per DN of the 16-bit LOLA products


@pytest.fixture(scope="module")
def cap():
    """The real embedded cap: heights [m] and the x, y [m] of its pixel centres."""
    dem = open_dem(data_path(LOLA_CAP_DEM)).read()
    rows, cols = dem.height_m.shape
    t = dem.transform
    x = t.c + (np.arange(cols) + 0.5) * t.a
    y = t.f + (np.arange(rows) + 0.5) * t.e  # descending
    return dem.height_m, x, y, t


class InterpolatedProduct:
    """The image of a catalogued LOLA product, made range by range from the real cap."""

    def __init__(self, product, cap):
        self.product = product
        self.heights, _, _, self.cap_transform = cap
        self.size_bytes = product.lines_px**2 * 2
        self.etag = f'"{product.name.lower()}-from-ldem256"'

    def read_range(self, first: int, last: int) -> bytes:
        n = self.product.lines_px
        pixel_m, half_m = self.product.pixel_size_m, self.product.half_width_m
        t = self.cap_transform
        cap_x = t.c + (np.arange(self.heights.shape[1]) + 0.5) * t.a
        x = -half_m + (np.arange(n) + 0.5) * pixel_m
        first_row, last_row = first // (2 * n), last // (2 * n)
        rows = []
        for row in range(first_row, last_row + 1):
            # Bilinear between the cap's pixel centres (clamped at its edges): linear in y
            # between two cap rows, then linear in x along the blend.
            y = half_m - (row + 0.5) * pixel_m
            fr = min(max((y - t.f) / t.e - 0.5, 0.0), self.heights.shape[0] - 1.000001)
            r0 = int(fr)
            blend = self.heights[r0] * (r0 + 1 - fr) + self.heights[r0 + 1] * (fr - r0)
            rows.append(np.interp(x, cap_x, blend))
        data = np.round(np.concatenate(rows) / DN_M).astype("<i2").tobytes()
        start = first - first_row * 2 * n
        return data[start : start + last - first + 1]


def label_text(product) -> str:
    n = product.lines_px
    return format_lola_label(
        product_id=product.name,
        image_file=f"{product.name}.IMG",
        lines=n,
        line_samples=n,
        sample_type="LSB_INTEGER",
        sample_bits=16,
        unit="METER",
        scaling_factor=DN_M,
        offset=1737400.0,
        pixel_size_m=product.pixel_size_m,
        line_projection_offset_px=n / 2 - 0.5,
        sample_projection_offset_px=n / 2 - 0.5,
        identity={"DATA_SET_ID": "LRO-L-LOLA-4-GDR-V1.0", "PRODUCT_VERSION_ID": "TEST"},
        description=f"Test stand-in for {product.name}: its real grid, heights interpolated "
        "from the embedded LDEM_256.",
    )


@pytest.fixture(scope="module")
def node(cap):
    """The stand-in node serving every catalogued product at the real paths."""
    server = ProductServer()
    for product in LOLA_SOUTH_POLAR_PRODUCTS:
        stem = f"{NODE_PATH}img/{product.name.lower()}"
        server.files[f"{stem}.lbl"] = label_text(product).encode("ascii")
        server.files[f"{stem}.img"] = InterpolatedProduct(product, cap)
    server.base_url = f"{server.url}{NODE_PATH}"
    yield server
    server.close()


def expected_heights_m(cap, lat_deg, lon_deg):
    """The cap's bilinear heights at points, by scipy (independent of the server's code)."""
    heights, x, y, _ = cap
    interpolate = RegularGridInterpolator((y[::-1], x), heights[::-1], method="linear")
    px, py = polar_xy_from_latlon(lat_deg, lon_deg)
    return interpolate(np.stack([np.ravel(py), np.ravel(px)], axis=-1)).reshape(np.shape(px))


@pytest.fixture(scope="module")
def fetched(node, tmp_path_factory):
    """The connecting-ridge stack fetched once into a fresh cache."""
    cache = tmp_path_factory.mktemp("stack-cache")
    node.requests.clear()
    manifest = fetch_stack(
        SITE.lat_deg,
        SITE.lon_deg,
        near_radius_m=NEAR_M,
        far_radius_m=FAR_M,
        base_url=node.base_url,
        cache_dir=cache,
        site_name=SITE.name,
    )
    return {"manifest": manifest, "cache": cache, "requests": list(node.requests)}


# --------------------------------------------------------------------------------------
# The catalogue and the plan (no network)
# --------------------------------------------------------------------------------------


def test_catalogue_grids_agree_with_names_and_the_node_listing():
    names = [product.name for product in LOLA_SOUTH_POLAR_PRODUCTS]
    assert len(set(names)) == len(names)
    for product in LOLA_SOUTH_POLAR_PRODUCTS:
        assert product.name.endswith(f"S_{product.pixel_size_m:g}M")
        # Each grid holds its nominal cap to within one pixel of the edge.
        assert product.covered_latitude_deg == pytest.approx(product.nominal_latitude_deg, abs=0.01)
    # Byte counts of the 16-bit images in the node's listing (lines² × 2).
    listed_bytes = {"LDEM_875S_5M": 1_840_545_792, "LDEM_80S_20M": 1_848_320_000}
    listed_bytes |= {"LDEM_75S_240M": 29_062_688, "LDEM_85S_20M": 460_136_448}
    for name, size in listed_bytes.items():
        assert lola_south_polar_product(name.lower()).lines_px ** 2 * 2 == size


def test_the_default_plan_for_the_connecting_ridge():
    layers = plan_stack(SITE.lat_deg, SITE.lon_deg)
    assert [(layer.product.name, layer.reach_m) for layer in layers] == [
        ("LDEM_875S_5M", 10_000.0),
        ("LDEM_85S_10M", 20_000.0),
        ("LDEM_85S_20M", 40_000.0),
        ("LDEM_85S_40M", 80_000.0),
        ("LDEM_80S_80M", 200_000.0),
    ]
    for layer in layers:  # every window is inside its product's grid
        window_for_radius(layer.product, SITE.lat_deg, SITE.lon_deg, layer.reach_m)


@pytest.mark.parametrize(("lat", "lon"), [(-90.0, 0.0), (-86.0, 0.0), (-82.0, 30.0), (-79.0, 10.0)])
def test_plans_are_finest_first_and_reach_the_far_radius(lat, lon):
    layers = plan_stack(lat, lon)
    pixels = [layer.product.pixel_size_m for layer in layers]
    reaches = [layer.reach_m for layer in layers]
    assert pixels == sorted(pixels) and all(
        b >= 2 * a for a, b in zip(pixels, pixels[1:], strict=False)
    )
    assert reaches == sorted(set(reaches)) and reaches[0] == 10_000.0
    assert reaches[-1] == 200_000.0
    for layer in layers:
        window_for_radius(layer.product, lat, lon, layer.reach_m)
    if lat > -87.5:  # beyond the 5 m product's cap: it is skipped
        assert "LDEM_875S_5M" not in [layer.product.name for layer in layers]


def test_largest_reach_is_the_distance_to_the_grid_edge():
    product = lola_south_polar_product("LDEM_875S_5M")
    # From the pole along a grid axis the edge is half the width away on the grid, which
    # is 2R·atan(w/2R) along the ground.
    edge_m = 2 * 1_737_400.0 * math.atan(product.half_width_m / (2 * 1_737_400.0))
    assert largest_reach_m(product, -90.0, 0.0) == pytest.approx(edge_m, abs=6)
    assert largest_reach_m(product, -80.0, 0.0) == 0.0


def test_sites_that_no_product_covers_and_bad_radii_are_input_errors():
    with pytest.raises(InputError, match="no LOLA south polar product holds .* LDEM_60S"):
        plan_stack(-50.0, 0.0)
    with pytest.raises(InputError, match="southern hemisphere"):
        plan_stack(45.0, 0.0)
    with pytest.raises(InputError, match="far radius"):
        plan_stack(-89.0, 0.0, near_radius_m=20_000.0, far_radius_m=10_000.0)


# --------------------------------------------------------------------------------------
# The fetch, against the stand-in node
# --------------------------------------------------------------------------------------


def test_the_stack_is_fetched_finest_first_with_its_manifest(fetched):
    manifest = fetched["manifest"]
    planned = plan_stack(SITE.lat_deg, SITE.lon_deg, near_radius_m=NEAR_M, far_radius_m=FAR_M)
    assert [layer.product for layer in manifest.layers] == [p.product.name for p in planned]
    assert [layer.reach_m for layer in manifest.layers] == [p.reach_m for p in planned]
    assert manifest.layers[0].product == "LDEM_875S_5M" and manifest.layers[0].reach_m == NEAR_M
    assert manifest.layers[-1].reach_m == FAR_M
    pixels = [layer.pixel_size_m for layer in manifest.layers]
    assert pixels == sorted(pixels) and pixels[0] == 5.0
    # Only the windows' rows were asked for: no whole image.
    assert all(r is not None for path, r in fetched["requests"] if path.endswith(".img"))

    record = json.loads(manifest.path.read_text())
    assert manifest.path.name == "stack.json"
    assert record["kind"] == "ilrs-terrain-stack" and record["format_version"] == 1
    assert record["site"] == {"name": "connecting-ridge", "lat_deg": -89.45, "lon_deg": 222.69}
    assert record["synthetic"] is False
    assert record["far_field"]["data_name"] == LOLA_CAP_DEM
    assert record["far_field"]["from_m"] == FAR_M
    for entry, layer in zip(record["layers"], manifest.layers, strict=True):
        assert (manifest.path.parent / entry["path"]).resolve() == layer.label_path.resolve()
        assert entry["source"]["label_url"].endswith(f"/img/{layer.product.lower()}.lbl")
        assert entry["source"]["image_url"].startswith(f"{fetched['manifest'].base_url}img/")
        assert entry["source"]["fetched_utc"].endswith("Z")
        assert entry["source"]["data_set_id"] == "LRO-L-LOLA-4-GDR-V1.0"
        assert len(entry["source"]["sha256"]) == 64

    again = read_stack_manifest(manifest.path)
    assert again.layers == manifest.layers
    assert (again.lat_deg, again.lon_deg, again.site_name) == (-89.45, 222.69, "connecting-ridge")


def test_each_layer_holds_its_disc_and_the_real_heights(fetched, cap):
    for layer in fetched["manifest"].layers:
        dem = Pds3Source(layer.label_path).read()
        assert dem.transform.a == layer.pixel_size_m
        # The window holds the disc of its reach: its edges are at least that far.
        rows, cols = dem.height_m.shape
        assert rows == layer.window.height and cols == layer.window.width
        half_extent_m = min(rows, cols) * layer.pixel_size_m / 2
        assert half_extent_m >= layer.reach_m * 0.99
        # Every pixel is the real cap's bilinear height at its centre, to the DN (0.5 m).
        t = dem.transform
        xs = t.c + (np.arange(cols) + 0.5) * t.a
        ys = t.f + (np.arange(rows) + 0.5) * t.e
        step = max(1, rows // 60)  # a lattice of pixels is enough
        gx, gy = np.meshgrid(xs[::step], ys[::step])
        heights, cx, cy, _ = cap
        interpolate = RegularGridInterpolator((cy[::-1], cx), heights[::-1], method="linear")
        expected = interpolate(np.stack([gy.ravel(), gx.ravel()], axis=-1)).reshape(gx.shape)
        np.testing.assert_allclose(dem.height_m[::step, ::step], expected, atol=DN_M / 2 + 1e-9)


def test_the_near_field_height_at_the_site_is_the_real_one(fetched, cap):
    near = fetched["manifest"].layers[0]
    dem = Pds3Source(near.label_path).read()
    row, col = pixel_of_latlon(dem.transform, SITE.lat_deg, SITE.lon_deg)
    # Bilinear in the fetched 5 m window at the site itself.
    fr, fc = row - 0.5, col - 0.5
    r0, c0 = int(fr), int(fc)
    dr, dc = fr - r0, fc - c0
    h = dem.height_m
    at_site = (
        h[r0, c0] * (1 - dr) * (1 - dc)
        + h[r0, c0 + 1] * (1 - dr) * dc
        + h[r0 + 1, c0] * dr * (1 - dc)
        + h[r0 + 1, c0 + 1] * dr * dc
    )
    expected = float(expected_heights_m(cap, SITE.lat_deg, SITE.lon_deg))
    assert at_site == pytest.approx(expected, abs=DN_M / 2 + 0.01)
    assert 1000 < expected < 2000  # the ridge stands 1.6 km high on the 1.6 km cap


def test_a_second_fetch_makes_no_request(fetched, node):
    node.requests.clear()
    again = fetch_stack(
        SITE.lat_deg,
        SITE.lon_deg,
        near_radius_m=NEAR_M,
        far_radius_m=FAR_M,
        base_url=node.base_url,
        cache_dir=fetched["cache"],
        site_name=SITE.name,
    )
    assert node.requests == []
    assert again.layers == fetched["manifest"].layers
    assert again.path == fetched["manifest"].path


def test_an_interrupted_stack_fetch_resumes(node, tmp_path):
    options = {
        "near_radius_m": NEAR_M,
        "far_radius_m": 2_000.0,  # three layers: 5, 10, 20 m
        "base_url": node.base_url,
        "cache_dir": tmp_path,
        "retries": 0,
        "max_request_bytes": 1 << 20,  # several requests per layer
    }
    node.requests.clear()
    node.mode, node.drop_at_request = "drop_once", 5
    with pytest.raises(DataFileError, match="interrupted after .* run the same fetch again"):
        fetch_stack(SITE.lat_deg, SITE.lon_deg, **options)
    assert not list(tmp_path.rglob("stack.json"))  # no manifest for an unfinished stack
    partial = next(tmp_path.rglob("*.IMG.partial"))
    kept_bytes = partial.stat().st_size
    assert kept_bytes > 0
    node.requests.clear()
    manifest = fetch_stack(SITE.lat_deg, SITE.lon_deg, **options)
    assert len(manifest.layers) == 3 and manifest.path.is_file()
    resumed = [
        layer
        for layer in manifest.layers
        if json.loads(layer.label_path.with_suffix(".json").read_text())["resumed"]
    ]
    assert len(resumed) == 1
    # The resumed layer's first request starts after the rows already kept.
    layer = resumed[0]
    product = lola_south_polar_product(layer.product)
    row_bytes = layer.window.width * 2
    first_row = layer.window.row_off + kept_bytes // row_bytes
    image = f"{NODE_PATH}img/{layer.product.lower()}.img"
    ranges = [r for path, r in node.requests if path == image and r is not None]
    start = int(ranges[0].removeprefix("bytes=").split("-")[0])
    assert start == (first_row * product.lines_px + layer.window.col_off) * 2


def test_a_label_that_contradicts_the_catalogue_is_refused(node, tmp_path):
    url = f"{NODE_PATH}img/ldem_875s_5m.lbl"
    original = node.files[url]
    coarser = LolaPolarProduct("LDEM_875S_5M", 10.0, -87.5, 15168)
    node.files[url] = label_text(coarser).encode("ascii")
    try:
        with pytest.raises(DataFileError, match="MAP_SCALE is 10 m, but LDEM_875S_5M is"):
            fetch_stack(
                SITE.lat_deg,
                SITE.lon_deg,
                near_radius_m=NEAR_M,
                far_radius_m=1_000.0,
                base_url=node.base_url,
                cache_dir=tmp_path,
            )
    finally:
        node.files[url] = original


# --------------------------------------------------------------------------------------
# The CLI
# --------------------------------------------------------------------------------------


def test_cli_fetches_a_named_sites_stack(fetched, node, capsys):
    from ilrs.cli import main

    argv = ["terrain", "fetch", "--site", "connecting-ridge", "--radius-km", "0.5"]
    argv += ["--far-km", "200", "--base-url", node.base_url, "--cache", str(fetched["cache"])]
    node.requests.clear()
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert node.requests == []  # all cached by the fetch above
    layers = fetched["manifest"].layers
    assert len(out) == len(layers) + 2
    for line, layer in zip(out[: len(layers)], layers, strict=True):
        assert line.split()[0] == layer.product
        assert str(layer.label_path) in line
    assert out[0].split()[1:5] == ["5", "m", "to", "0.5"]
    assert "LDEM_256" in out[-2] and "1600 m" in out[-2]
    assert out[-1] == f"manifest: {fetched['manifest'].path}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--site", "atlantis"], "unknown site 'atlantis'; known sites: connecting-ridge"),
        (["--lat", "-50", "--lon", "0"], "no LOLA south polar product holds"),
        (["--lat", "-89"], "give --site NAME, or --lat and --lon"),
        (["--site", "south-pole", "--lat", "-89", "--lon", "0"], "either --site or --lat/--lon"),
        (["--site", "south-pole", "--radius-m", "100"], "--radius-km"),
        (["LDEM_875S_5M", "--site", "south-pole", "--far-km", "50"], "--far-km"),
        (["--site", "south-pole", "--base-url", "ftp://example.org/"], "http(s) URL"),
    ],
)
def test_cli_refuses_bad_stack_requests_in_one_line(argv, message, capsys, tmp_path):
    from ilrs.cli import main

    assert main(["terrain", "fetch", *argv, "--cache", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 3


def test_cli_names_the_url_it_cannot_reach(capsys, tmp_path):
    from ilrs.cli import main

    dead = ProductServer()
    base = f"{dead.url}{NODE_PATH}"
    dead.close()  # nothing listens there now
    argv = ["terrain", "fetch", "--site", "south-pole", "--radius-km", "0.5", "--far-km", "1"]
    assert main([*argv, "--base-url", base, "--cache", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"cannot reach {base}img/ldem_875s_5m.lbl" in err
    assert "Traceback" not in err


def test_cli_single_product_form_takes_a_site(node, tmp_path, capsys):
    from ilrs.cli import main

    url = f"{node.base_url}img/ldem_80s_80m.lbl"
    argv = ["terrain", "fetch", url, "--site", "shackleton-rim", "--radius-m", "1000"]
    assert main([*argv, "--cache-dir", str(tmp_path)]) == 0
    label = Path(capsys.readouterr().out.strip())
    assert label.suffix == ".LBL" and label.is_file()


def test_a_plan_fetches_its_sites_stack_on_the_first_run_and_stands_on_it(
    node, tmp_path, monkeypatch, capsys
):
    """`terrain: {lola: {near_radius_km: …}}`: the first run fetches the site's stack from
    the node (the stand-in here), the site's horizon runs over it, and the second run
    downloads nothing. The stack's layers carry the cap's surface finer, so its horizon
    stays close to the cap's own."""
    import json as json_module

    from ilrs.cli import main
    from ilrs.environment import HorizonLine
    from ilrs.terrain.stack import TerrainStack

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "name: fetched\n"
        "terrain:\n"
        f"  lola: {{map_half_width_km: 20, near_radius_km: 0.5, far_radius_km: 200, "
        f"base_url: '{node.base_url}'}}\n"
        "site: {name: connecting-ridge, height_m: 2}\n"
        "lighting: {start: 2026-03-01T00:00:00Z, end: 2026-03-03T00:00:00Z, step: 6h}\n"
        "maps: false\n",
        encoding="utf-8",
    )
    args = ["plan", "--scenario", str(plan), "--cache", str(tmp_path / "cache")]
    node.requests.clear()
    assert main([*args, "--out", str(tmp_path / "one")]) == 0
    err = capsys.readouterr().err
    assert "terrain: fetched LDEM_875S_5M" in err and node.requests
    site = json_module.loads((tmp_path / "one" / "site.json").read_text())
    products = [layer["label"] for layer in site["terrain_layers"]]
    assert products[0].startswith("LDEM_875S_5M") and "LDEM_256" in products[-1]
    assert [layer["pixel_m"] for layer in site["terrain_layers"]][0] == 5.0
    assert "spread" not in site  # 5 m under the site: no coarse-pixel caveat
    node.requests.clear()
    assert main([*args, "--out", str(tmp_path / "two")]) == 0
    assert node.requests == []  # cached
    manifest = next((tmp_path / "xdg" / "ilrs").rglob("stack.json"))
    # From 2 m up, as the plan looks (on the ground itself, the 5 m layer's 0.5 m height
    # steps are slopes of up to 6° that the smooth cap has not).
    options = dict(azimuths=72, height_above_ground_m=2.0)
    stacked = HorizonLine.from_stack(
        TerrainStack.from_manifest(manifest), SITE.lat_deg, SITE.lon_deg, **options
    )
    cap = HorizonLine.from_stack(TerrainStack.default(), SITE.lat_deg, SITE.lon_deg, **options)
    difference = np.abs(stacked.elevation_deg - cap.elevation_deg)
    assert difference.mean() < 0.03 and difference.max() < 0.1, difference  # 0.013, 0.033
