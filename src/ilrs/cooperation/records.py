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
import math
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pycountry
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ilrs.cooperation.models import (
    AGREEMENT_KINDS,
    AGREEMENT_STATUSES,
    MAX_ID,
    ORGANISATION_KINDS,
    Agreement,
    AgreementParty,
    AuditEntry,
    Contribution,
    Organisation,
    Person,
    ScienceProject,
    Source,
    max_chars,
)
from ilrs.cooperation.seed import name_key
from ilrs.errors import InputError, UnknownNameError, VersionConflictError
from ilrs.textfiles import DECIMAL_NUMBER, read_text

__all__ = [
    "MAX_FIELD_CHARS",
    "MAX_ID",
    "MAX_IMPORT_ROWS",
    "MAX_LIST_ITEMS",
    "SPREADSHEET_TRIGGERS",
    "TABLES",
    "VersionConflictError",
    "check_text",
    "create",
    "delete",
    "export_rows",
    "get",
    "import_rows",
    "import_text",
    "parse_rows",
    "read_rows",
    "restore",
    "search",
    "spreadsheet_cell",
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


# The most rows one import takes. An import checks every row, then writes them all in one
# transaction, holding the database's write lock (SQLite's is the whole file) meanwhile:
# 10,000 rows take about 14 s through the API (measured on 2 cores, SQLite and PostgreSQL
# alike), far more than any office's batch of partners; a bigger file is split.
MAX_IMPORT_ROWS = 10_000
# The longest field of an imported CSV: Python's csv module refuses a longer one (its
# default ``field_size_limit``), and no column keeps a tenth of it (see ``MAX_TEXT_CHARS``).
MAX_FIELD_CHARS = 131_072
# The most items in one list field (an agreement's parties, a project's missions): far more
# than any agreement has parties (the whole goal is 50 countries and 500 institutions), few
# enough that one request's look-ups stay quick.
MAX_LIST_ITEMS = 1_000
# A spreadsheet reads a cell beginning with one of these as a formula (OWASP, "CSV
# Injection"): exported text that begins with one is written after a ``'``.
SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_SHOWN_CHARS = 40  # a value named in a message is cut to this many characters
_SURROGATE = re.compile("[\\ud800-\\udfff]")
_ASCII_DIGITS = re.compile(r"[0-9]+")
_COUNTRY = re.compile(r"[A-Za-z]{2}")

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


def _shown(value, *, size: bool = True) -> str:
    """``value`` as a message names it: its repr (control characters and surrogates escaped,
    so one line that any terminal or JSON answer can carry), cut to a few dozen characters
    (then followed by its length, with ``size``)."""
    if isinstance(value, int) and not -(10**30) < value < 10**30:
        return f"an integer of {value.bit_length()} bits"  # str() refuses past 4,300 digits
    text = repr(value)
    if len(text) <= _SHOWN_CHARS:
        return text
    length = f" ({len(value):,} characters)" if size and isinstance(value, str) else ""
    return f"{text[:_SHOWN_CHARS]}…{length}"


def _check_characters(text: str) -> None:
    if "\x00" in text:
        raise ValueError(f"{_shown(text)} holds a NUL character (\\x00), which cannot be stored")
    surrogate = _SURROGATE.search(text)
    if surrogate:
        raise ValueError(
            f"{_shown(text)} holds a lone surrogate ({surrogate.group()!r}), which is not a "
            "character (UTF-8 cannot encode it)"
        )


def check_text(text: str, max_chars: int) -> str:
    """``text`` if a database can store it: no NUL character (PostgreSQL's text holds none),
    no lone surrogate (``"\ud800"``: not a character, UTF-8 cannot encode it), at most
    ``max_chars`` characters (PostgreSQL refuses a longer ``VARCHAR``). Otherwise
    ``ValueError`` saying which."""
    _check_characters(text)
    if len(text) > max_chars:
        raise ValueError(
            f"{_shown(text, size=False)} is {len(text):,} characters long; at most "
            f"{max_chars:,} are kept"
        )
    return text


def _field_chars(model, field: Field) -> int:
    """The most characters a text field keeps: its column's length."""
    if field.kind == "url":
        return max_chars(Source.__table__.c.url)
    if field.kind == "texts":  # a project's missions, named as a contribution's mission is
        return max_chars(Contribution.__table__.c.mission)
    return max_chars(model.__table__.c[field.name])


def _unknown(name) -> str:
    plain = isinstance(name, str) and name.isidentifier() and len(name) <= 40
    return name if plain else _shown(name)


def _clean(session: Session, table: str, values: dict, *, partial: bool) -> tuple[dict, list]:
    """The values converted to their types, and the problems as (field, message)."""
    model, fields = _table(table)
    known = {field.name for field in fields}
    unknown = [name for name in values if name not in known]
    problems = [(_unknown(name), "unknown field") for name in unknown[:10]]
    if len(unknown) > 10:
        problems.append(("(fields)", f"{len(unknown) - 10:,} more unknown fields"))
    cleaned = {}
    for field in fields:
        if field.name not in values:
            if field.required and not partial:
                problems.append((field.name, "required field is missing"))
            continue
        raw = values[field.name]
        if raw is None or raw == "":
            column = model.__table__.c.get(field.name)
            if field.required:
                problems.append((field.name, "must not be empty"))
            elif field.kind in ("orgs", "texts"):
                cleaned[field.name] = []
            elif column is None or column.nullable:
                cleaned[field.name] = None
            elif field.kind == "text":  # a note: cleared, as empty text
                cleaned[field.name] = ""
            elif partial:  # a column that always holds a value (names_ilrs, status)
                problems.append((field.name, "must not be empty"))
            # else: a new record takes the column's default
            continue
        try:
            value = _convert(session, model, field, raw)
        except ValueError as error:
            problems.append((field.name, str(error)))
            continue
        if field.required and value in ("", []):
            problems.append((field.name, "must not be empty"))
        cleaned[field.name] = value
    start, end = cleaned.get("signed_on"), cleaned.get("ends_on")
    if start and end and end < start:
        problems.append(("ends_on", f"{end} is before signed_on {start}"))
    return cleaned, problems


def _scalar_text(raw) -> str:
    """A text given as text, or as a number (a spreadsheet's cell); not a list, an object or
    true/false."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, float) or (
        isinstance(raw, int) and not isinstance(raw, bool) and -(10**30) < raw < 10**30
    ):  # (str() of an integer past 4,300 digits raises)
        return str(raw)
    raise ValueError(f"{_shown(raw)} is not text")


def _items(raw) -> list:
    """A list field's items: a JSON list, or a text of items separated by ``;``."""
    items = raw if isinstance(raw, list) else _scalar_text(raw).split(";")
    if len(items) > MAX_LIST_ITEMS:
        raise ValueError(f"names {len(items):,} items; at most {MAX_LIST_ITEMS:,} are taken")
    return items


def _convert(session: Session, model, field: Field, raw):
    # Whatever the kind: text that no database can store is refused before anything else.
    for item in raw if isinstance(raw, list) else (raw,):
        if isinstance(item, str):
            _check_characters(item)
    if field.kind == "text":
        return check_text(_scalar_text(raw).strip(), _field_chars(model, field))
    if field.kind == "url":
        text = check_text(_scalar_text(raw).strip(), _field_chars(model, field))
        if not text.startswith(("http://", "https://")) or any(
            c.isspace() or not c.isprintable() for c in text
        ):
            raise ValueError(f"{_shown(raw)} is not an http(s) URL")
        return text
    if field.kind == "choice":
        if not isinstance(raw, str) or raw not in field.choices:
            raise ValueError(f"{_shown(raw)} is not one of {', '.join(field.choices)}")
        return raw
    if field.kind == "country":
        code = _scalar_text(raw).strip()
        if not _COUNTRY.fullmatch(code) or pycountry.countries.get(alpha_2=code.upper()) is None:
            raise ValueError(f"{_shown(raw)} is not an ISO 3166-1 alpha-2 country code")
        return code.upper()
    if field.kind == "date":
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(_scalar_text(raw).strip())
        except ValueError:
            raise ValueError(f"{_shown(raw)} is not a date (YYYY-MM-DD)") from None
    if field.kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = raw.strip().lower() if isinstance(raw, str) else str(raw) if raw in (0, 1) else ""
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        raise ValueError(f"{_shown(raw)} is not true or false")
    if field.kind == "number":
        return _number(raw)
    if field.kind == "org":
        return _organisation_id(session, raw)
    if field.kind == "texts":
        limit = _field_chars(model, field)
        texts = [check_text(_scalar_text(item).strip(), limit) for item in _items(raw)]
        for text in texts:
            if ";" in text:  # a list given as a list: its items must survive a CSV export
                raise ValueError(f"{_shown(text)} holds ';', which separates the items")
        return [text for text in texts if text]
    if field.kind == "orgs":
        items = [item for item in _items(raw) if not (isinstance(item, str) and not item.strip())]
        ids = [_organisation_id(session, item) for item in items]
        if not ids:
            raise ValueError("names no organisation")
        for index, organisation_id in enumerate(ids):
            if organisation_id in ids[:index]:
                named = (
                    ""
                    if str(items[index]).strip() == str(organisation_id)
                    else (f" (as {_shown(items[index])})")
                )
                raise ValueError(f"names organisation {organisation_id} twice{named}")
        return ids
    raise AssertionError(field.kind)


def _number(raw) -> float:
    """A finite number, zero or more: a JSON number, or a decimal in ASCII digits."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"{_shown(raw)} is not a number")
    if isinstance(raw, str) and not DECIMAL_NUMBER.fullmatch(raw.strip()):
        raise ValueError(f"{_shown(raw)} is not a decimal number (such as 12.5 or 1.2e3)")
    try:
        number = float(raw)
    except OverflowError:
        raise ValueError(f"{_shown(raw)} is too large (at most about 1.8e308)") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{_shown(raw)} must be a finite number, zero or more")
    return number + 0.0  # -0.0 as 0.0


def _organisation_id(session: Session, raw) -> int:
    """An organisation by id (a JSON integer, or ASCII digits), or by name (any spelling
    that folds to its key)."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValueError(f"{_shown(raw)} is not an organisation's id or name")
    text = raw.strip() if isinstance(raw, str) else ""
    if isinstance(raw, int) or _ASCII_DIGITS.fullmatch(text):
        # Digits past the longest id are out of range whatever they say (and int() of
        # thousands of digits is refused).
        number = raw if isinstance(raw, int) else int(text) if len(text) <= 12 else MAX_ID + 1
        if not 1 <= number <= MAX_ID:
            raise ValueError(f"no organisation {_shown(raw)} (ids run from 1 to {MAX_ID})")
        found = session.get(Organisation, number)
    else:
        found = session.scalars(
            select(Organisation).where(Organisation.name_key == name_key(text))
        ).first()
    if found is None or found.deleted_at is not None:
        raise ValueError(f"no organisation {_shown(raw)}")
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
    if not 1 <= record_id <= MAX_ID:  # no such row can exist (and the database would refuse it)
        raise UnknownNameError(
            f"{table}: no record {_shown(record_id)} (ids run from 1 to {MAX_ID})"
        )
    record = session.get(model, record_id)
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
    name = getattr(record, "name", None)
    try:
        session.flush()
    except StaleDataError:
        raise VersionConflictError(
            f"{table} {record_id}: changed by someone else meanwhile; read it again and "
            "reapply the change"
        ) from None
    except IntegrityError as error:
        # Checked above, but a concurrent writer may store the same name between that check
        # and this write: the database's unique key decides, and the loser is told why.
        if "name_key" not in str(error.orig):
            raise
        raise InputError(
            f"{table}: {name!r} is already in the registry (stored meanwhile under this or "
            "another spelling); nothing was stored"
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


def _check_actor(actor: str) -> None:
    """Who makes a change, as the audit keeps it."""
    try:
        check_text(actor, max_chars(AuditEntry.__table__.c.actor))
    except ValueError as error:
        raise InputError(f"actor: {error}") from None
    if not actor.strip():
        raise InputError("actor: must not be empty (the audit records who made each change)")


def _raise(table: str, problems: list, where: str = "") -> None:
    if problems:
        listed = "; ".join(f"{field}: {message}" for field, message in problems)
        raise InputError(f"{table}{where}: {listed}")


def create(session: Session, table: str, values: dict, *, actor: str):
    """A new record from ``values``; checked whole before anything is stored."""
    model, _ = _table(table)
    _check_actor(actor)
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
    _check_actor(actor)
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
    _check_actor(actor)
    record = get(session, table, record_id)
    _check_version(table, record, expected_version)
    before = to_dict(record)
    record.deleted_at = dt.datetime.now(dt.UTC)
    _audit(session, table, record, "delete", actor, before)
    return record


def restore(session: Session, table, record_id, *, actor):
    _check_actor(actor)
    record = get(session, table, record_id, deleted=True)
    if record.deleted_at is None:
        raise InputError(f"{table} {record_id} is not deleted")
    before = to_dict(record)
    record.deleted_at = None
    _audit(session, table, record, "restore", actor, before)
    return record


def read_rows(path: str | Path) -> list[tuple[int, dict]]:
    """Rows of a CSV (header first) or JSON (a list of objects) file, each with its line
    (CSV) or position (JSON, from 1); see :func:`parse_rows`."""
    path = Path(path)
    text = read_text(path, "import")
    return parse_rows(text, source=str(path), is_json=path.suffix.lower() == ".json")


def parse_rows(text: str, *, source: str, is_json: bool) -> list[tuple[int, dict]]:
    """Rows of a CSV text (header first) or a JSON one (a list of objects), each with its
    line (CSV) or position (JSON, from 1); at most :data:`MAX_IMPORT_ROWS`, each CSV field
    at most :data:`MAX_FIELD_CHARS` characters. A CSV cell that an export protected from
    spreadsheets (see :func:`spreadsheet_cell`) is read back as it was: one leading ``'``
    before a formula's first character or another ``'`` is dropped. ``source`` names the
    text in messages."""
    if is_json:
        try:
            items = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"{source}:{error.lineno}: not valid JSON: {error.msg}") from None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise InputError(f"{source}: a JSON import is a list of objects, one per record")
        if len(items) > MAX_IMPORT_ROWS:
            raise InputError(_too_many_rows(source, f"{len(items):,} rows"))
        return list(enumerate(items, start=1))
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    try:
        for row in reader:
            if len(rows) == MAX_IMPORT_ROWS:
                raise InputError(_too_many_rows(source, f"more than {MAX_IMPORT_ROWS:,} rows"))
            values = {
                key: _from_spreadsheet(value) for key, value in row.items() if key is not None
            }
            rows.append((reader.line_num, values))
    except csv.Error as error:
        # The reader stops before counting the line it fails on: the row begins on the next.
        line = reader.line_num + 1
        if "field limit" in str(error):
            raise InputError(
                f"{source}:{line}: a field is longer than {MAX_FIELD_CHARS:,} characters, "
                "the most an import reads"
            ) from None
        raise InputError(f"{source}:{line}: not valid CSV: {error}") from None
    return rows


def _too_many_rows(source: str, rows: str) -> str:
    return f"{source}: {rows}; an import takes at most {MAX_IMPORT_ROWS:,} (split the file)"


def import_rows(session: Session, table: str, path: str | Path, *, actor: str) -> int:
    """Create a record per row of the file, all or none: every bad row is reported (with its
    line) before anything is stored. Returns the count created."""
    _table(table)
    return _import(session, table, read_rows(path), source=str(path), actor=actor)


def import_text(session: Session, table: str, text: str, *, is_json: bool, actor: str) -> int:
    """:func:`import_rows` from a text (a request's body): its lines named ``body:LINE``."""
    _table(table)
    rows = parse_rows(text, source="body", is_json=is_json)
    return _import(session, table, rows, source="body", actor=actor)


# An export's columns that the registry assigns itself: an import ignores them (each row
# is a new record), so that an exported file imports as it is.
_ASSIGNED_COLUMNS = ("id", "version")


def _import(session: Session, table: str, rows, *, source: str, actor: str) -> int:
    _check_actor(actor)
    rows = [
        (line, {name: value for name, value in values.items() if name not in _ASSIGNED_COLUMNS})
        for line, values in rows
    ]
    problems = []
    keys: dict[str, int] = {}
    for line, values in rows:
        cleaned, row_problems = _clean(session, table, values, partial=False)
        problems += [f"{source}:{line}: {field}: {message}" for field, message in row_problems]
        if table == "organisations" and isinstance(cleaned.get("name"), str):
            name = cleaned["name"]
            key = name_key(name)
            clash = session.scalars(
                select(Organisation).where(Organisation.name_key == key)
            ).first()
            if clash is not None:
                problems.append(
                    f"{source}:{line}: name: {name!r} is {clash.name!r} (id {clash.id}) "
                    "under another spelling"
                )
            elif key in keys:
                problems.append(f"{source}:{line}: name: {name!r} repeats line {keys[key]}")
            keys.setdefault(key, line)
    if problems:
        raise InputError(
            f"nothing imported; {len(problems)} problem{'s' if len(problems) > 1 else ''}:\n  "
            + "\n  ".join(problems)
        )
    pause_s = float(os.environ.get(PAUSE_ENV, "0") or 0)
    for index, (line, values) in enumerate(rows):
        try:
            create(session, table, values, actor=actor)
        except InputError as error:  # stored meanwhile by another writer
            raise InputError(f"nothing imported; {source}:{line}: {error}") from None
        if pause_s and index == len(rows) // 2:
            # For the tests: half the rows written, the transaction open, the process may
            # be killed here; nothing of it may remain.
            session.flush()
            print("import paused", file=sys.stderr, flush=True)
            time.sleep(pause_s)
    return len(rows)


def _from_spreadsheet(value):
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in (*SPREADSHEET_TRIGGERS, "'"):
        return value[1:]
    return value


def spreadsheet_cell(value):
    """A value as a CSV export writes it: text beginning with a formula's first character
    (``=``, ``+``, ``-``, ``@``, tab, carriage return, line feed) or with ``'`` gets a
    leading ``'``, so that a spreadsheet shows it as text and never runs it (OWASP's advice
    on CSV injection); :func:`parse_rows` takes that ``'`` away again. Numbers and
    everything else are written as they are."""
    if isinstance(value, str) and value[:1] in (*SPREADSHEET_TRIGGERS, "'"):
        return "'" + value
    return value


def search(
    session: Session,
    table: str,
    *,
    text: str | None = None,
    country: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    deleted: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list, int]:
    """A page of a table's records (by id) and the count of all that match: ``text`` found
    anywhere in the name or title (case aside; ``%`` and ``_`` are themselves, not
    wildcards), ``country``, ``kind`` and ``status`` equal (a filter a table has no column
    for is ignored). Each filter is checked as a field is: no NUL, no lone surrogate, no
    longer than its column."""
    model, _ = _table(table)
    columns = model.__table__.c
    texts = [columns[name] for name in ("name", "title") if name in columns]
    filters = {"country": country, "kind": kind, "status": status}
    # What each filter is compared with (a filter the table has no column for is ignored).
    used = {"q": (text, texts)} | {
        name: (value, [columns[name]]) for name, value in filters.items() if name in columns
    }
    problems = []
    for name, (value, compared) in used.items():
        if value is not None:
            try:
                check_text(value, max(max_chars(column) for column in compared))
            except ValueError as error:
                problems.append((name, str(error)))
    if not 1 <= limit <= MAX_ID or not 0 <= offset <= MAX_ID:
        problems.append(("limit", f"limit {limit} and offset {offset}: from 1 and from 0"))
    _raise(table, problems)
    query = select(model)
    if not deleted:
        query = query.where(model.deleted_at.is_(None))
    if country is not None and country.isascii():
        filters["country"] = country.upper()  # codes are stored upper case
    for name, value in filters.items():
        if value is not None and name in columns:
            query = query.where(columns[name] == value)
    if text:
        query = query.where(or_(*[column.icontains(text, autoescape=True) for column in texts]))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(model.id).limit(limit).offset(offset)).all()
    return list(rows), total


def export_rows(session: Session, table: str, *, deleted: bool = False) -> list[dict]:
    model, _ = _table(table)
    query = select(model).order_by(model.id)
    if not deleted:
        query = query.where(model.deleted_at.is_(None))
    return [to_dict(record) for record in session.scalars(query)]
