"""What sync keeps instead of dropping: conflict losers and refused ops, for reps and supervisors to see."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from server.actor import Actor
from server.changes.log import record_change, record_data
from server.changes.models import FieldConflict, RejectedOp
from server.clock import now_iso
from shared.enums import RecordKind
from shared.ids import new_id
from sync.merge import FieldMerge
from sync.protocol import Op


def record_conflict(
    session: Session,
    kind: RecordKind,
    record_id: str,
    territory: str,
    merge: FieldMerge,
    actor: Actor,
    *,
    op_id: str,
    device_id: str,
) -> FieldConflict:
    """Keep the losing value of a field; the territory's devices receive it (kind "conflict")."""
    conflict = FieldConflict(
        id=new_id(),
        kind=kind.value,
        record_id=record_id,
        field=merge.field,
        kept_value=merge.kept,
        lost_value=merge.lost,
        kept_clock=merge.clock,
        lost_clock=merge.lost_clock,
        lost_by_user_id=None if merge.apply else actor.id,
        op_id=op_id,
        device_id=device_id,
        territory=territory,
        created_at=now_iso(),
    )
    session.add(conflict)
    session.flush()
    record_change(
        session, RecordKind.CONFLICT, conflict.id, audience=territory, territory=territory, data=record_data(conflict)
    )
    return conflict


def open_conflicts(session: Session, territory: str | None = None, limit: int = 200) -> list[FieldConflict]:
    query = select(FieldConflict).where(FieldConflict.reviewed == False)  # noqa: E712
    if territory:
        query = query.where(FieldConflict.territory == territory)
    return list(session.exec(query.order_by(col(FieldConflict.created_at).desc()).limit(limit)).all())


def keep_refused(session: Session, actor: Actor, op: Op, *, code: str, message: str, path: str | None) -> None:
    """Keep a refused op for supervisors (the phone keeps it as a draft). Re-sending it keeps one row."""
    values: dict[str, Any] = {
        "device_id": op.device_id,
        "seq": op.seq,
        "op_id": op.op_id,
        "user_id": actor.id,
        "territory": actor.territory,
        "op": op.as_dict(),
        "code": code,
        "message": message[:500],
        "path": (path or "")[:200] or None,
        "rejected_at": now_iso(),
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(RejectedOp).values(**values)
    updated = {key: statement.excluded[key] for key in ("op_id", "op", "code", "message", "path", "rejected_at")}
    session.execute(statement.on_conflict_do_update(index_elements=["device_id", "seq"], set_=updated))


def rejected_ops(session: Session, territory: str | None = None, limit: int = 200) -> list[RejectedOp]:
    query = select(RejectedOp)
    if territory:
        query = query.where(RejectedOp.territory == territory)
    return list(session.exec(query.order_by(col(RejectedOp.rejected_at).desc()).limit(limit)).all())
