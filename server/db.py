"""The database engine and sessions, built from settings (never at import time).

Dialect-neutral SQL through SQLModel/SQLAlchemy; SQLite for one machine, PostgreSQL for several processes.
"""

from __future__ import annotations

import functools
import threading
import weakref
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import json as msgspec_json
from sqlalchemy import Table, event, insert, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

if TYPE_CHECKING:
    from alembic.config import Config

# Any constant the app owns. On PostgreSQL a write transaction takes this lock exclusively for its whole life
# (every write but a push in lanes), or shared (a push in lanes, `write_session(lanes=...)`): the former run
# alone, as they always have; the latter run beside each other (docs/sync-protocol.md).
CHANGELOG_LOCK_KEY = 0x52_4F_55_54_45  # "ROUTE"
# Taken exclusively by a push in lanes once its rows are written, for drawing its change numbers and
# committing: change numbers still become visible in order.
NUMBERING_LOCK_KEY = 0x52_4F_55_54_4E  # "ROUTN"
# The first key of a lane's lock (pg_advisory_xact_lock(int, int)): the second is the lane's name hashed.
LANE_LOCK_CLASS = 0x524C  # "RL"
# Serializes schema migrations of several server processes starting at once on one PostgreSQL database.
MIGRATION_LOCK_KEY = 0x52_4F_55_54_4D  # "ROUTM"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The revision create_all made before there were migrations: such a database is stamped with it, then upgraded.
INITIAL_REVISION = "0001"
WRITE_OPTION = "routecrm_write"
# Connections per process: anyio runs up to 40 request threads; a thread should not wait for a connection.
POOL_SIZE, POOL_OVERFLOW = 20, 20
# SQLite has one writer at a time. Writers of one process queue on a lock of their own rather than in
# SQLite's busy handler, which sleeps up to 100 ms between tries while holding a pooled connection.
_SQLITE_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def _json_text(value: Any) -> str:
    return msgspec_json.encode(value).decode()


# JSON columns (a push writes thousands: records, change-log data, answers) through msgspec, several times faster
# than the json module; dates and datetimes become ISO text.
JSON_CODEC: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": msgspec_json.decode}


def make_engine(database_url: str, *, echo: bool = False) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(
            database_url,
            echo=echo,
            pool_pre_ping=True,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            **JSON_CODEC,
        )
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            database_url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            **JSON_CODEC,
        )
        _SQLITE_WRITERS[engine] = threading.Lock()
    else:
        from sqlalchemy.pool import StaticPool

        engine = create_engine(
            database_url, echo=echo, connect_args={"check_same_thread": False}, poolclass=StaticPool, **JSON_CODEC
        )
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    """WAL (readers never block the writer), a busy timeout, and explicit transactions.

    pysqlite's own transaction handling is switched off so that SQLAlchemy's BEGIN is the real one:
    a write transaction starts with BEGIN IMMEDIATE, taking the write lock at once, so two pushes
    never both read and then deadlock upgrading to a write lock.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_tables(engine: Engine) -> None:
    """The models' tables straight from the metadata, for throwaway test databases.

    A real database is made and kept up to date by `migrate_database`; a test proves both give one schema.
    """
    import server.models  # noqa: F401 - registers every table on SQLModel.metadata

    SQLModel.metadata.create_all(engine)


def migration_config() -> Config:
    """Alembic's configuration without an ini file: the scripts are found next to this module."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate_database(engine: Engine) -> None:
    """`alembic upgrade head` in one transaction that holds the migration lock.

    Several processes may start at once (uvicorn workers, hosts behind a balancer): the first migrates,
    the others wait, then find the schema at head. A database whose tables create_all made before
    migrations existed is stamped with the initial revision first (or head, if it matches the models), then
    upgraded.
    """
    from alembic import command
    from sqlalchemy import inspect

    import server.models  # noqa: F401 - the metadata the migrations' environment compares against

    config = migration_config()
    with engine.connect() as connection:
        connection = connection.execution_options(**{WRITE_OPTION: True})  # BEGIN IMMEDIATE on SQLite
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            config.attributes["connection"] = connection
            tables = set(inspect(connection).get_table_names())
            if "alembic_version" not in tables and "users" in tables:
                command.stamp(config, _revision_made_by_create_all(connection))
            command.upgrade(config, "head")


def _revision_made_by_create_all(connection: Connection) -> str:
    """Tables without a version: made by create_all, before migrations (the initial revision) or since (head)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return "head" if not compare_metadata(context, SQLModel.metadata) else INITIAL_REVISION


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def write_session(engine: Engine, *, lanes: Sequence[str] | None = None) -> Iterator[Session]:
    """One write transaction, committed when the block ends without error, rolled back otherwise.

    It takes the write lock first (BEGIN IMMEDIATE on SQLite, the change-log advisory lock on PostgreSQL),
    so everything it reads stays true until it commits, and change numbers become visible in order.

    `lanes` (PostgreSQL only; SQLite has one writer whatever): the transaction takes the change-log lock
    shared and an exclusive lock per lane instead, so it runs beside other transactions in other lanes and
    alone against every transaction without lanes. The caller vouches that whatever it reads or writes can be
    written concurrently only by transactions that share one of its lanes (a push of a rep's visits: its
    territory, its user, its phone; `server/domains/sync/service.py` `push_lanes`). Once the block ends its
    rows are flushed, then it takes the numbering lock, draws its change numbers and commits under it.
    """
    writers = _SQLITE_WRITERS.get(engine)
    with writers if writers is not None else nullcontext(), Session(engine, expire_on_commit=False) as session:
        connection = session.connection(execution_options={WRITE_OPTION: True})
        in_lanes = lanes is not None and connection.dialect.name == "postgresql"
        if in_lanes:
            connection.execute(*_lane_locks(lanes or ()))
        elif connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGELOG_LOCK_KEY})
        try:
            yield session
            if in_lanes:
                session.flush()  # every row lock taken before the numbering lock, none waited for under it
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": NUMBERING_LOCK_KEY})
            session.commit()  # the change log's rows (server/changes/log.py) are inserted here
        except BaseException:
            session.rollback()
            raise


def lane_key(lane: str) -> int:
    """A lane's name as the second key of its advisory lock (a signed 32-bit integer). Two names with one key
    only share a lock: they wait for each other, never corrupt anything."""
    return int.from_bytes(zlib.crc32(lane.encode()).to_bytes(4, "big"), "big", signed=True)


def _lane_locks(lanes: Sequence[str]) -> tuple[Any, dict[str, int]]:
    """One statement: the change-log lock shared, then each lane's lock in the order of its key (every
    transaction takes them in one order, so two can never wait for each other's)."""
    keys = sorted({lane_key(lane) for lane in lanes})
    calls = ["pg_advisory_xact_lock_shared(:key)"] + [
        f"pg_advisory_xact_lock({LANE_LOCK_CLASS}, :lane{index})" for index in range(len(keys))
    ]
    params: dict[str, int] = {"key": CHANGELOG_LOCK_KEY, **{f"lane{index}": key for index, key in enumerate(keys)}}
    return text("SELECT " + ", ".join(calls)), params


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows of one shape (the same keys) in one DBAPI `executemany`.

    SQLAlchemy Core's executemany builds every row's parameters through its general machinery, which costs
    more than SQLite's insert itself; a push inserts three rows per op. Here the statement is compiled once
    for the dialect and each value goes only through its column type's bind processor (JSON to text, dates,
    booleans), as Core would do. Rows that leave out a column with a default of SQLAlchemy's go through
    Core, which fills it in.
    """
    if not rows:
        return
    keys = tuple(rows[0])
    if any(column.default is not None and column.key not in keys for column in table.columns):
        session.execute(insert(table), rows)
        return
    connection = session.connection()
    connection.exec_driver_sql(*driver_insert(connection.dialect, table, rows))


def driver_insert(dialect: Any, table: Table, rows: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    """The INSERT of `rows` (one shape, every key a column) for the dialect's driver: its SQL and each row's
    parameters, every value through its column type's bind processor."""
    statement, order, processors = _compiled_insert(dialect, table, tuple(rows[0]))
    convert = [(key, processors.get(key)) for key in order]
    if statement.positional:
        return statement.string, [
            tuple(row[key] if process is None else process(row[key]) for key, process in convert) for row in rows
        ]
    return statement.string, [
        {key: row[key] if process is None else process(row[key]) for key, process in convert} for row in rows
    ]


@functools.lru_cache(maxsize=64)  # keyed by the dialect of each engine (tests make many)
def _compiled_insert(dialect: Any, table: Table, keys: tuple[str, ...]) -> tuple[Any, list[str], dict[str, Any]]:
    """The INSERT of these columns compiled for the dialect, its parameters in order, their bind processors."""
    statement = insert(table).compile(dialect=dialect, column_keys=list(keys))
    order = list(statement.positiontup or []) if statement.positional else list(keys)
    if set(order) != set(keys) or set(statement.binds) != set(keys):  # parameters named as the columns' keys
        raise ValueError(f"cannot insert {keys} into {table.name} as plain parameters")
    processors = {}
    for key in keys:
        column_type = table.columns[key].type
        process = column_type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[key] = process
    return statement, order, processors


def database_ok(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
