"""``ilrs registry``: the cooperation registry: who takes part and how, against the 50 / 500
/ 5,000 goal, and its records."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from ilrs.cli.output import OutputFormat, write_table
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


def _sessions(db: str | None):
    from sqlalchemy.exc import SQLAlchemyError

    from ilrs.cooperation.database import open_registry

    try:
        return open_registry(db)
    except ImportError as error:
        raise InputError(
            f"the registry at {db} needs a database driver that is not installed "
            f"({error.name}); for PostgreSQL: pip install 'psycopg[binary]'"
        ) from None
    except SQLAlchemyError as error:
        reason = str(error.orig) if getattr(error, "orig", None) else str(error)
        raise InputError(f"cannot open the registry at {db or 'the default'}: {reason}") from None


@registry_app.command("progress")
def progress_command(db: DbOption = None) -> None:
    """Foreign countries, institutions and researchers against 50 / 500 / 5,000 (JSON)."""
    from ilrs.cooperation.answers import progress

    with _sessions(db)() as session:
        json.dump(progress(session), sys.stdout, indent=1, default=str)
    sys.stdout.write("\n")


@registry_app.command("list")
def list_command(
    kind: Annotated[Kind, typer.Argument(help="What to list.")] = Kind.countries,
    db: DbOption = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.csv,
) -> None:
    """Countries taking part (and how), organisations, or agreements."""
    from sqlalchemy import select

    from ilrs.cooperation.answers import participation
    from ilrs.cooperation.models import Agreement, Organisation

    with _sessions(db)() as session:
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
    write_table(columns, output_format)
