"""The web application's JSON routes on a small computed plan: the map's layers and values
against the GeoTIFFs read by rasterio and the projection by pyproj, a point's study against
the plan's own site step, the background jobs, the forms' checks, the world map."""

from __future__ import annotations

import io
import json
import time

import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient

from ilrs.api.jobs import Jobs
from ilrs.api.web import create_web_app
from ilrs.errors import InputError
from web_fixtures import PLAN_TEXT, web_settings

SESSION_SECRET = "ilrs_web_test-secret"


@pytest.fixture(scope="module")
def web(web_plan, tmp_path_factory):
    settings = web_settings(
        web_plan,
        tmp_path_factory.mktemp("registry"),
        session_tokens={SESSION_SECRET: ("web test", "editor")},
    )
    with TestClient(create_web_app(settings)) as client:
        yield client


def wait(client, job: dict, timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"job {job['title']} still {job['state']}"
        time.sleep(0.2)
        job = client.get(f"/api/jobs/{job['id']}").json()
    return job


def test_map_extent_sites_and_layers_against_rasterio_and_pyproj(web, web_plan):
    pyproj = pytest.importorskip("pyproj")
    answer = web.get("/api/plan/map").json()
    with rasterio.open(web_plan["out"] / "terrain.tif") as dataset:
        bounds = dataset.bounds
    assert answer["extent_m"] == pytest.approx(
        [bounds.left, bounds.right, bounds.bottom, bounds.top]
    )
    assert [layer["name"] for layer in answer["layers"] if layer["available"]] == [
        "terrain",
        "illumination",
        "earth",
        "psr",
        "slope",
    ]
    assert answer["synthetic"] is True
    assert answer["terrain_caption"].startswith("Synthetic terrain, not the real Moon")
    stere = pyproj.Proj("+proj=stere +lat_0=-90 +lon_0=0 +k=1 +x_0=0 +y_0=0 +R=1737400 +units=m")
    plan_site = next(site for site in answer["sites"] if site["name"] == "plan")
    x_m, y_m = stere(plan_site["lon_deg"], plan_site["lat_deg"])
    assert (plan_site["x_m"], plan_site["y_m"]) == pytest.approx((x_m, y_m), abs=0.1)
    shackleton = next(f for f in answer["features"] if f["name"] == "Shackleton")
    assert np.hypot(shackleton["x_m"], shackleton["y_m"]) < 25_000  # 20 km from the pole
    # Each parallel lies at its latitude's radius (pyproj's), every 1/4° near the pole.
    parallel = answer["graticule"]["parallels"][0]
    assert parallel["label"] == "89.75°S"
    radius_m = np.hypot(parallel["x_m"], parallel["y_m"])
    assert radius_m == pytest.approx(np.hypot(*stere(0.0, -89.75)), abs=0.08)  # 0.1 m grid


def test_layer_pictures_hold_the_rasters_in_their_colours(web, web_plan):
    import matplotlib.image
    import matplotlib.pyplot as plt

    picture = web.get("/api/plan/layers/illumination.png")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    rgba = matplotlib.image.imread(io.BytesIO(picture.content))
    with rasterio.open(web_plan["out"] / "illumination.tif") as dataset:
        values = dataset.read(1)
    assert rgba.shape[:2] == values.shape  # 128 px: shown at full resolution
    expected = plt.get_cmap("inferno")(plt.Normalize(0, 1)(values))
    assert np.abs(rgba[..., :3] - expected[..., :3]).max() <= 1 / 255 + 1e-6
    psr = matplotlib.image.imread(io.BytesIO(web.get("/api/plan/layers/psr.png").content))
    with rasterio.open(web_plan["out"] / "psr.tif") as dataset:
        shadowed = dataset.read(1) == 1
    assert shadowed.any()
    assert np.all(psr[shadowed, 3] > 0.8) and np.all(psr[~shadowed, 3] == 0)
    missing = web.get("/api/plan/layers/heights.png")
    assert missing.status_code == 404 and "terrain, illumination" in missing.json()["detail"]


def test_a_window_of_a_layer_is_that_part_in_the_colours_of_the_whole(web, web_plan):
    import matplotlib.image
    import matplotlib.pyplot as plt
    from rasterio.windows import Window

    with rasterio.open(web_plan["out"] / "earth.tif") as dataset:
        t = dataset.transform
        part = dataset.read(1, window=Window(20, 30, 40, 50))  # cols 20..60, rows 30..80
    # A window a little inside pixel edges: snapped out to whole pixels.
    window = {
        "x_min_m": t.c + 20.3 * t.a,
        "x_max_m": t.c + 59.6 * t.a,
        "y_min_m": t.f + 79.7 * t.e,
        "y_max_m": t.f + 30.2 * t.e,
    }
    answer = web.get("/api/plan/layers/earth.png", params=window)
    assert answer.status_code == 200
    covered = [float(v) for v in answer.headers["X-Extent-M"].split(",")]
    assert covered == pytest.approx(
        [t.c + 20 * t.a, t.c + 60 * t.a, t.f + 80 * t.e, t.f + 30 * t.e]
    )
    rgba = matplotlib.image.imread(io.BytesIO(answer.content))
    assert rgba.shape[:2] == part.shape == (50, 40)
    expected = plt.get_cmap("Blues_r")(plt.Normalize(0, 1)(part))
    assert np.abs(rgba[..., :3] - expected[..., :3]).max() <= 1 / 255 + 1e-6
    # The terrain's part is coloured by the whole map's heights, not its own.
    whole = matplotlib.image.imread(io.BytesIO(web.get("/api/plan/layers/terrain.png").content))
    piece = matplotlib.image.imread(
        io.BytesIO(web.get("/api/plan/layers/terrain.png", params=window).content)
    )
    inner = np.abs(piece[1:-1, 1:-1, :3] - whole[31:79, 21:59, :3])  # edges: one-sided slopes
    assert inner.max() <= 2 / 255, inner.max()
    half = web.get("/api/plan/layers/earth.png", params={"x_min_m": 0, "x_max_m": 1})
    assert half.status_code == 422 and "all of x_min_m" in half.json()["detail"]
    off = web.get(
        "/api/plan/layers/earth.png",
        params={"x_min_m": 9e5, "x_max_m": 9.1e5, "y_min_m": 0, "y_max_m": 1e4},
    )
    assert off.status_code == 422 and "off the plan's map" in off.json()["detail"]


def test_the_imagery_under_the_map_is_the_wac_mosaic_over_the_maps_extent(web, web_plan):
    from PIL import Image

    from ilrs.report.imagery import WAC_CAPTION, imagery_for_bounds

    caption = web.get("/api/plan/map").json()["imagery"]["caption"]
    assert caption == WAC_CAPTION and "LROC WAC" in caption
    with rasterio.open(web_plan["out"] / "terrain.tif") as dataset:
        bounds = dataset.bounds
    answer = web.get("/api/plan/imagery.png")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    covered = [float(v) for v in answer.headers["X-Extent-M"].split(",")]
    assert covered == pytest.approx([bounds.left, bounds.right, bounds.bottom, bounds.top])
    with Image.open(io.BytesIO(answer.content)) as picture:
        grey_alpha = np.asarray(picture)
    # 128 px of 240 m: 30.72 km, at the mosaic's own 400 m (77 px), not finer.
    assert grey_alpha.shape == (77, 77, 2)
    expected = imagery_for_bounds(bounds.left, bounds.bottom, bounds.right, bounds.top, 77, 77)
    np.testing.assert_array_equal(grey_alpha[..., 0], expected.grey)
    assert (grey_alpha[..., 1] == 255).all()  # the mosaic covers the whole map
    window = {"x_min_m": -2000, "x_max_m": 2000, "y_min_m": -1000, "y_max_m": 1000}
    part = web.get("/api/plan/imagery.png", params=window)
    assert [float(v) for v in part.headers["X-Extent-M"].split(",")] == [-2000, 2000, -1000, 1000]
    with Image.open(io.BytesIO(part.content)) as picture:
        assert picture.size == (10, 5)
    half = web.get("/api/plan/imagery.png", params={"x_min_m": 0})
    assert half.status_code == 422 and "all of x_min_m" in half.json()["detail"]
    off = {"x_min_m": 9e5, "x_max_m": 9.1e5, "y_min_m": 0, "y_max_m": 1e4}
    answer = web.get("/api/plan/imagery.png", params=off)
    assert answer.status_code == 422 and "off the plan's map" in answer.json()["detail"]


def test_point_values_are_the_rasters_under_it(web, web_plan):
    pyproj = pytest.importorskip("pyproj")
    row, col = 40, 70
    with rasterio.open(web_plan["out"] / "terrain.tif") as dataset:
        x_m, y_m = dataset.xy(row, col)
    answer = web.get("/api/plan/point", params={"x_m": x_m, "y_m": y_m}).json()
    stere = pyproj.Proj("+proj=stere +lat_0=-90 +lon_0=0 +k=1 +x_0=0 +y_0=0 +R=1737400 +units=m")
    lon_deg, lat_deg = stere(x_m, y_m, inverse=True)
    assert answer["lat_deg"] == pytest.approx(lat_deg, abs=1e-9)
    assert answer["lon_deg"] == pytest.approx(lon_deg % 360, abs=1e-9)
    for name, file in [("terrain", "terrain.tif"), ("slope", "slope.tif"), ("earth", "earth.tif")]:
        with rasterio.open(web_plan["out"] / file) as dataset:
            assert answer["values"][name] == pytest.approx(dataset.read(1)[row, col], abs=1e-4)
    off = web.get("/api/plan/point", params={"x_m": 900_000, "y_m": 0})
    assert off.status_code == 422 and "off the plan's map" in off.json()["detail"]


def test_a_study_of_the_plans_own_site_repeats_the_plans_figures(web, web_plan):
    plan_site = web.get("/api/plan/site").json()
    summary = plan_site["summary"]
    assert len(plan_site["tracks"]["time_utc"]) == summary["samples"] == 85  # a week at 2 h
    body = {
        "lat_deg": summary["lat_deg"],
        "lon_deg": summary["lon_deg"],
        "height_m": 2,
        "start": "2026-03-01T00:00:00Z",
        "end": "2026-03-08T00:00:00Z",
        "step": "2h",
    }
    job = web.post("/api/study", json=body).json()
    again = web.post("/api/study", json=body).json()
    assert again["id"] == job["id"]  # asked twice, computed once
    done = wait(web, job)
    assert done["state"] == "done", done["error"]
    study = done["result"]
    for key in ("sunlit_fraction", "earth_visible_fraction", "longest_darkness_h"):
        assert study["summary"][key] == pytest.approx(summary[key], abs=1e-12)
    assert study["horizon"] == plan_site["horizon"]
    tracks = study["tracks"]
    # The time-averaged share of the disk is the mean of the per-instant shares.
    assert np.mean(tracks["sun_visible_fraction"]) == pytest.approx(
        study["summary"]["sunlit_fraction"], abs=1e-4
    )
    series = study["station"]
    assert series["time_utc"][0] == "2026-03-01T00:00:00Z" and len(series["time_utc"]) == 85
    assert all(0 <= soc <= 1 for soc in series["state_of_charge"])


def test_a_study_in_half_light_powers_the_station_only_in_sunlight(web, web_plan):
    from ilrs.terrain import latlon_from_polar_xy

    with rasterio.open(web_plan["out"] / "illumination.tif") as dataset:
        sunlit = dataset.read(1)
        row, col = np.unravel_index(np.argmin(np.abs(sunlit - 0.5)), sunlit.shape)
        lat_deg, lon_deg = latlon_from_polar_xy(*dataset.xy(row, col))
    body = {
        "lat_deg": float(lat_deg),
        "lon_deg": float(lon_deg),
        "height_m": 10,  # the reference station's arrays stand on a 10 m mast
        "start": "2026-03-01T00:00:00Z",
        "end": "2026-03-15T00:00:00Z",
        "step": "2h",
        "label": "half light",
    }
    done = wait(web, web.post("/api/study", json=body).json())
    assert done["state"] == "done", done["error"]
    study = done["result"]
    assert study["summary"]["site"] == "half light"
    lit = np.array(study["tracks"]["sun_visible_fraction"])
    generated_w = np.array(study["station"]["generated_w"])
    assert study["station"]["time_utc"] == study["tracks"]["time_utc"]
    assert (lit == 0).any() and (lit == 1).any()
    # In the dark only the radioisotope generator gives power (110 W at the start, decaying).
    assert np.all((generated_w[lit == 0] > 109) & (generated_w[lit == 0] <= 110))
    assert np.all(generated_w[lit == 1] > 1000)


def study_refusal(web, **fields) -> str:
    """The 422 answer's detail for a study at the plan's site, in March 2026, with
    ``fields`` changed."""
    body = {"lat_deg": -89.45, "lon_deg": 222.69, "start": "2026-03-01T00:00:00Z"}
    body |= {"end": "2026-03-02T00:00:00Z"} | fields
    answer = web.post("/api/study", json=body)
    assert answer.status_code == 422, answer.text
    return answer.json()["detail"]


def test_study_mistakes_are_answered_at_once(web):
    assert "off the map" in study_refusal(web, lat_deg=-85, lon_deg=0)
    backwards = study_refusal(web, start="2026-03-02T00:00:00Z", end="2026-03-01T00:00:00Z")
    assert "2026-03-01" in backwards
    empty = study_refusal(web, end="2026-03-01T00:00:00Z")
    assert "must end after it starts" in empty
    year = study_refusal(
        web, start="2026-01-01T00:00:00Z", end="2027-01-01T00:00:00Z", step="10min"
    )
    assert "more than 20,000" in year
    # 5 M instants: refused from their count, none made.
    seconds = study_refusal(web, end="2026-05-01T00:00:00Z", step="1s")
    assert "more than 20,000" in seconds


def test_whatif_form_mistakes_name_the_field(web):
    unknown = web.post(
        "/api/campaign/whatif", json={"changes": [{"kind": "drop", "mission": "ILRS-9"}]}
    )
    assert unknown.status_code == 422
    assert (
        "no mission 'ILRS-9'" in unknown.json()["detail"] and "ILRS-1" in unknown.json()["detail"]
    )
    no_days = web.post(
        "/api/campaign/whatif", json={"changes": [{"kind": "delay", "mission": "ILRS-1"}]}
    )
    assert no_days.status_code == 422 and "give days" in no_days.json()["detail"]
    far = web.post(
        "/api/campaign/whatif",
        json={"changes": [{"kind": "delay", "mission": "ILRS-1", "days": 1e9}]},
    )
    assert far.status_code == 422 and far.json()["detail"][0]["loc"][-1] == "days"
    bad_date = web.post(
        "/api/campaign/whatif",
        json={"changes": [{"kind": "move", "mission": "ILRS-1", "launch_utc": "someday"}]},
    )
    assert bad_date.status_code == 422 and "someday" in bad_date.json()["detail"]


def test_plan_check_names_line_and_field(web, web_plan):
    plans = web_plan["cache"] / "plans"
    kept_before = sorted(plans.iterdir()) if plans.exists() else []
    good = web.post("/api/plan/check", json={"text": PLAN_TEXT + "# checked only\n"})
    assert good.status_code == 200 and good.json()["name"] == "small web plan"
    small = PLAN_TEXT.replace("size_px: 128", "size_px: 8")
    answer = web.post("/api/plan/check", json={"text": small, "name": "mine.yaml"})
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "mine.yaml:3: terrain.synthetic.size_px" in detail and "greater than or equal" in detail
    assert "/plans/" not in detail  # the server's copy is not named
    nowhere = PLAN_TEXT.replace("connecting-ridge", "nowhere").replace("station.yaml", "gone.yaml")
    detail = web.post("/api/plan/check", json={"text": nowhere}).json()["detail"]
    assert "plan.yaml:4: site.name: unknown site" in detail
    assert "plan.yaml:6: station: no such file" in detail
    assert (sorted(plans.iterdir()) if plans.exists() else []) == kept_before  # none kept
    not_yaml = web.post("/api/plan/check", json={"text": "name: [unclosed\n"})
    assert (
        not_yaml.status_code == 422 and "plan.yaml:2: not valid YAML" in not_yaml.json()["detail"]
    )


def test_plan_run_in_the_background_reuses_unchanged_steps(web, web_plan):
    before = web.get("/api/plan").json()["summary"]
    job = web.post("/api/plan/run", json={"text": PLAN_TEXT.replace("height_m: 2", "height_m: 3")})
    done = wait(web, job.json())
    assert done["state"] == "done", done["error"]
    # The site and the maps (seen from the site's height) are computed again.
    assert done["result"]["steps_computed"] == ["maps", "site"]
    assert done["result"]["steps_reused"] == ["terrain", "station", "campaign", "validation"]
    assert any("site" in line for line in done["lines"])
    after = web.get("/api/plan").json()
    assert after["summary"]["written_utc"] >= before["written_utc"]
    assert "height_m: 3" in after["scenario_text"]
    site = web.get("/api/plan/site").json()["summary"]
    assert site["height_above_ground_m"] == 3
    back = wait(web, web.post("/api/plan/run", json={"text": PLAN_TEXT}).json())
    assert back["state"] == "done" and back["result"]["steps_computed"] == []


def test_plan_files_are_served_and_only_them(web):
    report = web.get("/api/plan/files/report.html")
    assert report.status_code == 200 and "<html" in report.text
    assert web.get("/api/plan/files/..%2Fplan.yaml").status_code == 404
    assert web.get("/api/plan/files/plan.yaml").status_code == 404


def test_registry_through_the_web_app(web):
    assert web.get("/api/progress").status_code == 401
    headers = {"Authorization": f"Bearer {SESSION_SECRET}"}
    progress = web.get("/api/progress", headers=headers).json()
    assert progress["targets"] == {"countries": 50, "institutions": 500, "researchers": 5000}
    bad = web.post(
        "/api/organisations",
        json={"name": "Somewhere Institute", "kind": "institute", "country": "XX"},
        headers=headers,
    )
    assert bad.status_code == 422 and "'XX' is not an ISO 3166-1 alpha-2" in bad.json()["detail"]
    fields = web.get("/api/tables").json()
    assert {"name": "country", "kind": "country", "required": False, "choices": []} in fields[
        "organisations"
    ]


def test_world_map_countries():
    from ilrs.api.worldmap import world_countries

    countries = {c["code"]: c for c in world_countries() if c["code"]}
    assert len(countries) > 170 and {"CN", "RU", "PK", "ZA", "VE"} <= set(countries)

    def box(code):
        numbers = [
            float(v)
            for v in countries[code]["d"].replace("M", "L").replace("Z", "").split("L")[1:]
            for v in v.split(",")
        ]
        lon, lat = np.array(numbers[0::2]), -np.array(numbers[1::2])
        return lon.min(), lon.max(), lat.min(), lat.max()

    # Italy's mainland and islands: 6.6..18.5°E, 36.6..47.1°N (Natural Earth's own extent).
    assert box("IT") == pytest.approx((6.6, 18.5, 36.6, 47.1), abs=0.5)
    # Russia crosses the antimeridian: drawn continuous, within a turn either way.
    west, east, _, _ = box("RU")
    assert -360 < west < -180 and 180 < east < 195


def test_jobs_join_and_retry():
    jobs = Jobs()
    calls = []

    def work(progress):
        calls.append(1)
        progress("working")
        time.sleep(0.2)
        return len(calls)

    first = jobs.submit("k", "a", "first", work)
    joined = jobs.submit("k", "a", "again", work)
    assert joined is first
    while first.state != "done":
        time.sleep(0.02)
    assert first.result == 1 and list(first.lines) == ["working"]
    assert jobs.submit("k", "a", "cached", work) is first
    fresh = jobs.submit("k", "a", "rerun", work, reuse_done=False)
    assert fresh is not first

    def broken(progress):
        raise InputError("the input is wrong")

    failed = jobs.submit("k", "b", "broken", broken)
    while failed.state in ("queued", "running"):
        time.sleep(0.02)
    assert failed.state == "failed" and failed.error == "the input is wrong"
    assert jobs.submit("k", "b", "retried", broken) is not failed
    jobs.shutdown()


def test_ilrs_serve_prints_its_address_and_serves(web_plan, tmp_path):
    import subprocess
    import sys

    import httpx

    from web_fixtures import free_port

    port = free_port()
    command = [sys.executable, "-m", "ilrs", "serve", "--plan", str(web_plan["out"])]
    command += ["--scenario", str(web_plan["file"]), "--cache", str(web_plan["cache"])]
    command += ["--db", f"sqlite:///{tmp_path / 'registry.db'}", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        first = server.stdout.readline()
        assert first.startswith(f"ILRS Planner: http://127.0.0.1:{port}/?token=ilrs_web_"), first
        token = first.strip().rsplit("token=", 1)[1]
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "ilrs serve did not answer in 30 s"
                time.sleep(0.1)
        assert page.status_code == 200 and "South-pole map" in page.text
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"http://127.0.0.1:{port}/api/progress", headers=headers).is_success
        assert httpx.get(f"http://127.0.0.1:{port}/api/progress").status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_ilrs_serve_refuses_a_bad_plan_file_in_one_line(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "plan.yaml"
    bad.write_text(PLAN_TEXT.replace("step: 2h", "step: soon"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "ilrs", "serve", "--scenario", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{bad}:5: lighting" in done.stderr and "soon" in done.stderr


def test_a_plan_on_a_dem_file_is_mapped_and_studied(web_plan, tmp_path):
    from ilrs.terrain.synthetic import write_synthetic_south_pole

    # A plan sent to the web names files in the served plan's folder.
    dem = write_synthetic_south_pole(web_plan["dir"] / "dem-on-the-web.tif", 96, 320.0, 0)
    settings = web_settings(web_plan, tmp_path, plan_dir=tmp_path / "out")
    text = PLAN_TEXT.replace(
        "  synthetic: {size_px: 128, resolution_m: 240, seed: 0}\n", f"  dem: {dem.name}\n"
    )
    with TestClient(create_web_app(settings)) as client:
        assert client.get("/api/plan/map").status_code == 404  # nothing computed yet
        assert client.get("/api/plan").json()["warning"] is None
        done = wait(
            client, client.post("/api/plan/run", json={"text": text + "maps: false\n"}).json()
        )
        assert done["state"] == "done", done["error"]
        assert not (tmp_path / "out" / "terrain.tif").exists()  # the DEM stays where it is
        answer = client.get("/api/plan/map").json()
        assert [layer["name"] for layer in answer["layers"] if layer["available"]] == ["terrain"]
        assert client.get("/api/plan/layers/terrain.png").status_code == 200
        missing = client.get("/api/plan/layers/illumination.png")
        assert missing.status_code == 404 and "maps: false" in missing.json()["detail"]
        plan_site = next(site for site in answer["sites"] if site["name"] == "plan")
        point = client.get(
            "/api/plan/point", params={"x_m": plan_site["x_m"], "y_m": plan_site["y_m"]}
        )
        assert list(point.json()["values"]) == ["terrain"]
        with rasterio.open(dem) as dataset:
            (height_m,) = next(dataset.sample([(plan_site["x_m"], plan_site["y_m"])]))
        assert point.json()["values"]["terrain"] == pytest.approx(height_m, abs=1e-3)
        body = {
            "lat_deg": plan_site["lat_deg"],
            "lon_deg": plan_site["lon_deg"],
            "start": "2026-03-01T00:00:00Z",
            "end": "2026-03-02T00:00:00Z",
            "step": "6h",
        }
        study = wait(client, client.post("/api/study", json=body).json())
        assert study["state"] == "done", study["error"]
        assert len(study["result"]["tracks"]["time_utc"]) == 5


def test_a_folder_written_by_another_plan_is_flagged(web_plan, tmp_path):
    # Served: the embedded reference, which did not write that folder.
    settings = web_settings(web_plan, tmp_path, scenario=None)
    with TestClient(create_web_app(settings)) as client:
        warning = client.get("/api/plan").json()["warning"]
    assert "small web plan" in warning and "plan_reference.yaml" in warning


def test_a_plan_run_is_not_started_by_a_form(web):
    form = web.post(
        "/api/plan/run", data={}, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert form.status_code == 422  # another site's form cannot start a run


def test_the_terrains_light_is_matplotlibs_hillshade_before_its_stretch():
    from affine import Affine
    from matplotlib.colors import LightSource

    from ilrs.report.layers import _light, hillshade
    from ilrs.terrain import Dem

    rows, cols = np.mgrid[0:60, 0:80]
    heights = 300 * np.sin(rows / 9.0) * np.cos(cols / 13.0) + 2.0 * cols
    dem = Dem(heights.astype(np.float32), Affine(50.0, 0, 0, 0, -50.0, 0), None, {})
    light = _light(dem)
    stretched = (light - light.min()) / (light.max() - light.min())
    reference = LightSource(azdeg=315, altdeg=20).hillshade(heights, dx=50.0, dy=50.0)
    assert np.abs(stretched - reference).max() < 1e-6
    assert np.abs(hillshade(dem) - reference).max() < 1e-6  # the report's grey panel


def test_the_models_beside_their_authorities_as_the_report_has_them(web, web_plan):
    rows = web.get("/api/plan/validation").json()
    on_disk = json.loads((web_plan["out"] / "validation.json").read_text(encoding="utf-8"))
    assert rows == on_disk and all(row["ok"] is not False for row in rows)
    assert {"sky", "terrain", "lighting", "regolith", "ice", "orbit", "links", "power", "isru"} == {
        r["area"] for r in rows
    }
