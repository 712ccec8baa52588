"""Fuzzing the registry's REST API from its own OpenAPI schema (schemathesis): whatever the
requests, the server answers with no server error (5xx)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from ilrs.api.registry import create_app
from ilrs.cooperation.database import open_registry
from ilrs.cooperation.tokens import issue_token

_URL = f"sqlite:///{Path(tempfile.mkdtemp()) / 'fuzz.sqlite'}"
with open_registry(_URL).begin() as _session:
    _ADMIN = issue_token(_session, "fuzzer", "admin")
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_URL))


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_request_makes_a_server_error(case):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {_ADMIN}"}, checks=[not_a_server_error]
    )


@pytest.fixture(scope="module")
def web_app_schema(web_plan, tmp_path_factory):
    """The web application's own routes on a computed plan (those that start background
    computations are left out: a valid random request would start a real one)."""
    from ilrs.api.web import create_web_app
    from web_fixtures import web_settings

    app = create_web_app(web_settings(web_plan, tmp_path_factory.mktemp("fuzz")))
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    return loaded.include(tag_regex="^(plan|site|campaign|jobs|partners)$").exclude(
        path_regex="^/api/(study|campaign/whatif|plan/run)$"
    )


def test_no_request_to_the_web_app_makes_a_server_error(web_app_schema):
    from hypothesis import given

    operations = [result.ok() for result in web_app_schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def no_server_error(case):
            case.call_and_validate(checks=[not_a_server_error])

        no_server_error()


@pytest.fixture(scope="module")
def computing_app(web_plan, tmp_path_factory):
    """The web application on its own copy of the small plan, for the routes that start
    computations (a plan run replaces its folder)."""
    import shutil

    from ilrs.api.web import create_web_app
    from web_fixtures import web_settings

    folder = tmp_path_factory.mktemp("fuzz-compute")
    shutil.copytree(web_plan["out"], folder / "out")
    return create_web_app(web_settings(web_plan, folder, plan_dir=folder / "out"))


TINY_PERIOD = {"start": "2026-03-01T00:00:00Z", "end": "2026-03-01T12:00:00Z", "step": "6h"}


def test_no_request_to_the_computing_routes_makes_a_server_error(computing_app):
    """Studies, what-ifs, plan runs and cancels from the schema; half the studies get a
    tiny valid period so that their jobs really run. No answer is a 5xx, and no job ends
    in an internal error."""
    from fastapi.testclient import TestClient
    from hypothesis import given

    loaded = schemathesis.openapi.from_asgi("/openapi.json", computing_app)
    routes = "^/api/(study|campaign/whatif|plan/run|jobs/\\{job_id\\})$"
    operations = [result.ok() for result in loaded.include(path_regex=routes).get_all_operations()]
    assert len(operations) == 5  # study, what-if, run, a job and its cancel
    with TestClient(computing_app) as client:  # its start-up and shutdown (the jobs)
        made = iter(range(10**6))
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=20,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            )
            def no_server_error(case):
                if case.path == "/api/study" and isinstance(case.body, dict) and next(made) % 2:
                    case.body = case.body | TINY_PERIOD
                case.call_and_validate(checks=[not_a_server_error])

            no_server_error()
        deadline = time.monotonic() + 300
        jobs = client.get("/api/jobs").json()
        while any(job["state"] in ("queued", "running") for job in jobs):
            assert time.monotonic() < deadline, "the fuzzed jobs did not end in 5 minutes"
            time.sleep(0.5)
            jobs = client.get("/api/jobs").json()
    assert [job["kind"] for job in jobs if job["state"] == "done"], "no job ran to the end"
    internal = [job for job in jobs if "internal error" in (job["error"] or "")]
    assert internal == []
