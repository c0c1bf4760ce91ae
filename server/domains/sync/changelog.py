"""Writing the change log: every stored change of a synced record goes through `record_change`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, SQLModel

from server.clock import now_iso
from server.domains.sync.models import ChangeLog
from shared.enums import RecordKind

ROUTE_PLAN_AUDIENCE_PREFIX = "rep:"


def rep_audience(rep_id: str) -> str:
    """The audience key of rows only one rep receives (their route plans)."""
    return f"{ROUTE_PLAN_AUDIENCE_PREFIX}{rep_id}"


def record_data(record: SQLModel, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """A record as the JSON a device receives: every column, dates as ISO text."""
    data = record.model_dump(exclude=exclude or set())
    for key, value in data.items():
        if isinstance(value, dt.date | dt.datetime):
            data[key] = value.isoformat()
        elif isinstance(value, list):
            data[key] = list(value)
    return data


def record_change(
    session: Session,
    kind: RecordKind,
    record_id: str,
    *,
    audience: str,
    territory: str,
    data: dict[str, Any] | None,
) -> int:
    """Replace the record's change-log row with one at a new change number; `data=None` is a tombstone."""
    session.exec(delete(ChangeLog).where(ChangeLog.kind == kind.value, ChangeLog.record_id == record_id))  # type: ignore[arg-type]
    row = ChangeLog(
        kind=kind.value,
        record_id=record_id,
        audience=audience,
        territory=territory,
        deleted=data is None,
        data=data,
        changed_at=now_iso(),
    )
    session.add(row)
    session.flush()
    assert row.seq is not None
    return row.seq
