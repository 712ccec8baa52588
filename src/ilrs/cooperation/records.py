"""Changing the registry: records created, updated, deleted and restored with their values
checked, every change written to the audit history, concurrent edits detected by version;
and whole files imported at once (every bad row reported, nothing stored unless all are good)
or exported.

Deletes are soft: a deleted record keeps its row (``deleted_at``) and can be restored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pycountry
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ilrs.cooperation.models import (
    AGREEMENT_KINDS,
    AGREEMENT_STATUSES,
    ORGANISATION_KINDS,
    Agreement,
    AgreementParty,
    AuditEntry,
    Contribution,
    Organisation,
    Person,
    ScienceProject,
    Source,
)
from ilrs.cooperation.seed import name_key
from ilrs.errors import InputError, UnknownNameError, VersionConflictError
from ilrs.textfiles import read_text

__all__ = [
    "TABLES",
    "VersionConflictError",
    "create",
    "delete",
    "export_rows",
    "get",
    "import_rows",
    "read_rows",
    "restore",
    "to_dict",
    "update",
]

PAUSE_ENV = "ILRS_IMPORT_PAUSE_S"  # tests only: pause an import halfway, inside its transaction
CONTRIBUTION_KINDS = ("payload", "instrument", "ground_station", "service", "funding")
CONTRIBUTION_STATUSES = ("proposed", "planned", "approved", "delivered", "flown", "cancelled")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, texts, choice, country, date, bool, number, org, orgs
    required: bool = False
    choices: tuple[str, ...] = ()


MAX_ID = 2**63 - 1  # the largest id a database integer key holds

# Where a fact comes from: a URL and the date it was published (stored as a Source).
SOURCE_FIELDS = (Field("source_url", "url"), Field("source_published", "date"))

TABLES: dict[str, tuple[type, tuple[Field, ...]]] = {
    "organisations": (
        Organisation,
        (
            Field("name", "text", required=True),
            Field("kind", "choice", required=True, choices=ORGANISATION_KINDS),
            Field("country", "country"),
            Field("parent_id", "org"),
            Field("note", "text"),
            *SOURCE_FIELDS,
        ),
    ),
    "people": (
        Person,
        (
            Field("name", "text", required=True),
            Field("country", "country"),
            Field("affiliation_id", "org"),
        ),
    ),
    "agreements": (
        Agreement,
        (
            Field("title", "text", required=True),
            Field("kind", "choice", required=True, choices=AGREEMENT_KINDS),
            Field("status", "choice", required=True, choices=AGREEMENT_STATUSES),
            Field("names_ilrs", "bool"),
            Field("signed_on", "date"),
            Field("ends_on", "date"),
            Field("via_id", "org"),
            Field("party_ids", "orgs", required=True),
            Field("note", "text"),
            *SOURCE_FIELDS,
        ),
    ),
    "science_projects": (
        ScienceProject,
        (
            Field("title", "text", required=True),
            Field("lead_id", "org"),
            Field("missions", "texts"),
            Field("note", "text"),
        ),
    ),
    "contributions": (
        Contribution,
        (
            Field("name", "text", required=True),
            Field("kind", "choice", required=True, choices=CONTRIBUTION_KINDS),
            Field("organisation_id", "org", required=True),
            Field("mission", "text"),
            Field("mass_kg", "number"),
            Field("power_w", "number"),
            Field("data_rate_bps", "number"),
            Field("status", "choice", choices=CONTRIBUTION_STATUSES),
            *SOURCE_FIELDS,
        ),
    ),
}


def _table(table: str):
    if table not in TABLES:
        raise InputError(f"no table {table!r}; the registry has {', '.join(TABLES)}")
    return TABLES[table]


def _clean(session: Session, table: str, values: dict, *, partial: bool) -> tuple[dict, list]:
    """The values converted to their types, and the problems as (field, message)."""
    model, fields = _table(table)
    known = {field.name for field in fields}
    problems = [(name, "unknown field") for name in values if name not in known]
    cleaned = {}
    for field in fields:
        if field.name not in values:
            if field.required and not partial:
                problems.append((field.name, "required field is missing"))
            continue
        raw = values[field.name]
        if raw is None or raw == "":
            if field.required:
                problems.append((field.name, "must not be empty"))
            else:
                cleaned[field.name] = [] if field.kind in ("orgs", "texts") else None
            continue
        try:
            cleaned[field.name] = _convert(session, field, raw)
        except ValueError as error:
            problems.append((field.name, str(error)))
    start, end = cleaned.get("signed_on"), cleaned.get("ends_on")
    if start and end and end < start:
        problems.append(("ends_on", f"{end} is before signed_on {start}"))
    return cleaned, problems


def _convert(session: Session, field: Field, raw):
    if field.kind == "text":
        return str(raw).strip()
    if field.kind == "url":
        text = str(raw).strip()
        if not text.startswith(("http://", "https://")) or " " in text:
            raise ValueError(f"{raw!r} is not an http(s) URL")
        return text
    if field.kind == "choice":
        if raw not in field.choices:
            raise ValueError(f"{raw!r} is not one of {', '.join(field.choices)}")
        return raw
    if field.kind == "country":
        code = str(raw).strip().upper()
        if pycountry.countries.get(alpha_2=code) is None:
            raise ValueError(f"{raw!r} is not an ISO 3166-1 alpha-2 country code")
        return code
    if field.kind == "date":
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            raise ValueError(f"{raw!r} is not a date (YYYY-MM-DD)") from None
    if field.kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        raise ValueError(f"{raw!r} is not true or false")
    if field.kind == "number":
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{raw!r} is not a number") from None
        if not number >= 0 or number == float("inf"):
            raise ValueError(f"{raw!r} must be a finite number, zero or more")
        return number
    if field.kind == "org":
        return _organisation_id(session, raw)
    if field.kind == "texts":
        items = raw if isinstance(raw, list) else str(raw).split(";")
        return [str(item).strip() for item in items if str(item).strip()]
    if field.kind == "orgs":
        items = raw if isinstance(raw, list) else str(raw).split(";")
        ids = [_organisation_id(session, item) for item in items if str(item).strip()]
        if not ids:
            raise ValueError("names no organisation")
        return ids
    raise AssertionError(field.kind)


def _organisation_id(session: Session, raw) -> int:
    """An organisation by id, or by name (any spelling that folds to its key)."""
    text = str(raw).strip()
    if text.isdigit():
        found = session.get(Organisation, int(text)) if int(text) <= MAX_ID else None
    else:
        found = session.scalars(
            select(Organisation).where(Organisation.name_key == name_key(text))
        ).first()
    if found is None or found.deleted_at is not None:
        raise ValueError(f"no organisation {text!r}")
    return found.id


def to_dict(record) -> dict:
    """A record's fields (as stored, JSON-ready), its id and version."""
    table = record.__tablename__
    _, fields = TABLES[table]
    result = {"id": record.id, "version": record.version}
    for field in fields:
        if field.kind == "orgs":
            result[field.name] = sorted(party.organisation_id for party in record.parties)
            continue
        if field.name in ("source_url", "source_published"):
            source = record.source
            value = None if source is None else getattr(source, field.name.split("_", 1)[1])
            result[field.name] = value.isoformat() if isinstance(value, dt.date) else value
            continue
        value = getattr(record, field.name)
        result[field.name] = value.isoformat() if isinstance(value, dt.date) else value
    result["deleted"] = record.deleted_at is not None
    return result


def get(session: Session, table: str, record_id: int, *, deleted: bool = False):
    model, _ = _table(table)
    record = session.get(model, record_id) if 1 <= record_id <= MAX_ID else None
    if record is None or (record.deleted_at is not None and not deleted):
        raise UnknownNameError(f"{table}: no record {record_id}")
    return record


def _apply(session: Session, record, cleaned: dict) -> None:
    cleaned = dict(cleaned)
    url, published = cleaned.pop("source_url", None), cleaned.pop("source_published", None)
    if url is not None:
        source = session.scalars(select(Source).where(Source.url == url)).first()
        if source is None:
            source = Source(url=url, title=url, published=published)
            session.add(source)
        elif published is not None:
            source.published = published
        record.source = source
    for name, value in cleaned.items():
        if name == "party_ids":
            record.parties = [AgreementParty(organisation_id=oid) for oid in value]
        else:
            setattr(record, name, value)
    # Write the record's own row on every change (parties live in another table): its
    # version then rises, and a stale edit is caught, whatever field changed.
    record.updated_at = dt.datetime.now(dt.UTC)
    if isinstance(record, Organisation) and record.parent_id is not None:
        _check_parents(session, record)
    if isinstance(record, Organisation):
        record.name_key = name_key(record.name)
        with session.no_autoflush:  # the change is written (and its version checked) later
            clash = session.scalars(
                select(Organisation).where(
                    Organisation.name_key == record.name_key, Organisation.id != record.id
                )
            ).first()
        if clash is not None:
            raise InputError(
                f"organisations: {record.name!r} is {clash.name!r} (id {clash.id}) under "
                "another spelling"
            )


def _check_parents(session: Session, record: Organisation) -> None:
    """An organisation may not be its own parent, nor its parent's ancestor."""
    seen = {record.id}
    parent_id = record.parent_id
    while parent_id is not None:
        if parent_id in seen:
            raise InputError(
                f"organisations: parent_id {record.parent_id} would make {record.name!r} its "
                "own ancestor"
            )
        seen.add(parent_id)
        parent = session.get(Organisation, parent_id)
        parent_id = parent.parent_id if parent is not None else None


def _audit(session: Session, table, record, action, actor, before) -> None:
    record_id = before["id"] if before else None  # readable after a failed flush
    try:
        session.flush()
    except StaleDataError:
        raise VersionConflictError(
            f"{table} {record_id}: changed by someone else meanwhile; read it again and "
            "reapply the change"
        ) from None
    session.add(
        AuditEntry(
            table_name=table,
            record_id=record.id,
            action=action,
            actor=actor,
            before=before,
            after=to_dict(record),
        )
    )


def _raise(table: str, problems: list, where: str = "") -> None:
    if problems:
        listed = "; ".join(f"{field}: {message}" for field, message in problems)
        raise InputError(f"{table}{where}: {listed}")


def create(session: Session, table: str, values: dict, *, actor: str):
    """A new record from ``values``; checked whole before anything is stored."""
    model, _ = _table(table)
    cleaned, problems = _clean(session, table, values, partial=False)
    _raise(table, problems)
    record = model()
    if isinstance(record, Organisation):
        record.name = cleaned["name"]
    _apply(session, record, cleaned)
    session.add(record)
    _audit(session, table, record, "create", actor, None)
    return record


def _check_version(table: str, record, expected_version: int | None) -> None:
    if expected_version is not None and record.version != expected_version:
        raise VersionConflictError(
            f"{table} {record.id}: changed since version {expected_version} (now version "
            f"{record.version}); read it again and reapply the change"
        )


def update(session: Session, table, record_id, values, *, actor, expected_version=None):
    """Change some fields of a record, if it is still at ``expected_version``."""
    record = get(session, table, record_id)
    _check_version(table, record, expected_version)
    cleaned, problems = _clean(session, table, values, partial=True)
    if not cleaned and not problems:
        problems.append(("(fields)", "nothing to change"))
    start = cleaned.get("signed_on", getattr(record, "signed_on", None))
    end = cleaned.get("ends_on", getattr(record, "ends_on", None))
    if start and end and end < start and ("signed_on" in cleaned or "ends_on" in cleaned):
        problems.append(("ends_on", f"{end} is before signed_on {start}"))
    problems = list(dict.fromkeys(problems))
    _raise(table, problems, f" {record_id}")
    before = to_dict(record)
    _apply(session, record, cleaned)
    _audit(session, table, record, "update", actor, before)
    return record


def delete(session: Session, table, record_id, *, actor, expected_version=None):
    """Mark a record deleted (its row stays, :func:`restore` brings it back)."""
    record = get(session, table, record_id)
    _check_version(table, record, expected_version)
    before = to_dict(record)
    record.deleted_at = dt.datetime.now(dt.UTC)
    _audit(session, table, record, "delete", actor, before)
    return record


def restore(session: Session, table, record_id, *, actor):
    record = get(session, table, record_id, deleted=True)
    if record.deleted_at is None:
        raise InputError(f"{table} {record_id} is not deleted")
    before = to_dict(record)
    record.deleted_at = None
    _audit(session, table, record, "restore", actor, before)
    return record


def read_rows(path: str | Path) -> list[tuple[int, dict]]:
    """Rows of a CSV (header first) or JSON (a list of objects) file, each with its line
    (CSV) or position (JSON, from 1)."""
    path = Path(path)
    text = read_text(path, "import")
    if path.suffix.lower() == ".json":
        try:
            items = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"{path}:{error.lineno}: not valid JSON: {error.msg}") from None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise InputError(f"{path}: a JSON import is a list of objects, one per record")
        return list(enumerate(items, start=1))
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader:
        values = {key: value for key, value in row.items() if key is not None}
        rows.append((reader.line_num, values))
    return rows


def import_rows(session: Session, table: str, path: str | Path, *, actor: str) -> int:
    """Create a record per row of the file, all or none: every bad row is reported (with its
    line) before anything is stored. Returns the count created."""
    rows = read_rows(path)
    problems = []
    keys: dict[str, int] = {}
    for line, values in rows:
        _, row_problems = _clean(session, table, values, partial=False)
        problems += [f"{path}:{line}: {field}: {message}" for field, message in row_problems]
        if table == "organisations" and values.get("name"):
            key = name_key(str(values["name"]))
            clash = session.scalars(
                select(Organisation).where(Organisation.name_key == key)
            ).first()
            if clash is not None:
                problems.append(
                    f"{path}:{line}: name: {values['name']!r} is {clash.name!r} (id {clash.id}) "
                    "under another spelling"
                )
            elif key in keys:
                problems.append(f"{path}:{line}: name: {values['name']!r} repeats line {keys[key]}")
            keys.setdefault(key, line)
    if problems:
        raise InputError(
            f"nothing imported; {len(problems)} problem{'s' if len(problems) > 1 else ''}:\n  "
            + "\n  ".join(problems)
        )
    pause_s = float(os.environ.get(PAUSE_ENV, "0") or 0)
    for index, (_, values) in enumerate(rows):
        create(session, table, values, actor=actor)
        if pause_s and index == len(rows) // 2:
            # For the tests: half the rows written, the transaction open, the process may
            # be killed here; nothing of it may remain.
            session.flush()
            print("import paused", file=sys.stderr, flush=True)
            time.sleep(pause_s)
    return len(rows)


def export_rows(session: Session, table: str, *, deleted: bool = False) -> list[dict]:
    model, _ = _table(table)
    query = select(model).order_by(model.id)
    if not deleted:
        query = query.where(model.deleted_at.is_(None))
    return [to_dict(record) for record in session.scalars(query)]
