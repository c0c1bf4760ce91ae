"""Issue 16's daily and weekly reports (日报 / 周报) and leaderboards, on the server in-process: a rep's report
pushed, the supervisor's comment reaching the rep's pull (and no one else's), who has not submitted, the
figures the server computes from its own records (never the phone's), leaderboards, and bad reports refused
with nothing stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from server.db import read_session, write_session
from server.domains.products.service import put_product
from server.domains.reports.period import PeriodKind
from server.domains.users.service import create_user
from server.domains.work_reports.models import WorkReport
from server.domains.work_reports.service import leaderboard, report_figures
from server.models import AppliedOp, ChangeLog
from shared.enums import ReportPeriod, Role
from shared.ids import new_id
from shared.work_reports import report_id
from tests.integration.conftest import (
    PASSWORD,
    TERRITORY_A,
    World,
    local_time,
    login,
    make_op,
    pull_all,
    push_body,
    visit_fields,
)
from tests.integration.test_server_web import by_testid, csrf_token, web_login

Client = AsyncTestClient[Litestar]


def report_fields(day: dt.date, period: str = "day", **extra: Any) -> dict[str, Any]:
    return {
        "period": period,
        "starts_on": day.isoformat(),
        "summary": "拜访三家诊所，东片诊所0下单",
        "next_focus": "跟进东片诊所3的样品",
        "submitted_at": local_time(day, 18),
        **extra,
    }


@pytest.fixture
def product(seeded: World, engine: Engine) -> str:
    with write_session(engine) as session:
        fields = {"name": "碘伏消毒液", "unit": "瓶", "unit_price": 10.0, "active": True}
        return put_product(session, seeded.supervisor, new_id(), fields).id


def order_op(seq: int, customer: str, visit_id: str, product: str, quantity: int, day: dt.date) -> dict[str, Any]:
    fields = {
        "customer_id": customer,
        "visit_id": visit_id,
        "lines": [{"product_id": product, "quantity": quantity, "unit_price": 10.0}],
        "amount": quantity * 10.0,
        "ordered_at": local_time(day, 11),
    }
    return make_op(seq, "order", new_id(), fields)


def stored_reports(engine: Engine) -> int:
    with read_session(engine) as session:
        return int(session.exec(select(func.count()).select_from(WorkReport)).one())


async def push_report(
    client: Client, headers: dict[str, str], record_id: str, fields: dict[str, Any], seq: int = 1
) -> Any:
    return await client.post(
        "/api/sync/push", json=push_body([make_op(seq, "work_report", record_id, fields)]), headers=headers
    )


async def test_a_pushed_report_reaches_its_reps_phone_only_and_the_comment_follows(
    client: Client, seeded: World, engine: Engine
) -> None:
    rep_a, rep_b = await login(client, "rep.a"), await login(client, "rep.b")
    record_id = report_id(seeded.rep_a.id, ReportPeriod.DAY, seeded.today)
    response = await push_report(client, rep_a, record_id, report_fields(seeded.today))
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["applied"]
    changes_a, cursor_a = await pull_all(client, rep_a)
    reports_a = [c for c in changes_a if c["kind"] == "work_report"]
    assert [c["record_id"] for c in reports_a] == [record_id]
    assert reports_a[0]["data"]["comment"] is None and reports_a[0]["data"]["rep_id"] == seeded.rep_a.id
    changes_b, _ = await pull_all(client, rep_b)
    assert not [c for c in changes_b if c["kind"] == "work_report"]  # another rep's report

    await web_login(client, "boss")
    page = await client.get(f"/reports?period=day&day={seeded.today.isoformat()}")
    assert page.status_code == 200, page.text
    assert by_testid(page.text, "summary-rep.a") == "拜访三家诊所，东片诊所0下单"
    comment = "很好，明天先去东片诊所3，带上样品"
    saved = await client.post(
        f"/reports/{record_id}/comment",
        data={"comment": comment, "_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    after = await client.get(saved.headers["location"])
    assert by_testid(after.text, "comment-saved")
    assert comment in by_testid(after.text, "comment-rep.a")

    changes, _ = await pull_all(client, rep_a, cursor_a)  # the next sync brings the comment
    commented = [c["data"] for c in changes if c["kind"] == "work_report"]
    assert len(commented) == 1
    assert commented[0]["comment"] == comment and commented[0]["commented_by_name"] == "张经理"
    assert commented[0]["summary"] == "拜访三家诊所，东片诊所0下单"  # the rep's text unchanged
    later_b, _ = await pull_all(client, rep_b)
    assert not [c for c in later_b if c["kind"] == "work_report"]

    # the rep edits the summary afterwards: the comment stays
    edit = make_op(2, "work_report", record_id, {"summary": "补充：东片诊所1要求报价"})
    assert (await client.post("/api/sync/push", json=push_body([edit]), headers=rep_a)).status_code == 200
    with read_session(engine) as session:
        stored = session.get(WorkReport, record_id)
        assert stored is not None and stored.comment == comment and stored.summary == "补充：东片诊所1要求报价"


async def test_an_empty_comment_is_refused_and_another_teams_supervisor_cannot_comment(
    client: Client, seeded: World, engine: Engine
) -> None:
    with write_session(engine) as session:
        create_user(session, username="west.boss", password=PASSWORD, role=Role.SUPERVISOR, territory="西片")
    rep_a = await login(client, "rep.a")
    record_id = report_id(seeded.rep_a.id, ReportPeriod.DAY, seeded.today)
    assert (await push_report(client, rep_a, record_id, report_fields(seeded.today))).status_code == 200
    await web_login(client, "boss")
    page = await client.get("/reports")
    empty = await client.post(
        f"/reports/{record_id}/comment", data={"comment": "  ", "_csrf_token": csrf_token(page.text)}
    )
    assert empty.status_code == 422
    await client.post("/logout", data={"_csrf_token": csrf_token(page.text)})
    await web_login(client, "west.boss")
    west = await client.get("/reports")
    assert "rep.a" not in west.text and "report-rep.b" in west.text  # the team only
    other = await client.post(
        f"/reports/{record_id}/comment", data={"comment": "x", "_csrf_token": csrf_token(west.text)}
    )
    assert other.status_code == 404
    with read_session(engine) as session:
        stored = session.get(WorkReport, record_id)
        assert stored is not None and stored.comment is None


@pytest.mark.parametrize(
    ("change", "path", "status"),
    [
        ({"period": "week"}, "ops[0].fields.starts_on", 422),  # today's date need not be a Monday: see below
        ({"summary": ""}, "ops[0].fields.summary", 422),
        ({"comment": "我自己点评"}, "ops[0].fields.comment", 422),  # the supervisor's field
        ({"period": "month"}, "ops[0].fields.period", 422),
        ({"starts_on": "tomorrow"}, "ops[0].fields.starts_on", 422),
    ],
)
async def test_a_bad_report_is_refused_naming_the_field_and_nothing_is_stored(
    client: Client, seeded: World, engine: Engine, change: dict[str, Any], path: str, status: int
) -> None:
    rep_a = await login(client, "rep.a")
    day = seeded.today
    if change.get("period") == "week":
        day = day - dt.timedelta(days=day.weekday()) + dt.timedelta(days=2)  # a Wednesday
        day = day if day <= seeded.today else day - dt.timedelta(days=7)
    fields = report_fields(day, **change)
    before = row_counts(engine)
    response = await push_report(client, rep_a, new_id(), fields)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["path"] == path, error
    assert row_counts(engine) == before and stored_reports(engine) == 0


def row_counts(engine: Engine) -> tuple[int, int]:
    with read_session(engine) as session:
        return (
            int(session.exec(select(func.count()).select_from(AppliedOp)).one()),
            int(session.exec(select(func.count()).select_from(ChangeLog)).one()),
        )


async def test_a_report_of_a_day_to_come_another_reps_report_and_a_second_id_are_refused(
    client: Client, seeded: World, engine: Engine
) -> None:
    rep_a, rep_b = await login(client, "rep.a"), await login(client, "rep.b")
    tomorrow = seeded.today + dt.timedelta(days=1)
    future = await push_report(client, rep_a, new_id(), report_fields(tomorrow))
    assert future.status_code == 422 and "not begun" in future.json()["error"]["message"]
    record_id = report_id(seeded.rep_a.id, ReportPeriod.DAY, seeded.today)
    assert (await push_report(client, rep_a, record_id, report_fields(seeded.today))).status_code == 200
    twice = await push_report(client, rep_a, new_id(), report_fields(seeded.today), seq=2)
    assert twice.status_code == 409 and twice.json()["error"]["details"]["reason"] == "report_exists"
    moved = await client.post(
        "/api/sync/push",
        json=push_body(
            [make_op(2, "work_report", record_id, {"starts_on": (seeded.today - dt.timedelta(days=1)).isoformat()})]
        ),
        headers=rep_a,
    )
    assert moved.status_code == 422 and moved.json()["error"]["details"]["reason"] == "report_period_is_final"
    theirs = await client.post(
        "/api/sync/push",
        json=push_body(
            [make_op(1, "work_report", record_id, {"summary": "改别人的"}, device_id="device-b")], device_id="device-b"
        ),
        headers=rep_b,
    )
    assert theirs.status_code == 403, theirs.text
    boss = await login(client, "boss")
    by_boss = await push_report(client, boss, new_id(), report_fields(seeded.today))
    assert by_boss.status_code == 403
    assert stored_reports(engine) == 1


async def test_the_not_submitted_view_lists_the_team_per_day(client: Client, seeded: World, engine: Engine) -> None:
    with write_session(engine) as session:
        create_user(
            session, username="rep.c", password=PASSWORD, role=Role.REP, territory=TERRITORY_A, display_name="王五"
        )
    rep_a = await login(client, "rep.a")
    assert (
        await push_report(client, rep_a, report_id(seeded.rep_a.id, "day", seeded.today), report_fields(seeded.today))
    ).status_code == 200
    await web_login(client, "boss")
    page = await client.get(f"/reports?day={seeded.today.isoformat()}&territory={TERRITORY_A}")
    assert page.status_code == 200, page.text
    assert by_testid(page.text, "not-submitted-count") == "1"
    assert by_testid(page.text, "not-submitted-names") == "王五"
    assert by_testid(page.text, f"submitted-rep.a-{seeded.today.isoformat()}") == "✓"
    assert "rep.b" not in page.text  # another territory, filtered
    everyone = await client.get(f"/reports?day={seeded.today.isoformat()}")
    assert by_testid(everyone.text, "not-submitted-count") == "2"  # 王五 and rep.b
    tomorrow = (seeded.today + dt.timedelta(days=1)).isoformat()
    assert (
        by_testid(everyone.text, f"submitted-rep.a-{tomorrow}") == ""
        if f"submitted-rep.a-{tomorrow}" in everyone.text
        else True
    )


async def test_the_server_computes_the_figures_from_its_records(
    client: Client, seeded: World, engine: Engine, product: str, settings: Any
) -> None:
    """Rep A's plan today: customers 0, 1, 2. Visits: 0 (with an order of 30), 1 (no order), 3 (off the route,
    ordered 5). Tomorrow's plan: customers 3 and 0. A complaint recorded today."""
    day, customers = seeded.today, seeded.customers_a
    v0, v1, v3 = new_id(), new_id(), new_id()
    ops = [
        make_op(1, "visit", v0, visit_fields(customers[0], day, 9)),
        order_op(2, customers[0], v0, product, 3, day),
        make_op(3, "visit", v1, visit_fields(customers[1], day, 10)),
        make_op(4, "visit", v3, visit_fields(customers[3], day, 14)),
        order_op(5, customers[3], v3, product, 5, day),
        make_op(
            6,
            "complaint",
            new_id(),
            {
                "customer_id": customers[1],
                "category": "price",
                "severity": "low",
                "description": "太贵",
                "received_at": local_time(day, 10),
            },
        ),
    ]
    rep_a = await login(client, "rep.a")
    response = await client.post("/api/sync/push", json=push_body(ops), headers=rep_a)
    assert response.status_code == 200, response.text
    from server.domains.routes.service import set_route_plan

    with write_session(engine) as session:
        set_route_plan(
            session, seeded.supervisor, seeded.rep_a.id, day + dt.timedelta(days=1), [customers[3], customers[0]]
        )
    # computed here, independently: planned {0,1,2}; visited on route {0,1}; ordered on route {0}
    planned, visited, ordered_on_route = 3, 2, 1
    with read_session(engine) as session:
        figures = report_figures(session, seeded.rep_a.id, ReportPeriod.DAY, day, settings.tz, today=day)
    assert (figures.tally.planned, figures.tally.visited_on_route, figures.tally.visited_off_route) == (
        planned,
        visited,
        1,
    )
    assert figures.completion_rate == pytest.approx(100 * visited / planned)
    assert figures.success_rate == pytest.approx(100 * ordered_on_route / visited)
    assert (figures.orders, figures.amount) == (2, 30.0 + 50.0)
    assert figures.new_customers == 2  # both customers' first order ever
    assert figures.complaints == 1
    assert figures.next_customer_ids == [customers[3], customers[0]] and figures.next_planned == 2
    # the week report of the same week counts the same day (the only one with records)
    with read_session(engine) as session:
        week = report_figures(session, seeded.rep_a.id, ReportPeriod.WEEK, day, settings.tz, today=day)
    assert week.tally.visited_on_route == visited and week.amount == 80.0

    # the phone's figures are never taken: a report carries none, and the page shows the server's
    record_id = report_id(seeded.rep_a.id, "day", day)
    assert (await push_report(client, rep_a, record_id, report_fields(day), seq=7)).status_code == 200
    await web_login(client, "boss")
    page = await client.get(f"/reports?day={day.isoformat()}")
    assert by_testid(page.text, "completion-rep.a") == "67%"
    assert by_testid(page.text, "success-rep.a") == "50%"
    assert by_testid(page.text, "amount-rep.a") == "¥80.00"
    assert by_testid(page.text, "new-customers-rep.a") == "2"
    assert by_testid(page.text, "next-planned-rep.a") == "2"


async def test_leaderboards_rank_the_reps_of_a_territory(
    client: Client, seeded: World, engine: Engine, product: str, settings: Any
) -> None:
    with write_session(engine) as session:
        rep_c = create_user(
            session, username="rep.c", password=PASSWORD, role=Role.REP, territory=TERRITORY_A, display_name="王五"
        )
        from server.domains.routes.service import set_route_plan

        set_route_plan(session, seeded.supervisor, rep_c.id, seeded.today, seeded.customers_a[2:4])
    day, customers = seeded.today, seeded.customers_a
    # rep A visits 1 of 3 planned (ordered 2 units); rep C visits 2 of 2 planned (one ordered 1 unit)
    va, vc1, vc2 = new_id(), new_id(), new_id()
    rep_a = await login(client, "rep.a")
    ops_a = [
        make_op(1, "visit", va, visit_fields(customers[0], day, 9)),
        order_op(2, customers[0], va, product, 2, day),
    ]
    assert (await client.post("/api/sync/push", json=push_body(ops_a), headers=rep_a)).status_code == 200
    rep_c_headers = await login(client, "rep.c")
    ops_c = [
        make_op(1, "visit", vc1, visit_fields(customers[2], day, 9), device_id="device-c"),
        make_op(2, "visit", vc2, visit_fields(customers[3], day, 10), device_id="device-c"),
        {**order_op(3, customers[3], vc2, product, 1, day), "device_id": "device-c"},
    ]
    pushed = await client.post("/api/sync/push", json=push_body(ops_c, device_id="device-c"), headers=rep_c_headers)
    assert pushed.status_code == 200, pushed.text
    with read_session(engine) as session:
        board = leaderboard(session, TERRITORY_A, PeriodKind.WEEK, day, settings.tz, today=day)
    names = {
        measure: [(row.rank, row.rep.username, row.value) for row in rows] for measure, rows in board.rankings.items()
    }
    assert names["completion"] == [(1, "rep.c", 100.0), (2, "rep.a", pytest.approx(100 / 3))]
    assert names["success"] == [(1, "rep.a", 100.0), (2, "rep.c", 50.0)]
    assert names["amount"] == [(1, "rep.a", 20.0), (2, "rep.c", 10.0)]
    assert names["new_customers"] == [(1, "rep.a", 1.0), (1, "rep.c", 1.0)]  # equal: the same rank
    await web_login(client, "boss")
    page = await client.get(f"/reports/leaderboard?period=week&territory={TERRITORY_A}")
    assert page.status_code == 200, page.text
    assert 'data-testid="rank-completion-rep.c" data-rank="1"' in page.text
    assert by_testid(page.text, "value-amount-rep.a") == "¥20.00"
    assert "rep.b" not in page.text


async def test_leaderboards_reach_the_territorys_phones_only_when_the_setting_is_on(
    client: Client, app: Litestar, seeded: World, engine: Engine, product: str
) -> None:
    from dataclasses import replace

    from server.clock import utc_now
    from server.domains.work_reports.service import leaderboards_job

    rep_a, rep_b = await login(client, "rep.a"), await login(client, "rep.b")
    va = new_id()
    ops = [make_op(1, "visit", va, visit_fields(seeded.customers_a[0], seeded.today, 9))]
    ops.append(order_op(2, seeded.customers_a[0], va, product, 4, seeded.today))
    ops.append(make_op(3, "work_report", report_id(seeded.rep_a.id, "day", seeded.today), report_fields(seeded.today)))
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=rep_a)).status_code == 200
    assert leaderboards_job(engine, app.state.settings, utc_now()) == 0  # off by default: supervisors only
    changes, cursor = await pull_all(client, rep_a)
    assert not [c for c in changes if c["kind"] == "leaderboard"]

    app.state.settings = replace(app.state.settings, leaderboard_on_phone=True)
    edit = make_op(4, "work_report", report_id(seeded.rep_a.id, "day", seeded.today), {"summary": "再补一句"})
    assert (await client.post("/api/sync/push", json=push_body([edit]), headers=rep_a)).status_code == 200
    changes, cursor = await pull_all(client, rep_a, cursor)
    boards = {c["data"]["period"]: c["data"] for c in changes if c["kind"] == "leaderboard"}
    assert set(boards) == {"day", "week", "month"}
    day = boards["day"]
    assert day["territory"] == TERRITORY_A and day["starts_on"] == seeded.today.isoformat()
    assert day["rankings"]["amount"] == [{"rank": 1, "rep_id": seeded.rep_a.id, "name": "rep.a", "value": 40.0}]
    assert day["rankings"]["completion"][0]["value"] == pytest.approx(100 / 3)  # 1 of 3 planned
    # unchanged rankings are not sent again; the other territory's phones get their own only
    assert leaderboards_job(engine, app.state.settings, utc_now()) == 3  # 西片's three, first time
    assert leaderboards_job(engine, app.state.settings, utc_now()) == 0
    again, _ = await pull_all(client, rep_a, cursor)
    assert not [c for c in again if c["kind"] == "leaderboard"]
    theirs, _ = await pull_all(client, rep_b)
    assert {c["data"]["territory"] for c in theirs if c["kind"] == "leaderboard"} == {"西片"}
