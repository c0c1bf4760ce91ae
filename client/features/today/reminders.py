"""Care reminders the Today screen shows, computed on the phone from local records (works offline).

Pure functions of records and dates, no store and no clock: key persons' birthdays and holidays
(shared/holidays.py) in the coming week, customers overdue for a visit by their value tier's cadence, and
follow-ups that are due (a next visit the rep agreed with the customer, complaints waiting for an answer or
for the confirming follow-up).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# The tier cadence is one rule with the server's route planner (shared/cadence.py); re-exported here.
from shared.cadence import VISIT_CADENCE_DAYS as VISIT_CADENCE_DAYS
from shared.cadence import VISIT_CADENCE_MONTHS as VISIT_CADENCE_MONTHS
from shared.cadence import add_months as add_months
from shared.cadence import is_overdue
from shared.cadence import visit_due as visit_due
from shared.enums import ComplaintStatus, Severity, ValueTier
from shared.holidays import Holiday
from shared.records import COMPLAINT_RESPONSE_HOURS, home_follow_up_due

# "Care for the decision maker": a greeting is prepared a week ahead (today and the next 7 days).
BIRTHDAY_WINDOW_DAYS = 7

# A 回访 not made stays on Today this many days past its due date, then gives way to the tier cadence.
HOME_FOLLOW_UP_SHOWN_DAYS = 7

OPEN_COMPLAINT_STATUSES = frozenset(
    {ComplaintStatus.RECEIVED, ComplaintStatus.INVESTIGATING, ComplaintStatus.SOLUTION_PROPOSED}
)


def parse_date(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def parse_moment(value: object) -> dt.datetime | None:
    """An ISO 8601 time with its offset, as records carry them; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def birthday_in(year: int, birthday: dt.date) -> dt.date:
    """The day the birthday falls on in `year`; a 29 February birthday is kept on 28 February in other years."""
    if birthday.month == 2 and birthday.day == 29 and not calendar.isleap(year):
        return dt.date(year, 2, 28)
    return birthday.replace(year=year)


def next_birthday(birthday: dt.date, today: dt.date) -> dt.date:
    """The first birthday on or after `today` (across the year's end when this year's has passed)."""
    this_year = birthday_in(today.year, birthday)
    return this_year if this_year >= today else birthday_in(today.year + 1, birthday)


def tier_of(customer: Mapping[str, Any]) -> ValueTier | None:
    try:
        return ValueTier(str(customer.get("tier")))
    except ValueError:
        return None


@dataclass(frozen=True)
class BirthdayReminder:
    person: dict[str, Any]
    customer_id: str
    day: dt.date  # the coming birthday
    days_until: int  # 0: today


@dataclass(frozen=True)
class OverdueVisit:
    customer: dict[str, Any]
    tier: ValueTier
    last_visit: dt.date | None  # None: never visited (as far as this phone knows)
    due: dt.date | None
    days_overdue: int | None


class FollowUpKind(StrEnum):
    NEXT_VISIT = "next_visit"  # the rep agreed a next visit date on the last visit (下次拜访日期)
    COMPLAINT_ANSWER = "complaint_answer"  # a complaint still open: answer and carry it forward
    COMPLAINT_CONFIRM = "complaint_confirm"  # resolved: visit to confirm the customer is satisfied
    HOME_VISIT = "home_visit"  # a home visit (家访) waits for its follow-up (回访) within 1-2 days


@dataclass(frozen=True)
class FollowUp:
    kind: FollowUpKind
    customer_id: str
    due: dt.date
    overdue: bool  # past its date (an answer past the response time of the complaint's severity)
    record: dict[str, Any]


@dataclass(frozen=True)
class ComplaintTimer:
    """The first answer to a complaint is due `COMPLAINT_RESPONSE_HOURS[severity]` after it was received."""

    due_at: dt.datetime
    answered_at: dt.datetime | None  # when the server saw it leave "received" (None: not answered yet)

    def overdue(self, now: dt.datetime) -> bool:
        return (self.answered_at or now) > self.due_at

    def hours_left(self, now: dt.datetime) -> float:
        return (self.due_at - now).total_seconds() / 3600


def complaint_timer(complaint: Mapping[str, Any]) -> ComplaintTimer | None:
    """The complaint's response timer, the server's rule (server.domains.complaints.service.timer)."""
    received = parse_moment(complaint.get("received_at"))
    try:
        hours = COMPLAINT_RESPONSE_HOURS[Severity(str(complaint.get("severity")))]
    except ValueError:
        return None
    if received is None:
        return None
    return ComplaintTimer(received + dt.timedelta(hours=hours), parse_moment(complaint.get("responded_at")))


def upcoming_birthdays(
    persons: Iterable[Mapping[str, Any]], today: dt.date, days: int = BIRTHDAY_WINDOW_DAYS
) -> list[BirthdayReminder]:
    """Key persons whose birthday falls today or in the next `days` days, the nearest first."""
    found = []
    for person in persons:
        birthday = parse_date(person.get("birthday"))
        if birthday is None:
            continue
        day = next_birthday(birthday, today)
        until = (day - today).days
        if until <= days:
            found.append(BirthdayReminder(dict(person), str(person.get("customer_id") or ""), day, until))
    return sorted(found, key=lambda item: (item.days_until, str(item.person.get("name") or "")))


def overdue_visits(
    customers: Iterable[Mapping[str, Any]], last_visits: Mapping[str, dt.date], today: dt.date
) -> list[OverdueVisit]:
    """Customers with a value tier whose next visit by the tier's cadence is past (A before B before C,
    then the longest overdue first). A tiered customer never visited is overdue at once."""
    found = []
    for customer in customers:
        tier = tier_of(customer)
        if tier is None:
            continue
        last = last_visits.get(str(customer.get("id")))
        if last is None:
            found.append(OverdueVisit(dict(customer), tier, None, None, None))
            continue
        if is_overdue(tier, last, today):
            due = visit_due(last, tier)
            found.append(OverdueVisit(dict(customer), tier, last, due, (today - due).days))
    order = list(ValueTier)
    return sorted(
        found,
        key=lambda item: (order.index(item.tier), -(item.days_overdue if item.days_overdue is not None else 10**6)),
    )


def home_follow_ups(visits: Iterable[Mapping[str, Any]], now: dt.datetime) -> list[FollowUp]:
    """Home visits (家访) still waiting for their follow-up (回访), due by the 2nd day after the home visit
    (shared.records.home_follow_up_due), shown from the moment the home visit is saved. A follow-up visit
    linked to it (follows_visit_id), or any later follow-up visit to the customer, settles it."""
    today = now.date()
    visits = list(visits)
    linked = {str(visit.get("follows_visit_id")) for visit in visits if visit.get("follows_visit_id")}
    last_follow_up: dict[str, dt.datetime] = {}
    for visit in visits:
        moment = parse_moment(visit.get("check_in_at"))
        customer_id = str(visit.get("customer_id"))
        if visit.get("visit_type") == "follow_up" and moment is not None:
            last_follow_up[customer_id] = max(moment, last_follow_up.get(customer_id, moment))
    found = []
    for visit in visits:
        moment = parse_moment(visit.get("check_in_at"))
        customer_id = str(visit.get("customer_id"))
        if visit.get("visit_type") != "home" or moment is None or str(visit.get("id")) in linked:
            continue
        if customer_id in last_follow_up and last_follow_up[customer_id] > moment:
            continue
        due = home_follow_up_due(moment.astimezone(now.tzinfo).date())
        if (today - due).days <= HOME_FOLLOW_UP_SHOWN_DAYS:
            found.append(FollowUp(FollowUpKind.HOME_VISIT, customer_id, due, due < today, dict(visit)))
    return found


def follow_ups(
    latest_visits: Iterable[Mapping[str, Any]],
    complaints: Iterable[Mapping[str, Any]],
    now: dt.datetime,
    all_visits: Iterable[Mapping[str, Any]] = (),
) -> list[FollowUp]:
    """Follow-ups due by today (`now`'s date): agreed next visits not yet made, open complaints, resolved
    complaints awaiting the confirming visit; and home visits awaiting their 回访 (from `all_visits`, due
    within 1-2 days but shown at once). `latest_visits`: each customer's latest visit only."""
    today = now.date()
    found = home_follow_ups(all_visits, now)
    for visit in latest_visits:
        agreed = parse_date(visit.get("next_visit_date"))
        checked_in = parse_moment(visit.get("check_in_at"))
        visited_on = checked_in.astimezone(now.tzinfo).date() if checked_in else None
        if agreed is None or agreed > today or (visited_on is not None and visited_on >= agreed):
            continue
        found.append(
            FollowUp(FollowUpKind.NEXT_VISIT, str(visit.get("customer_id")), agreed, agreed < today, dict(visit))
        )
    for complaint in complaints:
        status = str(complaint.get("status") or ComplaintStatus.RECEIVED.value)
        timer = complaint_timer(complaint)
        received = parse_moment(complaint.get("received_at"))
        customer_id = str(complaint.get("customer_id"))
        if status in OPEN_COMPLAINT_STATUSES and timer is not None:
            due = timer.due_at.astimezone(now.tzinfo).date()
            overdue = status == ComplaintStatus.RECEIVED.value and timer.overdue(now)
            found.append(FollowUp(FollowUpKind.COMPLAINT_ANSWER, customer_id, due, overdue, dict(complaint)))
        elif status == ComplaintStatus.RESOLVED.value:
            resolved = parse_moment(complaint.get("resolved_at")) or received
            due = resolved.astimezone(now.tzinfo).date() + dt.timedelta(days=1) if resolved else today
            if due <= today:  # the server puts the customer on the next day's route; from then it is due
                found.append(FollowUp(FollowUpKind.COMPLAINT_CONFIRM, customer_id, due, due < today, dict(complaint)))
    return sorted(found, key=lambda item: (not item.overdue, item.due, item.kind.value))


def upcoming_holidays(holidays: Iterable[Holiday], today: dt.date) -> list[Holiday]:
    """Holidays from today to a week ahead (the greeting and the gift are prepared in time), soonest first."""
    last = today + dt.timedelta(days=BIRTHDAY_WINDOW_DAYS)
    return sorted(holiday for holiday in holidays if today <= holiday.day <= last)


@dataclass(frozen=True)
class CareReminders:
    day: dt.date
    birthdays: list[BirthdayReminder] = field(default_factory=list)
    holidays: list[Holiday] = field(default_factory=list)
    overdue: list[OverdueVisit] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    customer_names: dict[str, str] = field(default_factory=dict)  # the customers reminded of, by id

    @property
    def empty(self) -> bool:
        return not (self.birthdays or self.holidays or self.overdue or self.follow_ups)
