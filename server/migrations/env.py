"""Alembic's environment: the target is `SQLModel.metadata` with every table of `server.models`.

The server passes its own connection, already in a transaction that holds the migration lock
(`server.db.migrate_database`). From the alembic command line (`-c server/migrations/alembic.ini`) the
database comes from DATABASE_URL, as for the server.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import server.models  # noqa: F401 - registers every table on SQLModel.metadata
from server.settings import DEFAULT_DATABASE_URL

target_metadata = SQLModel.metadata
if context.config.config_file_name:  # the command line: log what runs (the server keeps alembic quiet)
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)


def _configure(**options: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,  # SQLite alters a table by copying it; PostgreSQL ignores the batch
        **options,  # type: ignore[arg-type]
    )


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from server.db import make_engine

    engine = make_engine(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: the DDL as text, for a DBA to read or run."""
    _configure(url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
