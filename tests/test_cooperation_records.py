"""Changing the registry: checks, versions, audit, soft deletes, atomic imports, a killed
import, and the CLI; on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from ilrs.cli import main
from ilrs.cooperation.database import open_registry
from ilrs.cooperation.models import AuditEntry, Organisation
from ilrs.cooperation.records import (
    PAUSE_ENV,
    create,
    delete,
    export_rows,
    import_rows,
    restore,
    to_dict,
    update,
)
from ilrs.errors import InputError, UnknownNameError, VersionConflictError
from registry_backends import backend_params, registry_url


@pytest.fixture(params=backend_params())
def registry(request, tmp_path):
    url = registry_url(request.param, tmp_path)
    return url, open_registry(url)


def count(sessions, model=Organisation) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def new_organisation(sessions, name, kind, country, actor) -> int:
    with sessions.begin() as session:
        values = {"name": name, "kind": kind, "country": country}
        return create(session, "organisations", values, actor=actor).id


def test_a_record_changes_with_its_history(registry):
    _, sessions = registry
    record_id = new_organisation(sessions, "Universidad de Chile", "university", "cl", "alice")
    with sessions.begin() as session:
        assert (
            to_dict(
                update(
                    session,
                    "organisations",
                    record_id,
                    {"note": "partner"},
                    actor="bob",
                    expected_version=1,
                )
            )["version"]
            == 2
        )
    with sessions.begin() as session:
        delete(session, "organisations", record_id, actor="bob", expected_version=2)
    with sessions.begin() as session:
        assert not [r for r in export_rows(session, "organisations") if r["id"] == record_id]
        restore(session, "organisations", record_id, actor="carol")
    with sessions() as session:
        history = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.record_id == record_id, AuditEntry.table_name == "organisations")
            .order_by(AuditEntry.id)
        ).all()
        assert [(h.action, h.actor) for h in history] == [
            ("create", "alice"),
            ("update", "bob"),
            ("delete", "bob"),
            ("restore", "carol"),
        ]
        assert history[1].before["note"] == "" and history[1].after["note"] == "partner"
        assert history[0].after["country"] == "CL"
        assert session.get(Organisation, record_id).version == 4


def test_two_concurrent_updates_give_one_success_and_one_conflict(registry):
    _, sessions = registry
    record_id = new_organisation(sessions, "Lab A", "laboratory", "FR", "a")
    first, second = sessions(), sessions()
    # Both read version 1; the first writes and commits; the second, still holding version
    # 1, must not overwrite it: its write finds the row changed.
    read_first = first.get(Organisation, record_id)
    read_second = second.get(Organisation, record_id)  # held: the session keeps what it read
    assert read_first.version == read_second.version == 1
    update(first, "organisations", record_id, {"note": "first"}, actor="a", expected_version=1)
    first.commit()
    with pytest.raises(VersionConflictError, match="changed by someone else"):
        update(
            second, "organisations", record_id, {"note": "second"}, actor="b", expected_version=1
        )
    second.rollback()
    first.close(), second.close()
    with sessions() as session:
        assert session.get(Organisation, record_id).note == "first"


def test_an_import_with_bad_rows_stores_nothing_and_names_every_one(registry, tmp_path):
    _, sessions = registry
    before = count(sessions)
    rows = ["name,kind,country"] + [f"Institute {k},institute,DE" for k in range(40)]
    rows[10] = "Institute nine,institute,XX"  # line 11: unknown country
    rows[20] = "Deep space exploration LABORATORY,laboratory,CN"  # line 21: a seeded one
    rows[30] = "Institute 5,university,DE"  # line 31: repeats line 7
    rows[35] = ",institute,DE"  # line 36: no name
    path = tmp_path / "institutes.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught, sessions.begin() as session:
        import_rows(session, "organisations", path, actor="office")
    message = str(caught.value)
    assert message.startswith("nothing imported; 4 problems")
    assert f"{path}:11: country: 'XX' is not an ISO 3166-1 alpha-2 country code" in message
    assert f"{path}:21: name: " in message and "under another spelling" in message
    assert f"{path}:31: name: 'Institute 5' repeats line 7" in message
    assert f"{path}:36: name: must not be empty" in message
    assert count(sessions) == before


def test_a_killed_import_leaves_the_registry_as_it_was(registry, tmp_path):
    url, sessions = registry
    before = count(sessions)
    path = tmp_path / "many.json"
    path.write_text(
        json.dumps(
            [{"name": f"Univ {k}", "kind": "university", "country": "BR"} for k in range(200)]
        ),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ilrs",
            "registry",
            "import",
            "organisations",
            str(path),
            "--db",
            url,
        ],
        stderr=subprocess.PIPE,
        env={**os.environ, PAUSE_ENV: "30"},
        text=True,
    )
    try:
        assert process.stderr.readline().strip() == "import paused"  # 100 rows written
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert count(sessions) == before
    with sessions() as session:  # and the registry still works
        assert len(import_rows(session, "organisations", path, actor="retry") and [1]) == 1
        session.commit()
    assert count(sessions) == before + 200


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"name": "Somewhere", "kind": "university", "country": "ZZ"}, "not an ISO 3166-1"),
        (
            {"name": "Hungarian solar physics FOUNDATION", "kind": "foundation"},
            "under another spelling",
        ),
        ({"name": "New", "kind": "castle"}, "'castle' is not one of"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_stored(registry, values, problem):
    _, sessions = registry
    before = count(sessions)
    with pytest.raises(InputError, match=problem), sessions.begin() as session:
        create(session, "organisations", values, actor="x")
    assert count(sessions) == before


def test_an_agreement_ending_before_it_starts_is_refused(registry):
    _, sessions = registry
    refused = pytest.raises(InputError, match="ends_on: 2024-01-01 is before signed_on 2025-03-01")
    with refused, sessions.begin() as session:
        create(
            session,
            "agreements",
            {
                "title": "T",
                "kind": "mou",
                "status": "signed",
                "signed_on": "2025-03-01",
                "ends_on": "2024-01-01",
                "party_ids": "Deep Space Exploration Laboratory",
            },
            actor="x",
        )
    with pytest.raises(UnknownNameError), sessions() as session:
        update(session, "agreements", 9999, {"note": "x"}, actor="x")


def test_the_cli_adds_updates_shows_and_exports(registry, tmp_path, capsys):
    url, _ = registry
    assert (
        main(
            [
                "registry",
                "add",
                "organisations",
                "name=Uni Test",
                "kind=university",
                "country=AR",
                "--db",
                url,
                "--actor",
                "dana",
            ]
        )
        == 0
    )
    added = json.loads(capsys.readouterr().out)
    assert (
        main(
            [
                "registry",
                "update",
                "organisations",
                str(added["id"]),
                "note=x",
                "--version",
                "1",
                "--db",
                url,
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "registry",
                "update",
                "organisations",
                str(added["id"]),
                "note=y",
                "--version",
                "1",
                "--db",
                url,
            ]
        )
        == 1
    )
    assert "changed since version 1 (now version 2)" in capsys.readouterr().err
    assert main(["registry", "show", "organisations", str(added["id"]), "--db", url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [h["action"] for h in shown["history"]] == ["create", "update"]
    assert main(["registry", "export", "organisations", "--db", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "id,version,name,kind,country,parent_id,note,source_url,source_published"
    assert any(",Uni Test,university,AR," in line for line in lines)


def test_science_projects_and_contributions_refer_to_organisations(registry, tmp_path):
    _, sessions = registry
    path = tmp_path / "projects.csv"
    path.write_text(
        "title,lead_id,missions\n"
        "Lunar dust and plasma,Deep Space Exploration Laboratory,Chang'e-7;ILRS-2\n",
        encoding="utf-8",
    )
    with sessions.begin() as session:
        assert import_rows(session, "science_projects", path, actor="office") == 1
        contribution = create(
            session,
            "contributions",
            {
                "name": "space weather instrument",
                "kind": "instrument",
                "organisation_id": "Kingdom of Thailand",
                "mission": "Chang'e-7",
                "mass_kg": "5",
            },
            actor="office",
        )
    with sessions() as session:
        project = export_rows(session, "science_projects")[0]
        assert project["missions"] == ["Chang'e-7", "ILRS-2"]
        assert project["lead_id"] is not None
        assert to_dict(session.merge(contribution))["mass_kg"] == 5.0
    refused = pytest.raises(InputError, match="organisation_id: no organisation 'Atlantis'")
    with refused, sessions.begin() as session:
        create(
            session,
            "contributions",
            {"name": "x", "kind": "payload", "organisation_id": "Atlantis"},
            actor="office",
        )


def test_each_fact_may_carry_its_source(registry):
    _, sessions = registry
    values = {
        "name": "Instituto X",
        "kind": "institute",
        "country": "MX",
        "source_url": "https://example.org/mou",
        "source_published": "2025-02-01",
    }
    with sessions.begin() as session:
        made = to_dict(create(session, "organisations", values, actor="office"))
    assert made["source_url"] == "https://example.org/mou"
    assert made["source_published"] == "2025-02-01"
    with sessions() as session:
        seeded = export_rows(session, "organisations")[0]
    assert seeded["source_url"].endswith("000_59c2dee4222c211f.txt")  # the seed article
    with pytest.raises(InputError, match="is not an http"), sessions.begin() as session:
        create(session, "organisations", {**values, "name": "Y", "source_url": "x y"}, actor="o")
