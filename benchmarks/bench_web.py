"""Benchmark: the web application on the reference plan (``make run`` first: it reads
``build/plan``), over HTTP on the loopback as a browser would use it.

Times each page's first answer, the map's description, a layer's picture the first time
(read from the GeoTIFF, coloured, encoded) and again (kept), a zoomed part of the terrain
(read and drawn each time), a point's values, the plan
site's data, a study of another point over a month at 1 h (horizon, tracks, the station
there), the same study asked again (the cache), the first what-if (the campaign's sky over
twenty years, then the build-up twice) and a second one (the build-up once, the sky read
back): issue 21's goal is 1 s for a what-if on an unchanged station and site, the first
one (with an empty cache) its peer.

    .venv/bin/python benchmarks/bench_web.py [--plan build/plan]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from ilrs.api.web import WebSettings, create_web_app  # noqa: E402
from results import record, report_peak_rss  # noqa: E402
from web_fixtures import Served  # noqa: E402

WHATIF_GOAL_S = 1.0
durations_s: dict[str, float] = {}  # each timed label's time


def timed(label: str, call) -> object:
    start = time.perf_counter()
    answer = call()
    durations_s[label] = time.perf_counter() - start
    print(f"{label:<48} {durations_s[label]:8.3f} s", flush=True)
    return answer


def job(client: httpx.Client, path: str, body: dict) -> dict:
    answer = client.post(path, json=body).json()
    while answer["state"] in ("queued", "running"):
        time.sleep(0.05)
        answer = client.get(f"/api/jobs/{answer['id']}").json()
    assert answer["state"] == "done", answer["error"]
    return answer["result"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", type=Path, default=Path("build/plan"))
    arguments = parser.parse_args()
    if not (arguments.plan / "plan.json").is_file():
        sys.exit(f"no plan in {arguments.plan}: run `make run` first")
    with tempfile.TemporaryDirectory() as scratch:
        settings = WebSettings(
            plan_dir=arguments.plan,
            cache_dir=Path(scratch) / "cache",
            registry_url=f"sqlite:///{scratch}/registry.db",
        )
        app = timed("application start (plan file, registry)", lambda: create_web_app(settings))
        with Served(app) as served, httpx.Client(base_url=served.url, timeout=600) as client:
            for page in ("/", "/site", "/campaign", "/partners", "/plan", "/docs"):
                timed(f"page {page}", lambda page=page: client.get(page).raise_for_status())
            description = timed("map description", lambda: client.get("/api/plan/map").json())
            for name in ("terrain", "illumination"):
                path = f"/api/plan/layers/{name}.png"
                timed(f"layer {name}, first", lambda path=path: client.get(path).raise_for_status())
                timed(f"layer {name}, again", lambda path=path: client.get(path).raise_for_status())
            x0, x1, y0, y1 = description["extent_m"]
            quarter = {
                "x_min_m": x0,
                "x_max_m": (x0 + x1) / 2,
                "y_min_m": y0,
                "y_max_m": (y0 + y1) / 2,
            }
            timed(
                "layer terrain, a quarter of the map (zoomed)",
                lambda: client.get(
                    "/api/plan/layers/terrain.png", params=quarter
                ).raise_for_status(),
            )
            site = next(s for s in description["sites"] if s["name"] == "plan")
            point = {"x_m": site["x_m"], "y_m": site["y_m"]}
            timed("point values", lambda: client.get("/api/plan/point", params=point).json())
            timed("plan site (a year at 1 h)", lambda: client.get("/api/plan/site").json())
            study = {
                "lat_deg": -89.3,
                "lon_deg": 200.0,
                "start": "2026-03-01T00:00:00Z",
                "end": "2026-04-01T00:00:00Z",
                "step": "1h",
            }
            timed("study, a month at 1 h", lambda: job(client, "/api/study", study))
            timed("study again (the same job)", lambda: job(client, "/api/study", study))
            for days in (365, 730):
                change = {"changes": [{"kind": "delay", "mission": "ILRS-1", "days": days}]}
                timed(
                    f"what-if, ILRS-1 {days} days later",
                    lambda change=change: job(client, "/api/campaign/whatif", change),
                )
    first_s, second_s = (durations_s[f"what-if, ILRS-1 {days} days later"] for days in (365, 730))
    record(
        "web what-if on the reference plan, the sky kept (the second, ILRS-1 730 days later)",
        second_s,
        "s",
        goal=f"≤ {WHATIF_GOAL_S:g} s",
        met=second_s <= WHATIF_GOAL_S,
        peer="the first what-if, an empty cache",
        peer_value=first_s,
        ratio=first_s / second_s,
        note=report_peak_rss(),
    )


if __name__ == "__main__":
    main()
