"""A revoked phone's pushes: kept in quarantine (not applied), then accepted through the push path or dropped by
an admin on /devices."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from server.actor import Actor
from server.changes.kinds import SyncKinds
from server.clock import now_iso
from server.db import read_session, write_session
from server.domains.audit.service import audit
from server.domains.chain.recording import register_key
from server.domains.devices.models import Device, QuarantinedOp
from server.domains.sync.models import AppliedOp
from server.domains.sync.service import push
from server.domains.users.models import User
from server.domains.users.sessions import device_revoked_error
from server.errors import Conflict, DomainError, NotFound
from server.settings import Settings
from sync.protocol import SCHEMA_VERSION, OpResult, OpStatus, PushRequest, parse_op

PENDING, ACCEPTED, DROPPED = "pending", "accepted", "dropped"


def quarantine_push(engine: Engine, actor: Actor, request: PushRequest) -> DomainError:
    """Keep a revoked phone's ops (not applied) and return the 403 that acknowledges them.

    The answer names every op received (`details.quarantined`: seq and op_id), so the phone can empty its
    outbox; ops already applied earlier are acknowledged too and not kept twice. Idempotent."""
    received: list[dict[str, object]] = []
    with write_session(engine) as session:
        phone = session.get(Device, request.device_id)
        if request.signing_key is not None and phone is not None and phone.public_key is None:
            # Its ops are checked against it when an admin accepts them (another key: they are refused then).
            register_key(session, actor, request.device_id, request.signing_key, via="quarantine", device=phone)
        seqs = [op.seq for op in request.ops]
        applied = set(
            session.exec(
                select(AppliedOp.seq).where(AppliedOp.device_id == request.device_id, col(AppliedOp.seq).in_(seqs))
            ).all()
        )
        kept = set(
            session.exec(
                select(QuarantinedOp.seq).where(
                    QuarantinedOp.device_id == request.device_id, col(QuarantinedOp.seq).in_(seqs)
                )
            ).all()
        )
        now = now_iso()
        for op in request.ops:
            if op.seq not in applied and op.seq not in kept:
                session.add(
                    QuarantinedOp(
                        device_id=request.device_id,
                        seq=op.seq,
                        op_id=op.op_id,
                        user_id=actor.id,
                        op=op.as_dict(),
                        received_at=now,
                    )
                )
                kept.add(op.seq)
            received.append({"seq": op.seq, "op_id": op.op_id})
        if request.ops:
            audit(
                session,
                "ops_quarantined",
                actor_id=actor.id,
                actor_name=actor.username,
                details={"device_id": request.device_id, "count": len(request.ops)},
            )
    error = device_revoked_error(request.device_id)
    error.details = {"device_id": request.device_id, "quarantined": received}
    return error


def list_quarantine(session: Session, status: str | None = PENDING) -> list[tuple[QuarantinedOp, User | None]]:
    query = select(QuarantinedOp, User).join(User, col(User.id) == col(QuarantinedOp.user_id), isouter=True)
    if status is not None:
        query = query.where(QuarantinedOp.status == status)
    return [(row, user) for row, user in session.exec(query.order_by(col(QuarantinedOp.id)))]


def _pending(session: Session, quarantine_id: int) -> QuarantinedOp:
    row = session.get(QuarantinedOp, quarantine_id)
    if row is None:
        raise NotFound(f"no quarantined op {quarantine_id}", path="quarantine_id")
    if row.status != PENDING:
        raise Conflict(f"this op was {row.status} already", path="quarantine_id")
    return row


def accept_quarantined(
    engine: Engine, settings: Settings, admin: Actor, quarantine_id: int, kinds: SyncKinds
) -> OpResult:
    """Apply the op through the normal push path, as the rep and phone that made it. Exactly once: the
    applied-op register (device, seq) answers a second application "duplicate"; a refused op becomes a
    rejected op for supervisors, as a phone's would."""
    with read_session(engine) as session:
        row = _pending(session, quarantine_id)
        user = session.get(User, row.user_id)
    if user is None:
        raise NotFound("the rep of this op no longer exists", path="quarantine_id")
    op = parse_op(row.op, "op")
    rep = Actor.of(user)
    try:
        result = push(engine, settings, rep, PushRequest(op.device_id, SCHEMA_VERSION, [op]), kinds).results[0]
    except DomainError as error:
        result = OpResult(op.seq, op.op_id, OpStatus.REJECTED, str(error.code), error.message)
    _decide(engine, admin, quarantine_id, ACCEPTED, result.as_dict())
    return result


def drop_quarantined(engine: Engine, admin: Actor, quarantine_id: int) -> None:
    _decide(engine, admin, quarantine_id, DROPPED, None)


def _decide(engine: Engine, admin: Actor, quarantine_id: int, status: str, result: dict[str, object] | None) -> None:
    with write_session(engine) as session:
        row = _pending(session, quarantine_id)
        row.status, row.decided_at, row.decided_by, row.result = status, now_iso(), admin.id, result
        session.add(row)
        audit(
            session,
            f"quarantine_{status}",
            actor_id=admin.id,
            actor_name=admin.username,
            details={"device_id": row.device_id, "seq": row.seq, "op_id": row.op_id, "result": result},
        )
