"""Visits: created at check-in and completed at check-out by puts of the same id; read for the board."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func
from sqlmodel import Session, col, select

from server.actor import Actor
from server.changes.log import record_change, record_data
from server.clock import local_day, now_iso
from server.domains.access import (
    add_new_row,
    check_fields,
    customer_in_reach,
    lookup,
    refuse_problems,
    store_territory_record,
)
from server.domains.campaigns.models import Campaign, CampaignResult
from server.domains.customers.models import Customer
from server.domains.photos.models import VisitPhoto
from server.domains.routes.service import get_route_plan
from server.domains.visits.flags import visit_flag_rules
from server.domains.visits.models import Visit
from server.errors import Forbidden, ValidationFailed
from shared.enums import RecordKind, VisitFlag, VisitType
from shared.records import visit_type_problems
from shared.visit_rules import (
    DAY_FLAGS,
    Flags,
    VisitFlagRules,
    day_flags,
    distance_m,
    own_flags,
    photo_flags,
    required_photo,
)

__all__ = ["VisitFlagRules", "distance_m", "visit_flag_rules"]  # where the callers have always found them

# The rep-days whose shared flags (overlaps, travel, photos) are recomputed when the session commits:
# (rep_id, day) -> (rules, tz), or (None, None) when only a photo changed (rules unknown: travel kept).
DAYS_TO_RECHECK = "routecrm_visit_days_to_recheck"


def _own_flags(visit: Mapping[str, Any], customer: Customer, rules: VisitFlagRules, tz: ZoneInfo) -> Flags:
    return own_flags(visit, (customer.lat, customer.lng), rules, tz)


def _merged(flags: list[str] | None, figures: Mapping[str, Any] | None, fresh: Flags, kinds: frozenset[str]) -> Flags:
    """The visit's flags with those of `kinds` replaced by `fresh` (own flags first, then the day's)."""
    kept = {code: dict((figures or {}).get(code) or {}) for code in flags or [] if code not in kinds}
    merged = {**kept, **{str(code): value for code, value in fresh.items()}}
    order = [code for code in VisitFlag if code in merged]
    return {str(code): merged[code] for code in order}


def _store_flags(target: Visit | dict[str, Any], flags: Flags) -> None:
    codes, figures, flagged = list(flags) or None, dict(flags) or None, bool(flags)
    if isinstance(target, dict):
        target.update({"flags": codes, "flag_figures": figures, "flagged": flagged})
    elif (target.flags, target.flag_figures, target.flagged) != (codes, figures, flagged):
        target.flags, target.flag_figures, target.flagged = codes, figures, flagged


# Flags an upload brings (docs/security.md): not computed again from the visit's columns, so a later put keeps them.
UPLOAD_FLAGS = frozenset({VisitFlag.CLOCK_SET_BACK.value})
OWN_FLAGS = frozenset(str(code) for code in VisitFlag if code not in DAY_FLAGS and code not in UPLOAD_FLAGS)


def mark_day_to_recheck(
    session: Session, rep_id: str, day: dt.date, rules: VisitFlagRules | None = None, tz: ZoneInfo | None = None
) -> None:
    """Recompute the shared flags of the rep's visits that day when the session commits: one query for the
    visits, one for their photos, per rep-day, however many of its visits the push brought."""
    days: dict[tuple[str, dt.date], tuple[VisitFlagRules | None, ZoneInfo | None]] = session.info.setdefault(
        DAYS_TO_RECHECK, {}
    )
    if rules is not None or (rep_id, day) not in days:
        days[(rep_id, day)] = (rules, tz)
    if not event.contains(session, "before_commit", _recheck_marked_days):
        event.listen(session, "before_commit", _recheck_marked_days)
        event.listen(session, "after_rollback", _forget_marked_days)


def _forget_marked_days(session: Session) -> None:
    session.info.pop(DAYS_TO_RECHECK, None)


def _recheck_marked_days(session: Session) -> None:
    for (rep_id, day), (rules, tz) in session.info.pop(DAYS_TO_RECHECK, {}).items():
        recheck_rep_day(session, rep_id, day, rules, tz)


def recheck_rep_day(
    session: Session, rep_id: str, day: dt.date, rules: VisitFlagRules | None, tz: ZoneInfo | None
) -> None:
    """The day's flags of one rep's visits that day (`flags.day_flags`, `photo_flags`); rules None: only the
    photos' times (the caller did not know the company's rules)."""
    visits = session.exec(select(Visit).where(Visit.visit_day == day, Visit.rep_id == rep_id)).all()
    if not visits:
        return
    visit_ids = [visit.id for visit in visits]
    photos = session.exec(select(VisitPhoto).where(col(VisitPhoto.visit_id).in_(visit_ids))).all()
    views = [{name: getattr(visit, name) for name in DAY_FLAG_COLUMNS} for visit in visits]
    computed = day_flags(
        views,
        [(photo.visit_id, photo.taken_at) for photo in photos],
        rules or VisitFlagRules(),
        tz or ZoneInfo("UTC"),
    )
    kinds: frozenset[str] = DAY_FLAGS if rules is not None else frozenset({VisitFlag.PHOTO_OUTSIDE_VISIT})
    if rules is not None:
        _add_photo_flags(session, visits, photos, rules, computed)
    for visit in visits:
        fresh = {code: figures for code, figures in computed[visit.id].items() if code in kinds}
        _store_flags(visit, _merged(visit.flags, visit.flag_figures, fresh, frozenset(str(k) for k in kinds)))


def _add_photo_flags(
    session: Session,
    visits: Sequence[Visit],
    photos: Sequence[VisitPhoto],
    rules: VisitFlagRules,
    computed: dict[str, Flags],
) -> None:
    """Each visit's photo flags (place, source, a required photo missing): one query for the customers' pins,
    one for the types of the campaigns recorded on the visits (docs/photos.md)."""
    customer_ids = {visit.customer_id for visit in visits}
    places = {
        customer_id: (lat, lng)
        for customer_id, lat, lng in session.exec(
            select(Customer.id, Customer.lat, Customer.lng).where(col(Customer.id).in_(customer_ids))
        ).all()
    }
    campaign_types: dict[str, set[str]] = {}
    if rules.campaign_photo_required:
        rows = session.exec(
            select(CampaignResult.visit_id, Campaign.campaign_type)
            .join(Campaign, col(Campaign.id) == col(CampaignResult.campaign_id))
            .where(col(CampaignResult.visit_id).in_([visit.id for visit in visits]))
        ).all()
        for visit_id, campaign_type in rows:
            campaign_types.setdefault(visit_id, set()).add(campaign_type)
    by_visit: dict[str, list[dict[str, Any]]] = {}
    for photo in photos:
        by_visit.setdefault(photo.visit_id, []).append(
            {"taken_at": photo.taken_at, "source": photo.source, "lat": photo.lat, "lng": photo.lng}
        )
    for visit in visits:
        in_person = visit.visit_type != VisitType.PHONE.value
        required = required_photo(visit.visit_type, campaign_types.get(visit.id, ()), rules)
        computed[visit.id].update(
            photo_flags(
                {"check_out_at": visit.check_out_at},
                by_visit.get(visit.id, []),
                places.get(visit.customer_id, (None, None)) if in_person else (None, None),
                required,
                rules,
            )
        )


DAY_FLAG_COLUMNS = ("id", "visit_type", "check_in_at", "check_out_at", "check_in_lat", "check_in_lng")


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


@dataclass(frozen=True)
class VisitWriting:
    """What writing a visit needs besides its fields: the company's time zone and flag rules, the phone it
    came from, when the server got it (None: now) and when the phone saved it."""

    tz: ZoneInfo
    rules: VisitFlagRules
    device_id: str | None = None
    received_at: str | None = None
    made_at: str | None = None
    # The phone's clock was set back before this op (server/domains/chain/op_clock.py): the flag's figures.
    clock_set_back: dict[str, Any] | None = None

    def upload_flags(self) -> Flags:
        """The flags this upload itself brings: kept through later puts until another upload brings them again."""
        return {VisitFlag.CLOCK_SET_BACK.value: self.clock_set_back} if self.clock_set_back is not None else {}


def _new_visit_row(
    session: Session, actor: Actor, visit_id: str, customer: Customer, fields: Mapping[str, Any], writing: VisitWriting
) -> dict[str, Any]:
    """Every column of a new visit: the fields sent, the server's own, the check-in's flags."""
    tz, made_at = writing.tz, writing.made_at
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
        "device_id": writing.device_id,
        "territory": customer.territory,
        "visit_day": visit_day,
        "updated_at": now_iso(),
        "received_at": writing.received_at or now_iso(),
        "made_at": made_at[:40] if made_at else None,
    }
    _store_flags(row, {**_own_flags(row, customer, writing.rules, tz), **writing.upload_flags()})
    mark_day_to_recheck(session, actor.id, visit_day, writing.rules, tz)
    return row


def _change_visit(
    session: Session, visit: Visit, customer: Customer, fields: Mapping[str, Any], writing: VisitWriting
) -> None:
    """Change a visit's fields and store it with its change for devices: its own flags are computed again, and
    both its days (before and after the change) rechecked."""
    tz, rules = writing.tz, writing.rules
    day_before = visit.visit_day
    for name, value in _stored(fields).items():
        setattr(visit, name, value)
    visit.visit_day = local_day(visit.check_in_at, tz)
    visit.territory = customer.territory
    visit.updated_at = now_iso()
    fresh = {**_own_flags(visit.model_dump(), customer, rules, tz), **writing.upload_flags()}
    _store_flags(visit, _merged(visit.flags, visit.flag_figures, fresh, OWN_FLAGS | frozenset(writing.upload_flags())))
    for day in {day_before, visit.visit_day}:
        mark_day_to_recheck(session, visit.rep_id, day, rules, tz)
    store_territory_record(session, RecordKind.VISIT, visit, visit_data(visit))


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
    received_at: str | None = None,
    made_at: str | None = None,
) -> Visit:
    """Create or change a visit; its flags are computed now, the rep-day's shared ones when the session commits.
    `received_at`: when the server got it (now, unless seeding the past); `made_at`: the device's save time."""
    writing = VisitWriting(tz, flag_rules or VisitFlagRules(), device_id, received_at, made_at)
    visit, customer = _checked(session, actor, visit_id, fields, path)
    if visit is not None:
        _change_visit(session, visit, customer, fields, writing)
        return visit
    visit = Visit(**_new_visit_row(session, actor, visit_id, customer, fields, writing))
    store_territory_record(session, RecordKind.VISIT, visit, visit_data(visit))
    return visit


def push_visit(
    session: Session, actor: Actor, visit_id: str, fields: Mapping[str, Any], writing: VisitWriting, *, path: str
) -> None:
    """`put_visit` inside a push (`new_rows_batched`): a new visit is a plain row, inserted with the push's
    other new visits in one statement (a tenth of the cost of an ORM object); a change is put_visit's."""
    visit, customer = _checked(session, actor, visit_id, fields, path)
    if visit is not None:
        _change_visit(session, visit, customer, fields, writing)
        return
    row = _new_visit_row(session, actor, visit_id, customer, fields, writing)
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


def flagged_per_rep(session: Session, first: dt.date, last: dt.date, rep_ids: list[str]) -> dict[str, int]:
    """How many flagged visits each of these reps made from `first` to `last` (one grouped query)."""
    if not rep_ids:
        return {}
    query = (
        select(Visit.rep_id, func.count())
        .where(col(Visit.flagged).is_(True), col(Visit.visit_day) >= first, col(Visit.visit_day) <= last)
        .where(col(Visit.rep_id).in_(rep_ids))
        .group_by(col(Visit.rep_id))
    )
    return {rep_id: count for rep_id, count in session.exec(query).all()}


def flagged_visits(session: Session, since: dt.date, territory: str | None = None, limit: int = 300) -> list[Visit]:
    """Visits with check-in flags since `since` (of one territory, if given), newest first."""
    query = select(Visit).where(col(Visit.flagged).is_(True), col(Visit.visit_day) >= since)
    if territory is not None:
        query = query.where(Visit.territory == territory)
    return list(session.exec(query.order_by(col(Visit.visit_day).desc(), col(Visit.check_in_at)).limit(limit)).all())
