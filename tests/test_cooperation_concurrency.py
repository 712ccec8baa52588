"""The registry under concurrent use, on SQLite and PostgreSQL: two writers of one name
(one wins, the other is told why), a writer held past the wait (a clear refusal, not a
traceback), and a real server that keeps answering while an import runs."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ilrs.api.registry import install_error_handlers, registry_router
from ilrs.cooperation.database import open_registry
from ilrs.cooperation.models import Organisation
from ilrs.cooperation.records import PAUSE_ENV, create
from ilrs.cooperation.seed import name_key
from ilrs.cooperation.tokens import issue_token
from ilrs.errors import BusyError, InputError
from registry_backends import backend_params, registry_url


@pytest.fixture(params=backend_params())
def registry(request, tmp_path):
    url = registry_url(request.param, tmp_path)
    return url, open_registry(url)


def named(sessions, name: str) -> int:
    with sessions() as session:
        return session.scalar(
            select(func.count())
            .select_from(Organisation)
            .where(Organisation.name_key == name_key(name))
        )


def test_two_writers_of_one_name_one_wins_the_other_is_told(registry):
    """The second writer checks the name before the first commits (so the check passes),
    then waits on the database's lock; when the first commits, the unique key refuses the
    second, and it hears why."""
    _, sessions = registry
    first = sessions()
    create(first, "organisations", {"name": "Race Lab", "kind": "laboratory"}, actor="a")
    # first has written its row (SQLite: holds the write lock; PostgreSQL: the key's entry)
    outcome = {}

    def second():
        with sessions() as session:
            try:
                values = {"name": "RACE LAB.", "kind": "laboratory"}
                create(session, "organisations", values, actor="b")
                session.commit()
                outcome["stored"] = True
            except Exception as error:  # noqa: BLE001 (the test reports whatever it is)
                outcome["error"] = error

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)  # the second is now waiting for the first
    assert thread.is_alive()
    first.commit()
    first.close()
    thread.join(timeout=20)
    error = outcome.get("error")
    assert isinstance(error, InputError), outcome
    assert str(error) == (
        "organisations: 'RACE LAB.' is already in the registry (stored meanwhile under this or "
        "another spelling); nothing was stored"
    )
    assert named(sessions, "Race Lab") == 1


def test_processes_adding_one_name_at_once_give_one_record_and_clear_refusals(tmp_path):
    """Six `ilrs registry add` at once on one SQLite file: one stores it, each of the others
    says in one line why not (before: an IntegrityError traceback, now and then)."""
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    open_registry(url)
    command = [sys.executable, "-m", "ilrs", "registry", "add", "organisations"]
    values = ["name=Same Name Institute", "kind=institute", "--db", url]
    processes = [
        subprocess.Popen(
            command + values, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
    assert sorted(code for code, _, _ in results) == [0, 1, 1, 1, 1, 1]
    for code, _, err in results:
        if code:
            (line,) = err.splitlines()
            assert line.startswith("ilrs: error: organisations: 'Same Name Institute' is ")
            assert "under another spelling" in line or "already in the registry" in line
    assert named(open_registry(url), "Same Name Institute") == 1


def test_a_writer_held_past_the_wait_is_a_clear_refusal(tmp_path):
    """SQLite: another process holds the write lock longer than the registry waits; the
    change is refused as busy (the CLI's one line; the API's 429), nothing stored."""
    path = tmp_path / "registry.sqlite"
    url = f"sqlite:///{path}"
    sessions = open_registry(url, busy_timeout_s=0.2)
    with sessions.begin() as session:
        editor = issue_token(session, "editor", "editor")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, held
    try:
        with pytest.raises(BusyError) as refused, sessions.begin() as session:
            create(session, "organisations", {"name": "Busy Lab", "kind": "company"}, actor="x")
        assert str(refused.value) == (
            "the registry is busy: another change held it for more than 0.2 s; nothing was "
            "changed, try again"
        )
        app = FastAPI()
        install_error_handlers(app)
        app.include_router(registry_router(sessions))
        answer = TestClient(app).post(
            "/api/organisations",
            json={"name": "Busy Lab", "kind": "company"},
            headers={"Authorization": f"Bearer {editor}"},
        )
        assert answer.status_code == 429 and answer.headers["Retry-After"] == "5"
        assert answer.json()["detail"].startswith("the registry is busy")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert named(sessions, "Busy Lab") == 0


@contextlib.contextmanager
def registry_server(url: str, env: dict | None = None):
    """`ilrs registry serve` on a free port in its own process; yields its address and the
    process (its standard error a pipe)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "ilrs", "registry", "serve", "--db", url, "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{base}/api/tables", timeout=1)
                break
            time.sleep(0.05)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)


# Before the fix the import ran on the server's event loop: every other request waited for
# it (a 100,000-row import held the server 129 s).
ANSWER_BOUND_S = 1.0


def test_the_server_answers_while_an_import_runs(registry):
    url, sessions = registry
    with sessions.begin() as session:
        editor = {"Authorization": f"Bearer {issue_token(session, 'editor', 'editor')}"}
    rows = "".join(f"Institute {k},institute,BR\n" for k in range(1000))
    # The import pauses halfway, its transaction open (as a long one would be).
    with registry_server(url, {PAUSE_ENV: "3"}) as (base, server):
        imported = {}

        def run_import():
            answer = httpx.post(
                f"{base}/api/organisations/import",
                content="name,kind,country\n" + rows,
                headers={**editor, "Content-Type": "text/csv"},
                timeout=120,
            )
            imported["answer"] = answer

        thread = threading.Thread(target=run_import)
        thread.start()
        assert server.stderr.readline().strip() == "import paused"
        for where in ("/api/organisations/1", "/api/organisations?limit=5", "/api/progress"):
            start = time.monotonic()
            answer = httpx.get(base + where, headers=editor, timeout=30)
            elapsed_s = time.monotonic() - start
            assert answer.status_code == 200 and elapsed_s < ANSWER_BOUND_S, (where, elapsed_s)
        assert thread.is_alive()  # the import still runs: the answers came meanwhile
        thread.join(timeout=120)
    assert imported["answer"].status_code == 200
    assert imported["answer"].json() == {"imported": 1000}
    assert named(sessions, "Institute 999") == 1


def test_a_latin_1_digit_in_if_match_over_http_is_a_400(registry):
    """HTTP headers are Latin-1: '²' arrives as itself, and str.isdigit() takes it (before:
    int() refused it, a 500)."""
    url, sessions = registry
    with sessions.begin() as session:
        editor = issue_token(session, "editor", "editor")
    answers = {}
    with registry_server(url) as (base, _):
        for version in ("²", "³", "¹", "¹²"):
            connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=30)
            connection.request(
                "PATCH",
                "/api/organisations/1",
                body=json.dumps({"note": "x"}),
                headers={
                    "Authorization": f"Bearer {editor}",
                    "Content-Type": "application/json",
                    "If-Match": f'"{version}"',  # sent as Latin-1: one byte a character
                },
            )
            answer = connection.getresponse()
            answers[version] = (answer.status, json.loads(answer.read())["detail"])
            connection.close()
    for version, (status, detail) in answers.items():
        assert status == 400
        assert detail == (
            f"If-Match '\"{version}\"' is not an ETag of this API (a version in quotes, such "
            'as "3")'
        )
    with sessions() as session:
        assert session.get(Organisation, 1).version == 1
