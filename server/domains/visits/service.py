"""Visits: created at check-in and completed at check-out by puts of the same id; read for the board."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from server.clock import local_day, now_iso
from server.domains.access import (
    add_new_row,
    check_fields,
    customer_in_reach,
    lookup,
    refuse_problems,
    store_territory_record,
)
from server.domains.customers.models import Customer
from server.domains.routes.service import get_route_plan
from server.domains.sync.changelog import record_change, record_data
from server.domains.users.models import Actor
from server.domains.visits.models import Visit
from server.errors import Forbidden, ValidationFailed
from server.settings import Settings
from shared.enums import RecordKind, VisitFlag, VisitType
from shared.records import outside_early_window, visit_type_problems

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class VisitFlagRules:
    """When a check-in is flagged for the supervisor (settings VISIT_FLAG_RADIUS_M, VISIT_FLAG_ACCURACY_M)."""

    radius_m: float = 500.0
    accuracy_m: float = 200.0


def visit_flag_rules(settings: Settings) -> VisitFlagRules:
    return VisitFlagRules(radius_m=settings.visit_flag_radius_m, accuracy_m=settings.visit_flag_accuracy_m)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def check_in_flags(
    visit: Mapping[str, Any], customer: Customer, rules: VisitFlagRules, tz: ZoneInfo | None = None
) -> list[str]:
    """What a supervisor should look at in this check-in (the visit's columns); a flag never refuses the visit.

    No location at check-in, or a customer without a location, flags nothing: a phone visit (电话拜访)
    or a phone without GPS is not suspicious by itself. An early visit (早访) checked in outside
    07:30-08:10 in `tz` (the server's TIMEZONE) is flagged."""
    flags: list[str] = []
    early = visit.get("visit_type") == VisitType.EARLY.value and tz is not None and visit.get("check_in_at")
    if early and outside_early_window(dt.datetime.fromisoformat(str(visit["check_in_at"])).astimezone(tz)):
        flags.append(VisitFlag.OUTSIDE_EARLY_WINDOW.value)
    if visit.get("visit_type") == VisitType.PHONE.value:
        return flags  # a call: where the phone was says nothing about the visit
    lat, lng, accuracy = visit.get("check_in_lat"), visit.get("check_in_lng"), visit.get("check_in_accuracy")
    if lat is not None and lng is not None and customer.lat is not None and customer.lng is not None:
        distance = distance_m(lat, lng, customer.lat, customer.lng)
        if distance > rules.radius_m:
            flags.append(VisitFlag.FAR_FROM_CUSTOMER.value)
    if accuracy is not None and accuracy > rules.accuracy_m:
        flags.append(VisitFlag.POOR_ACCURACY.value)
    if visit.get("check_in_mocked"):
        flags.append(VisitFlag.MOCKED_LOCATION.value)
    return flags


def visit_data(visit: Visit) -> dict[str, Any]:
    return record_data(visit)


def _stored(fields: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(fields)
    if values.get("next_visit_date") is not None:
        values["next_visit_date"] = dt.date.fromisoformat(values["next_visit_date"])
    return values


# Every column's default, so a new visit's row names every column (one INSERT statement for a whole push).
VISIT_DEFAULTS = {name: info.default for name, info in Visit.model_fields.items() if not info.is_required()}


def _checked(
    session: Session, actor: Actor, visit_id: str, fields: Mapping[str, Any], path: str
) -> tuple[Visit | None, Customer]:
    """The visit (None: new) and its customer, once the fields and the actor's rights are checked."""
    visit = lookup(session, Visit, visit_id)
    check_fields(RecordKind.VISIT, fields, creating=visit is None, path=path)
    if visit is not None and actor.is_rep and visit.rep_id != actor.id:
        raise Forbidden("only the rep who made a visit may change it", path=path)
    customer_id = fields.get("customer_id") or (visit.customer_id if visit else None)
    customer = customer_in_reach(session, actor, customer_id, path=path)
    check_type_fields(session, visit_id, {**(visit.model_dump() if visit else {}), **fields}, path)
    return visit, customer


def check_type_fields(session: Session, visit_id: str, visit: Mapping[str, Any], path: str) -> None:
    """The visit's type fields belong to its type (the whole visit as it would be stored), and a 回访 follows a
    home visit of the same customer (shared.records.visit_type_problems; docs/visits.md)."""
    refuse_problems(visit_type_problems(visit), f"{path}.fields")
    followed_id = visit.get("follows_visit_id")
    if followed_id is None:
        return
    followed = lookup(session, Visit, str(followed_id)) if followed_id != visit_id else None
    if followed is None or followed.visit_type != VisitType.HOME.value or followed.customer_id != visit["customer_id"]:
        raise ValidationFailed(
            "follows_visit_id must name a home visit (家访) to the same customer",
            path=f"{path}.fields.follows_visit_id",
        )


def _new_visit_row(
    session: Session,
    actor: Actor,
    visit_id: str,
    customer: Customer,
    fields: Mapping[str, Any],
    *,
    tz: ZoneInfo,
    device_id: str | None,
    rules: VisitFlagRules,
) -> dict[str, Any]:
    """Every column of a new visit: the fields sent, the server's own, the check-in's flags."""
    values = _stored(fields)
    visit_day = local_day(values["check_in_at"], tz)
    if "planned" not in values:  # the device did not say: the rep's plan for that day decides
        plan = get_route_plan(session, actor.id, visit_day)
        values["planned"] = plan is not None and customer.id in plan.customer_ids
    row = {
        **VISIT_DEFAULTS,
        **values,
        "id": visit_id,
        "rep_id": actor.id,
        "device_id": device_id,
        "territory": customer.territory,
        "visit_day": visit_day,
        "updated_at": now_iso(),
    }
    flags = check_in_flags(row, customer, rules, tz)
    row["flags"], row["flagged"] = flags or None, bool(flags)
    return row


def put_visit(
    session: Session,
    actor: Actor,
    visit_id: str,
    fields: Mapping[str, Any],
    *,
    tz: ZoneInfo,
    device_id: str | None = None,
    path: str = "visit",
    flag_rules: VisitFlagRules | None = None,
) -> Visit:
    visit, customer = _checked(session, actor, visit_id, fields, path)
    rules = flag_rules or VisitFlagRules()
    if visit is None:
        row = _new_visit_row(session, actor, visit_id, customer, fields, tz=tz, device_id=device_id, rules=rules)
        visit = Visit(**row)
    else:
        for name, value in _stored(fields).items():
            setattr(visit, name, value)
        visit.visit_day = local_day(visit.check_in_at, tz)
        visit.territory = customer.territory
        visit.updated_at = now_iso()
        flags = check_in_flags(visit.model_dump(), customer, rules, tz)
        visit.flags, visit.flagged = flags or None, bool(flags)
    store_territory_record(session, RecordKind.VISIT, visit, visit_data(visit))
    return visit


def push_visit(
    session: Session,
    actor: Actor,
    visit_id: str,
    fields: Mapping[str, Any],
    *,
    tz: ZoneInfo,
    device_id: str,
    path: str,
    flag_rules: VisitFlagRules,
) -> None:
    """`put_visit` inside a push (`new_rows_batched`): a new visit is a plain row, inserted with the push's
    other new visits in one statement (a tenth of the cost of an ORM object); a change goes through put_visit."""
    visit, customer = _checked(session, actor, visit_id, fields, path)
    if visit is not None:
        put_visit(session, actor, visit_id, fields, tz=tz, device_id=device_id, path=path, flag_rules=flag_rules)
        return
    row = _new_visit_row(session, actor, visit_id, customer, fields, tz=tz, device_id=device_id, rules=flag_rules)
    add_new_row(session, Visit, row)
    # The change log's JSON writes its dates (visit_day, next_visit_date) as ISO text (server.db.JSON_CODEC).
    record_change(
        session, RecordKind.VISIT, visit_id, audience=row["territory"], territory=row["territory"], data=dict(row)
    )


def visits_of_day(session: Session, day: dt.date) -> list[Visit]:
    return list(session.exec(select(Visit).where(Visit.visit_day == day).order_by(col(Visit.check_in_at))).all())


def visits_of_customer(session: Session, customer_id: str) -> list[Visit]:
    """Newest first (check-in times carry offsets, so order by the instant, not the text)."""
    visits = session.exec(select(Visit).where(Visit.customer_id == customer_id)).all()
    return sorted(visits, key=lambda visit: dt.datetime.fromisoformat(visit.check_in_at), reverse=True)


def flagged_visits(session: Session, since: dt.date, territory: str | None = None, limit: int = 300) -> list[Visit]:
    """Visits with check-in flags since `since` (of one territory, if given), newest first."""
    query = select(Visit).where(col(Visit.flagged).is_(True), col(Visit.visit_day) >= since)
    if territory is not None:
        query = query.where(Visit.territory == territory)
    return list(session.exec(query.order_by(col(Visit.visit_day).desc(), col(Visit.check_in_at)).limit(limit)).all())
