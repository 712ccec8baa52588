"""A small plan computed once for the web tests, and the web application served on it."""

from __future__ import annotations

import socket
import threading
import time

from ilrs.data import data_path

PLAN_TEXT = (
    "name: small web plan\n"
    "terrain:\n"
    "  synthetic: {size_px: 128, resolution_m: 240, seed: 0}\n"
    "site: {name: connecting-ridge, height_m: 2}\n"
    "lighting: {start: 2026-03-01T00:00:00Z, end: 2026-03-08T00:00:00Z, step: 2h}\n"
    "station: station.yaml\n"
)


# The real south pole as `ilrs plan` and `ilrs serve` show it by default (a 120 km square of
# the embedded LOLA cap, from Shackleton to Shoemaker), over the same week.
REAL_PLAN_TEXT = PLAN_TEXT.replace(
    "  synthetic: {size_px: 128, resolution_m: 240, seed: 0}\n", "  lola: {map_half_width_km: 60}\n"
)


def write_small_plan(folder, plan_text: str = PLAN_TEXT):
    """The plan file and its one-week station (the campaign stays the reference)."""
    text = data_path("station_reference.yaml").read_text(encoding="utf-8")
    text = text.replace("end: 2026-12-31T23:45:00Z", "end: 2026-01-08T00:00:00Z", 1)
    text = text.replace("step: 15min", "step: 1h", 1)
    (folder / "station.yaml").write_text(text, encoding="utf-8")
    (folder / "plan.yaml").write_text(plan_text, encoding="utf-8")
    return folder / "plan.yaml"


def web_settings(web_plan: dict, registry_folder, **changes):
    """WebSettings serving the small plan (``conftest.web_plan``) with a registry of its
    own in ``registry_folder``; ``changes`` replace any field."""
    from ilrs.api.guards import LOOPBACK_HOSTS
    from ilrs.api.web import WebSettings

    fields = {
        "allowed_hosts": (*LOOPBACK_HOSTS, "testserver"),  # the name TestClient gives
        "plan_dir": web_plan["out"],
        "cache_dir": web_plan["cache"],
        "scenario": web_plan["file"],
        "registry_url": f"sqlite:///{registry_folder / 'registry.db'}",
    }
    return WebSettings(**(fields | changes))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """uvicorn serving an app in a thread, on a free port of the loopback."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the web application did not start within 30 s")
            time.sleep(0.05)
        return self

    def __exit__(self, *_):
        self.server.should_exit = True
        self.thread.join(timeout=10)
