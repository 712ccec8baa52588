"""Alembic's environment for the registry: the connection comes from the caller
(``ilrs.cooperation.database.migrate``), the target is the registry's models."""

from alembic import context

from ilrs.cooperation.models import Base

connection = context.config.attributes.get("connection")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
