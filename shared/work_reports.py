"""日报 / 周报 (a rep's daily and weekly work report): its period, its id, its checks, and its figures.

A report covers one day or one Monday-to-Sunday week of the company's zone (`starts_on`: the day, or the
week's Monday). There is one per rep and period: its id is made from the rep, the period and its first day
(`report_id`), so a second phone of the same rep, or the same phone after a reinstall, writes the same record.

Its figures are never sent: the phone computes them from its local records to show the rep
(`figures_from_records`), the server from its own records for the supervisor (server/domains/work_reports).
Both follow the definitions of shared/rates.py and the dashboard (docs/dashboard.md):

- plan against visits: the seeds' daily tallies (shared.rates.tally_day) summed over the period's days:
  planned customer-days, those visited on the route, customers visited off the route; 拜访完成率 and
  拜访成功率 from the sums (off-route visits count in neither);
- orders and amount: the rep's orders whose day (the local day of `ordered_at`) lies in the period;
- new customers: customers whose first order ever lies in the period, credited to the rep who took it;
- complaints: complaints the rep recorded whose receipt lies in the period;
- the next plan: the customers of the rep's route plan for the day after (a day report) or the planned
  customer-days of the following week (a week report).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from shared.enums import RecordKind, ReportPeriod
from shared.rates import DayTally, VisitOutcome, tally_day, visit_completion_rate, visit_ordered, visit_success_rate
from shared.records import FieldError, validate_fields

# uuid5 namespace of report ids (a fixed, random UUID: changing it would split every rep's reports in two).
REPORT_NAMESPACE = uuid.UUID("5b0f6a3e-1d0c-4d55-9b5e-7f2f0e3c9a61")


def period_days(period: ReportPeriod | str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the period of this kind that contains `day`."""
    if ReportPeriod(period) is ReportPeriod.WEEK:
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday + dt.timedelta(days=6)
    return day, day


def report_id(rep_id: str, period: ReportPeriod | str, starts_on: dt.date) -> str:
    """The one id of a rep's report of a period."""
    return str(uuid.uuid5(REPORT_NAMESPACE, f"{rep_id}:{ReportPeriod(period).value}:{starts_on.isoformat()}"))


def report_problems(report: Mapping[str, object], today: dt.date) -> list[FieldError]:
    """A whole report's problems (the stored fields updated by the new ones), `today` in the company's zone:
    its fields (shared.records), a week that starts on a Monday, and no period that has not begun yet."""
    errors = validate_fields(RecordKind.WORK_REPORT, {k: v for k, v in report.items() if k != "id"}, creating=True)
    if any(error.field in ("period", "starts_on") for error in errors):
        return errors
    starts_on = dt.date.fromisoformat(str(report["starts_on"]))
    if report["period"] == ReportPeriod.WEEK.value and starts_on.weekday() != 0:
        errors.append(FieldError("starts_on", "a week report starts on a Monday"))
    if starts_on > today:
        errors.append(FieldError("starts_on", f"the period has not begun yet (today is {today.isoformat()})"))
    return errors


@dataclass(frozen=True)
class ReportFigures:
    """A report's figures for one rep and period (see the module's doc)."""

    start: dt.date
    end: dt.date
    tally: DayTally
    orders: int
    amount: float
    new_customers: int
    complaints: int
    next_customer_ids: list[str] = field(default_factory=list)  # the next day's route (a day report)
    next_planned: int = 0  # planned customer-days of the next day or week

    @property
    def completion_rate(self) -> float | None:
        return visit_completion_rate(self.tally.visited_on_route, self.tally.planned)

    @property
    def success_rate(self) -> float | None:
        return visit_success_rate(self.tally.ordered_on_route, self.tally.visited_on_route)

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "planned": self.tally.planned,
            "visited_on_route": self.tally.visited_on_route,
            "visited_off_route": self.tally.visited_off_route,
            "ordered_on_route": self.tally.ordered_on_route,
            "completion_rate": self.completion_rate,
            "success_rate": self.success_rate,
            "orders": self.orders,
            "amount": self.amount,
            "new_customers": self.new_customers,
            "complaints": self.complaints,
            "next_planned": self.next_planned,
            "next_customer_ids": list(self.next_customer_ids),
        }


def sum_tallies(tallies: Iterable[DayTally]) -> DayTally:
    planned = on_route = off_route = ordered_on = ordered_off = 0
    for tally in tallies:
        planned += tally.planned
        on_route += tally.visited_on_route
        off_route += tally.visited_off_route
        ordered_on += tally.ordered_on_route
        ordered_off += tally.ordered_off_route
    return DayTally(planned, on_route, off_route, ordered_on, ordered_off)


def next_period(period: ReportPeriod | str, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The day after a day report's day, the week after a week report's week."""
    return (
        end + dt.timedelta(days=1),
        end + dt.timedelta(days=(7 if ReportPeriod(period) is ReportPeriod.WEEK else 1)),
    )


def _local_day(timestamp: object, tz: ZoneInfo) -> dt.date | None:
    if not isinstance(timestamp, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    return moment.astimezone(tz).date() if moment.tzinfo is not None else moment.date()


def _mine(record: Mapping[str, Any], owner_field: str, rep_id: str) -> bool:
    """A record of this rep: the server says whose it is once pulled; one made on this phone and not yet
    pulled back carries no owner and is the rep's own."""
    owner = record.get(owner_field)
    return owner is None or owner == rep_id


def figures_from_records(
    rep_id: str,
    period: ReportPeriod | str,
    starts_on: dt.date,
    tz: ZoneInfo,
    *,
    plans: Sequence[Mapping[str, Any]],
    visits: Sequence[Mapping[str, Any]],
    orders: Sequence[Mapping[str, Any]],
    complaints: Sequence[Mapping[str, Any]],
    today: dt.date | None = None,
) -> ReportFigures:
    """The report's figures from records as a phone holds them (route plans, visits, orders, complaints of its
    territory, each a dict of the record's fields; the phone's own not-yet-pulled records without owner).

    Plans of days after `today` count in no rate (not missed yet: a week report written on Friday), as on
    the dashboard."""
    start, end = period_days(period, starts_on)
    following = next_period(period, start, end)
    planned: dict[dt.date, list[str]] = {}
    for plan in plans:
        if not _mine(plan, "rep_id", rep_id):
            continue
        day = dt.date.fromisoformat(str(plan["day"]))
        planned[day] = list(plan.get("customer_ids") or [])
    order_visits = {str(order.get("visit_id")) for order in orders}
    outcomes: dict[dt.date, list[VisitOutcome]] = {}
    for visit in visits:
        visit_day = _local_day(visit.get("check_in_at"), tz)
        if visit_day is None or not start <= visit_day <= end or not _mine(visit, "rep_id", rep_id):
            continue
        ordered = visit_ordered(bool(visit.get("ordered")), int(str(visit.get("id")) in order_visits))
        outcomes.setdefault(visit_day, []).append(VisitOutcome(str(visit["customer_id"]), ordered))
    last = end if today is None else min(end, today)
    days = [start + dt.timedelta(days=n) for n in range((last - start).days + 1)]
    tally = sum_tallies(tally_day(planned.get(day, []), outcomes.get(day, [])) for day in days)
    mine = [order for order in orders if _mine(order, "rep_id", rep_id)]
    in_period = [order for order in mine if (d := _local_day(order.get("ordered_at"), tz)) and start <= d <= end]
    first_orders: dict[str, tuple[dt.datetime, str, Mapping[str, Any]]] = {}
    for order in orders:
        moment = dt.datetime.fromisoformat(str(order["ordered_at"]))
        key = (moment, str(order.get("id")), order)
        seen = first_orders.get(str(order["customer_id"]))
        if seen is None or key[:2] < seen[:2]:
            first_orders[str(order["customer_id"])] = key
    new_customers = sum(
        1
        for moment, _, order in first_orders.values()
        if start <= moment.astimezone(tz).date() <= end and _mine(order, "rep_id", rep_id)
    )
    complaints_count = sum(
        1
        for complaint in complaints
        if _mine(complaint, "reported_by", rep_id)
        and (d := _local_day(complaint.get("received_at"), tz)) is not None
        and start <= d <= end
    )
    next_days = [following[0] + dt.timedelta(days=n) for n in range((following[1] - following[0]).days + 1)]
    next_ids = planned.get(following[0], []) if ReportPeriod(period) is ReportPeriod.DAY else []
    return ReportFigures(
        start=start,
        end=end,
        tally=tally,
        orders=len(in_period),
        amount=round(sum(float(order.get("amount") or 0) for order in in_period), 2),
        new_customers=new_customers,
        complaints=complaints_count,
        next_customer_ids=list(dict.fromkeys(next_ids)),
        next_planned=sum(len(set(planned.get(day, []))) for day in next_days),
    )
