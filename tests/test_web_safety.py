"""The web application reads only what it was given and stays responsive (issue 18,
classes 2 and 5), on the real server (``ilrs serve`` in its own process) where the network
matters: a plan sent from a page names only files of the served plan's folder, a request
must name this server's host, every answer carries the security headers, an oversized
body is refused before it is read, and the job queue is bounded, ordered and cancellable.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from ilrs.api.guards import MAX_BODY_BYTES
from ilrs.api.jobs import MAX_QUEUED, Jobs
from ilrs.errors import BusyError, InputError
from web_fixtures import PLAN_TEXT, free_port, web_settings

SECRET_LINE = "root:$6$very-secret-hash:19000:0:99999:7:::"


@pytest.fixture(scope="module")
def web(web_plan, tmp_path_factory):
    from ilrs.api.web import create_web_app

    settings = web_settings(web_plan, tmp_path_factory.mktemp("safety-registry"))
    with TestClient(create_web_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_a_plan_sent_to_the_web_reads_no_file_outside_the_served_folder(web, web_plan, tmp_path):
    """`station: /etc/shadow` listed the file's lines in the error, and any path's
    existence showed; now every way out of the folder is refused alike, unread."""
    secret = tmp_path / "secret.yaml"
    secret.write_text(SECRET_LINE + "\n", encoding="utf-8")
    folder = web_plan["dir"]
    (folder / "link-out.yaml").unlink(missing_ok=True)
    (folder / "link-out.yaml").symlink_to(secret)
    (folder / "notes.txt").write_text(SECRET_LINE + "\n", encoding="utf-8")
    outside = os.path.relpath(secret, folder)
    cases = {
        "station: /etc/shadow": "not an absolute one",
        f"station: {secret}": "not an absolute one",
        f"station: {tmp_path / 'no-such.yaml'}": "not an absolute one",
        f"station: {outside}": "'..' leaves it",
        "station: ../../../../../../etc/passwd": "'..' leaves it",
        "station: link-out.yaml": "leads out of the plan's folder",
        "station: notes.txt": "a scenario file is a YAML file",
        "campaign: ~/campaign.yaml": "not an absolute one",
        "station: no-such.yaml": "no such file: no-such.yaml",
    }
    for line, expected in cases.items():
        text = PLAN_TEXT.replace("station: station.yaml", line)
        for route in ("/api/plan/check", "/api/plan/run"):
            answer = web.post(route, json={"text": text})
            detail = answer.json()["detail"]
            assert answer.status_code == 422 and expected in detail, (line, detail)
            assert SECRET_LINE not in detail and "root" not in detail
            assert str(tmp_path) not in detail  # no path of the server named back
    dem_line = f"  dem: {secret}\n"
    text = PLAN_TEXT.replace("  synthetic: {size_px: 128, resolution_m: 240, seed: 0}\n", dem_line)
    answer = web.post("/api/plan/check", json={"text": text})
    assert (
        answer.status_code == 422 and "terrain.dem: give a path inside" in answer.json()["detail"]
    )
    # A station file inside the folder that names a file outside it is refused too.
    station = (folder / "station.yaml").read_text(encoding="utf-8")
    (folder / "station-out.yaml").write_text(
        station.replace("terrain: lola ", f"terrain: {secret} #"), encoding="utf-8"
    )
    text = PLAN_TEXT.replace("station: station.yaml", "station: station-out.yaml")
    detail = web.post("/api/plan/check", json={"text": text}).json()["detail"]
    assert "station-out.yaml" in detail and "site.terrain: give a path inside" in detail
    # Through a link to a folder outside, then '..' inside a station file (the path as
    # written stays in, the path opened does not).
    outside = tmp_path / "outside"
    (outside / "deeper").mkdir(parents=True)
    (outside / "secret.csv").write_text(f"azimuth_deg,elevation_deg\n{SECRET_LINE},1\n")
    (folder / "data").unlink(missing_ok=True)
    (folder / "data").symlink_to(outside / "deeper")
    for horizon in ("data/../secret.csv", "../outside/secret.csv", "data/../../x.csv"):
        (folder / "station-link.yaml").write_text(
            station.replace("terrain: lola ", f"horizon_csv: {horizon} #"), encoding="utf-8"
        )
        text = PLAN_TEXT.replace("station: station.yaml", "station: station-link.yaml")
        answer = web.post("/api/plan/run", json={"text": text})
        assert answer.status_code == 422, (horizon, answer.text)
        assert "site.horizon_csv: give a path inside the plan's folder" in answer.json()["detail"]
    for name in ('"a\\0b.yaml"', "x" * 300 + ".yaml", "/".join(["y" * 250] * 40) + ".yaml"):
        text = PLAN_TEXT.replace("station: station.yaml", f"station: {name}")
        answer = web.post("/api/plan/check", json={"text": text})
        assert answer.status_code == 422, answer.text
        assert "file name" in answer.json()["detail"], answer.text
    # The same plan file from the command line is the user's own: its paths are free.
    assert web.post("/api/plan/check", json={"text": PLAN_TEXT}).json()["ok"] is True


def test_a_pasted_plan_is_kept_only_once_it_loads(web, web_plan):
    """A plan that fails to load leaves nothing in the cache (a later plan could name it,
    and a client could fill the disk with them)."""
    plans = web_plan["cache"] / "plans"
    before = sorted(plans.iterdir()) if plans.exists() else []
    for number in range(5):
        text = PLAN_TEXT.replace("station: station.yaml", f"station: none-{number}.yaml")
        assert web.post("/api/plan/run", json={"text": text}).status_code == 422
    after = sorted(plans.iterdir()) if plans.exists() else []
    assert after == before


def test_every_answer_carries_the_security_headers(web):
    for path in ("/", "/site", "/docs", "/api/plan", "/api/plan/layers/terrain.png",
                 "/static/common.js", "/api/jobs/none", "/api/nothing"):  # fmt: skip
        answer = web.get(path)
        assert answer.headers["x-frame-options"] == "DENY", path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
        assert "script-src 'self'" in answer.headers["content-security-policy"], path
        assert answer.headers["referrer-policy"] == "no-referrer", path


# --- the real server ------------------------------------------------------------------


def serve(web_plan, tmp_path, *extra: str) -> tuple[subprocess.Popen, list[str]]:
    """`ilrs serve` on the small plan; its process and the lines it printed first."""
    command = [sys.executable, "-m", "ilrs", "serve", "--plan", str(web_plan["out"]),
               "--scenario", str(web_plan["file"]), "--cache", str(web_plan["cache"]),
               "--db", f"sqlite:///{tmp_path / 'registry.db'}", *extra]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    lines = [server.stdout.readline() for _ in range(2)]
    return server, lines


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=5)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"{url} did not answer in 30 s"
            time.sleep(0.1)


def test_the_real_server_guards_its_host_and_its_bodies(web_plan, tmp_path):
    port = free_port()
    server, lines = serve(web_plan, tmp_path, "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        assert lines[0].startswith(f"ILRS Planner: {base}/?token="), lines
        wait_for(base)
        # DNS rebinding: a page of another name that resolves to this machine
        rebound = httpx.get(f"{base}/api/plan", headers={"Host": f"attacker.example:{port}"})
        assert rebound.status_code == 421 and "--allow-host" in rebound.json()["detail"]
        assert httpx.get(f"http://localhost:{port}/api/plan").status_code == 200
        assert httpx.get(f"{base}/").headers["x-frame-options"] == "DENY"
        # A body declared at 300 MB is refused before it is read: the socket answers at
        # once though no byte of the body was sent.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(
                b"POST /api/plan/check HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 300000000\r\n\r\n"
            )
            started = time.monotonic()
            reply = raw.recv(4096).decode("latin-1")
            assert reply.startswith("HTTP/1.1 413") and time.monotonic() - started < 5, reply

        # A chunked body that never ends is cut at the limit.
        def endless():
            chunk = b" " * 65536
            for _ in range(MAX_BODY_BYTES // len(chunk) + 20):
                yield chunk

        answer = httpx.post(f"{base}/api/study", content=endless(),
                            headers={"Content-Type": "application/json"}, timeout=30)  # fmt: skip
        assert answer.status_code == 413
        assert httpx.get(f"{base}/api/plan").status_code == 200  # still serving
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_serve_says_where_it_listens(web_plan, tmp_path):
    server, lines = serve(web_plan, tmp_path, "--host", "0.0.0.0", "--port", "0")
    try:
        port = int(lines[0].split("http://127.0.0.1:", 1)[1].split("/", 1)[0])
        assert port > 0  # the port the system gave, not 0
        assert f"listening on 0.0.0.0 port {port}: every network interface" in lines[1]
        wait_for(f"http://127.0.0.1:{port}/")
        own = socket.gethostname()
        assert httpx.get(f"http://127.0.0.1:{port}/api/plan", headers={"Host": own}).is_success
    finally:
        server.terminate()
        server.wait(timeout=20)
    # A port taken: one line, before anything is served.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "ilrs", "serve", "--port", str(busy),
                               "--db", f"sqlite:///{tmp_path / 'r.db'}"],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"ilrs: error: cannot listen on 127.0.0.1 port {busy}: Address already in use"
    )


def test_the_server_answers_while_a_job_computes(web_plan, tmp_path):
    """A study computing in the background does not hold up the pages."""
    port = free_port()
    server, _ = serve(web_plan, tmp_path, "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base)
        study = {"lat_deg": -89.6, "lon_deg": 200.0, "start": "2026-01-01T00:00:00Z",
                 "end": "2026-03-01T00:00:00Z", "step": "1h"}  # fmt: skip
        job = httpx.post(f"{base}/api/study", json=study, timeout=30).json()
        slowest = 0.0
        while job["state"] in ("queued", "running"):
            started = time.monotonic()
            assert httpx.get(f"{base}/api/plan", timeout=30).status_code == 200
            slowest = max(slowest, time.monotonic() - started)
            job = httpx.get(f"{base}/api/jobs/{job['id']}", timeout=30).json()
        assert job["state"] == "done", job["error"]
        assert slowest < 2.0, f"a page took {slowest:.1f} s while the study ran"
    finally:
        server.terminate()
        server.wait(timeout=20)


# --- the job queue --------------------------------------------------------------------


def test_the_queue_is_bounded_per_kind_plan_runs_first_and_jobs_cancel():
    jobs = Jobs()
    gate, order = threading.Event(), []

    def blocker(progress):
        gate.wait(30)
        return "blocker"

    def record(name):
        def work(progress):
            order.append(name)
            return name

        return work

    first = jobs.submit("study", "blocker", "blocker", blocker)
    while first.state != "running":
        time.sleep(0.01)
    studies = [jobs.submit("study", f"s{i}", f"s{i}", record(f"s{i}")) for i in range(10)]
    assert len(studies) == MAX_QUEUED["study"]
    with pytest.raises(BusyError, match="10 study jobs are waiting already"):
        jobs.submit("study", "one too many", "x", record("x"))
    assert jobs.submit("study", "s3", "again", record("again")) is studies[3]  # joined
    plan = jobs.submit("plan", "p", "plan", record("plan"))
    cancelled = jobs.cancel(studies[5].id)
    assert cancelled.state == "cancelled"
    with pytest.raises(InputError, match="has ended"):
        jobs.cancel(studies[5].id)
    jobs.submit("study", "now there is room", "y", record("y"))
    gate.set()
    deadline = time.monotonic() + 30
    while any(j.state in ("queued", "running") for j in jobs.all()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert order[0] == "plan"  # before every study queued ahead of it
    assert order[1:] == [f"s{i}" for i in range(10) if i != 5] + ["y"]
    assert plan.state == "done" and studies[5].result is None
    jobs.shutdown()


def test_a_running_job_stops_at_its_next_step_when_cancelled():
    jobs = Jobs()
    started, steps = threading.Event(), []

    def long(progress):
        started.set()
        for step in range(1000):
            progress(f"step {step}")
            steps.append(step)
            time.sleep(0.01)
        return "finished"

    job = jobs.submit("study", "long", "long", long)
    started.wait(10)
    time.sleep(0.05)
    jobs.cancel(job.id)
    deadline = time.monotonic() + 10
    while job.state == "running":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert job.state == "cancelled" and job.result is None and len(steps) < 100
    again = jobs.submit("study", "long", "long again", lambda progress: "second")
    assert again is not job  # a cancelled job is not handed out again
    jobs.shutdown()


def test_cancel_over_http(web):
    assert web.delete("/api/jobs/12345").status_code == 404


def test_serve_refuses_a_cache_folder_of_someone_elses_files(tmp_path):
    """The web application prunes old pasted plans in its cache: a folder of the user's
    own files is never taken as one."""
    mine = tmp_path / "mine"
    (mine / "plans" / "2019").mkdir(parents=True)
    (mine / "plans" / "2019" / "trip.txt").write_text("kept", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "ilrs", "serve", "--cache", str(mine),
                           "--db", f"sqlite:///{tmp_path / 'r.db'}", "--port", "0"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "not ILRS Planner's cache (plans)" in done.stderr
    assert (mine / "plans" / "2019" / "trip.txt").read_text() == "kept"
    assert sorted(p.name for p in mine.iterdir()) == ["plans"]
