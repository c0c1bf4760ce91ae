"""What waits for a supervisor, counted for every page's nav (`queue_counts`, a template global) and listed
on the queues page (server/web/queues.py). Count queries only, so pages stay cheap with 200,000 visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, true
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from server.clock import today
from server.db import read_session
from server.domains.complaints.models import Complaint
from server.domains.complaints.service import OPEN_STATUSES
from server.domains.sync.models import FieldConflict, RejectedOp
from server.domains.teams import team_of
from server.domains.users.models import Actor
from server.domains.visits.models import Visit
from server.settings import Settings
from shared.enums import Role

RECENT_DAYS = 14  # refused ops and flagged check-ins older than two weeks leave the queue (their pages keep them)


@dataclass(frozen=True)
class QueueCounts:
    complaints: int
    conflicts: int
    refused: int
    flagged: int

    @property
    def total(self) -> int:
        return self.complaints + self.conflicts + self.refused + self.flagged


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
    )


def nav_queue_counts(request: Any) -> QueueCounts | None:
    """For base.html: the counts for a signed-in supervisor's nav, None for anyone else (and on error pages
    raised before sign-in)."""
    user = request.scope.get("user") if request is not None else None
    if not isinstance(user, Actor) or user.role not in (Role.SUPERVISOR, Role.ADMIN):
        return None
    state = request.app.state
    try:
        with read_session(state.engine) as session:
            return queue_counts(session, state.settings, team_of(user))
    except SQLAlchemyError:  # the nav must not turn a page (an error page, say) into a 500: no count then
        return None


def register_template_globals(engine: Any) -> None:
    """TemplateConfig.engine_callback: make `queue_counts(request)` callable from every template."""
    engine.engine.globals["queue_counts"] = nav_queue_counts
