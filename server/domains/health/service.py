"""Is the database usable: reachable, and does it take a write?

A full disk, a read-only file system or a read-only database (a standby, `default_transaction_read_only`)
still answers `SELECT 1`, while every sign-in and push fails. So the check writes: one UPDATE of the
heartbeat row, committed (a rolled-back write may never reach the disk). It takes no application lock: the
row lock (PostgreSQL) or SQLite's write lock is held for one statement.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, text, update
from sqlalchemy.engine import Engine

from server.clock import now_iso
from server.domains.health.models import HealthHeartbeat

OK, UNREACHABLE, NOT_WRITABLE = "ok", "unreachable", "not_writable"
HEARTBEAT = cast(Table, HealthHeartbeat.__table__)  # type: ignore[attr-defined]
_PROCESS = f"{socket.gethostname()}:{os.getpid()}"[:120]


@dataclass(frozen=True)
class DatabaseCheck:
    state: str  # OK, UNREACHABLE or NOT_WRITABLE
    reason: str | None = None  # the database's own words, one line (for the log and a failed start)

    @property
    def ok(self) -> bool:
        return self.state == OK


def one_line(error: BaseException) -> str:
    orig: Any = getattr(error, "orig", None)  # SQLAlchemy wraps the driver's error: its text says it plainly
    words = str(orig if orig is not None else error).strip()
    return words.splitlines()[0] if words else type(error).__name__


def check_database(engine: Engine) -> DatabaseCheck:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        return DatabaseCheck(UNREACHABLE, one_line(error))
    try:
        with engine.begin() as connection:
            beat = {"beat_at": now_iso(), "beat_by": _PROCESS}
            written = connection.execute(update(HEARTBEAT).where(HEARTBEAT.c.id == 1).values(**beat)).rowcount
            if not written:  # a database made by create_all, or emptied: the row comes back
                connection.execute(insert(HEARTBEAT).values(id=1, **beat))
    except Exception as error:
        return DatabaseCheck(NOT_WRITABLE, one_line(error))
    return DatabaseCheck(OK)
