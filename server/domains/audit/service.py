"""Append to and read the audit log."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from server.clock import now_iso
from server.domains.audit.models import AuditEvent


def audit(
    session: Session,
    action: str,
    *,
    actor_id: str | None = None,
    actor_name: str | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            at=now_iso(), action=action, actor_id=actor_id, actor_name=(actor_name or "")[:60], ip=ip, details=details
        )
    )


def recent_events(session: Session, limit: int = 200) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)).all())
