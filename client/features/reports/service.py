"""日报 / 周报 on the phone, offline: the rep reads the day's or week's figures, computed here from the phone's own
records (shared/work_reports.py figures_from_records), writes a summary and the next focus, and submits; the
report is saved with its op in one durable step and synced later (record kind `work_report`, one per rep and
period: report_id). The supervisor's comment comes back with a pull and shows under it. The server computes
its own figures for the supervisor: the phone sends none.

The leaderboards (排行榜) are the server's `leaderboard` records of the rep's territory, received only when the
company shows them on phones (LEADERBOARD_ON_PHONE); without them the section says they are off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from client import clock
from client.features.approvals.expected import Expectations, held_visit_ids
from client.services import AppService, FormProblems, iso
from shared.enums import RecordKind, ReportPeriod
from shared.work_reports import ReportFigures, figures_from_records, period_days, report_id


@dataclass
class ReportForm:
    """The report screen's form: which period, and what the rep typed."""

    period: str = ReportPeriod.DAY.value
    starts_on: str = ""  # ISO date: the day, or the week's Monday
    summary: str = ""
    next_focus: str = ""
    error: str | None = None
    show_leaderboard: bool = False


@dataclass
class ReportView:
    """What the report screen shows besides the form."""

    figures: ReportFigures | None = None
    report: dict[str, Any] | None = None  # the stored report (with the supervisor's comment once pulled)
    waiting: bool = False  # the report has changes not yet synced
    next_names: list[str] = field(default_factory=list)  # tomorrow's route (a day report)
    leaderboards: list[dict[str, Any]] = field(default_factory=list)  # the territory's, when sent to phones
    can_go_forward: bool = False  # the next period has begun


def rep_id(service: AppService) -> str:
    return str((service.user or {}).get("id") or "")


def phone_figures(service: AppService, period: str, starts_on: dt.date) -> ReportFigures:
    """The period's figures from the records on this phone. An order waiting for approval (pulled pending, or
    expected by the phone's rules) or rejected counts nowhere, and its visit is ordered only through an order that
    counts, as on the server (docs/approvals.md)."""
    store, expect = service.store, Expectations(service.store)
    orders = store.all(RecordKind.ORDER)
    held = held_visit_ids(orders, expect)
    visits = [
        {**visit, "ordered": False} if str(visit.get("id")) in held else visit for visit in store.all(RecordKind.VISIT)
    ]
    return figures_from_records(
        rep_id(service),
        period,
        starts_on,
        clock.company_zone(),
        plans=store.all(RecordKind.ROUTE_PLAN),
        visits=visits,
        orders=[order for order in orders if expect.counts(order)],
        complaints=store.all(RecordKind.COMPLAINT),
        today=service.clock().date(),
    )


def open_form(service: AppService, period: str, day: dt.date) -> ReportForm:
    """The form of the period containing `day`, filled with the stored report if there is one."""
    start, _ = period_days(period, day)
    stored = service.store.get(RecordKind.WORK_REPORT, report_id(rep_id(service), period, start))
    form = ReportForm(period=ReportPeriod(period).value, starts_on=start.isoformat())
    if stored:
        form.summary = str(stored.get("summary") or "")
        form.next_focus = str(stored.get("next_focus") or "")
    return form


def report_view(service: AppService, form: ReportForm) -> ReportView:
    start = dt.date.fromisoformat(form.starts_on)
    figures = phone_figures(service, form.period, start)
    record_id = report_id(rep_id(service), form.period, start)
    names = []
    for customer_id in figures.next_customer_ids:
        customer = service.store.get(RecordKind.CUSTOMER, customer_id)
        names.append(str(customer.get("name")) if customer else customer_id[:8])
    boards = [
        board for board in service.store.all(RecordKind.LEADERBOARD) if board.get("period") in ("day", "week", "month")
    ]
    order = {"day": 0, "week": 1, "month": 2}
    boards.sort(key=lambda board: (order[str(board["period"])], str(board.get("starts_on"))))
    latest: dict[str, dict[str, Any]] = {}
    for board in boards:
        latest[str(board["period"])] = board  # the newest of each period
    _, end = period_days(form.period, start)
    return ReportView(
        figures=figures,
        report=service.store.get(RecordKind.WORK_REPORT, record_id),
        waiting=record_id in service.store.pending_record_ids(),
        next_names=names,
        leaderboards=list(latest.values()),
        can_go_forward=end < service.clock().date(),
    )


def save_report(service: AppService, form: ReportForm) -> dict[str, Any]:
    """Submit (or change) the report: durable on the phone at once, synced later. Raises FormProblems
    (nothing stored) without a summary; InvalidRecord for what the shared checks refuse."""
    summary, focus = form.summary.strip(), form.next_focus.strip()
    if not summary:
        raise FormProblems({"summary": "client.report.summary_required"})
    start = dt.date.fromisoformat(form.starts_on)
    record_id = report_id(rep_id(service), form.period, start)
    stored = service.store.get(RecordKind.WORK_REPORT, record_id)
    fields: dict[str, Any] = {"summary": summary, "next_focus": focus or None, "submitted_at": iso(service.clock())}
    if stored is None:
        fields |= {"period": form.period, "starts_on": start.isoformat()}
    return service._save(RecordKind.WORK_REPORT, record_id, fields)
