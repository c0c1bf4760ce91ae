"""日报 / 周报 on the phone (issue 16): the figures from the phone's records (shared/work_reports.py) against
counts made here by hand, the report's checks and id, the report written offline and its comment pulled, the
screen's texts, and the typing kept by the autosave."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from client.features.reports.service import ReportForm, open_form, report_view, save_report
from client.features.reports.view import build
from client.services import AppService, FormProblems
from client.shell.autosave import apply_draft, draft_of
from client.shell.state import AppState, Screen
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind
from shared.ids import new_id
from shared.work_reports import figures_from_records, period_days, report_id, report_problems
from sync.protocol import Change
from tests.unit.helpers import Recorder, texts

SHANGHAI = ZoneInfo("Asia/Shanghai")
ME, OTHER = new_id(), new_id()
A, B, C, D, E = (new_id() for _ in range(5))
MONDAY = dt.date(2026, 11, 30)
TUESDAY = MONDAY + dt.timedelta(days=1)


def at(day: dt.date, hour: int, minute: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00+08:00"


def visit(customer: str, moment: str, *, rep: str | None = ME, ordered: bool = False) -> dict[str, Any]:
    record = {"id": new_id(), "customer_id": customer, "check_in_at": moment, "ordered": ordered}
    return record | ({"rep_id": rep} if rep else {})  # a visit made on this phone, not pulled back: no rep_id


def order(customer: str, visit_id: str, amount: float, moment: str, rep: str | None = ME) -> dict[str, Any]:
    record = {"id": new_id(), "customer_id": customer, "visit_id": visit_id, "amount": amount, "ordered_at": moment}
    return record | ({"rep_id": rep} if rep else {})


@pytest.fixture
def week() -> dict[str, list[dict[str, Any]]]:
    """Monday: plan A, B, C; A visited (an order of 120), B visited (ordered ticked), E off the route (an order
    of 30; E ordered last month already), C visited by another rep. Tuesday: plan A, D; D visited at 23:30 UTC
    on Monday (07:30 Tuesday in the company's zone), no order. Wednesday: plan B, D (the next day of Tuesday's)."""
    va, vb, ve, vd = (
        visit(A, at(MONDAY, 9)),
        visit(B, at(MONDAY, 10), ordered=True),
        visit(E, at(MONDAY, 15), rep=None),
        visit(D, f"{MONDAY.isoformat()}T23:30:00+00:00"),
    )
    return {
        "plans": [
            {"day": MONDAY.isoformat(), "customer_ids": [A, B, C], "rep_id": ME},
            {"day": TUESDAY.isoformat(), "customer_ids": [A, D], "rep_id": ME},
            {"day": (TUESDAY + dt.timedelta(days=1)).isoformat(), "customer_ids": [B, D], "rep_id": ME},
            {"day": MONDAY.isoformat(), "customer_ids": [C], "rep_id": OTHER},
        ],
        "visits": [va, vb, ve, vd, visit(C, at(MONDAY, 11), rep=OTHER)],
        "orders": [
            order(A, va["id"], 120.0, at(MONDAY, 9, 20)),
            order(E, ve["id"], 30.0, at(MONDAY, 15, 10), rep=None),
            order(E, new_id(), 99.0, at(dt.date(2026, 11, 2), 10), rep=OTHER),  # E's first order: last month
        ],
        "complaints": [
            {"id": new_id(), "customer_id": A, "received_at": at(TUESDAY, 8), "reported_by": ME},
            {"id": new_id(), "customer_id": B, "received_at": at(MONDAY, 8)},  # made here, not pulled back
            {"id": new_id(), "customer_id": C, "received_at": at(MONDAY, 8), "reported_by": OTHER},
        ],
    }


def test_a_day_reports_figures_are_the_seeds_rates_of_that_day(week: dict[str, list[dict[str, Any]]]) -> None:
    figures = figures_from_records(ME, "day", MONDAY, SHANGHAI, **week)
    # planned {A, B, C}; visited on the route {A, B}; off the route {E}; ordered on the route {A (order), B (tick)}
    assert (figures.tally.planned, figures.tally.visited_on_route, figures.tally.visited_off_route) == (3, 2, 1)
    assert figures.tally.ordered_on_route == 2
    assert figures.completion_rate == pytest.approx(100 * 2 / 3)
    assert figures.success_rate == pytest.approx(100.0)
    assert (figures.orders, figures.amount) == (2, 150.0)  # A's 120 and E's 30, both mine
    assert figures.new_customers == 1  # A's first order ever; E ordered before
    assert figures.complaints == 1  # B's, made on this phone (received Monday)
    assert figures.next_customer_ids == [A, D] and figures.next_planned == 2


def test_a_week_reports_figures_sum_the_days_and_stop_at_today(week: dict[str, list[dict[str, Any]]]) -> None:
    figures = figures_from_records(ME, "week", MONDAY, SHANGHAI, **week, today=TUESDAY)
    # Monday 3 planned, 2 visited, 2 ordered; Tuesday 2 planned (A, D), 1 visited (D, local Tuesday), 0 ordered;
    # Wednesday's plan is still to come: in no rate.
    assert (figures.tally.planned, figures.tally.visited_on_route) == (5, 3)
    assert figures.completion_rate == pytest.approx(60.0)
    assert figures.success_rate == pytest.approx(100 * 2 / 3)
    assert figures.complaints == 2 and figures.new_customers == 1
    assert figures.next_customer_ids == [] and figures.next_planned == 0  # nothing planned next week
    whole = figures_from_records(ME, "week", MONDAY, SHANGHAI, **week)
    assert whole.tally.planned == 7  # with Wednesday's plan of 2


def test_the_week_of_any_day_starts_on_its_monday_and_the_id_names_rep_period_and_start() -> None:
    assert period_days("week", MONDAY + dt.timedelta(days=6)) == (MONDAY, MONDAY + dt.timedelta(days=6))
    assert period_days("day", TUESDAY) == (TUESDAY, TUESDAY)
    assert report_id(ME, "day", MONDAY) == report_id(ME, "day", MONDAY)
    ids = {report_id(ME, "day", MONDAY), report_id(ME, "week", MONDAY), report_id(OTHER, "day", MONDAY)}
    assert len(ids) == 3


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"period": "week", "starts_on": TUESDAY.isoformat()}, "a week report starts on a Monday"),
        ({"starts_on": (TUESDAY + dt.timedelta(days=1)).isoformat()}, "the period has not begun yet"),
        ({"summary": ""}, "must not be empty"),
        ({"period": "month"}, "must be one of day, week"),
    ],
)
def test_a_bad_report_is_named(fields: dict[str, Any], problem: str) -> None:
    report = {"period": "day", "starts_on": MONDAY.isoformat(), "summary": "s", "submitted_at": at(MONDAY, 18)}
    assert report_problems(report, TUESDAY) == []
    found = report_problems(report | fields, TUESDAY)
    assert found and problem in found[0].problem, found


# ---- on the phone -------------------------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 30, 18, 0, tzinfo=SHANGHAI)


@pytest.fixture
def service(tmp_path: Path, week: dict[str, list[dict[str, Any]]]) -> Iterator[AppService]:
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    store.set_meta(user={"id": ME, "username": "rep.a", "display_name": "李明"}, token="t")
    changes = [Change(1, RecordKind.CUSTOMER, A, False, {"name": "甲诊所", "kind": "clinic"})]
    changes += [Change(1, RecordKind.CUSTOMER, D, False, {"name": "丁药店", "kind": "pharmacy"})]
    for kind, name in ((RecordKind.ROUTE_PLAN, "plans"), (RecordKind.VISIT, "visits"), (RecordKind.ORDER, "orders")):
        changes += [Change(1, kind, record.get("id") or new_id(), False, record) for record in week[name]]
    changes += [Change(1, RecordKind.COMPLAINT, record["id"], False, record) for record in week["complaints"]]
    store.apply_pull_page([Change(n + 1, c.kind, c.record_id, False, c.data) for n, c in enumerate(changes)], 99)
    yield AppService(store, clock=lambda: NOW)
    store.close()


def test_the_rep_writes_the_days_report_offline_and_reads_the_comment_after_a_pull(service: AppService) -> None:
    form = open_form(service, "day", NOW.date())
    view = report_view(service, form)
    assert view.figures is not None and view.figures.amount == 150.0 and view.report is None
    assert view.next_names == ["甲诊所", "丁药店"]
    form.summary, form.next_focus = "  拜访甲诊所，下单120元 ", "丁药店送样品"
    record = save_report(service, form)
    record_id = report_id(ME, "day", MONDAY)
    assert record["id"] == record_id
    [op] = service.store.pending_ops(10)
    assert op.kind is RecordKind.WORK_REPORT and op.record_id == record_id
    assert op.fields == {
        "period": "day",
        "starts_on": MONDAY.isoformat(),
        "summary": "拜访甲诊所，下单120元",
        "next_focus": "丁药店送样品",
        "submitted_at": NOW.isoformat(timespec="seconds"),
    }  # no figures: the server computes its own
    again = open_form(service, "day", NOW.date())
    assert (again.summary, again.next_focus) == ("拜访甲诊所，下单120元", "丁药店送样品")
    again.summary = "改：拜访甲诊所"
    save_report(service, again)
    assert service.store.pending_ops(10)[1].fields.keys() == {"summary", "next_focus", "submitted_at"}
    assert report_view(service, again).waiting

    # the supervisor's comment comes with a pull; the screen shows it
    pulled = {
        **service.store.get(RecordKind.WORK_REPORT, record_id),
        "comment": "明天先去丁药店",
        "commented_by_name": "张经理",
    }
    service.store.apply_pull_page([Change(200, RecordKind.WORK_REPORT, record_id, False, pulled)], 200)
    view = report_view(service, again)
    assert view.report is not None and view.report["comment"] == "明天先去丁药店"
    assert view.report["summary"] == "改：拜访甲诊所"  # the waiting edit stays on top of the pulled row
    state = AppState(lang="zh-CN", screen=Screen.REPORT, report=again, report_view=view)
    shown = " ".join(texts(build(state, Recorder())))
    assert "明天先去丁药店" in shown and "张经理" in shown and "67%" in shown and "100%" in shown


def test_a_report_without_a_summary_stores_nothing(service: AppService) -> None:
    form = open_form(service, "week", NOW.date())
    form.summary = "   "
    with pytest.raises(FormProblems):
        save_report(service, form)
    assert service.store.pending_count() == 0


def test_the_typing_on_the_report_screen_is_kept_and_restored() -> None:
    state = AppState(screen=Screen.REPORT, report=ReportForm(period="day", starts_on=MONDAY.isoformat()))
    state.report.summary, state.report.next_focus = "写了一半的总结", "重点"
    draft = draft_of(state)
    assert draft is not None and draft.screen == "report" and draft.target == f"day:{MONDAY.isoformat()}"
    fresh = AppState(screen=Screen.REPORT, report=ReportForm(period="day", starts_on=MONDAY.isoformat()))
    apply_draft(fresh, draft)
    assert (fresh.report.summary, fresh.report.next_focus) == ("写了一半的总结", "重点")
