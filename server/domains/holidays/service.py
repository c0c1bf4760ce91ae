"""The company's holiday list: admins add and remove holidays; every phone pulls them (audience "*").

Until an admin first changes it, the list is the built-in one (shared/holidays.py) and nothing is stored:
phones without `holiday` records use the same built-in list. The first change stores the built-in list
(with fixed ids, so the page can name them before) and then applies the change; from then phones receive
the company's list. A list emptied by admins is the built-in list again, on the server and on the phones.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from server.actor import Actor
from server.changes.log import EVERYONE_AUDIENCE, record_change, record_data
from server.clock import now_iso
from server.domains.holidays.models import CompanyHoliday
from server.errors import Forbidden, NotFound, ValidationFailed
from shared.enums import RecordKind, Role
from shared.holidays import default_holiday_records
from shared.records import holiday_problems

# The built-in holidays' ids are made from what they are, so the page names the same ones before they are stored.
DEFAULTS_NAMESPACE = uuid.UUID("0b5e7a52-4f0e-4c36-9d54-8c1f1d0f2a17")


def default_holiday_id(fields: Mapping[str, Any]) -> str:
    when = fields.get("day") or fields.get("month_day")
    return str(uuid.uuid5(DEFAULTS_NAMESPACE, f"{fields['name']}|{when}"))


def _sort_key(holiday: CompanyHoliday) -> tuple[str, str]:
    return (holiday.day or f"~{holiday.month_day}", holiday.name)  # dated ones by date, then the yearly ones


def _defaults() -> list[CompanyHoliday]:
    return [
        CompanyHoliday(id=default_holiday_id(fields), updated_at="", **fields) for fields in default_holiday_records()
    ]


def holiday_list(session: Session) -> tuple[list[CompanyHoliday], bool]:
    """The list in use and whether it is the built-in one (nothing stored yet)."""
    stored = list(session.exec(select(CompanyHoliday)).all())
    return sorted(stored or _defaults(), key=_sort_key), not stored


def _only_admins(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden("only admins keep the company's holiday list", path="holiday")


def _store(session: Session, holiday: CompanyHoliday) -> None:
    session.add(holiday)
    record_change(
        session,
        RecordKind.HOLIDAY,
        holiday.id,
        audience=EVERYONE_AUDIENCE,
        territory=EVERYONE_AUDIENCE,
        data=record_data(holiday),
    )


def _stored_list(session: Session) -> None:
    """Store the built-in list when nothing is stored yet: the first change starts from it."""
    if session.exec(select(CompanyHoliday.id).limit(1)).first() is not None:
        return
    now = now_iso()
    for holiday in _defaults():
        holiday.updated_at = now
        _store(session, holiday)
    session.flush()


def add_holiday(session: Session, actor: Actor, fields: Mapping[str, Any]) -> CompanyHoliday:
    """Add a holiday (a date, or a day of every year) to the company's list; phones get it at their next pull."""
    _only_admins(actor)
    clean = {name: value for name, value in fields.items() if value not in (None, "")}
    errors = holiday_problems(clean)
    if errors:
        first = errors[0]
        raise ValidationFailed(
            f"{first.field} {first.problem}", path=f"holiday.{first.field}", details=[e.as_dict() for e in errors]
        )
    _stored_list(session)
    same = select(CompanyHoliday).where(
        CompanyHoliday.name == clean["name"],
        CompanyHoliday.day == clean.get("day"),
        CompanyHoliday.month_day == clean.get("month_day"),
    )
    if session.exec(same).first() is not None:
        raise ValidationFailed("this holiday is on the list already", path="holiday.duplicate")
    holiday = CompanyHoliday(id=str(uuid.uuid4()), updated_at=now_iso(), **clean)
    _store(session, holiday)
    return holiday


def remove_holiday(session: Session, actor: Actor, holiday_id: str) -> CompanyHoliday:
    """Take a holiday off the list (a tombstone phones receive)."""
    _only_admins(actor)
    _stored_list(session)
    holiday = session.get(CompanyHoliday, holiday_id)
    if holiday is None:
        raise NotFound("no such holiday", path="holiday_id")
    session.delete(holiday)
    record_change(
        session, RecordKind.HOLIDAY, holiday.id, audience=EVERYONE_AUDIENCE, territory=EVERYONE_AUDIENCE, data=None
    )
    return holiday
