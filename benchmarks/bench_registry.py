"""Benchmark: the registry's REST API under load on PostgreSQL (the issue: 50 clients reading
and 5 writing for 60 s against a local server, no error, p95 latency reported).

Starts a throwaway PostgreSQL server (``.ci/postgres.sh``), the API under uvicorn (two
worker processes, one per core), then 55 client threads over HTTP: readers list pages of
organisations and read single records; writers each create organisations and edit their
own with If-Match. Any status other than the expected is an error. Peak memory: the
benchmark's own, and the largest process of the API server and of PostgreSQL (each
process's high-water mark, read before they stop).

    .venv/bin/python benchmarks/bench_registry.py [--seconds 60] [--readers 50] [--writers 5]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from results import record, report_peak_rss, running_peaks_mib

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--writers", type=int, default=5)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    pg_dir = tempfile.mkdtemp(prefix="ilrs-bench-pg.")
    os.chmod(pg_dir, 0o755)
    script = str(ROOT / ".ci" / "postgres.sh")
    url = subprocess.check_output([script, "start", pg_dir, "54340"], text=True).strip()
    server = None
    try:
        from ilrs.cooperation.database import open_registry
        from ilrs.cooperation.tokens import issue_token

        with open_registry(url).begin() as session:
            viewer = issue_token(session, "bench viewer", "viewer")
            editor = issue_token(session, "bench editor", "editor")
        env = {**os.environ, "ILRS_REGISTRY_URL": url}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "ilrs.api.registry:create_app",
                "--port",
                str(args.port),
                "--workers",
                "2",
                "--log-level",
                "warning",
            ],
            env=env,
        )
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        results = run_load(base, viewer, editor, args)
        postmaster_pid = int((Path(pg_dir) / "data" / "postmaster.pid").read_text().split()[0])
        servers_mib = {
            f"{name} (largest of {len(peaks)} processes)": max(peaks)
            for name, peaks in (
                ("API server", running_peaks_mib(server.pid)),
                ("PostgreSQL", running_peaks_mib(postmaster_pid)),
            )
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        subprocess.run([script, "stop", pg_dir], check=False)
    report(results, args, servers_mib)


def run_load(base: str, viewer: str, editor: str, args) -> dict[str, list]:
    stop_at = time.perf_counter() + args.seconds
    results = {"read": [], "write": [], "errors": []}
    lock = threading.Lock()

    def reader(seed: int) -> None:
        rng = random.Random(seed)
        headers = {"Authorization": f"Bearer {viewer}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            while time.perf_counter() < stop_at:
                if rng.random() < 0.5:
                    path = f"/api/organisations?limit=50&offset={rng.randrange(0, 20)}"
                else:
                    path = f"/api/organisations/{rng.randrange(1, 21)}"
                start = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - start
                with lock:
                    results["read"].append(elapsed)
                    if response.status_code != 200:
                        results["errors"].append((path, response.status_code))

    def writer(index: int) -> None:
        headers = {"Authorization": f"Bearer {editor}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            count = 0
            while time.perf_counter() < stop_at:
                count += 1
                start = time.perf_counter()
                made = client.post(
                    "/api/organisations",
                    json={
                        "name": f"Bench institute {index}-{count}",
                        "kind": "institute",
                        "country": "BR",
                    },
                )
                edited = None
                if made.status_code == 201:
                    edited = client.patch(
                        made.headers["Location"],
                        json={"note": "edited"},
                        headers={"If-Match": made.headers["ETag"]},
                    )
                elapsed = time.perf_counter() - start
                with lock:
                    results["write"].append(elapsed / 2)  # two requests
                    if made.status_code != 201 or edited is None or edited.status_code != 200:
                        results["errors"].append(
                            ("write", made.status_code, edited.status_code if edited else None)
                        )

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(args.readers)]
    threads += [threading.Thread(target=writer, args=(k,)) for k in range(args.writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def report(results: dict[str, list], args, servers_mib: dict[str, float]) -> None:
    print(
        f"{args.readers} readers and {args.writers} writers for {args.seconds:g} s, "
        "PostgreSQL, uvicorn with 2 workers, over loopback HTTP"
    )
    for kind in ("read", "write"):
        latencies = np.array(results[kind]) * 1e3
        print(
            f"  {kind}: {latencies.size} requests ({latencies.size / args.seconds:.0f}/s), "
            f"median {np.median(latencies):.1f} ms, p95 {np.percentile(latencies, 95):.1f} ms, "
            f"max {latencies.max():.0f} ms"
        )
    print(f"  errors: {len(results['errors'])}", results["errors"][:5])
    peak_note = report_peak_rss(servers_mib)
    load = f"{args.readers} readers and {args.writers} writers, {args.seconds:g} s"
    for kind in ("read", "write"):
        record(
            f"registry API on PostgreSQL: p95 latency of a {kind} ({load})",
            float(np.percentile(np.array(results[kind]) * 1e3, 95)),
            "ms",
            goal="reported",
            met=None,
            note=f"{len(results[kind])} {'pairs' if kind == 'write' else 'requests'}",
        )
    record(
        f"registry API on PostgreSQL: errors ({load})",
        len(results["errors"]),
        "errors",
        goal="none",
        met=not results["errors"],
        note=peak_note,
    )


if __name__ == "__main__":
    main()
