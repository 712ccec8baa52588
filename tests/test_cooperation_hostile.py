"""Hostile values against the registry's domain layer, on SQLite and on PostgreSQL: every
one refused with the field named and nothing stored, never a database error. PostgreSQL is
the strict one (VARCHAR lengths, no NUL, 32-bit integers); SQLite would keep what it is
given, so the checks are the registry's own, the same on both."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from ilrs.cli import main
from ilrs.cooperation.database import open_registry
from ilrs.cooperation.models import (
    MAX_ID,
    MAX_TEXT_CHARS,
    Agreement,
    ApiToken,
    Contribution,
    Organisation,
    Person,
    ScienceProject,
)
from ilrs.cooperation.records import create, update
from ilrs.cooperation.tokens import issue_token, revoke_token
from ilrs.errors import InputError
from registry_backends import POSTGRES_ENV, backend_params, registry_url

MODELS = {
    "organisations": Organisation,
    "people": Person,
    "agreements": Agreement,
    "contributions": Contribution,
    "science_projects": ScienceProject,
}
# A valid record of each table; each case below spoils one field of it.
VALID = {
    "organisations": {"name": "Hostile Values Institute", "kind": "institute"},
    "people": {"name": "A. Researcher"},
    "agreements": {"title": "T", "kind": "mou", "status": "signed", "party_ids": [1]},
    "contributions": {"name": "c", "kind": "payload", "organisation_id": 1},
    "science_projects": {"title": "p"},
}
# One field of every kind (text, Text, url, country, choice, date, bool, number, org, orgs,
# texts), with the hostile text put where that kind takes text.
EVERY_KIND = [
    ("organisations", "name", lambda bad: bad),
    ("organisations", "note", lambda bad: bad),
    ("organisations", "source_url", lambda bad: "https://example.org/" + bad),
    ("organisations", "country", lambda bad: bad),
    ("organisations", "kind", lambda bad: bad),
    ("agreements", "signed_on", lambda bad: "2024-01-01" + bad),
    ("agreements", "names_ilrs", lambda bad: bad),
    ("contributions", "mass_kg", lambda bad: "5" + bad),
    ("organisations", "parent_id", lambda bad: bad),
    ("agreements", "party_ids", lambda bad: [1, bad]),
    ("science_projects", "missions", lambda bad: ["Chang'e-7", bad]),
]
NUL_CASES = [(t, f, make("a\x00b"), "holds a NUL character") for t, f, make in EVERY_KIND]
SURROGATE_CASES = [
    (t, f, make(bad), "holds a lone surrogate")
    for t, f, make in EVERY_KIND
    for bad in ("a\ud800", "\udfff")
]
LONG_CASES = [
    ("organisations", "name", "x" * 301, "is 301 characters long; at most 300 are kept"),
    ("people", "name", "x" * 301, "is 301 characters long; at most 300 are kept"),
    ("agreements", "title", "t" * 501, "is 501 characters long; at most 500 are kept"),
    ("contributions", "mission", "m" * 101, "is 101 characters long; at most 100 are kept"),
    (
        "organisations",
        "note",
        "n" * (MAX_TEXT_CHARS + 1),
        f"is {MAX_TEXT_CHARS + 1:,} characters long; at most {MAX_TEXT_CHARS:,} are kept",
    ),
    (
        "organisations",
        "source_url",
        "https://" + "a" * 493,
        "is 501 characters long; at most 500 are kept",
    ),
    ("science_projects", "missions", ["m" * 101], "is 101 characters long; at most 100"),
    ("science_projects", "missions", ["x"] * 1001, "names 1,001 items; at most 1,000"),
    ("agreements", "party_ids", [1] * 1001, "names 1,001 items; at most 1,000"),
]
OUT_OF_RANGE = f"(ids run from 1 to {MAX_ID})"
ID_CASES = [
    (table, field, value, message)
    for table, field in [
        ("organisations", "parent_id"),
        ("people", "affiliation_id"),
        ("agreements", "via_id"),
        ("contributions", "organisation_id"),
        ("science_projects", "lead_id"),
    ]
    for value, message in [
        (2**31, f"no organisation 2147483648 {OUT_OF_RANGE}"),
        (str(2**31), f"no organisation '2147483648' {OUT_OF_RANGE}"),
        (2**63, f"no organisation 9223372036854775808 {OUT_OF_RANGE}"),
        ("9" * 40, OUT_OF_RANGE),
        (10**5000, f"no organisation an integer of 16610 bits {OUT_OF_RANGE}"),
        (0, f"no organisation 0 {OUT_OF_RANGE}"),
        (-1, f"no organisation -1 {OUT_OF_RANGE}"),
        ("²", "no organisation '²'"),  # str.isdigit() says yes, int() says no
        ("١٢", "no organisation '١٢'"),
        ("５", "no organisation '５'"),
        (True, "True is not an organisation's id or name"),
        (1.5, "1.5 is not an organisation's id or name"),
    ]
] + [
    ("agreements", "party_ids", [2**31], f"no organisation 2147483648 {OUT_OF_RANGE}"),
    ("agreements", "party_ids", f"1;{2**40}", f"no organisation '1099511627776' {OUT_OF_RANGE}"),
    ("agreements", "party_ids", ["²"], "no organisation '²'"),
]
DUPLICATE_PARTY_CASES = [
    ("agreements", "party_ids", [3, 3], "names organisation 3 twice"),
    ("agreements", "party_ids", "3;3", "names organisation 3 twice"),
    ("agreements", "party_ids", [3, "3"], "names organisation 3 twice"),
    (
        "agreements",
        "party_ids",
        [3, "BOLIVARIAN REPUBLIC OF VENEZUELA."],
        "names organisation 3 twice (as 'BOLIVARIAN REPUBLIC OF VENEZUELA.')",
    ),
]
NUMBER_CASES = [
    ("contributions", field, value, message)
    for field in ("mass_kg", "power_w", "data_rate_bps")
    for value, message in [
        ("1e999", "'1e999' must be a finite number, zero or more"),
        (float("inf"), "inf must be a finite number, zero or more"),
        (float("nan"), "nan must be a finite number, zero or more"),
        ("NaN", "'NaN' is not a decimal number"),
        ("Infinity", "'Infinity' is not a decimal number"),
        ("-Infinity", "'-Infinity' is not a decimal number"),
        (10**400, "an integer of 1329 bits is too large (at most about 1.8e308)"),
        ("1" * 400, "must be a finite number, zero or more"),
        (-1, "-1 must be a finite number, zero or more"),
        (True, "True is not a number"),
        ("1_000", "'1_000' is not a decimal number"),
        ("٣", "'٣' is not a decimal number"),
        ("0x10", "'0x10' is not a decimal number"),
        ([5], "[5] is not a number"),
    ]
]
OTHER_CASES = [
    ("organisations", "name", ["a"], "['a'] is not text"),
    ("organisations", "name", {"a": 1}, "{'a': 1} is not text"),
    ("organisations", "name", True, "True is not text"),
    ("organisations", "name", 10**5000, "an integer of 16610 bits is not text"),
    ("agreements", "names_ilrs", 10**5000, "an integer of 16610 bits is not true or false"),
    ("agreements", "names_ilrs", 2, "2 is not true or false"),
    ("organisations", "name", "   ", "must not be empty"),
    ("organisations", "country", "ß", "'ß' is not an ISO 3166-1"),  # "ß".upper() == "SS"
    ("organisations", "country", "ＣＮ", "'ＣＮ' is not an ISO 3166-1"),
    ("organisations", "source_url", "https://a\nb", "is not an http(s) URL"),
    ("science_projects", "missions", ["a;b"], "holds ';', which separates the items"),
]
CASES = {
    "nul": NUL_CASES,
    "surrogate": SURROGATE_CASES,
    "long": LONG_CASES,
    "id": ID_CASES,
    "duplicate": DUPLICATE_PARTY_CASES,
    "number": NUMBER_CASES,
    "other": OTHER_CASES,
}
ALL_CASES = [
    pytest.param(*case, id=f"{kind}-{case[0]}-{case[1]}-{index}")
    for kind, cases in CASES.items()
    for index, case in enumerate(cases)
]


@pytest.fixture(scope="module", params=backend_params())
def registry(request, tmp_path_factory):
    url = registry_url(request.param, tmp_path_factory.mktemp("hostile"))
    return url, open_registry(url)


def count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("table", "field", "value", "message"), ALL_CASES)
def test_a_hostile_value_is_refused_with_its_field_and_nothing_is_stored(
    registry, table, field, value, message
):
    _, sessions = registry
    before = count(sessions, MODELS[table])
    with pytest.raises(InputError) as refused, sessions.begin() as session:
        create(session, table, {**VALID[table], field: value}, actor="tester")
    text = str(refused.value)
    assert text.startswith(f"{table}: {field}: ") and message in text, text
    assert "\n" not in text and len(text) < 400  # one line, the value cut short
    assert count(sessions, MODELS[table]) == before
    # The same value as a change of an existing record: refused alike, the record unchanged.
    if table == "organisations":
        refused = pytest.raises(InputError, match=f"^organisations 1: {field}: ")
        with refused, sessions.begin() as session:
            update(session, "organisations", 1, {field: value}, actor="tester")
        with sessions() as session:
            assert session.get(Organisation, 1).version == 1


def test_the_valid_records_the_cases_spoil_are_stored(registry):
    """The cases above fail for their one bad field, not for the rest of the record."""
    _, sessions = registry
    with sessions() as session:  # closed uncommitted: nothing stays
        for table, values in VALID.items():
            assert create(session, table, values, actor="tester").id >= 1


@pytest.mark.parametrize(
    ("actor", "message"),
    [
        ("a" * 101, "actor: 'aaaa"),
        ("a\x00", "actor: 'a\\x00' holds a NUL character"),
        ("a\udcff", "actor: 'a\\udcff' holds a lone surrogate"),
        (" ", "actor: must not be empty"),
    ],
)
def test_the_actor_the_audit_records_is_checked_as_a_field(registry, actor, message):
    _, sessions = registry
    before = count(sessions, Organisation)
    refused = pytest.raises(InputError, match="^" + re.escape(message))
    with refused, sessions.begin() as session:
        create(session, "organisations", VALID["organisations"], actor=actor)
    assert count(sessions, Organisation) == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("n" * 101, "token name: 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn… is 101 characters long"),
        ("a\x00b", "token name: 'a\\x00b' holds a NUL character"),
        ("a\ud800", "token name: 'a\\ud800' holds a lone surrogate"),
    ],
)
def test_a_token_name_no_database_can_store_is_refused(registry, name, message):
    _, sessions = registry
    before = count(sessions, ApiToken)
    with pytest.raises(InputError) as refused, sessions.begin() as session:
        issue_token(session, name, "viewer")
    assert str(refused.value).startswith(message)
    with pytest.raises(InputError, match="^token name: "), sessions.begin() as session:
        revoke_token(session, name)
    assert count(sessions, ApiToken) == before
    with sessions.begin() as session:  # at the limit it is fine
        issue_token(session, "n" * 100, "viewer")
    assert count(sessions, ApiToken) == before + 1
    with sessions.begin() as session:
        session.execute(ApiToken.__table__.delete().where(ApiToken.name == "n" * 100))


def test_the_cli_refuses_a_bad_value_in_one_line(registry, capsys):
    url, sessions = registry
    before = count(sessions, ApiToken), count(sessions, Organisation)
    long_name = "n" * 101
    assert main(["registry", "token", "add", long_name, "--db", url]) == 1
    err = capsys.readouterr().err
    assert err == (
        "ilrs: error: token name: 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn… is 101 characters "
        "long; at most 100 are kept\n"
    )
    # An argument that is not UTF-8 reaches Python as a lone surrogate (surrogateescape).
    add = ["registry", "add", "organisations", "kind=institute", "--db", url]
    assert main([*add, "name=Caf\udce9"]) == 1
    assert capsys.readouterr().err == (
        "ilrs: error: organisations: name: 'Caf\\udce9' holds a lone surrogate ('\\udce9'), "
        "which is not a character (UTF-8 cannot encode it)\n"
    )
    assert main([*add, "name=" + "x" * 301]) == 1
    assert capsys.readouterr().err.startswith("ilrs: error: organisations: name: 'xxx")
    assert main([*add, "name=Ok Institute", "--actor", "a" * 101]) == 1
    assert capsys.readouterr().err.startswith("ilrs: error: actor: 'aaa")
    assert main(["registry", "show", "organisations", str(2**31), "--db", url]) == 1
    assert capsys.readouterr().err == (
        "ilrs: error: organisations: no record 2147483648 (ids run from 1 to 2147483647)\n"
    )
    assert (count(sessions, ApiToken), count(sessions, Organisation)) == before


@pytest.mark.parametrize(
    ("port", "message"),
    [
        ("99999", "Input should be less than or equal to 65535"),
        ("65536", "Input should be less than or equal to 65535"),
        ("0", "Input should be greater than or equal to 1"),
        ("-1", "Input should be greater than or equal to 1"),
    ],
)
def test_serve_refuses_a_port_that_cannot_be(port, message, tmp_path):
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    done = subprocess.run(  # a process: before, port 0 served (somewhere) until killed
        [sys.executable, "-m", "ilrs", "registry", "serve", "--db", url, "--port", port],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"ilrs: error: Invalid value for '--port': {message} (see 'ilrs registry serve --help')\n"
    )


def test_serve_on_a_port_in_use_says_so_in_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "ilrs", "registry", "serve", "--db", url, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"ilrs: error: cannot listen on 127.0.0.1 port {port}: Address already in use"
    )
    assert done.stderr.count("\n") == 1


def test_a_registry_that_will_not_open_never_shows_its_password(capsys):
    """On the real PostgreSQL server: a URL with a password that the server refuses (no such
    role, no such database) or that does not parse; the message masks the password. (The CI
    server trusts every local connection, so it cannot refuse a wrong password as such.)"""
    admin = os.environ.get(POSTGRES_ENV)
    if not admin:
        registry_url("postgresql", None)  # skips, or fails where PostgreSQL is required
    server = make_url(admin)
    where = f"{server.host}:{server.port}"
    secret = "S3cret-Pw_77"
    refusals = {
        f"postgresql+psycopg://nobody:{secret}@{where}/postgres": (
            'FATAL: role "nobody" does not exist'
        ),
        f"postgresql+psycopg://{server.username}:{secret}@{where}/no_such_db": (
            'FATAL: database "no_such_db" does not exist'
        ),
        f"postgresql+psycopg://nobody:{secret}@{where}:x/postgres": "invalid literal for int()",
        f"postgresql+psycopg://nobody:{secret}@127.0.0.1:1/postgres": "Connection refused",
    }
    for url, reason in refusals.items():
        assert main(["registry", "progress", "--db", url]) == 1
        err = capsys.readouterr().err
        assert err.startswith("ilrs: error: cannot open the registry at postgresql+psycopg:")
        assert reason in err and ":***@" in err and err.count("\n") == 1, err
        assert secret not in err and "S3cret" not in err
