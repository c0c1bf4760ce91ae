"""Backups of the server's database and their restore: `python -m server backup|restore` (docs/deploy.md).

PostgreSQL: `pg_dump --format=custom` of the whole database, restored with `pg_restore` into an empty
database (or, with `force`, over an existing one: its objects are dropped first); the password travels in
PGPASSWORD, never on a command line that `ps` shows. SQLite: SQLite's online backup API, a consistent copy
taken while the server keeps writing. After a restore the schema is brought to the newest migration, so a
backup taken by an older release restores into a newer one, and every phone is made to resync fully.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import func, inspect, text, update
from sqlalchemy.engine import URL, Engine, make_url
from sqlmodel import col, select

from server.changes.models import ChangeLog, SyncHorizon
from server.changes.tombstones import TOMBSTONES
from server.db import make_engine, migrate_database, write_session


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


def backup_database(database_url: str, output: Path) -> Path:
    url = make_url(database_url)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")  # a cut-off dump never takes the final name
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(_sqlite_path(url), partial)
    elif url.get_backend_name() == "postgresql":
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", _libpq_uri(url)], url)
    else:
        raise BackupError(f"no backup method for {url.get_backend_name()} databases")
    os.replace(partial, output)
    return output


def restore_database(database_url: str, dump: Path, *, force: bool = False) -> None:
    if not dump.is_file():
        raise BackupError(f"{dump}: no such backup file")
    url = make_url(database_url)
    if not force and _has_tables(database_url):
        raise BackupError(
            f"{url.render_as_string(hide_password=True)} already holds tables: restore into an empty database, "
            "or pass --force to replace what it holds"
        )
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(dump, _sqlite_path(url))
    elif url.get_backend_name() == "postgresql":
        command = [_tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={_libpq_uri(url)}"]
        if force:
            command[1:1] = ["--clean", "--if-exists"]
        _run([*command, str(dump)], url)
    else:
        raise BackupError(f"no restore method for {url.get_backend_name()} databases")
    engine = make_engine(database_url)
    try:
        migrate_database(engine)
        start_a_new_sync_era(engine)
    finally:
        engine.dispose()


# How far change numbers jump at a restore: more than the changes a server could have made between its last
# backup and the restore (the change-log numbers are 32-bit on PostgreSQL: room for 200 restores).
RESTORE_GAP = 10_000_000


def start_a_new_sync_era(engine: Engine) -> int:
    """Make every phone pull everything again after a restore; returns the new first change number.

    The phones' cursors may point past the restored change log (changes made after the backup). Left alone,
    the restored server would number its next changes from the backup's newest on, and a phone would skip
    those below its cursor. So the numbering jumps by RESTORE_GAP, the newest row moves to the jump, and the
    horizon rises to just below it: every older cursor is answered `resync_required`, and the phone resyncs
    from 0 keeping its waiting ops (docs/sync-protocol.md, tombstones).
    """
    with write_session(engine) as session:
        newest = session.exec(select(func.max(ChangeLog.seq))).one() or 0
        start = newest + RESTORE_GAP
        if newest:
            session.exec(update(ChangeLog).where(col(ChangeLog.seq) == newest).values(seq=start))
        if session.get_bind().dialect.name == "postgresql":
            session.execute(
                text("SELECT setval(pg_get_serial_sequence('change_log', 'seq'), :start)").bindparams(start=start)
            )
        else:
            session.execute(text("DELETE FROM sqlite_sequence WHERE name = 'change_log'"))
            session.execute(
                text("INSERT INTO sqlite_sequence (name, seq) VALUES ('change_log', :start)").bindparams(start=start)
            )
        row = session.get(SyncHorizon, TOMBSTONES) or SyncHorizon(name=TOMBSTONES)
        row.seq = max(row.seq, start - 1)
        session.add(row)
    return start


def _has_tables(database_url: str) -> bool:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not _sqlite_path(url).exists():
        return False
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return bool(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"{source}: no such SQLite database")
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _libpq_uri(url: URL) -> str:
    """The URL libpq reads (`postgresql://…`), without the driver name and without the password."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed: apt-get install postgresql-client")
    return path


def _run(command: list[str], url: URL) -> None:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()}")
