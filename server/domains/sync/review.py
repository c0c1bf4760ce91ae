"""A supervisor marks a kept conflict as reviewed (the phones show it as reviewed after their next sync)."""

from __future__ import annotations

from sqlmodel import Session

from server.domains.sync.changelog import record_change, record_data
from server.domains.sync.models import FieldConflict
from server.domains.users.models import Actor
from server.errors import Forbidden, NotFound
from shared.enums import RecordKind, Role


def mark_conflict_reviewed(session: Session, actor: Actor, conflict_id: str) -> FieldConflict:
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("only supervisors review conflicts", path="conflict_id")
    conflict = session.get(FieldConflict, conflict_id)
    if conflict is None:
        raise NotFound("no such conflict", path="conflict_id")
    if not conflict.reviewed:
        conflict.reviewed = True
        session.add(conflict)
        session.flush()
        territory = conflict.territory
        record_change(
            session,
            RecordKind.CONFLICT,
            conflict.id,
            audience=territory,
            territory=territory,
            data=record_data(conflict),
        )
    return conflict
