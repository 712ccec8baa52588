"""``ilrs plan`` end to end on a small plan: every step computed, then reused from the
cache; the report's figures all embedded and decodable; a plan file's mistakes told with
line and field; a failing run leaves the previous report untouched."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest
import rasterio

from ilrs.cli import main
from ilrs.data import data_path
from ilrs.environment import HorizonLine, analyze_site
from ilrs.report.plan import PLAN_FILES
from ilrs.report.steps import StepCache
from ilrs.sky import utc_range
from ilrs.terrain import latlon_from_polar_xy, polar_xy_from_latlon
from ilrs.terrain.slope import slope_aspect_deg
from ilrs.terrain.sources import open_dem
from ilrs.terrain.stack import TerrainStack

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(capsys, *args):
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write_plan(folder, *, height_m=2, station="station.yaml"):
    (folder / "plan.yaml").write_text(
        "name: small test plan\n"
        "terrain:\n"
        "  synthetic: {size_px: 128, resolution_m: 240, seed: 0}\n"
        f"site: {{name: connecting-ridge, height_m: {height_m}}}\n"
        "lighting: {start: 2026-03-01T00:00:00Z, end: 2026-03-08T00:00:00Z, step: 2h}\n"
        f"station: {station}\n",
        encoding="utf-8",
    )
    return folder / "plan.yaml"


@pytest.fixture(scope="module")
def station_week(tmp_path_factory):
    """The reference station over one week at 1 h (the campaign stays the reference)."""
    folder = tmp_path_factory.mktemp("plan")
    text = data_path("station_reference.yaml").read_text(encoding="utf-8")
    text = text.replace("end: 2026-12-31T23:45:00Z", "end: 2026-01-08T00:00:00Z", 1)
    text = text.replace("step: 15min", "step: 1h", 1)
    (folder / "station.yaml").write_text(text, encoding="utf-8")
    return folder


def embedded_pngs(page: str) -> list[bytes]:
    return [base64.b64decode(d) for d in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]


def test_plan_end_to_end_then_cached(capsys, station_week, tmp_path):
    plan_file = write_plan(station_week)
    out, cache = tmp_path / "report", tmp_path / "cache"
    status, stdout, err = run(
        capsys, "plan", "--scenario", plan_file, "--out", out, "--cache", cache
    )
    assert status == 0, err
    summary = json.loads(stdout)
    assert summary["steps_computed"] == [
        "terrain", "maps", "site", "station", "campaign", "validation"
    ]  # fmt: skip
    assert summary["steps_reused"] == []
    page = (out / "report.html").read_text(encoding="utf-8")
    images = embedded_pngs(page)
    assert len(images) == 6  # terrain, lighting, horizon, station, Gantt, capabilities
    assert all(image.startswith(PNG_MAGIC) and len(image) > 5_000 for image in images)
    assert "<img" in page and page.count("<img") == len(images)  # no image without data
    links = set(re.findall(r'<a href="([^"]+)">', page))  # every data file, each resolving
    assert links == set(PLAN_FILES) - {"report.html"}
    assert all((out / name).is_file() for name in links)
    # Every model beside its authority, as `ilrs validate` prints it.
    validation = json.loads((out / "validation.json").read_text())
    assert validation and all(row["ok"] is not False for row in validation)
    assert {row["ok"] for row in validation if row["not_held"]} == {None}
    assert "<h2>Models against their authorities</h2>" in page and "Hayne et al. 2017" in page
    assert "places the station at -89.4500°, 222.6900° on its own terrain" in page
    site = json.loads((out / "site.json").read_text())
    assert site["site"].startswith("Connecting Ridge") and 0 < site["sunlit_fraction"] <= 1
    with rasterio.open(out / "psr.tif") as psr, rasterio.open(out / "illumination.tif") as lit:
        shadowed = psr.read(1) == 1
        sunlit = lit.read(1)
        assert lit.tags()["START"].startswith("2026-03-01") and shadowed.any()
        assert np.all(sunlit[shadowed] == 0)  # a PSR pixel never sees the Sun
        row, col = lit.index(*polar_xy_from_latlon(site["lat_deg"], site["lon_deg"]))
        # the map's pixel (from the ground, 36 bearings) against the site's own analysis
        # (2 m up, its full horizon): both well lit, within a few tenths
        assert abs(float(sunlit[row, col]) - site["sunlit_fraction"]) < 0.3
    with rasterio.open(out / "slope.tif") as slope:
        assert slope.descriptions == ("slope_deg", "aspect_deg")
        expected = slope_aspect_deg(open_dem(out / "terrain.tif").read())[0]
        np.testing.assert_allclose(slope.read(1), expected, rtol=1e-6, equal_nan=True)
    station = json.loads((out / "station_summary.json").read_text())
    assert station["period"]["end"].startswith("2026-01-08")
    # The array's chain and the plant's energy from the ice, in the report as in the summary.
    chain = station["arrays"]["mast array"]
    assert 0.2 < chain["system_efficiency"] < 0.3 * 0.85
    assert "mast array: sunlight on the panel reaching the bus</td><td>" in page
    assert f"{chain['system_efficiency']:.1%} (cells 30% at beginning of life" in page
    assert station["water"]["energy_per_kg_water_wh"] == pytest.approx(2427, abs=5)
    milestones = json.loads((out / "campaign_milestones.json").read_text())
    assert summary["milestones"] == len(milestones) > 0
    assert "ilrs plan: site: computing" in err  # progress on the terminal
    assert "ilrs plan: maps: horizon tiles 1/1" in err and "maps: earth 1/1" in err
    # The station and the validation ran beside the other steps, in a second process.
    assert "ilrs plan: station and validation: computing in a second process ..." in err
    assert "ilrs plan: station: computed (" in err
    assert "ilrs plan: validation: computed (" in err

    # The same plan again: every step from the cache, the report written anew.
    status, stdout, err = run(
        capsys, "plan", "--scenario", plan_file, "--out", out, "--cache", cache
    )
    assert status == 0, err
    again = json.loads(stdout)
    assert again["steps_computed"] == []
    assert again["steps_reused"] == [
        "terrain", "maps", "site", "station", "campaign", "validation"
    ]  # fmt: skip
    assert embedded_pngs((out / "report.html").read_text(encoding="utf-8"))
    # The figures were drawn once, into the cache (most of a cached plan's time), and the
    # report's are those.
    (figures,) = cache.glob("figures-*")
    assert (figures / "lighting.png").read_bytes() == (out / "lighting.png").read_bytes()
    assert (figures / "terrain.png").read_bytes() == (out / "terrain.png").read_bytes()

    # A changed site height: the site's lighting and the maps (seen from the site's
    # height, so that they answer the same question) are computed again.
    write_plan(station_week, height_m=10)
    status, stdout, err = run(
        capsys, "plan", "--scenario", plan_file, "--out", out, "--cache", cache
    )
    assert status == 0, err
    assert json.loads(stdout)["steps_computed"] == ["maps", "site"]
    assert json.loads((out / "site.json").read_text())["height_above_ground_m"] == 10

    # A station file with a mistake: the error names its line; the report stays as it was.
    before = (out / "report.html").read_bytes()
    broken = (station_week / "station.yaml").read_text().replace("step: 1h", "step: soon", 1)
    (station_week / "broken.yaml").write_text(broken)
    write_plan(station_week, station="broken.yaml")
    status, _, err = run(capsys, "plan", "--scenario", plan_file, "--out", out, "--cache", cache)
    assert status == 1 and "Traceback" not in err
    assert "broken.yaml:" in err and "step" in err
    assert (out / "report.html").read_bytes() == before
    assert not list(tmp_path.glob(".report.*"))  # no staging folder left behind


@pytest.mark.parametrize(
    ("body", "messages"),
    [
        (
            "name: x\nterrain:\n  synthetic: {size_px: 8}\nsite: {name: nowhere}\n"
            "lighting: {start: 2026-01-01T00:00:00Z, end: 2026-01-02T00:00:00Z}\n",
            ["plan.yaml:3: terrain.synthetic.size_px", "greater than or equal to 16"],
        ),
        (
            "name: x\nterrain: {synthetic: {}}\nsite: {name: nowhere}\n"
            "lighting: {start: 2026-01-01T00:00:00Z, end: 2026-01-02T00:00:00Z}\n"
            "station: missing.yaml\n",
            ["plan.yaml:3: site.name: unknown site", "plan.yaml:5: station: no such file"],
        ),
        (
            "name: x\nterrain: {synthetic: {}, dem: a.tif}\nsite: {lat_deg: -89.5}\n"
            "lighting: {start: 2026-01-01T00:00:00Z, end: 2026-01-02T00:00:00Z}\ncolour: red\n",
            ["plan.yaml:2: terrain", "one terrain", "plan.yaml:3: site", "lon_deg", "colour"],
        ),
    ],
)
def test_plan_file_mistakes_named_with_line_and_field(capsys, tmp_path, body, messages):
    (tmp_path / "plan.yaml").write_text(body, encoding="utf-8")
    out = tmp_path / "report"
    status, _, err = run(capsys, "plan", "--scenario", tmp_path / "plan.yaml", "--out", out)
    assert status == 1 and "Traceback" not in err
    for message in messages:
        assert message in err, err
    assert not out.exists()


def test_the_embedded_plan_is_valid():
    from ilrs.report.scenario import load_plan

    plan = load_plan()
    assert plan.scenario.site.name == "connecting-ridge"
    assert plan.station_file().name == "station_reference.yaml"
    assert plan.campaign_file().is_file()


def test_a_file_the_station_reads_is_part_of_its_key(capsys, station_week, tmp_path):
    """A station on a horizon profile: changing the profile recomputes the station (and
    nothing else); its figures follow the new horizon."""
    text = (station_week / "station.yaml").read_text()
    assert "  terrain: lola " in text
    (station_week / "profiled.yaml").write_text(
        text.replace("  terrain: lola ", "  horizon_csv: profile.csv #", 1)
    )
    profile = station_week / "profile.csv"
    profile.write_text("azimuth_deg,elevation_deg\n0,0\n180,0\n")
    plan_file = write_plan(station_week, station="profiled.yaml")
    args = ("plan", "--scenario", plan_file, "--out", tmp_path / "r", "--cache", tmp_path / "c")
    status, stdout, err = run(capsys, *args)
    assert status == 0, err
    open_sky = json.loads((tmp_path / "r" / "station_summary.json").read_text())
    profile.write_text("azimuth_deg,elevation_deg\n0,30\n180,30\n")  # walled in
    status, stdout, err = run(capsys, *args)
    assert status == 0, err
    assert json.loads(stdout)["steps_computed"] == ["station"]
    walled = json.loads((tmp_path / "r" / "station_summary.json").read_text())
    assert walled["power"]["mean_generated_w"] < 0.1 * open_sky["power"]["mean_generated_w"]


def test_a_site_off_the_terrain_names_the_plans_line(capsys, station_week, tmp_path):
    (tmp_path / "plan.yaml").write_text(
        "name: x\nterrain: {synthetic: {size_px: 64, resolution_m: 100}}\n"
        "site: {lat_deg: -85, lon_deg: 0}\n"
        "lighting: {start: 2026-01-01T00:00:00Z, end: 2026-01-02T00:00:00Z}\n",
        encoding="utf-8",
    )
    out = tmp_path / "report"
    status, _, err = run(
        capsys,
        "plan",
        "--scenario",
        tmp_path / "plan.yaml",
        "--out",
        out,
        "--cache",
        tmp_path / "c",
    )
    assert status == 1 and "Traceback" not in err
    assert "plan.yaml:3: site: the site (-85.0°, 0.0°) is off the map" in err, err
    assert not out.exists()


def test_unusable_folders_are_one_line(capsys, station_week, tmp_path):
    plan_file = write_plan(station_week)
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    for option, folder in (("--cache", a_file), ("--cache", a_file / "cache"), ("--out", a_file)):
        out = tmp_path / "out" if option == "--cache" else folder
        cache = folder if option == "--cache" else tmp_path / "cache"
        status, _, err = run(
            capsys, "plan", "--scenario", plan_file, "--out", out, "--cache", cache
        )
        assert status == 1 and "Traceback" not in err and str(a_file) in err, err


def test_a_step_finished_meanwhile_by_another_run_is_taken(tmp_path):
    """Two runs computing the same step: the second to finish keeps the first's folder."""
    cache = StepCache(tmp_path, progress=lambda line: None)
    other = StepCache(tmp_path, progress=lambda line: None)

    def compute(folder):
        (folder / "result.txt").write_text("second")
        other.run("step", {"x": 1}, lambda f: (f / "result.txt").write_text("first"))

    folder = cache.run("step", {"x": 1}, compute)
    assert (folder / "result.txt").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no staging folder left


def test_a_plan_on_a_dem_file(capsys, station_week, tmp_path):
    """A DEM file instead of the synthetic terrain: the map is drawn from every n-th pixel
    (read row by row), the DEM is named, not copied."""
    dem = tmp_path / "pole.tif"
    assert (
        main(["terrain", "synth", "--out", str(dem), "--size-px", "1000", "--resolution-m", "240"])
        == 0
    )
    capsys.readouterr()
    text = (
        write_plan(station_week)
        .read_text()
        .replace("  synthetic: {size_px: 128, resolution_m: 240, seed: 0}", f"  dem: {dem}")
    )
    text += "maps: false\n"  # the whole 1000 px map's lighting would take a minute
    (station_week / "on_dem.yaml").write_text(text)
    out = tmp_path / "report"
    status, stdout, err = run(
        capsys,
        "plan",
        "--scenario",
        station_week / "on_dem.yaml",
        "--out",
        out,
        "--cache",
        station_week / "cache",
    )
    assert status == 0, err
    assert json.loads(stdout)["steps_computed"][:1] == ["site"]  # no terrain step: a file
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f"The DEM {dem} (1000 × 1000 pixels of 240 m)" in page
    assert not (out / "terrain.tif").exists() and len(embedded_pngs(page)) == 5  # no maps
    assert not (out / "psr.tif").exists()


def test_a_plan_on_the_real_cap_says_what_its_figures_are_about(capsys, station_week, tmp_path):
    """The default terrain (a square of the embedded LOLA cap, every horizon over the
    whole cap): nothing synthetic anywhere; the site's figures say their terrain, height
    and period, with their spread over the 1600 m pixel; the map, seen from the same
    height, agrees with the site analysis to the map's resolution."""
    text = (
        write_plan(station_week)
        .read_text()
        .replace(
            "  synthetic: {size_px: 128, resolution_m: 240, seed: 0}",
            "  lola: {map_half_width_km: 20}",
        )
        .replace("end: 2026-03-08T00:00:00Z, step: 2h", "end: 2026-05-01T00:00:00Z, step: 3h")
    )
    (station_week / "on_cap.yaml").write_text(text)
    out = tmp_path / "report"
    args = ("plan", "--scenario", station_week / "on_cap.yaml", "--out", out)
    status, stdout, err = run(capsys, *args, "--cache", tmp_path / "cache")
    assert status == 0, err
    summary = json.loads(stdout)
    assert "LDEM_256" in summary["terrain"] and summary["synthetic_terrain"] is False
    with rasterio.open(out / "terrain.tif") as dataset:
        assert dataset.shape == (26, 26) and dataset.res == (1600.0, 1600.0)
        assert dataset.tags()["SYNTHETIC"] == "false" and "LOLA" in dataset.tags()["SOURCE"]
        assert dataset.tags()["PRODUCT_ID"].strip('"') == "LDEM_256"
        terrain = dataset.read(1)
    cap = open_dem(data_path("lola/lola_dem_south.tif")).read().height_m
    assert np.array_equal(terrain, cap[368:394, 368:394])  # the cap's own pixels
    with rasterio.open(out / "illumination.tif") as dataset:
        assert dataset.tags()["HEIGHT_ABOVE_GROUND_M"] == "2"
        assert dataset.tags()["SYNTHETIC"] == "false"
        sunlit_map = dataset.read(1)
        row, col = dataset.index(*polar_xy_from_latlon(-89.45, 222.69))
    site = json.loads((out / "site.json").read_text())
    assert site["height_above_ground_m"] == 2 and "LDEM_256" in site["terrain"]
    assert site["question"].startswith("sunlight and Earth visibility at 2 m above the ground")
    assert "horizon_note" not in site  # every ray reaches 300 km over the cap
    spread = site["spread"]
    assert spread["pixel_m"] == 1600.0
    low, high = spread["sunlit_fraction"]
    assert low <= site["sunlit_fraction"] <= high
    # The report and plan.json give the map's own value at the site's pixel beside it.
    assert summary["site"]["map_pixel"]["sunlit_fraction"] == pytest.approx(sunlit_map[row, col])
    assert summary["site"]["map_pixel"]["pixel_m"] == 1600.0
    # At the centre of the site's pixel, the site analysis (720 azimuths) and the map (36
    # grid bearings, frames shared over a cell) answer the same question alike.
    centre_lat, centre_lon = (float(v) for v in latlon_from_polar_xy(*dataset.xy(row, col)))
    line = HorizonLine.from_stack(
        TerrainStack.default(), centre_lat, centre_lon, height_above_ground_m=2
    )
    times = utc_range(site["start"], site["end"], "3h")
    at_centre = analyze_site(
        line, centre_lat, centre_lon, times, height_m=line.ground_m + 2, stations=[]
    )
    assert sunlit_map[row, col] == pytest.approx(at_centre.summary()["sunlit_fraction"], abs=0.03)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "The real south pole: LRO LOLA topography" in page
    assert "Coarse terrain:" in page and "seen from 2 m above the ground" in page
    assert "The lighting map's pixel holding the site (1600 m" in page
    terrain_paragraph = page.split("<h2>Terrain</h2>")[1].split("<h2>")[0]
    assert "synthetic" not in terrain_paragraph.lower()
