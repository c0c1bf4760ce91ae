"""Writing the change log: every stored change of a synced record goes through `record_change`."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar, cast

import msgspec
from sqlalchemy import Table, delete, event
from sqlmodel import Session, SQLModel

from server.changes.models import ChangeLog
from server.clock import now_iso
from server.db import insert_rows
from shared.enums import RecordKind

ROUTE_PLAN_AUDIENCE_PREFIX = "rep:"
# The audience of rows every signed-in user receives (the product catalogue).
EVERYONE_AUDIENCE = "*"


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


AnswerT = TypeVar("AnswerT", bound=msgspec.Struct)


def record_answer(kind: type[AnswerT], record: SQLModel) -> AnswerT:
    """`record` as the JSON API answers it: its typed answer (a Struct with a field per column of its table,
    tests/unit/test_record_answers.py holds them together), filled from `record_data`."""
    return msgspec.convert(record_data(record), kind)


PENDING_CHANGES = "routecrm_pending_changes"
CHANGE_LOG = cast(Table, ChangeLog.__table__)  # type: ignore[attr-defined]  # SQLModel sets it at runtime


def record_change(
    session: Session,
    kind: RecordKind,
    record_id: str,
    *,
    audience: str,
    territory: str,
    data: dict[str, Any] | None,
    deleted: bool | None = None,
) -> None:
    """Give the record's change-log row a new change number, at commit; `data=None` is a tombstone.

    `deleted=True` with `data` is a tombstone that says more than that the record is gone: a merged customer's
    (`{"merged_into": survivor}`, server/domains/duplicates/merge.py), so phones re-point what they hold of it.

    Changes wait in the session until it commits, then go in one statement each for the whole
    transaction (a push of 500 ops writes its change log at once); a record changed twice in one
    transaction gets one row, in its last state, numbered in the order the records were first changed.
    """
    pending: dict[tuple[str, str], dict[str, Any]] = session.info.setdefault(PENDING_CHANGES, {})
    pending[(kind.value, record_id)] = {
        "kind": kind.value,
        "record_id": record_id,
        "audience": audience,
        "territory": territory,
        "deleted": data is None if deleted is None else deleted,
        "data": data,
    }


@event.listens_for(Session, "before_commit")
def _write_pending_changes(session: Session) -> None:
    pending: dict[tuple[str, str], dict[str, Any]] = session.info.pop(PENDING_CHANGES, {})
    if not pending:
        return
    changed_at = now_iso()
    log = CHANGE_LOG.c  # the table's own statements (SQLAlchemy Core), not the ORM's bulk ones: half the cost
    for kind in {key[0] for key in pending}:
        ids = [record_id for (row_kind, record_id) in pending if row_kind == kind]
        for start in range(0, len(ids), 500):  # bounded IN lists
            chunk = ids[start : start + 500]
            session.execute(delete(CHANGE_LOG).where(log.kind == kind, log.record_id.in_(chunk)))
    insert_rows(session, CHANGE_LOG, [{**row, "changed_at": changed_at} for row in pending.values()])


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending_changes(session: Session, previous_transaction: object) -> None:
    session.info.pop(PENDING_CHANGES, None)  # rolled back: none of those changes happened
