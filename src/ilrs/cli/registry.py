"""``ilrs registry``: the cooperation registry: who takes part and how, against the 50 / 500
/ 5,000 goal, and its records."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ilrs.cli.output import FormatOption, OutputFormat, listen, write_json, write_table
from ilrs.errors import InputError

registry_app = typer.Typer(help="The cooperation registry (SQLite by default; --db for another).")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL (default: $ILRS_REGISTRY_URL, else SQLite in the user data folder).",
    ),
]


class Kind(StrEnum):
    countries = "countries"
    organisations = "organisations"
    agreements = "agreements"


def register(app: typer.Typer) -> None:
    app.add_typer(registry_app, name="registry")


def registry_sessions(db: str | None):
    """The registry at ``db`` opened; any failure one line with the URL's password masked."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from ilrs.cooperation.database import hide_password, masked_url, open_registry

    where = masked_url(db) if db else "the default"
    try:
        return open_registry(db)
    except ImportError as error:
        raise InputError(
            f"the registry at {where} needs a database driver that is not installed "
            f"({error.name}); for PostgreSQL: pip install 'psycopg[binary]'"
        ) from None
    except (SQLAlchemyError, ArgumentError, ValueError) as error:  # ValueError: a bad port
        reason = str(error.orig) if getattr(error, "orig", None) else str(error)
        reason = hide_password(reason, db) if db else reason
        reason = " ".join(reason.split())  # the driver's lines as one
        raise InputError(f"cannot open the registry at {where}: {reason}") from None


@registry_app.command("progress")
def progress_command(db: DbOption = None) -> None:
    """Foreign countries, institutions and researchers against 50 / 500 / 5,000 (JSON)."""
    from ilrs.cooperation.answers import progress

    with registry_sessions(db)() as session:
        write_json(progress(session))


@registry_app.command("list")
def list_command(
    kind: Annotated[Kind, typer.Argument(help="What to list.")] = Kind.countries,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.csv,
) -> None:
    """Countries taking part (and how), organisations, or agreements."""
    from sqlalchemy import select

    from ilrs.cooperation.answers import participation
    from ilrs.cooperation.models import Agreement, Organisation

    with registry_sessions(db)() as session:
        if kind is Kind.countries:
            found = participation(session).values()
            columns = {
                "country": [p.country for p in found],
                "how": [p.how for p in found],
                "since": [p.since.isoformat() if p.since else "" for p in found],
                "evidence": ["; ".join(p.evidence) for p in found],
            }
        elif kind is Kind.organisations:
            rows = session.scalars(
                select(Organisation)
                .where(Organisation.deleted_at.is_(None))
                .order_by(Organisation.id)
            ).all()
            columns = {
                "id": [o.id for o in rows],
                "name": [o.name for o in rows],
                "kind": [o.kind for o in rows],
                "country": [o.country or "" for o in rows],
            }
        else:
            rows = session.scalars(
                select(Agreement).where(Agreement.deleted_at.is_(None)).order_by(Agreement.id)
            ).all()
            columns = {
                "id": [a.id for a in rows],
                "title": [a.title for a in rows],
                "kind": [a.kind for a in rows],
                "status": [a.status for a in rows],
                "names_ilrs": [a.names_ilrs for a in rows],
                "signed_on": [a.signed_on.isoformat() if a.signed_on else "" for a in rows],
                "parties": ["; ".join(p.organisation.name for p in a.parties) for a in rows],
            }
    _write_table(columns, output_format)


def _write_table(columns: dict[str, list], output_format: OutputFormat) -> None:
    """Columns as JSON (as they are), or as CSV safe to open in a spreadsheet: text that
    would run as a formula is written after a ``'`` (records.spreadsheet_cell), and a cell
    holding a carriage return is quoted like one holding a line feed (output.write_table's
    writer, ending lines with a bare line feed, leaves it bare: the file would not read
    back)."""
    import csv
    import io
    import sys

    from ilrs.cooperation.records import spreadsheet_cell

    if output_format != OutputFormat.csv:
        write_table(columns, output_format)
        return
    line = io.StringIO()
    writer = csv.writer(line, lineterminator="\r\n")  # quotes every cell holding \r or \n
    rows = zip(*columns.values(), strict=True)
    for row in [list(columns), *rows]:
        writer.writerow(["" if value is None else spreadsheet_cell(value) for value in row])
        sys.stdout.write(line.getvalue().removesuffix("\r\n") + "\n")
        line.seek(0)
        line.truncate()


TableArgument = Annotated[
    str, typer.Argument(help="organisations, people, agreements, contributions")
]
ActorOption = Annotated[str, typer.Option("--actor", help="Who makes the change (audit).")]


def _values(pairs: list[str]) -> dict:
    values = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name.strip():
            raise InputError(f"give fields as name=value, got {pair!r}")
        values[name.strip()] = value
    return values


def _print_record(record) -> None:
    from ilrs.cooperation.records import to_dict

    write_json(to_dict(record))


@registry_app.command("add")
def add_command(
    table: TableArgument,
    fields: Annotated[list[str], typer.Argument(help="name=value (party_ids: a;b;c)")],
    db: DbOption = None,
    actor: ActorOption = "cli",
) -> None:
    """Add a record; its fields are checked before anything is stored."""
    from ilrs.cooperation.records import create

    with registry_sessions(db).begin() as session:
        _print_record(create(session, table, _values(fields), actor=actor))


@registry_app.command("update")
def update_command(
    table: TableArgument,
    record_id: Annotated[int, typer.Argument(help="The record's id.")],
    fields: Annotated[list[str], typer.Argument(help="name=value")],
    version: Annotated[
        int | None, typer.Option("--version", help="The version you read (refused if it changed).")
    ] = None,
    db: DbOption = None,
    actor: ActorOption = "cli",
) -> None:
    """Change fields of a record (if it is still at --version)."""
    from ilrs.cooperation.records import update

    with registry_sessions(db).begin() as session:
        record = update(
            session, table, record_id, _values(fields), actor=actor, expected_version=version
        )
        _print_record(record)


@registry_app.command("delete")
def delete_command(
    table: TableArgument,
    record_id: Annotated[int, typer.Argument(help="The record's id.")],
    version: Annotated[int | None, typer.Option("--version", help="The version you read.")] = None,
    db: DbOption = None,
    actor: ActorOption = "cli",
) -> None:
    """Mark a record deleted (restore brings it back)."""
    from ilrs.cooperation.records import delete

    with registry_sessions(db).begin() as session:
        _print_record(delete(session, table, record_id, actor=actor, expected_version=version))


@registry_app.command("restore")
def restore_command(
    table: TableArgument,
    record_id: Annotated[int, typer.Argument(help="The record's id.")],
    db: DbOption = None,
    actor: ActorOption = "cli",
) -> None:
    """Bring back a deleted record."""
    from ilrs.cooperation.records import restore

    with registry_sessions(db).begin() as session:
        _print_record(restore(session, table, record_id, actor=actor))


@registry_app.command("show")
def show_command(
    table: TableArgument,
    record_id: Annotated[int, typer.Argument(help="The record's id.")],
    db: DbOption = None,
) -> None:
    """A record with its audit history (JSON)."""
    from sqlalchemy import select

    from ilrs.cooperation.models import AuditEntry
    from ilrs.cooperation.records import get, to_dict

    with registry_sessions(db)() as session:
        record = get(session, table, record_id, deleted=True)
        history = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.table_name == table, AuditEntry.record_id == record_id)
            .order_by(AuditEntry.id)
        ).all()
        shown = to_dict(record)
        shown["history"] = [
            {"action": e.action, "actor": e.actor, "at": e.at, "before": e.before, "after": e.after}
            for e in history
        ]
    write_json(shown)


@registry_app.command("import")
def import_command(
    table: TableArgument,
    path: Annotated[str, typer.Argument(help="CSV (a header row) or JSON (a list of objects).")],
    db: DbOption = None,
    actor: ActorOption = "cli",
) -> None:
    """Import a file: every row checked first; all stored in one transaction, or none."""
    from ilrs.cooperation.records import import_rows

    with registry_sessions(db).begin() as session:
        count = import_rows(session, table, path, actor=actor)
    print(f"imported {count} {table}")


@registry_app.command("export")
def export_command(
    table: TableArgument,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.csv,
) -> None:
    """The table's records (not deleted) as CSV or JSON. In CSV, text that a spreadsheet
    would run as a formula (beginning with =, +, -, @, a tab or a line break) is written
    after a ' (import takes it away again)."""
    from ilrs.cooperation.records import TABLES, export_rows

    with registry_sessions(db)() as session:
        rows = export_rows(session, table)
    names = ["id", "version"] + [field.name for field in TABLES[table][1]]
    flat = [
        {
            key: ";".join(map(str, value)) if isinstance(value, list) else value
            for key, value in row.items()
        }
        for row in rows
    ]
    if output_format == OutputFormat.json:
        write_json(rows)
        return
    columns = {name: [row[name] for row in flat] for name in names}
    _write_table(columns, output_format)


token_app = typer.Typer(help="API tokens: made with a role, kept hashed.")
registry_app.add_typer(token_app, name="token")


@token_app.command("add")
def token_add_command(
    name: Annotated[str, typer.Argument(help="Who holds it (the audit's actor).")],
    role: Annotated[str, typer.Option("--role", help="viewer, editor or admin.")] = "viewer",
    db: DbOption = None,
) -> None:
    """Make a token; its secret is printed once and never stored."""
    from ilrs.cooperation.tokens import issue_token

    with registry_sessions(db).begin() as session:
        secret = issue_token(session, name, role)
    print(secret)


@token_app.command("revoke")
def token_revoke_command(
    name: Annotated[str, typer.Argument(help="The token's name.")], db: DbOption = None
) -> None:
    """Revoke a token: it opens nothing from now on."""
    from ilrs.cooperation.tokens import revoke_token

    with registry_sessions(db).begin() as session:
        revoke_token(session, name)
    print(f"revoked {name}")


@registry_app.command("serve")
def serve_command(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port to listen on (1 to 65535).")
    ] = 8000,
) -> None:
    """The registry's REST API (OpenAPI at /docs and /openapi.json)."""
    import uvicorn

    from ilrs.api.registry import create_app

    app = create_app(sessions=registry_sessions(db))  # a registry that will not open: one line
    listener = listen(host, port)  # an address in use: one line
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[listener])
