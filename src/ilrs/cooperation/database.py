"""Opening the registry: SQLite in the user's data folder by default, or any SQLAlchemy URL
(PostgreSQL for a shared office); the schema brought to the newest migration, and the seed
facts stored on first use."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["DEFAULT_URL_ENV", "default_url", "migrate", "open_registry"]

DEFAULT_URL_ENV = "ILRS_REGISTRY_URL"
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


def open_registry(url: str | None = None, *, seed: bool = True) -> sessionmaker[Session]:
    """A session factory on the registry at ``url``, migrated, seeded when empty."""
    engine = create_engine(url or default_url())
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    if seed:
        from ilrs.cooperation.seed import seed_if_empty

        with sessions.begin() as session:
            seed_if_empty(session)
    return sessions


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
