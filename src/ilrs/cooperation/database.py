"""Opening the registry: SQLite in the user's data folder by default, or any SQLAlchemy URL
(PostgreSQL for a shared office); the schema brought to the newest migration, and the seed
facts stored on first use."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from ilrs.errors import BusyError

__all__ = [
    "DEFAULT_URL_ENV",
    "SQLITE_BUSY_TIMEOUT_S",
    "default_url",
    "hide_password",
    "masked_url",
    "migrate",
    "open_registry",
]

DEFAULT_URL_ENV = "ILRS_REGISTRY_URL"
# How long a write on SQLite waits for another writer's transaction (SQLite locks the whole
# file) before giving up: twice what the largest import takes (records.MAX_IMPORT_ROWS,
# about 14 s), so concurrent writers queue instead of failing.
SQLITE_BUSY_TIMEOUT_S = 30.0
_MIGRATIONS = Path(__file__).with_name("migrations")


def default_url() -> str:
    """``$ILRS_REGISTRY_URL``, else SQLite in the user's data folder."""
    if os.environ.get(DEFAULT_URL_ENV):
        return os.environ[DEFAULT_URL_ENV]
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("ilrs-planner", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'registry.sqlite'}"


def _alembic_config(connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (each migration in one transaction)."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), revision)


def masked_url(url: str) -> str:
    """``url`` as a message may show it: its password replaced by ``***``, also when the URL
    does not parse or its password holds an unescaped ``@`` or ``/``."""
    try:
        url = make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # malformed: all from the first ':' to the last '@'
        return re.sub(r"^([^:]*:).*@", r"\1***@", url, flags=re.DOTALL)
    # SQLAlchemy reads 'u:p@ss@host' as the password 'p' at the host 'ss@host': everything
    # from the user's ':' to the last '@' goes.
    return re.sub(r"^([^:/]*://[^:/@]*:).*@", r"\1***@", url, flags=re.DOTALL)


def hide_password(text: str, url: str) -> str:
    """``text`` (a driver's message about ``url``) with the URL and its password masked."""
    text = text.replace(url, masked_url(url))
    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        password = None
    return text.replace(password, "***") if password else text


def open_registry(
    url: str | None = None, *, seed: bool = True, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S
) -> sessionmaker[Session]:
    """A session factory on the registry at ``url``, migrated, seeded when empty.

    On SQLite, readers never wait for a writer (write-ahead log), and a writer waits up to
    ``busy_timeout_s`` for another; past that, :class:`~ilrs.errors.BusyError`."""
    engine = create_engine(url or default_url())
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_s))
        event.listen(engine, "handle_error", _sqlite_busy(busy_timeout_s))
    migrate(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    if seed:
        from ilrs.cooperation.seed import seed_if_empty

        with sessions.begin() as session:
            seed_if_empty(session)
    return sessions


def _sqlite_pragmas(busy_timeout_s: float):
    def on_connect(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Before the journal mode: changing it takes a lock, which may have to wait.
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout_s * 1000)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return on_connect


def _sqlite_busy(busy_timeout_s: float):
    """SQLite's "database is locked" (another writer held it past the wait) as the
    project's :class:`BusyError`, for the CLI's one line and the API's 429."""

    def on_error(context) -> None:
        if "database is locked" in str(context.original_exception):
            raise BusyError(
                "the registry is busy: another change held it for more than "
                f"{busy_timeout_s:g} s; nothing was changed, try again"
            )

    return on_error
