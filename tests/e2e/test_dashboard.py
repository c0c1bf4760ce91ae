"""The supervisor's dashboard and a rep's day, in headless Chromium against the real server on the demo county.

Every number the pages show is computed here again, independently, from the server's SQLite file with plain
SQL and the seeds' definitions: not through the server's code. The docs' screenshots of these pages are
taken by tests/e2e/test_charts_and_map.py (with ROUTECRM_SCREENSHOTS=1); this test keeps its own in
test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, Service, company_today
from tests.e2e.test_offline_visit_reaches_supervisor import supervisor_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCREENSHOTS = ARTIFACTS
DORMANT_DAYS = 60  # settings.lifecycle_dormant_days, the default the demo server runs with


def percent(numerator: int, denominator: int) -> str:
    return "—" if denominator == 0 else f"{100 * numerator / denominator:.0f}%"


def week_figures(db: Path, start: dt.date, until: dt.date) -> dict[str, object]:
    """The seeds' rates per rep and day, summed; visits, orders, amount, new customers, churn."""
    with sqlite3.connect(db) as con:
        plans = con.execute(
            "SELECT rep_id, day, customer_ids FROM route_plans WHERE day BETWEEN ? AND ?",
            (start.isoformat(), until.isoformat()),
        ).fetchall()
        visits = con.execute(
            "SELECT id, rep_id, visit_day, customer_id, ordered FROM visits WHERE visit_day BETWEEN ? AND ?",
            (start.isoformat(), until.isoformat()),
        ).fetchall()
        # Orders waiting for approval or rejected count nowhere (docs/approvals.md; the demo has one of each).
        orders = con.execute(
            "SELECT visit_id, customer_id, order_day, amount FROM orders"
            " WHERE approval_status IS NULL OR approval_status = 'approved'"
        ).fetchall()
        held = {
            visit_id
            for (visit_id,) in con.execute(
                "SELECT visit_id FROM orders WHERE approval_status IS NOT NULL AND approval_status <> 'approved'"
            ).fetchall()
        }
        usernames = dict(con.execute("SELECT id, username FROM users").fetchall())
    ordered_visits = {visit_id for visit_id, *_ in orders}
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    bought: dict[tuple[str, str], set[str]] = defaultdict(set)
    for visit_id, rep_id, day, customer_id, ticked in visits:
        seen[(rep_id, day)].add(customer_id)
        if (ticked and visit_id not in held) or visit_id in ordered_visits:
            bought[(rep_id, day)].add(customer_id)
    per_rep: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for rep_id, day, customer_ids in plans:
        planned = set(json.loads(customer_ids))
        tally = per_rep[usernames[rep_id]]
        tally[0] += len(planned)
        tally[1] += len(planned & seen[(rep_id, day)])
        tally[2] += len(planned & bought[(rep_id, day)])
    planned_n, visited_n, ordered_n = (sum(t[i] for t in per_rep.values()) for i in range(3))
    in_week = [(day, amount) for _, _, day, amount in orders if start.isoformat() <= day <= until.isoformat()]
    days_of: dict[str, list[dt.date]] = defaultdict(list)
    for _, customer_id, day, _ in orders:
        days_of[customer_id].append(dt.date.fromisoformat(day))
    eve = start - dt.timedelta(days=1)
    active = churned = 0
    for days in days_of.values():
        before = [d for d in days if d <= eve]
        if before and (eve - max(before)).days <= DORMANT_DAYS:  # new or active the day before the week
            active += 1
            last = max(d for d in days if d <= until)
            churned += (until - last).days > DORMANT_DAYS  # dormant or lost at its end
    return {
        "completion": percent(visited_n, planned_n),
        "success": percent(ordered_n, visited_n),
        "visits": len(visits),
        "orders": len(in_week),
        "amount": f"{sum(a for _, a in in_week):.2f}",
        "new_customers": sum(1 for days in days_of.values() if start <= min(days) <= until),
        "churn": percent(churned, active),
        "rep_completion": {name: percent(t[1], t[0]) for name, t in per_rep.items()},
    }


def a_flagged_day(db: Path, today: dt.date) -> tuple[str, str]:
    """A rep and a past day of the demo fortnight with a flagged check-in on the planned route."""
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT u.username, v.visit_day FROM visits v JOIN users u ON u.id = v.rep_id "
            "JOIN route_plans p ON p.rep_id = v.rep_id AND p.day = v.visit_day "
            "WHERE v.flagged AND v.visit_day < ? ORDER BY v.visit_day DESC, u.username",
            (today.isoformat(),),
        ).fetchall()
    assert rows, "the demo flags a few check-ins every fortnight"
    return rows[0][0], rows[0][1]


def day_records(db: Path, username: str, day: str) -> tuple[list[str], list[tuple[str, str, int | None, bool]]]:
    """The plan's customers in order; the visits in check-in order: (id, customer, minutes, flagged)."""
    with sqlite3.connect(db) as con:
        (rep_id,) = con.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
        (plan,) = con.execute(
            "SELECT customer_ids FROM route_plans WHERE rep_id = ? AND day = ?", (rep_id, day)
        ).fetchone()
        rows = con.execute(
            "SELECT id, customer_id, check_in_at, check_out_at, flagged FROM visits WHERE rep_id = ? AND visit_day = ?",
            (rep_id, day),
        ).fetchall()
    visits = []
    for visit_id, customer_id, check_in, check_out, flagged in sorted(
        rows, key=lambda r: dt.datetime.fromisoformat(r[2])
    ):
        minutes = None
        if check_out:
            seconds = (dt.datetime.fromisoformat(check_out) - dt.datetime.fromisoformat(check_in)).total_seconds()
            minutes = max(0, round(seconds / 60))
        visits.append((visit_id, customer_id, minutes, bool(flagged)))
    return json.loads(plan), visits


@pytest.fixture
def desk(browser: Browser) -> Page:
    """The supervisor's desktop browser."""
    return browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()


def test_the_dashboard_and_a_reps_day_show_what_the_records_say(
    desk: Page, server: Service, server_url: str, tmp_path: Path
) -> None:
    db = tmp_path / "server.db"  # the `server` fixture's database, in this test's tmp_path
    today = company_today()
    first = today - dt.timedelta(days=6)  # the dashboard opens on the last 7 days up to today
    want = week_figures(db, first, today)

    supervisor_sign_in(desk, server_url)
    desk.get_by_test_id("nav-group-results").locator("summary").click()  # the group's drop-down
    desk.get_by_test_id("nav-dashboard").click()
    expect(desk.get_by_test_id("dashboard-title")).to_have_attribute("data-start", first.isoformat())
    expect(desk.get_by_test_id("dashboard-title")).to_have_attribute("data-end", today.isoformat())
    expect(desk.get_by_test_id("period-label")).to_contain_text(f"{first.year}年{first.month}月{first.day}日")
    expect(desk.get_by_test_id("tile-completion-text")).to_have_text(str(want["completion"]))
    expect(desk.get_by_test_id("tile-success-text")).to_have_text(str(want["success"]))
    expect(desk.get_by_test_id("tile-visits")).to_have_attribute("data-value", str(want["visits"]))
    expect(desk.get_by_test_id("tile-orders")).to_have_attribute("data-value", str(want["orders"]))
    expect(desk.get_by_test_id("tile-amount")).to_have_attribute("data-value", str(want["amount"]))
    expect(desk.get_by_test_id("tile-amount-text")).to_have_text(f"¥{float(str(want['amount'])):,.2f}")
    expect(desk.get_by_test_id("tile-new-customers")).to_have_attribute("data-value", str(want["new_customers"]))
    expect(desk.get_by_test_id("tile-churn-text")).to_have_text(str(want["churn"]))
    for username, rate in dict(want["rep_completion"]).items():  # type: ignore[call-overload]
        expect(desk.get_by_test_id(f"rep-completion-{username}")).to_have_text(rate)
    for measure in ("completion", "visits", "amount"):
        expect(desk.get_by_test_id(f"trend-{measure}").locator("polyline").first).to_be_attached()  # the SVG
        expect(desk.get_by_test_id(f"trend-canvas-{measure}").locator("canvas").first).to_be_visible()  # ECharts
    desk.screenshot(path=SCREENSHOTS / "test_dashboard-dashboard.png", full_page=True)

    # English: the same numbers, the dates written the English way.
    desk.get_by_test_id("lang-switch").click()
    expect(desk.get_by_test_id("dashboard-title")).to_contain_text("Dashboard")
    expect(desk.get_by_test_id("period-label")).to_contain_text(f"{first.day} {first.strftime('%b')} {first.year}")
    expect(desk.get_by_test_id("tile-completion-text")).to_have_text(str(want["completion"]))
    expect(desk.get_by_text("Visit completion rate by rep")).to_be_visible()
    desk.get_by_test_id("lang-switch").click()
    expect(desk.get_by_test_id("dashboard-title")).to_contain_text("业绩看板")

    # A rep's day with a flagged check-in: the plan's order against the visits as they happened.
    username, day = a_flagged_day(db, today)
    plan, visits = day_records(db, username, day)
    desk.goto(f"{server_url}/dashboard?period=day&day={day}")
    desk.get_by_test_id(f"rep-day-link-{username}").click()
    expect(desk.get_by_test_id("rep-day-title")).to_have_attribute("data-day", day)
    stops = desk.get_by_test_id("planned-route").locator("tbody tr")
    expect(stops).to_have_count(len(plan))
    assert [stops.nth(i).get_attribute("data-customer-id") for i in range(len(plan))] == plan
    rows = desk.get_by_test_id("actual-visits").locator("tbody tr")
    expect(rows).to_have_count(len(visits))
    for sequence, (visit_id, customer_id, minutes, flagged) in enumerate(visits, start=1):
        row = desk.get_by_test_id(f"day-visit-{sequence}")
        expect(row).to_have_attribute("data-visit-id", visit_id)
        expect(row).to_have_attribute("data-flagged", "true" if flagged else "false")
        position = str(plan.index(customer_id) + 1) if customer_id in plan else "计划外"
        expect(desk.get_by_test_id(f"day-visit-plan-{sequence}")).to_have_text(position)
        duration = desk.get_by_test_id(f"day-visit-duration-{sequence}")
        expect(duration).to_have_attribute("data-minutes", "" if minutes is None else str(minutes))
        if flagged:
            expect(row).to_have_class("flagged")
            expect(desk.get_by_test_id(f"map-check-in-{visit_id}")).to_have_attribute("data-flagged", "true")
    expect(desk.get_by_test_id("planned-path")).to_be_attached()
    expect(desk.get_by_test_id("actual-path")).to_be_attached()
    desk.screenshot(path=SCREENSHOTS / "test_dashboard-rep-day-map.png", full_page=True)

    # The other language shows the same rep's same day.
    desk.get_by_test_id("lang-switch").click()
    expect(desk.get_by_test_id("rep-day-title")).to_have_attribute("data-day", day)
    expect(desk.get_by_test_id("rep-day-title")).to_contain_text("route of")
    expect(desk.get_by_text("Check-in map")).to_be_visible()
    desk.context.close()
