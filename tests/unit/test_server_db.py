"""The schema is dialect-neutral (PostgreSQL DDL compiles), SQLite writes take the lock at BEGIN."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import SQLModel

import server.models  # noqa: F401 - registers the tables
from server.db import create_tables, make_engine, read_session, write_session


def test_every_table_compiles_for_postgresql() -> None:
    dialect = postgresql.dialect()
    for table in SQLModel.metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=dialect))
        assert "AUTOINCREMENT" not in ddl
        for index in table.indexes:
            str(CreateIndex(index).compile(dialect=dialect))
    change_log = SQLModel.metadata.tables["change_log"]
    assert "SERIAL" in str(CreateTable(change_log).compile(dialect=dialect))
    assert "JSON" in str(CreateTable(change_log).compile(dialect=dialect))


def test_sqlite_change_numbers_are_never_reused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    create_tables(engine)
    with engine.connect() as connection:
        ddl = connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name='change_log'").scalar_one()
    assert "AUTOINCREMENT" in ddl
    engine.dispose()


def test_a_sqlite_write_session_holds_the_write_lock_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    engine = make_engine(f"sqlite:///{path}")
    create_tables(engine)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    with write_session(engine):
        try:
            other.execute("BEGIN IMMEDIATE")
            locked = False
            other.execute("ROLLBACK")
        except sqlite3.OperationalError:
            locked = True
    assert locked, "a push must take the write lock at BEGIN (BEGIN IMMEDIATE)"
    with read_session(engine) as session:
        session.exec(SQLModel.metadata.tables["users"].select())  # type: ignore[call-overload]
        other.execute("BEGIN IMMEDIATE")  # a read does not block writers
        other.execute("ROLLBACK")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    other.close()
    engine.dispose()
