"""Deletes travel to phones as tombstones for `settings.tombstone_days`; then the change log forgets them.

A phone whose cursor is older than the newest forgotten tombstone could miss a delete, so its pull is
answered 410 `resync_required`: it pulls everything again from 0, keeping its own waiting ops and drafts.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from server.changes.models import ChangeLog, SyncHorizon
from server.db import write_session
from server.settings import Settings

TOMBSTONES = "tombstones"


def horizon(session: Session) -> int:
    row = session.get(SyncHorizon, TOMBSTONES)
    return row.seq if row else 0


def horizon_query() -> SelectOfScalar[int]:
    """`horizon`'s query (no row: no number), for a pull that reads it with other numbers in one statement."""
    return select(SyncHorizon.seq).where(SyncHorizon.name == TOMBSTONES)


def expire_tombstones(engine: Engine, settings: Settings, now: dt.datetime) -> int:
    """Forget tombstones older than the retention period; returns how many."""
    cutoff = (now - dt.timedelta(days=settings.tombstone_days)).isoformat(timespec="seconds")
    expired = col(ChangeLog.deleted).is_(True) & (col(ChangeLog.changed_at) < cutoff)
    with write_session(engine) as session:
        newest = session.exec(select(func.max(ChangeLog.seq)).where(expired)).one()
        if newest is None:
            return 0
        count = session.exec(select(func.count()).select_from(ChangeLog).where(expired)).one()
        session.exec(delete(ChangeLog).where(expired))
        row = session.get(SyncHorizon, TOMBSTONES) or SyncHorizon(name=TOMBSTONES)
        row.seq = max(row.seq, newest)
        session.add(row)
    return int(count)
