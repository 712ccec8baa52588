"""The web application in a real browser (Debian's chromium driven by Playwright, headless):
every page loads with no console error, the map shows its raster layers, the site page draws
its panorama, the registry form shows the API's own refusal, the what-if form changes a
milestone, the plan page names a plan file's mistakes. Screenshots of every page are kept in
``build/test-artifacts/web`` (or ``$ILRS_TEST_ARTIFACTS/web``).

Chromium comes from the system (``apt-get install chromium``); without it these tests are
skipped, unless ``ILRS_REQUIRE_BROWSER`` is set (CI sets it)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import httpx
import pytest

from ilrs.api.web import create_web_app
from web_fixtures import PLAN_TEXT, Served, web_settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless on a machine with no outside network: no background connections at all.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET = "ilrs_web_browser-test-secret"
ARTIFACTS = Path(os.environ.get("ILRS_TEST_ARTIFACTS", "build/test-artifacts")) / "web"
# What shows that each page has drawn what it is for.
READY = {
    "/": "image[data-layer=illumination][data-loaded=true]",
    "/site": "#horizon-line",
    "/campaign": "#gantt g[data-mission]",
    "/partners": "#progress .row",
    "/plan": "#plan-summary table",
    "/docs": "article.route",
}


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser():
    missing = _browser_missing()
    if missing:
        if os.environ.get("ILRS_REQUIRE_BROWSER"):
            pytest.fail(f"the browser tests are required here: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(web_plan, tmp_path_factory):
    settings = web_settings(
        web_plan,
        tmp_path_factory.mktemp("registry"),
        session_tokens={SECRET: ("browser test", "editor")},
        layer_pixels=64,  # overviews coarser than the 128 px rasters: zooming fetches detail
    )
    with Served(create_web_app(settings)) as served:
        yield served


def _page_on(browser, site, request):
    """A fresh page holding the session token, its console errors collected; the test
    ends with a screenshot and no error. The server's Content-Security-Policy holds in
    tests marked ``csp``; the others lift it, since Playwright's ``wait_for_function``
    evaluates its text in the page, which the policy forbids."""
    enforce_csp = request.node.get_closest_marker("csp") is not None
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, bypass_csp=not enforce_csp
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.goto(f"{site.url}/plan?token={SECRET}")  # the address `ilrs serve` prints
    page.wait_for_selector(READY["/plan"])
    page.expected_errors = []  # what a test provokes on purpose (a refused form: 422)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    context.close()
    unexpected = [e for e in errors if not any(x in e for x in page.expected_errors)]
    assert unexpected == [], f"console errors: {unexpected}"


@pytest.fixture
def page(browser, site, request):
    yield from _page_on(browser, site, request)


@pytest.fixture
def real_page(browser, real_site, request):
    """A page of the app served on the real south pole (see ``page``)."""
    yield from _page_on(browser, real_site, request)


@pytest.mark.csp
@pytest.mark.parametrize("path", list(READY))
def test_each_page_loads_with_no_console_error(page, site, path):
    """Under the server's own Content-Security-Policy: a script or style it forbids would
    be a console error."""
    answer = page.goto(f"{site.url}{path}")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    page.wait_for_selector(READY[path])
    page.wait_for_load_state("networkidle")
    assert page.locator("#error").is_hidden()
    assert "token" not in page.url  # the token was taken out of the address


def test_map_shows_raster_layers_zooms_to_detail_and_shows_a_sites_figures(page, site):
    page.goto(f"{site.url}/")
    page.wait_for_selector(READY["/"])
    page.wait_for_selector("image[data-layer=terrain][data-loaded=true]")
    # A synthetic terrain: the real imagery (which it does not match) starts hidden.
    assert not page.is_checked("#show-imagery") and page.inner_text("#imagery-caption") == ""
    assert page.inner_text("#map-note").startswith("Synthetic terrain, not the real Moon")
    page.check("input[name=layer][value=psr]")
    page.wait_for_selector("image[data-layer=psr][data-loaded=true]")
    assert page.locator("image[data-layer=illumination]").count() == 0  # one layer at a time
    assert "permanently shadowed" in page.inner_text("#legend")
    # Zoomed in past the 64 px overview, the part in view comes at the rasters' 128 px.
    box = page.locator("#map svg").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    for _ in range(6):
        page.mouse.wheel(0, -100)
    page.wait_for_selector("image[data-layer=terrain-detail][data-loaded=true]")
    page.wait_for_selector("image[data-layer=psr-detail][data-loaded=true]")
    view = [float(v) for v in page.get_attribute("#map svg", "viewBox").split()]
    detail = page.locator("image[data-layer=terrain-detail]")
    x, width = float(detail.get_attribute("x")), float(detail.get_attribute("width"))
    full_km = 128 * 0.24
    assert view[2] == pytest.approx(40 * 0.24)  # the closest: 40 raster pixels across
    assert x <= view[0] + 1e-9 and x + width >= view[0] + view[2] - 1e-9  # covers the view
    assert width < full_km / 2  # a part, not the whole
    assert "zoomed ×3.2" in page.inner_text("#zoom-note")
    page.click("#zoom-reset")
    page.wait_for_function(
        "document.querySelector('#map svg').getAttribute('viewBox').split(' ')[2] > 30"
    )
    page.click("circle[data-site=plan]")
    page.wait_for_selector("#panel img")
    page.wait_for_function("document.querySelector('#panel img').naturalWidth > 0")
    panel = page.inner_text("#panel")
    assert "Connecting Ridge" in panel and "-89.4500°, 222.6900°E" in panel
    assert re.search(r"psr \[yes/no\]\s+[01]\n", panel), panel
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.25)
    page.wait_for_function(
        "document.querySelector('#panel h3').textContent === 'A point of the map'"
    )
    assert "site page" in page.inner_text("#panel")


@pytest.mark.csp
def test_map_shows_the_wac_imagery_under_the_terrain_with_its_caption(
    real_page, real_site, tmp_path
):
    """Under the server's Content-Security-Policy: the imagery comes from the app's own
    route (200), lies under the terrain, and shows: the map differs with it on and off."""
    from PIL import Image, ImageChops, ImageStat

    statuses = []
    real_page.on(
        "response",
        lambda answer: (
            statuses.append(answer.status) if "/api/plan/imagery.png" in answer.url else None
        ),
    )
    real_page.goto(f"{real_site.url}/")
    real_page.wait_for_selector("image[data-layer=imagery][data-loaded=true]")
    real_page.wait_for_selector("image[data-layer=terrain][data-loaded=true]")
    assert statuses and set(statuses) == {200}
    order = real_page.locator("#pictures > g").evaluate_all("groups => groups.map(g => g.id)")
    assert order[:2] == ["imagery", "terrain"]  # the imagery at the bottom
    assert "LROC WAC mosaic" in real_page.inner_text("#imagery-caption")
    real_page.check("input[name=layer][value=terrain]")  # no overlay: the terrain over the imagery
    real_page.wait_for_load_state("networkidle")
    with_imagery = tmp_path / "map_with_imagery.png"
    real_page.locator("#map svg").screenshot(path=with_imagery)
    real_page.uncheck("#show-imagery")
    assert real_page.inner_text("#imagery-caption") == ""
    without_imagery = tmp_path / "map_without_imagery.png"
    real_page.locator("#map svg").screenshot(path=without_imagery)
    with Image.open(with_imagery) as on, Image.open(without_imagery) as off:
        grey_on, grey_off = on.convert("L"), off.convert("L")
        assert ImageStat.Stat(grey_on).stddev[0] > 10  # not blank: the picture has detail
        difference = ImageStat.Stat(ImageChops.difference(grey_on, grey_off)).mean[0]
    assert difference > 5, difference  # the imagery shows through the terrain
    real_page.check("#show-imagery")


def test_site_page_draws_its_panorama_and_moves_with_time(page, site):
    horizon = httpx.get(f"{site.url}/api/plan/site").json()
    page.goto(f"{site.url}/site")
    page.wait_for_selector("#horizon-line")
    points = page.get_attribute("#horizon-line", "points").split()
    assert len(points) == len(horizon["horizon"]["azimuth_deg"]) + 2  # and the two floor corners
    assert page.locator("#sun-track circle").count() == 85  # a week at 2 h
    assert page.locator("#earth-track circle").count() == 85
    assert page.locator("#state-of-charge").count() == 1
    first = page.get_attribute("#sun-now", "cx")
    page.fill("#time", "40")  # a range input takes the value and fires input
    page.wait_for_function(f"document.querySelector('#sun-now').getAttribute('cx') !== '{first}'")
    assert horizon["tracks"]["time_utc"][40] in page.inner_text("#time-label")
    assert "sunlit" in page.inner_text("#site-summary")


def test_registry_form_shows_the_apis_refusal(page, site):
    body = {"name": "Institute of Nowhere", "kind": "institute", "country": "XX"}
    headers = {"Authorization": f"Bearer {SECRET}"}
    refusal = httpx.post(f"{site.url}/api/organisations", json=body, headers=headers)
    page.expected_errors.append("status of 422")  # the browser logs the refusal it receives
    assert refusal.status_code == 422
    page.goto(f"{site.url}/partners")
    page.wait_for_selector("#worldmap path[data-country=CN].host")
    assert page.locator("#worldmap path.direct").count() >= 10
    count_before = page.inner_text("#table-count")
    page.fill("#field-name", body["name"])
    page.select_option("#field-kind", body["kind"])
    page.fill("#field-country", body["country"])
    page.click("#add-record button[type=submit]")
    page.wait_for_function("document.querySelector('#add-result').textContent.length > 0")
    assert page.inner_text("#add-result") == refusal.json()["detail"]
    assert page.inner_text("#table-count") == count_before
    page.fill("#search", "Hungarian")
    page.wait_for_function(
        "document.querySelector('#table-count').textContent.startsWith('1 record')"
    )


def test_whatif_form_changes_a_milestone(page, site):
    # On the real cap the basic station already falls short (its 1600 m terrain), so the
    # change to see is the extended station's: its fission power landed after 2045.
    mission = "g[data-mission='Extended station']"
    page.goto(f"{site.url}/campaign")
    page.wait_for_selector(f"#gantt {mission}")
    launch_before = page.get_attribute(f"#gantt {mission}", "data-launch")
    page.select_option("#whatif select[name=kind]", "delay")
    page.select_option("#whatif select[name=mission]", "Extended station")
    page.fill("#whatif input[name=days]", "2500")
    page.click("#whatif button[type=submit]")
    page.wait_for_selector(".jobs .job")  # the job's progress shows while it runs
    page.wait_for_selector("#whatif-summary", timeout=300_000)
    assert "changes extended station" in page.inner_text("#whatif-summary")
    row = page.locator("#milestones tr[data-milestone='extended station']")
    assert row.get_attribute("data-changed") == "true"
    assert "not met" in row.inner_text()
    launch_after = page.get_attribute(f"#gantt {mission}", "data-launch")
    assert launch_before.startswith("2040") and launch_after.startswith("2047")
    assert page.locator("#after-changes").count() == 1
    # Several changes at once, gathered in the list (the campaign's sky is reused). Dropping
    # ILRS-3 cancels the extended station, which depends on it: the Gantt says so.
    page.select_option("#whatif select[name=kind]", "drop")
    page.select_option("#whatif select[name=mission]", "ILRS-3")
    page.click("#whatif-add")
    page.select_option("#whatif select[name=kind]", "delay")
    page.select_option("#whatif select[name=mission]", "ILRS-4")
    page.fill("#whatif input[name=days]", "400")
    page.click("#whatif-add")
    assert page.locator("#whatif-changes li").count() == 2
    page.click("#whatif button[type=submit]")
    page.wait_for_function(
        "document.querySelector('#whatif-summary').textContent"
        ".startsWith('drop ILRS-3; delay ILRS-4 by 400 days')"
    )
    assert page.get_attribute("#gantt g[data-mission='ILRS-3']", "data-status") == "cancelled"
    assert page.get_attribute(f"#gantt {mission}", "data-status") == "cancelled"
    reason = page.get_attribute(f"#gantt {mission}", "data-cancelled-because")
    assert reason == "depends on 'ILRS-3', dropped"
    assert reason in page.text_content(f"#gantt {mission}")
    assert page.get_attribute(f"#gantt {mission}", "data-launch") == launch_before
    assert page.get_attribute("#gantt g[data-mission='ILRS-4']", "data-launch").startswith("2035")


def test_plan_page_names_a_plan_files_mistakes(page, site):
    page.goto(f"{site.url}/plan")
    page.wait_for_selector(READY["/plan"])
    # The models beside their authorities, one row each, every held one within tolerance,
    # the published figures the embedded terrain cannot reach shown as not held.
    page.wait_for_selector("#validation table tbody tr")
    rows = page.locator("#validation table tbody tr").all_inner_texts()
    held = [row for row in rows if "\tnot held\t" not in row]
    assert len(held) >= 13 and all("\tyes\t" in row for row in held), rows
    assert len(rows) - len(held) == 3 and any("Bussey" in row for row in rows)
    assert any("Hayne et al. 2017" in row for row in rows)
    assert page.input_value("#plan-text") == PLAN_TEXT
    page.expected_errors.append("status of 422")  # the browser logs the refusal it receives
    page.fill("#plan-text", PLAN_TEXT.replace("step: 2h", "step: soon"))
    page.click("#plan-check")
    page.wait_for_function("document.querySelector('#plan-errors').textContent.length > 0")
    assert "plan.yaml:5: lighting" in page.inner_text("#plan-errors")
    assert "soon" in page.inner_text("#plan-errors")
    page.fill("#plan-text", PLAN_TEXT)
    page.click("#plan-check")
    page.wait_for_function("document.querySelector('#plan-errors').textContent.includes('good')")


def test_registry_record_edited_at_its_version_and_a_concurrent_change_refused(page, site):
    headers = {"Authorization": f"Bearer {SECRET}"}
    found = httpx.get(
        f"{site.url}/api/organisations", params={"q": "Hungarian"}, headers=headers
    ).json()["items"][0]
    page.goto(f"{site.url}/partners")
    page.wait_for_selector("#records table")
    page.fill("#search", "Hungarian")
    page.wait_for_function(
        "document.querySelector('#table-count').textContent.startsWith('1 record')"
    )
    page.click(f"button[data-edit='{found['id']}']")
    assert page.input_value("#field-name") == found["name"]
    assert page.input_value("#field-country") == "HU"
    page.fill("#field-note", "solar physics; joined through an agreement")
    page.click("#add-record button[type=submit]")
    page.wait_for_function("document.querySelector('#add-result').textContent.startsWith('Saved')")
    stored = httpx.get(f"{site.url}/api/organisations/{found['id']}", headers=headers).json()
    assert stored["note"] == "solar physics; joined through an agreement"
    assert stored["version"] == found["version"] + 1
    # The table is fetched again after the save: wait for it, not for the save alone.
    page.wait_for_function(
        "document.querySelector('#records').textContent.includes('joined through an agreement')"
    )
    page.click(f"button[data-history='{found['id']}']")
    page.wait_for_selector("#history tr[data-action=update]")
    change = page.inner_text("#history tr[data-action=update]")
    assert "browser test" in change and "note: – → solar physics" in change
    # Someone else changes the record while the form is open: the save is refused.
    page.click(f"button[data-edit='{found['id']}']")
    changed = httpx.patch(
        f"{site.url}/api/organisations/{found['id']}",
        json={"note": "changed elsewhere"},
        headers=headers | {"If-Match": f'"{stored["version"]}"'},
    )
    assert changed.status_code == 200
    page.expected_errors.append("status of 412")  # the browser logs the refusal it receives
    page.fill("#field-note", "my change")
    page.click("#add-record button[type=submit]")
    page.wait_for_function("document.querySelector('#add-result').className === 'errors'")
    refusal = page.inner_text("#add-result")
    assert "changed" in refusal and str(stored["version"]) in refusal
    after = httpx.get(f"{site.url}/api/organisations/{found['id']}", headers=headers).json()
    assert after["note"] == "changed elsewhere"  # nothing overwritten
    assert "changed elsewhere" in page.inner_text("#records")


def test_a_job_is_cancelled_from_the_job_bar(page, site):
    """A long study started from the site page, cancelled by its button: it stops, and the
    page says so."""
    page.goto(f"{site.url}/site")
    page.wait_for_selector("#horizon-line")
    page.fill("input[name=lat_deg]", "-89.62")
    page.fill("input[name=lon_deg]", "150")
    page.fill("input[name=start]", "2026-01-01T00:00:00Z")
    page.fill("input[name=end]", "2026-12-31T00:00:00Z")
    page.fill("input[name=step]", "30min")
    page.click("#study button[type=submit]")
    page.click("#jobs button.cancel")
    page.wait_for_function("document.querySelector('#error').textContent.includes('cancelled')")
    jobs = httpx.get(f"{site.url}/api/jobs").json()
    assert [job["state"] for job in jobs if job["title"].startswith("site -89.62")] == ["cancelled"]


@pytest.fixture(scope="module")
def real_site(real_web_plan, tmp_path_factory):
    """The web application on the real south pole (a square of the LOLA cap)."""
    settings = web_settings(
        real_web_plan,
        tmp_path_factory.mktemp("registry"),
        session_tokens={SECRET: ("browser test", "editor")},
    )
    with Served(create_web_app(settings)) as served:
        yield served


@pytest.mark.csp
def test_the_map_shows_the_real_south_pole_over_its_imagery(browser, real_site):
    """What a new user meets: real LOLA terrain named as such (no "synthetic" anywhere in
    the map's note), the WAC imagery under it, Shackleton and Shoemaker in their places,
    and the lighting layers saying which height and period they answer for. The
    screenshot is kept with the test artifacts."""
    from PIL import Image, ImageStat

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{real_site.url}/?token={SECRET}")
    page.wait_for_selector("image[data-layer=imagery][data-loaded=true]")
    page.wait_for_selector("image[data-layer=terrain][data-loaded=true]")
    page.wait_for_load_state("networkidle")
    note = page.inner_text("#map-note")
    assert note.startswith("Real LRO LOLA topography (LDEM_256, 1600 m pixels)")
    assert "synthetic" not in note.lower()
    assert "Lighting layers seen from 2 m above the ground, 2026-03-01" in note
    assert "LROC WAC mosaic" in page.inner_text("#imagery-caption")
    labels = page.locator("#features text").all_text_contents()
    assert {"Shackleton", "Shoemaker", "de Gerlache"} <= set(labels), labels
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "real_south_pole_map.png"
    page.locator("#map svg").screenshot(path=shot)
    with Image.open(shot) as picture:
        assert ImageStat.Stat(picture.convert("L")).stddev[0] > 10  # a picture, not a blank
    context.close()
    assert errors == []
