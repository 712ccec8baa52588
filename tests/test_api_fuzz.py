"""Fuzzing the registry's REST API from its own OpenAPI schema (schemathesis): whatever the
requests, the server answers with no server error (5xx)."""

from __future__ import annotations

import tempfile
from pathlib import Path

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
