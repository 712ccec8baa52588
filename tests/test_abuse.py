"""Hostile inputs, generated here (issue 18, classes 3 and 4): every one is answered by a 4xx
with a ``detail``, or by one ``ilrs: error:`` line and a failure status, within the time
and memory bounds stated below; never a server error, a traceback or an internal error.

Bounds:
- the web application (in this process): each answer within :data:`WEB_SECONDS`; this
  process's peak resident memory grows by at most :data:`WEB_MEMORY_MIB` over all of them;
- the command line (a process each, the real ``ilrs.cli.main``): each within
  :data:`CLI_SECONDS`, at most :data:`CLI_MEMORY_MIB` resident at its peak (the child
  reports its own high-water mark, VmHWM), its address space capped with ``resource`` at
  :data:`CLI_ADDRESS_GIB` so that a runaway fails fast instead of swapping.

The counts per class are printed (``pytest -s``) and held to a floor, so that the suite
cannot shrink unnoticed.
"""

from __future__ import annotations

import collections
import json
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cli_peak import child_command, split_peak
from ilrs.api.guards import MAX_BODY_BYTES, MAX_IMPORT_BODY_BYTES, MAX_JSON_DEPTH
from ilrs.scenario_files import MAX_SCENARIO_BYTES, MAX_YAML_DEPTH
from web_fixtures import PLAN_TEXT, web_settings

WEB_SECONDS = 5.0  # each answer takes milliseconds; a margin for a busy machine
WEB_MEMORY_MIB = 400
CLI_SECONDS = 10.0  # a refusal comes within half a second of the process starting
CLI_MEMORY_MIB = 400
CLI_ADDRESS_GIB = 3

COUNTS: collections.Counter = collections.Counter()


# --- generators ---------------------------------------------------------------------------


def alias_bomb(levels: int, fanout: int = 9) -> str:
    """A billion laughs: each level an anchored list of ``fanout`` aliases of the last."""
    lines = ["name: bomb", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        items = ", ".join([f"*a{level - 1}"] * fanout)
        lines.append(f"a{level}: &a{level} [{items}]")
    return "\n".join(lines) + "\n"


def nested_flow(depth: int) -> str:
    return "name: deep\nx: " + "[" * depth + "]" * depth + "\n"


def nested_block(depth: int) -> str:
    return "name: deep\n" + "".join(" " * level + f"k{level}:\n" for level in range(depth))


def nested_json(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def plan_with(**changes) -> str:
    text = PLAN_TEXT
    for old, new in changes.items():
        text = text.replace(old, new)
    return text


def hostile_yaml_texts() -> dict[str, str]:
    """YAML texts that must be refused in bounded time and memory (class 3) or with a
    clear message (class 4)."""
    texts = {f"alias bomb, {n} levels": alias_bomb(n) for n in (6, 8, 10, 14)}
    texts |= {f"alias bomb of mappings, {n} levels": _mapping_bomb(n) for n in (8, 12)}
    texts |= {f"flow nesting {d}": nested_flow(d) for d in (MAX_YAML_DEPTH + 1, 1_000, 40_000)}
    texts |= {f"block nesting {d}": nested_block(d) for d in (MAX_YAML_DEPTH + 1, 300)}
    texts |= {
        "a key given twice": PLAN_TEXT + "name: again\n",
        "a list at the top": "- 1\n- 2\n",
        "empty": "",
        "NUL byte": "name: x\0\n",
        "a python tag": "name: !!python/object/apply:os.system [echo]\n",
        "a recursive anchor": "name: &n [*n]\n",
        "a 5000-digit integer": "name: x\nseed: " + "9" * 5000 + "\n",
        "a complex key": "? [a, b]\n: 1\n",
        "an undefined alias": "name: *nowhere\n",
        "a tab indent": "name: x\nsite:\n\tname: y\n",
        "NaN height": plan_with(**{"height_m: 2": "height_m: .nan"}),
        "infinite resolution": plan_with(**{"resolution_m: 240": "resolution_m: .inf"}),
        "1e999 latitude": "name: x\nterrain: {synthetic: {}}\nsite: {lat_deg: 1e999, "
        "lon_deg: 0}\nlighting: {start: 2026-01-01T00:00:00Z, end: 2026-01-02T00:00:00Z}\n",
        "100,000 unknown fields": "name: x\n" + "".join(f"f{i}: 1\n" for i in range(10_000)),
        "a million-year period": plan_with(**{"end: 2026-03-08T00:00:00Z": "end: 9999-01-01"}),
        "a step of a nanosecond": plan_with(**{"step: 2h": "step: 1ns"}),
        "a chain of aliases nesting 2,000 deep": _alias_chain(links=40, depth=50),
        "a chain of wide aliases nesting deep": _alias_chain(links=40, depth=50, width=3),
        "a base-60 number of 60,000 parts": "name: 1" + ":59" * 60_000 + "\n",
        "a NUL in a file name": plan_with(**{"station: station.yaml": 'station: "a\\0b.yaml"'}),
        "a file name of 5,000 characters": plan_with(
            **{"station: station.yaml": "station: " + "s" * 5_000 + ".yaml"}
        ),
        "non-ASCII digits in a time": plan_with(
            **{"start: 2026-03-01T00:00:00Z": "start: ２０２６-03-01T00:00:00Z"}
        ),
    }
    return texts


def _alias_chain(links: int, depth: int, width: int = 1) -> str:
    """Anchors each nesting the last ``depth`` levels down (``width`` times side by side):
    few values and little nesting as written, thousands of levels once expanded."""
    lines = ["name: chain", "c0: &c0 1"]
    for link in range(1, links + 1):
        inner = ", ".join([f"*c{link - 1}"] * width)
        lines.append(f"c{link}: &c{link} " + "[" * depth + inner + "]" * depth)
    return "\n".join(lines) + "\n"


def _mapping_bomb(levels: int) -> str:
    lines = ["name: bomb", "m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9}"]
    for level in range(1, levels + 1):
        items = ", ".join(f"k{i}: *m{level - 1}" for i in range(9))
        lines.append(f"m{level}: &m{level} {{{items}}}")
    return "\n".join(lines) + "\n"


# --- the web application --------------------------------------------------------------


@dataclass
class Request:
    kind: str  # "bounded work" (class 3) or "bad value" (class 4)
    what: str
    method: str
    path: str
    options: dict = field(default_factory=dict)
    expect: tuple[int, ...] = ()  # the status wanted, when one is; else any 4xx


def web_requests() -> list[Request]:
    bounded, bad = "bounded work", "bad value"
    requests = []
    for what, text in hostile_yaml_texts().items():
        for path in ("/api/plan/check", "/api/plan/run"):
            requests.append(Request(bounded if "bomb" in what or "nesting" in what else bad,
                                    f"plan text: {what}", "POST", path, {"json": {"text": text}},
                                    (422,)))  # fmt: skip
    json_routes = ["/api/plan/check", "/api/plan/run", "/api/study", "/api/campaign/whatif",
                   "/api/organisations"]  # fmt: skip
    for route in json_routes:
        for depth in (MAX_JSON_DEPTH + 1, 1_000, 100_000):
            body = {"content": nested_json(depth), "headers": JSON}
            requests.append(Request(bounded, f"JSON nested {depth} deep", "POST", route, body,
                                    (422,)))  # fmt: skip
        requests.append(Request(bounded, "JSON list nested 200,000 deep", "POST", route,
                                {"content": "[" * 200_000 + "]" * 200_000, "headers": JSON},
                                (413, 422)))  # fmt: skip
        requests.append(Request(bounded, "a body past the limit", "POST", route,
                                {"content": b" " * (MAX_BODY_BYTES + 1), "headers": JSON},
                                (413,)))  # fmt: skip
        for headers in ({}, {"content-type": "Application/JSON; charset=utf-8"},
                        {"content-type": "application/vnd.api+json"}):  # fmt: skip
            # JSON whatever the Content-Type's spelling, or none
            body = {"content": '{"lat_deg": NaN, "text": "' + "[" * 50 + '"}', "headers": headers}
            requests.append(Request(bad, f"NaN, Content-Type {headers}", "POST", route, body,
                                    (415, 422)))  # fmt: skip
            body = {"content": nested_json(1_000), "headers": headers}
            requests.append(Request(bounded, f"nested, Content-Type {headers}", "POST", route,
                                    body, (415, 422)))  # fmt: skip
        # A body of escaped quotes (a scan of strings by a regular expression took time
        # growing with its square: 7 s for 48 kB, hours for a megabyte).
        body = {"content": '"' + '\\"' * 400_000, "headers": JSON}
        requests.append(Request(bounded, "800 kB of escaped quotes", "POST", route, body))
        twice = [("content-type", "application/json"), ("content-type", "text/plain")]
        body = {"content": '{"lat_deg": NaN}', "headers": twice}
        requests.append(Request(bad, "Content-Type given twice", "POST", route, body, (400,)))
        for literal in ("NaN", "Infinity", "-Infinity"):
            body = f'{{"lat_deg": {literal}, "lon_deg": 0, "days": {literal}, "text": "x"}}'
            requests.append(Request(bad, f"{literal} in a body", "POST", route,
                                    {"content": body, "headers": JSON}, (422,)))  # fmt: skip
        for what, body in {
            "a lone surrogate": '{"text": "\\ud800", "label": "\\udfff", "name": "\\ud800"}',
            "a lone surrogate as a key": '{"\\ud800": 1}',
            "bytes that are not UTF-8": b'{"text": "\xff\xfe"}',
            "not JSON": "{'text': 1}",
            "an empty body": "",
            "a JSON string": '"just text"',
            "a JSON array": "[1, 2]",
            "a 10^6-digit number": '{"lat_deg": ' + "9" * 900_000 + "}",
        }.items():
            requests.append(Request(bad, what, "POST", route,
                                    {"content": body, "headers": JSON}))  # fmt: skip
        requests.append(Request(bad, "a form instead of JSON", "POST", route,
                                {"data": {"text": "x"}}))  # fmt: skip
    study = {"lat_deg": -89.45, "lon_deg": 222.69, "start": "2026-03-01T00:00:00Z",
             "end": "2026-03-02T00:00:00Z", "step": "6h"}  # fmt: skip
    for key, value in [("lat_deg", -91), ("lon_deg", 1e300), ("height_m", -1),
                       ("height_m", 1e9), ("start", "tomorrow"), ("start", "2026-13-45T99:00:00Z"),
                       ("end", "1900-01-01T00:00:00Z"), ("step", "0s"), ("step", "-1h"),
                       ("step", "1e999h"), ("step", "1ns"), ("label", "x" * 10_000),
                       ("start", "\x00"), ("lat_deg", "１２"), ("lat_deg", True), ("lat_deg", [1]),
                       ("lat_deg", {"a": 1}), ("end", "9999-12-31T23:59:59Z")]:  # fmt: skip
        requests.append(Request(bad, f"study {key}={str(value)[:20]!r}", "POST", "/api/study",
                                {"json": study | {key: value}}, (422,)))  # fmt: skip
    for number in ("1e999", "-1e999", "1" + "0" * 400):
        content = json.dumps(study).replace("-89.45", number)
        requests.append(Request(bad, f"study latitude {number[:10]}", "POST", "/api/study",
                                {"content": content, "headers": JSON}, (422,)))  # fmt: skip
    for change in [{"kind": "delay", "mission": "ILRS-1", "days": 1e300},
                   {"kind": "delay", "mission": "ILRS-1"},
                   {"kind": "move", "mission": "ILRS-1", "launch_utc": "yesterday"},
                   {"kind": "move", "mission": "ILRS-1", "launch_utc": "99999-01-01"},
                   {"kind": "drop", "mission": "no such mission"},
                   {"kind": "drop", "mission": "\x00"},
                   {"kind": "explode", "mission": "ILRS-1"},
                   {"kind": "drop", "mission": "m" * 10_000}]:  # fmt: skip
        requests.append(Request(bad, f"what-if {change}"[:60], "POST", "/api/campaign/whatif",
                                {"json": {"changes": [change]}}, (422,)))  # fmt: skip
    requests.append(Request(bad, "what-if of 10,000 changes", "POST", "/api/campaign/whatif",
                            {"json": {"changes": [{"kind": "drop", "mission": "ILRS-1"}] * 10_000}},
                            (413, 422)))  # fmt: skip
    requests.append(Request(bad, "a plan text past its limit", "POST", "/api/plan/check",
                            {"json": {"text": "#" * 200_001}}, (422,)))  # fmt: skip
    body = {"json": {"text": PLAN_TEXT, "name": "../../x.yaml"}}
    requests.append(Request(bad, "a plan name that leaves the folder", "POST", "/api/plan/check",
                            body, (422,)))  # fmt: skip
    for value in ("nan", "inf", "-inf", "1e999", "", "x", "１"):
        for key in ("x_m", "y_m"):
            params = {"x_m": 0, "y_m": 0} | {key: value}
            requests.append(Request(bad, f"point {key}={value!r}", "GET", "/api/plan/point",
                                    {"params": params}, (422,)))  # fmt: skip
    windows = {"NaN": ["nan", 0, 0, 1], "reversed": [10, 0, 0, 10], "empty": [0, 0, 0, 0],
               "infinite": ["-inf", "inf", "-inf", "inf"], "far off": [1e7, 2e7, 1e7, 2e7],
               "a nanometre": [0, 1e-9, 0, 1e-9], "enormous": [-1e300, 1e300, -1e300, 1e300],
               "three of four": [0, 1, 0, None]}  # fmt: skip
    for what, window in windows.items():
        params = {k: v for k, v in zip(("x_min_m", "x_max_m", "y_min_m", "y_max_m"), window,
                                       strict=True) if v is not None}  # fmt: skip
        requests.append(Request(bad, f"layer window {what}", "GET", "/api/plan/layers/terrain.png",
                                {"params": params}, (200, 422)))  # fmt: skip
        requests.append(Request(bad, f"imagery window {what}", "GET", "/api/plan/imagery.png",
                                {"params": params}, (200, 422)))  # fmt: skip
    for name in ("..%2F..%2Fetc%2Fpasswd", "%00", "x" * 5_000, "terrain.png", "%ED%A0%80"):
        requests.append(Request(bad, f"layer {name[:20]}", "GET", f"/api/plan/layers/{name}.png"))
        requests.append(Request(bad, f"plan file {name[:20]}", "GET", f"/api/plan/files/{name}"))
        requests.append(Request(bad, f"job {name[:20]}", "GET", f"/api/jobs/{name}"))
        requests.append(Request(bad, f"cancel job {name[:20]}", "DELETE", f"/api/jobs/{name}"))
    for host in ("evil.example", "127.0.0.1.evil.example", "localhost.", "", "[::2]:80",
                 "x" * 5_000):  # fmt: skip
        requests.append(Request(bad, f"Host {host[:20]!r}", "GET", "/api/plan",
                                {"headers": {"host": host}}, (421,)))  # fmt: skip
    registry = {"Authorization": "Bearer nobody"}
    body = {"content": b"x" * (MAX_IMPORT_BODY_BYTES + 1),
            "headers": registry | {"content-type": "text/csv"}}  # fmt: skip
    requests.append(Request(bounded, "an import past the limit", "POST", "/api/people/import",
                            body, (413,)))  # fmt: skip
    return requests


JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def web_client(web_plan, tmp_path_factory):
    from ilrs.api.web import create_web_app

    app = create_web_app(web_settings(web_plan, tmp_path_factory.mktemp("abuse-registry")))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_hostile_web_requests_are_refused_in_bounded_time_and_memory(web_client):
    requests = web_requests()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    failures = []
    for request in requests:
        started = time.perf_counter()
        answer = web_client.request(request.method, request.path, **request.options)
        seconds = time.perf_counter() - started
        COUNTS[f"web, {request.kind}"] += 1
        problem = _web_problem(answer, request, seconds)
        if problem:
            failures.append(f"{request.method} {request.path} ({request.what}): {problem}")
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert failures == []
    assert grown_mib <= WEB_MEMORY_MIB, f"peak memory grew by {grown_mib:.0f} MiB"
    assert COUNTS["web, bounded work"] >= 45 and COUNTS["web, bad value"] >= 170, COUNTS


def _web_problem(answer, request: Request, seconds: float) -> str | None:
    if seconds > WEB_SECONDS:
        return f"took {seconds:.1f} s"
    if answer.status_code >= 500:
        return f"{answer.status_code}: {answer.text[:200]}"
    if answer.status_code == 202:
        return "accepted: a job was started"
    if request.expect and answer.status_code not in request.expect:
        return f"{answer.status_code} (wanted {request.expect}): {answer.text[:200]}"
    if answer.status_code == 200:
        return None
    if not 400 <= answer.status_code < 500:
        return f"{answer.status_code}"
    detail = answer.json().get("detail")
    if not detail or "internal error" in str(detail) or "Traceback" in str(detail):
        return f"no clear detail: {answer.text[:200]}"
    if len(answer.content) > 20_000:
        return f"an answer of {len(answer.content):,} bytes (an echo of the input?)"
    return None


# --- a damaged plan folder --------------------------------------------------------------


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 3)])


DAMAGES = {
    "plan.json empty": lambda f: (f / "plan.json").write_text(""),
    "plan.json not JSON": lambda f: (f / "plan.json").write_text("{not json"),
    "plan.json a list": lambda f: (f / "plan.json").write_text("[1, 2]"),
    "plan.json without its fields": lambda f: (f / "plan.json").write_text("{}"),
    "plan.json names a missing DEM": lambda f: (f / "plan.json").write_text(
        json.dumps(json.loads((f / "plan.json").read_text()) | {"dem_file": "gone.tif"})
    ),
    "plan.json names a file that is no DEM": lambda f: (f / "plan.json").write_text(
        json.dumps(json.loads((f / "plan.json").read_text()) | {"dem_file": "/etc/hostname"})
    ),
    "terrain.tif truncated": lambda f: _truncate(f / "terrain.tif"),
    "terrain.tif random bytes": lambda f: (f / "terrain.tif").write_bytes(bytes(range(256)) * 40),
    "terrain.tif gone": lambda f: (f / "terrain.tif").unlink(),
    "terrain.tif a folder": lambda f: ((f / "terrain.tif").unlink(), (f / "terrain.tif").mkdir()),
    "illumination.tif truncated": lambda f: _truncate(f / "illumination.tif"),
    "psr.tif empty": lambda f: (f / "psr.tif").write_bytes(b""),
    "site.json not JSON": lambda f: (f / "site.json").write_text("nope"),
    "site.json gone": lambda f: (f / "site.json").unlink(),
    "site.json without its fields": lambda f: (f / "site.json").write_text("{}"),
    "site_horizon.csv not numbers": lambda f: (f / "site_horizon.csv").write_text(
        "azimuth_deg,elevation_deg\nnorth,high\n"
    ),
    "site_tracks.csv cut mid-row": lambda f: _truncate(f / "site_tracks.csv"),
    "site_spells.csv binary": lambda f: (f / "site_spells.csv").write_bytes(b"\xff\x00" * 100),
    "station_series.csv without its columns": lambda f: (f / "station_series.csv").write_text(
        "a,b\n1,2\n"
    ),
    "campaign_milestones.json cut": lambda f: _truncate(f / "campaign_milestones.json"),
    "campaign_timeline.csv with a NUL": lambda f: (f / "campaign_timeline.csv").write_text(
        "year,x\n2030,\0\n"
    ),
}
PLAN_ROUTES = [
    ("GET", "/api/plan"),
    ("GET", "/api/plan/map"),
    ("GET", "/api/plan/layers/terrain.png"),
    ("GET", "/api/plan/layers/illumination.png"),
    ("GET", "/api/plan/layers/psr.png"),
    ("GET", "/api/plan/layers/terrain.png?x_min_m=0&x_max_m=2000&y_min_m=0&y_max_m=2000"),
    ("GET", "/api/plan/imagery.png"),
    ("GET", "/api/plan/imagery.png?x_min_m=0&x_max_m=2000&y_min_m=0&y_max_m=2000"),
    ("GET", "/api/plan/point?x_m=0&y_m=0"),
    ("GET", "/api/plan/site"),
    ("GET", "/api/plan/files/report.html"),
    ("GET", "/api/campaign"),
    ("GET", "/"),
]


def test_a_damaged_plan_folder_is_told_never_a_server_error(web_plan, tmp_path):
    from ilrs.api.web import create_web_app

    failures = []
    for what, damage in DAMAGES.items():
        folder = tmp_path / what.replace(" ", "-").replace(".", "_")
        shutil.copytree(web_plan["out"], folder)
        damage(folder)
        settings = web_settings(web_plan, tmp_path / "registry", plan_dir=folder)
        (tmp_path / "registry").mkdir(exist_ok=True)
        with TestClient(create_web_app(settings), raise_server_exceptions=False) as client:
            for method, path in PLAN_ROUTES:
                answer = client.request(method, path)
                COUNTS["web, damaged plan folder"] += 1
                if answer.status_code >= 500:
                    failures.append(f"{what}: {path}: {answer.status_code} {answer.text[:160]}")
                elif answer.status_code in (409, 404, 422):
                    detail = answer.json()["detail"]
                    if "internal error" in detail:
                        failures.append(f"{what}: {path}: {detail}")
            study = {"lat_deg": -89.45, "lon_deg": 222.69, "start": "2026-03-01T00:00:00Z",
                     "end": "2026-03-01T12:00:00Z", "step": "6h"}  # fmt: skip
            answer = client.post("/api/study", json=study)
            if answer.status_code >= 500:
                failures.append(f"{what}: study: {answer.status_code} {answer.text[:160]}")
    assert failures == []
    assert COUNTS["web, damaged plan folder"] >= len(DAMAGES) * len(PLAN_ROUTES)


# --- the command line -------------------------------------------------------------------


def _address_cap() -> None:
    limit = CLI_ADDRESS_GIB << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_cli(*args) -> tuple[subprocess.CompletedProcess, float, float]:
    """The real CLI in its own process: the result, seconds and peak resident MiB."""
    started = time.perf_counter()
    result = subprocess.run(
        child_command(*map(str, args)),
        capture_output=True,
        text=True,
        timeout=CLI_SECONDS * 2,
        preexec_fn=_address_cap,
    )
    seconds = time.perf_counter() - started
    result.stderr, peak_bytes = split_peak(result.stderr)
    return result, seconds, peak_bytes / 2**20 if peak_bytes is not None else float("inf")


def cli_cases(folder: Path) -> list[tuple[str, str, tuple]]:
    """(class, what, arguments) of hostile command lines, their files written in ``folder``."""
    bounded, bad = "bounded work", "bad value"
    cases = []
    for number, (what, text) in enumerate(hostile_yaml_texts().items()):
        kind = bounded if "bomb" in what or "nesting" in what else bad
        path = folder / f"hostile-{number}.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        cases.append((kind, f"plan file: {what}", ("plan", "--scenario", path,
                                                    "--out", folder / "out", "--cache",
                                                    folder / "cache")))  # fmt: skip
        if "bomb" in what or "nesting" in what or "twice" in what:
            cases.append((kind, f"station file: {what}", ("station", "check", path)))
            cases.append((kind, f"campaign file: {what}", ("campaign", "check", path)))
    base_60 = _write(folder / "base-60.yaml", "name: 1" + ":59" * 330_000 + "\n")  # 1 MB
    cases.append((bounded, "a base-60 number of a megabyte", ("station", "check", base_60)))
    big = folder / "big.yaml"
    with big.open("w", encoding="utf-8") as stream:  # 10^6 missions' worth, 20 MB
        stream.write("name: big\ncampaign:\n  missions:\n")
        stream.write("    - {name: m, launch_utc: 2030-01-01T00:00:00Z}\n" * 400_000)
    cases.append((bounded, "a 20 MB campaign file", ("campaign", "check", big)))
    cases.append((bounded, "a 20 MB plan file", ("plan", "--scenario", big)))
    cases.append((bounded, "an endless plan file (/dev/zero)", ("plan", "--scenario", "/dev/zero")))
    fifo = folder / "plan-fifo.yaml"
    import os

    os.mkfifo(fifo)
    cases.append((bounded, "a plan file that is a pipe", ("plan", "--scenario", fifo)))
    cases.append((bad, "a plan file that is a folder", ("plan", "--scenario", folder)))
    cases += [
        (
            bad,
            "latitude NaN",
            ("sky", "--lat", "nan", "--lon", 0, "--time", "2026-01-01T00:00:00Z", "--body", "sun"),
        ),  # fmt: skip
        (
            bad,
            "time of year 99999",
            ("sky", "--lat", -89, "--lon", 0, "--time", "99999-01-01", "--body", "sun"),
        ),  # fmt: skip
        (
            bad,
            "a body no one knows",
            (
                "sky",
                "--lat",
                -89,
                "--lon",
                0,
                "--time",
                "2026-01-01T00:00:00Z",
                "--body",
                "x" * 10_000,
            ),
        ),  # fmt: skip
        (
            bounded,
            "a range of 10^12 instants",
            (
                "sky",
                "--lat",
                -89,
                "--lon",
                0,
                "--start",
                "2026-01-01",
                "--end",
                "2999-01-01",
                "--step",
                "1s",
                "--body",
                "sun",
            ),
        ),  # fmt: skip
        (
            bounded,
            "a synthetic DEM of 10^12 pixels",
            ("terrain", "synth", "--out", folder / "huge.tif", "--size-px", 1_000_000),
        ),  # fmt: skip
        (bad, "a port past 65535", ("serve", "--port", 99_999)),
        (bad, "a port below 0", ("serve", "--port", -1)),
        (
            bad,
            "a host that is not an address",
            ("serve", "--host", "no.such.host.invalid", "--plan", folder / "none"),
        ),  # fmt: skip
        (
            bad,
            "a times file of garbage",
            (
                "sky",
                "--lat",
                -89,
                "--lon",
                0,
                "--times-file",
                _write(folder / "t.txt", "\0\xff" * 1000),
                "--body",
                "sun",
            ),
        ),  # fmt: skip
    ]
    return cases


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


def test_hostile_command_lines_are_refused_in_one_line_in_bounded_time_and_memory(tmp_path):
    failures = []
    for kind, what, args in cli_cases(tmp_path):
        result, seconds, peak_mib = run_cli(*args)
        COUNTS[f"cli, {kind}"] += 1
        errors = [line for line in result.stderr.splitlines() if line.startswith("ilrs: error:")]
        if result.returncode == 0 or "Traceback" in result.stderr or len(errors) != 1:
            failures.append(f"{what}: status {result.returncode}: {result.stderr[-300:]}")
        elif "internal error" in errors[0] or "out of memory" in errors[0]:
            failures.append(f"{what}: {errors[0][:300]}")
        elif seconds > CLI_SECONDS or peak_mib > CLI_MEMORY_MIB:
            failures.append(f"{what}: {seconds:.1f} s, {peak_mib:.0f} MiB at the peak")
    assert failures == []
    assert COUNTS["cli, bounded work"] >= 25 and COUNTS["cli, bad value"] >= 25, COUNTS


def test_scenario_limits_are_the_documented_ones():
    """The limits the README names (a change of one is a change of the documentation)."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for figure in (f"{MAX_SCENARIO_BYTES >> 20} MiB", f"{MAX_YAML_DEPTH} levels",
                   f"{MAX_BODY_BYTES >> 20} MiB", f"{MAX_IMPORT_BODY_BYTES >> 20} MiB",
                   f"{MAX_JSON_DEPTH} levels"):  # fmt: skip
        assert figure in readme, figure


def teardown_module(_module):
    print("\nhostile inputs tried, by class:", dict(sorted(COUNTS.items())))
