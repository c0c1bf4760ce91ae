"""Territories and moving a rep between them.

A phone pulls only its rep's territory, from its cursor on. When a rep moves, the phone still holds the old
territory's customers (the change log has nothing newer about them for this rep) and would never receive
the new territory's older customers. So the move leaves a marker (RepResync): the rep's next pull from
below it is answered `resync_required`, and the phone pulls everything again from 0 (sync/engine.py), keeping
its waiting ops and drafts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from server.changes.log import record_change, rep_audience
from server.changes.models import ChangeLog
from server.clock import now_iso
from server.domains.customers.models import Customer
from server.domains.territories.models import RepResync, Territory
from server.domains.users.models import User
from server.errors import NotFound, ValidationFailed
from shared.enums import RecordKind, Role
from shared.ids import new_id


def list_territories(session: Session) -> list[Territory]:
    return list(session.exec(select(Territory).order_by(Territory.name)).all())


def known_territories(session: Session) -> list[str]:
    """Every territory name in use: the territories table, the users' and the customers' territories."""
    names = set(session.exec(select(Territory.name)).all())
    names |= {name for name in session.exec(select(User.territory).distinct()).all() if name}
    names |= set(session.exec(select(Customer.territory).distinct()).all())
    return sorted(names)


def put_territory(session: Session, name: str, description: str | None, speed_kmh: str | None = None) -> Territory:
    """Create a territory or change its description and its average travel speed (empty: the company's)."""
    name = name.strip()
    if not name or len(name) > 60:
        raise ValidationFailed("a territory name has 1 to 60 characters", path="name")
    if description is not None and len(description) > 200:
        raise ValidationFailed("a description has at most 200 characters", path="description")
    speed = None
    if (speed_kmh or "").strip():
        try:
            speed = float(str(speed_kmh).strip())
        except ValueError:
            raise ValidationFailed("the average speed is a number of km/h, like 30", path="travel_speed_kmh") from None
        if not 1 <= speed <= 120:
            raise ValidationFailed("the average speed must be between 1 and 120 km/h", path="travel_speed_kmh")
    territory = session.get(Territory, name) or Territory(name=name, created_at=now_iso())
    territory.travel_speed_kmh = speed
    territory.description = (description or "").strip() or None
    session.add(territory)
    return territory


def assign_territory(session: Session, user_id: str, territory: str | None) -> tuple[User, str | None]:
    """Put the user in `territory` (None: the whole company, not for reps); returns the user and the old one.

    A rep who changes territory gets a resync marker (see the module's docstring).
    """
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user", path="user_id")
    territory = (territory or "").strip() or None
    if territory is None and user.role == Role.REP.value:
        raise ValidationFailed("a rep needs a territory", path="territory")
    if territory is not None and territory not in known_territories(session):
        raise ValidationFailed(f"no territory named {territory}", path="territory")
    old = user.territory
    if old == territory:
        return user, old
    user.territory = territory
    session.add(user)
    if user.role != Role.ADMIN.value:  # a rep's, or a supervisor's phone, holds the old team's records
        mark_resync(session, user.id, territory or "")
    return user, old


def mark_resync(session: Session, rep_id: str, territory: str) -> None:
    """Make the rep's phones pull everything again: a change only this rep receives (the tombstone of a route
    plan that never existed: phones drop nothing) takes a change number after all they pulled so far."""
    marker_id = new_id()
    record_change(
        session, RecordKind.ROUTE_PLAN, marker_id, audience=rep_audience(rep_id), territory=territory, data=None
    )
    mark = session.get(RepResync, rep_id) or RepResync(user_id=rep_id, marker_id=marker_id, moved_at=now_iso())
    mark.marker_id, mark.moved_at = marker_id, now_iso()
    session.add(mark)


def resync_mark(session: Session, rep_id: str) -> int:
    """The change number below which a cursor of this rep's phone predates their last move (0: never moved).

    Once the marker's tombstone expires, the tombstone horizon is past it, which sends such cursors back too.
    """
    return session.exec(resync_mark_query(), params={"rep_id": rep_id}).first() or 0


def resync_mark_query() -> SelectOfScalar[Any]:
    """`resync_mark`'s query, the rep's id a parameter (`rep_id`): a pull reads it with other numbers in one
    statement, built once."""
    return (
        select(ChangeLog.seq)
        .join(RepResync, col(RepResync.marker_id) == col(ChangeLog.record_id))
        .where(RepResync.user_id == bindparam("rep_id"), ChangeLog.kind == RecordKind.ROUTE_PLAN.value)
    )
