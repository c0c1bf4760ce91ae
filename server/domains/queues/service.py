"""What waits for a supervisor, counted for every page's nav and listed on the queues page (server/web/queues.py,
server/web/queue_counts.py render them). Count queries only for the nav, so pages stay cheap with 200,000 visits.

The queues read other domains' tables (complaints, sync's conflicts and refused ops, visits) and change none:
the actions on a queue's row stay with the owning domain (complaints.service, sync.review)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, true
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from server.changes.models import FieldConflict, RejectedOp
from server.clock import today
from server.db import read_session
from server.domains.approvals.models import ApprovalRequest
from server.domains.complaints.models import Complaint
from server.domains.complaints.service import OPEN_STATUSES
from server.domains.visits.models import Visit
from server.settings import Settings
from shared.approvals import ApprovalStatus

RECENT_DAYS = 14  # refused ops and flagged check-ins older than two weeks leave the queue (their pages keep them)


@dataclass(frozen=True)
class QueueCounts:
    complaints: int
    conflicts: int
    refused: int
    flagged: int
    approvals: int = 0  # 审批 requests waiting for a decision (docs/approvals.md; decided on /approvals)

    @property
    def total(self) -> int:
        return self.complaints + self.conflicts + self.refused + self.flagged + self.approvals


def since_day(settings: Settings) -> dt.date:
    return today(settings.tz) - dt.timedelta(days=RECENT_DAYS - 1)


def since_moment(settings: Settings) -> str:
    """The window's start as `rejected_at` is stored: ISO 8601 in UTC (server.clock.now_iso)."""
    start = dt.datetime.combine(since_day(settings), dt.time(), settings.tz).astimezone(dt.UTC)
    return start.isoformat(timespec="seconds")


def count(session: Session, query: Any) -> int:
    return int(session.exec(query).one())


def of_team(column: Any, team: str | None) -> Any:
    """Rows of one team (server/domains/teams.py `team_of`); None: every territory."""
    return true() if team is None else col(column) == team


def open_complaint_query(team: str | None = None) -> Any:
    return and_(
        col(Complaint.status).in_([status.value for status in OPEN_STATUSES]), of_team(Complaint.territory, team)
    )


def unreviewed(team: str | None = None) -> Any:
    return and_(col(FieldConflict.reviewed).is_(False), of_team(FieldConflict.territory, team))


def recent_refused(settings: Settings, team: str | None = None) -> Any:
    """Refused in the last two weeks and not yet marked reviewed (the review page keeps the reviewed ones)."""
    return and_(
        col(RejectedOp.rejected_at) >= since_moment(settings),
        col(RejectedOp.reviewed_at).is_(None),
        of_team(RejectedOp.territory, team),
    )


def recent_flagged(settings: Settings, team: str | None = None) -> Any:
    return (col(Visit.flagged).is_(True), col(Visit.visit_day) >= since_day(settings), of_team(Visit.territory, team))


def queue_counts(session: Session, settings: Settings, team: str | None = None) -> QueueCounts:
    """What waits for a supervisor of `team` (None: the whole company)."""
    return QueueCounts(
        complaints=count(session, select(func.count()).select_from(Complaint).where(open_complaint_query(team))),
        conflicts=count(session, select(func.count()).select_from(FieldConflict).where(unreviewed(team))),
        refused=count(session, select(func.count()).select_from(RejectedOp).where(recent_refused(settings, team))),
        flagged=count(session, select(func.count()).select_from(Visit).where(*recent_flagged(settings, team))),
        approvals=count(session, select(func.count()).select_from(ApprovalRequest).where(pending_approvals(team))),
    )


def pending_approvals(team: str | None = None) -> Any:
    return and_(col(ApprovalRequest.status) == ApprovalStatus.PENDING.value, of_team(ApprovalRequest.territory, team))


def queue_counts_if_answered(engine: Engine, settings: Settings, team: str | None = None) -> QueueCounts | None:
    """`queue_counts` in a session of its own, or None when the database does not answer (the nav of every
    page shows them: an error page, say, must not become a 500 for want of a count)."""
    try:
        with read_session(engine) as session:
            return queue_counts(session, settings, team)
    except SQLAlchemyError:
        return None


def waiting_conflicts(session: Session, team: str | None, limit: int) -> list[FieldConflict]:
    """Conflicts kept by sync and not yet reviewed, the oldest first."""
    query = select(FieldConflict).where(unreviewed(team)).order_by(col(FieldConflict.created_at)).limit(limit)
    return list(session.exec(query).all())


def waiting_refused(session: Session, settings: Settings, team: str | None, limit: int) -> list[RejectedOp]:
    """Ops refused in the last two weeks and not yet reviewed, the oldest first."""
    query = select(RejectedOp).where(recent_refused(settings, team)).order_by(col(RejectedOp.rejected_at)).limit(limit)
    return list(session.exec(query).all())


def waiting_flagged(session: Session, settings: Settings, team: str | None, limit: int) -> list[Visit]:
    """Check-ins flagged in the last two weeks, the oldest day first, then by check-in time."""
    query = (
        select(Visit)
        .where(*recent_flagged(settings, team))
        .order_by(col(Visit.visit_day), col(Visit.check_in_at))
        .limit(limit)
    )
    return list(session.exec(query).all())
