"""Fuzzing the registry's REST API from its own OpenAPI schema (schemathesis): whatever the
requests, the server answers with no server error (5xx)."""

from __future__ import annotations

import tempfile
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
