"""CSV exports of the registry are safe to open in a spreadsheet (no cell runs as a
formula), and read back by an import as they were; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import update as sql_update

from ilrs.cli import main
from ilrs.cooperation.database import open_registry
from ilrs.cooperation.models import Organisation, ScienceProject
from ilrs.cooperation.records import create, export_rows, parse_rows, spreadsheet_cell
from registry_backends import backend_params, registry_url

# Text a spreadsheet would run (OWASP's list, the line feed too), and text that only looks
# like the protection.
FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil.example","x")',
    "+SUM(A1:A2)",
    "-2+3",
    "@SUM(A1)",
    "'quoted",
    "''=twice",
    "'",
]
STORED_RAW = ["\t=1+1", "\r=1+1", "\n=1+1"]  # the checks strip these; an old registry may not


@pytest.fixture(params=backend_params())
def registries(request, tmp_path):
    """Two registries of one backend: the one exported, and a fresh one to import into."""
    urls = [registry_url(request.param, tmp_path / name) for name in ("a", "b")]
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    return [(url, open_registry(url)) for url in urls]


def exported(url, table, capsys) -> tuple[str, list[list[str]]]:
    assert main(["registry", "export", table, "--db", url]) == 0
    text = capsys.readouterr().out
    return text, list(csv.reader(io.StringIO(text)))


def test_no_exported_cell_begins_a_formula_and_an_import_reads_them_back(
    registries, tmp_path, capsys
):
    (url_a, sessions_a), (url_b, sessions_b) = registries
    with sessions_a.begin() as session:
        for text in FORMULAS:
            create(
                session,
                "science_projects",
                {"title": text, "note": text, "missions": [text, "Chang'e-7"], "lead_id": 1},
                actor="office",
            )
        raw = [
            create(session, "science_projects", {"title": f"raw {k}"}, actor="o") for k in range(3)
        ]
        session.flush()
        for record, text in zip(raw, STORED_RAW, strict=True):  # as an older registry kept it
            session.execute(
                sql_update(ScienceProject).where(ScienceProject.id == record.id).values(title=text)
            )
    text, rows = exported(url_a, "science_projects", capsys)
    header, body = rows[0], rows[1:]
    assert header == ["id", "version", "title", "lead_id", "missions", "note"]
    for row in body:
        for cell in row[2:]:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r", "\n"), row
    by_title = {row[2]: row for row in body}
    assert "'=1+1" in by_title and "'+SUM(A1:A2)" in by_title and "'-2+3" in by_title
    assert "'@SUM(A1)" in by_title and "''quoted" in by_title and "'''=twice" in by_title
    assert by_title["'=1+1"][4] == "'=1+1;Chang'e-7" and by_title["'=1+1"][3] == "1"
    assert {"'\t=1+1", "'\r=1+1", "'\n=1+1"} <= set(by_title)
    # The same file, imported into another registry, gives the same values.
    parsed = parse_rows(text, source="export.csv", is_json=False)
    assert [values["title"] for _, values in parsed[: len(FORMULAS)]] == FORMULAS
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(text, encoding="utf-8")
    assert main(["registry", "import", "science_projects", str(csv_file), "--db", url_b]) == 0
    assert capsys.readouterr().out == f"imported {len(FORMULAS) + 3} science_projects\n"
    with sessions_a() as session:
        before = [_values(row) for row in export_rows(session, "science_projects")]
    with sessions_b() as session:
        after = [_values(row) for row in export_rows(session, "science_projects")]
    # What the import stores is checked as any value is: leading whitespace stripped.
    assert after == [
        {**row, "title": row["title"].strip()} if row["title"] in STORED_RAW else row
        for row in before
    ]


def test_numbers_are_written_as_numbers_and_json_as_stored(registries, capsys):
    (url, sessions), _ = registries
    with sessions.begin() as session:
        create(
            session,
            "contributions",
            {"name": "-lander", "kind": "payload", "organisation_id": 1, "mass_kg": 12.5},
            actor="o",
        )
    _, rows = exported(url, "contributions", capsys)
    (row,) = rows[1:]
    assert dict(zip(rows[0], row, strict=True))["mass_kg"] == "12.5"
    assert dict(zip(rows[0], row, strict=True))["name"] == "'-lander"
    assert main(["registry", "export", "contributions", "--db", url, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["name"] == "-lander"


def test_the_registry_list_is_safe_to_open_too(registries, capsys):
    (url, sessions), _ = registries
    with sessions.begin() as session:
        session.execute(
            sql_update(Organisation).where(Organisation.id == 1).values(name="=cmd|' /C calc'!A0")
        )
    assert main(["registry", "list", "organisations", "--db", url]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[1][:2] == ["1", "'=cmd|' /C calc'!A0"]


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        ("=1", "'=1"),
        ("'", "''"),
        ("a=1", "a=1"),
        ("", ""),
        (-3.5, -3.5),
        (None, None),
        (7, 7),
    ],
)
def test_a_spreadsheet_cell_and_its_reading_back(stored, written):
    assert spreadsheet_cell(stored) == written
    if isinstance(stored, str):
        (row,) = parse_rows(f"v\n{_quoted(written)}\n", source="x", is_json=False)
        assert row[1]["v"] == stored


def test_a_hand_written_leading_quote_stays():
    (row,) = parse_rows("a,b\n'hello,'=1\n", source="x", is_json=False)
    assert row[1] == {"a": "'hello", "b": "=1"}


def _quoted(cell: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([cell])
    return buffer.getvalue()


def _values(row: dict) -> dict:
    return {key: value for key, value in row.items() if key not in ("id", "version")}
