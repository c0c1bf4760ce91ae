"""A supervisor marks a kept conflict as reviewed (the phones show it as reviewed after their next sync), or a
refused op as reviewed with a comment (it leaves the open queue; the review page keeps it, with the comment).

A refused op stays a draft on the rep's phone whatever the supervisor does: the rep fixes and saves it again
(a new op), or discards it; the comment tells the team what was done about it."""

from __future__ import annotations

from sqlmodel import Session, select

from server.actor import Actor
from server.changes.log import record_change, record_data
from server.changes.models import FieldConflict, RejectedOp
from server.clock import now_iso
from server.domains.teams import sees
from server.errors import Forbidden, NotFound, ValidationFailed
from shared.enums import RecordKind, Role


def mark_conflict_reviewed(session: Session, actor: Actor, conflict_id: str) -> FieldConflict:
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("only supervisors review conflicts", path="conflict_id")
    conflict = session.get(FieldConflict, conflict_id)
    if conflict is None or not sees(actor, conflict.territory):  # another team's: unknown here
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


MAX_COMMENT = 500


def mark_refused_reviewed(session: Session, actor: Actor, op_id: str, comment: str) -> RejectedOp:
    """The refused op (by its op id) marked reviewed by this supervisor, with what was done about it.
    Refusals name their reason in `details.reason`: comment_required, comment_too_long."""
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("only supervisors review refused ops", path="op_id")
    refused = session.exec(select(RejectedOp).where(RejectedOp.op_id == op_id)).first()
    if refused is None or not sees(actor, refused.territory):  # another team's: unknown here
        raise NotFound("no such refused op", path="op_id")
    comment = comment.replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL
    if not comment:
        raise ValidationFailed("say what was done about it", path="comment", details={"reason": "comment_required"})
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(
            f"the comment must be at most {MAX_COMMENT} characters",
            path="comment",
            details={"reason": "comment_too_long"},
        )
    if refused.reviewed_at is None:  # reviewed once: a second click (a resent form) changes nothing
        refused.reviewed_at, refused.reviewed_by, refused.review_comment = now_iso(), actor.id, comment
        session.add(refused)
    return refused
