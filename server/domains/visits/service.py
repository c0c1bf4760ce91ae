"""Visits: created at check-in and completed at check-out by puts of the same id; read for the board."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from server.clock import local_day, now_iso
from server.domains.access import check_fields, customer_in_reach, lookup, remember
from server.domains.routes.service import get_route_plan
from server.domains.sync.changelog import record_change, record_data
from server.domains.users.models import Actor
from server.domains.visits.models import Visit
from server.errors import Forbidden
from shared.enums import RecordKind


def visit_data(visit: Visit) -> dict[str, Any]:
    return record_data(visit)


def _stored(fields: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(fields)
    if values.get("next_visit_date") is not None:
        values["next_visit_date"] = dt.date.fromisoformat(values["next_visit_date"])
    return values


def put_visit(
    session: Session,
    actor: Actor,
    visit_id: str,
    fields: Mapping[str, Any],
    *,
    tz: ZoneInfo,
    device_id: str | None = None,
    path: str = "visit",
) -> Visit:
    visit = lookup(session, Visit, visit_id)
    check_fields(RecordKind.VISIT, fields, creating=visit is None, path=path)
    if visit is not None and actor.is_rep and visit.rep_id != actor.id:
        raise Forbidden("only the rep who made a visit may change it", path=path)
    customer_id = fields.get("customer_id") or (visit.customer_id if visit else None)
    customer = customer_in_reach(session, actor, customer_id, path=path)
    values = _stored(fields)
    if visit is None:
        visit_day = local_day(values["check_in_at"], tz)
        if "planned" not in values:  # the device did not say: the rep's plan for that day decides
            plan = get_route_plan(session, actor.id, visit_day)
            values["planned"] = plan is not None and customer.id in plan.customer_ids
        visit = Visit(
            id=visit_id,
            rep_id=actor.id,
            device_id=device_id,
            territory=customer.territory,
            visit_day=visit_day,
            updated_at=now_iso(),
            **values,
        )
    else:
        for name, value in values.items():
            setattr(visit, name, value)
        visit.visit_day = local_day(visit.check_in_at, tz)
        visit.territory = customer.territory
        visit.updated_at = now_iso()
    session.add(visit)
    remember(session, visit)
    record_change(
        session, RecordKind.VISIT, visit.id, audience=visit.territory, territory=visit.territory, data=visit_data(visit)
    )
    return visit


def visits_of_day(session: Session, day: dt.date) -> list[Visit]:
    return list(session.exec(select(Visit).where(Visit.visit_day == day).order_by(col(Visit.check_in_at))).all())


def visits_of_customer(session: Session, customer_id: str) -> list[Visit]:
    """Newest first (check-in times carry offsets, so order by the instant, not the text)."""
    visits = session.exec(select(Visit).where(Visit.customer_id == customer_id)).all()
    return sorted(visits, key=lambda visit: dt.datetime.fromisoformat(visit.check_in_at), reverse=True)
