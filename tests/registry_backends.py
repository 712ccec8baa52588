"""The databases the registry's tests run on: SQLite always, PostgreSQL when
``ILRS_TEST_POSTGRES_URL`` names a server (CI starts one; ``ILRS_REQUIRE_POSTGRES=1``
makes its absence a failure, not a skip)."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

POSTGRES_ENV = "ILRS_TEST_POSTGRES_URL"


def backend_params():
    return ["sqlite", "postgresql"]


def registry_url(backend: str, tmp_path) -> str:
    """A fresh, empty database of the backend for one test."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite'}"
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        if os.environ.get("ILRS_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{POSTGRES_ENV} is not set but PostgreSQL is required here")
        pytest.skip(f"PostgreSQL: set {POSTGRES_ENV} (CI does)")
    name = f"ilrs_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"
