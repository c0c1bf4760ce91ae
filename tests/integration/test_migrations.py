"""The migrations in server/migrations build exactly the models' schema, on SQLite and on PostgreSQL.

The other tests start from the same migrations (the app's startup runs them); this file proves that what
they build is what the models declare, that a database made by create_all before migrations existed is
taken over, and that several processes starting at once on one PostgreSQL database migrate it once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import server.models  # noqa: F401 - every table on SQLModel.metadata
from server.db import INITIAL_REVISION, create_tables, make_engine, migrate_database, migration_config
from tests.integration.conftest import TEST_DATABASE_URL, drop_schema

NEEDS_POSTGRESQL = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="needs PostgreSQL: run scripts/test-postgres.sh, or set ROUTECRM_TEST_DATABASE_URL=postgresql+psycopg://…",
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=NEEDS_POSTGRESQL)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'migrated.db'}" if request.param == "sqlite" else TEST_DATABASE_URL
    engine = make_engine(url)
    drop_schema(engine)
    yield engine
    engine.dispose()


def schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    head = ScriptDirectory.from_config(migration_config()).get_current_head()
    assert head is not None
    return head


def test_the_migrations_build_the_models_schema(empty_engine: Engine) -> None:
    migrate_database(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    differences = schema_differences(empty_engine)
    assert differences == [], (
        "the models and the migrations differ: add a revision "
        "(alembic -c server/migrations/alembic.ini revision --autogenerate, see docs/operations.md)"
    )
    migrate_database(empty_engine)  # at head already: nothing to do, nothing fails
    assert schema_differences(empty_engine) == []


def test_every_migration_goes_down_and_up_again(empty_engine: Engine) -> None:
    migrate_database(empty_engine)
    config = migration_config()
    with empty_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    migrate_database(empty_engine)
    assert schema_differences(empty_engine) == []


def test_a_database_made_before_migrations_is_taken_over_and_keeps_its_rows(empty_engine: Engine) -> None:
    """Tables as create_all made them before there were migrations (the initial revision), no version table."""
    config = migration_config()
    with empty_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, INITIAL_REVISION)
        connection.execute(text("DROP TABLE alembic_version"))
        connection.execute(
            text(
                "INSERT INTO customers (id, name, kind, status, importance, territory, updated_at, deleted)"
                " VALUES ('c-1', '老客户', 'clinic', 'active', 'normal', '东片', '2026-11-01T08:00:00+08:00', false)"
            )
        )
    migrate_database(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert schema_differences(empty_engine) == []
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM customers WHERE id = 'c-1'")).scalar_one() == "老客户"


def test_a_database_made_by_create_all_from_the_current_models_is_marked_at_head(empty_engine: Engine) -> None:
    create_tables(empty_engine)
    migrate_database(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert schema_differences(empty_engine) == []


@NEEDS_POSTGRESQL
def test_processes_starting_at_once_migrate_one_postgresql_database_once() -> None:
    engines = [make_engine(TEST_DATABASE_URL) for _ in range(4)]
    drop_schema(engines[0])
    start = threading.Barrier(len(engines))
    failures: list[BaseException] = []

    def start_server(engine: Engine) -> None:
        start.wait()
        try:
            migrate_database(engine)
        except BaseException as error:  # reported below: a thread's exception would otherwise vanish
            failures.append(error)

    threads = [threading.Thread(target=start_server, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert failures == []
        assert current_revision(engines[0]) == head_revision()
        assert schema_differences(engines[0]) == []
        with engines[0].connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    finally:
        for engine in engines:
            engine.dispose()
