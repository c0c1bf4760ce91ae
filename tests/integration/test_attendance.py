"""考勤 on the server in-process: punches pushed by a rep (the same one again applies once; bad ones refused
naming the field, nothing stored), back to the rep's own phones only, the supervisor's /attendance page (late,
early, no end, visits outside the day, visits without attendance, the team only), the rep's day page and the
dashboard's count. The clock is frozen on a Wednesday afternoon in the company's zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from server.db import read_session, write_session
from server.domains.attendance.models import AttendancePunch
from server.domains.users.service import create_user
from shared.enums import Role
from shared.ids import new_id
from tests.integration.conftest import (
    DEVICE_A,
    DEVICE_B,
    PASSWORD,
    World,
    local_time,
    login,
    make_op,
    pull_all,
    push_body,
    row_counts,
    visit_fields,
)
from tests.integration.test_server_web import by_testid, web_login

Client = AsyncTestClient[Litestar]
NOW = dt.datetime(2026, 12, 9, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday
MONDAY, TUESDAY = dt.date(2026, 12, 7), dt.date(2026, 12, 8)


@pytest.fixture(autouse=True)
def wednesday_afternoon() -> Iterator[None]:
    """Before `seeded`: its `today` is this Wednesday."""
    with time_machine.travel(NOW, tick=True):
        yield


def punch(action: str, day: dt.date, hour: int, minute: int = 0, **extra: Any) -> dict[str, Any]:
    return {"action": action, "at": local_time(day, hour, minute), **extra}


async def push(client: Client, headers: dict[str, str], ops: list[dict[str, Any]], device: str = DEVICE_A) -> Any:
    return await client.post("/api/sync/push", json=push_body(ops, device_id=device), headers=headers)


def stored_punches(engine: Engine) -> int:
    with read_session(engine) as session:
        return int(session.exec(select(func.count()).select_from(AttendancePunch)).one())


async def test_a_punch_is_stored_once_and_reaches_only_its_reps_phones(
    client: Client, seeded: World, engine: Engine
) -> None:
    rep_a, rep_b = await login(client, "rep.a"), await login(client, "rep.b")
    punch_id = new_id()
    fields = punch("start", seeded.today, 8, 3, lat=31.23, lng=121.47, accuracy=15.0)
    first = await push(client, rep_a, [make_op(1, "attendance", punch_id, fields)])
    assert first.status_code == 200, first.text
    assert [r["status"] for r in first.json()["results"]] == ["applied"]
    again = await push(client, rep_a, [make_op(2, "attendance", punch_id, fields)])  # an answer lost: sent again
    assert again.status_code == 200, again.text
    assert stored_punches(engine) == 1
    with read_session(engine) as session:
        stored = session.get(AttendancePunch, punch_id)
        assert stored is not None
        assert (stored.rep_id, stored.day, stored.territory) == (seeded.rep_a.id, seeded.today, "东片")
    changes_a, _ = await pull_all(client, rep_a)
    assert [c["record_id"] for c in changes_a if c["kind"] == "attendance"] == [punch_id]
    changes_b, _ = await pull_all(client, rep_b)
    assert not [c for c in changes_b if c["kind"] == "attendance"]
    changed = await push(
        client, rep_a, [make_op(3, "attendance", punch_id, {**fields, "at": local_time(seeded.today, 7)})]
    )
    assert changed.status_code == 409 and changed.json()["error"]["details"]["reason"] == "punch_is_final"


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"action": "lunch", "at": "2026-12-09T08:00:00+08:00"}, "ops[0].fields.action"),
        ({"action": "start", "at": "2026-12-09T08:00:00"}, "ops[0].fields.at"),  # no offset
        ({"action": "start"}, "ops[0].fields.at"),
        ({"action": "start", "at": "2026-12-09T08:00:00+08:00", "lat": 31.2}, "ops[0].fields.lng"),
        ({"action": "start", "at": "2026-12-09T08:00:00+08:00", "lat": 95.0, "lng": 1.0}, "ops[0].fields.lat"),
        ({"action": "start", "at": "2026-12-09T08:00:00+08:00", "rep_id": new_id()}, "ops[0].fields.rep_id"),
        ({"action": "start", "at": "2026-12-10T08:00:00+08:00"}, "ops[0].fields.at"),  # ahead of the server
    ],
)
async def test_a_bad_punch_is_refused_naming_the_field_and_nothing_is_stored(
    client: Client, seeded: World, engine: Engine, fields: dict[str, Any], path: str
) -> None:
    rep_a = await login(client, "rep.a")
    before = row_counts(engine)
    response = await push(client, rep_a, [make_op(1, "attendance", new_id(), fields)])
    assert response.status_code == 422, response.text
    assert response.json()["error"]["path"] == path
    assert row_counts(engine) == before and stored_punches(engine) == 0


async def test_a_supervisor_cannot_punch(client: Client, seeded: World, engine: Engine) -> None:
    boss = await login(client, "boss")
    response = await push(client, boss, [make_op(1, "attendance", new_id(), punch("start", seeded.today, 8))])
    assert response.status_code == 403 and stored_punches(engine) == 0


async def test_the_attendance_page_shows_each_day_against_the_companys_hours_to_the_team_only(
    client: Client, seeded: World, engine: Engine
) -> None:
    with write_session(engine) as session:
        create_user(session, username="west.boss", password=PASSWORD, role=Role.SUPERVISOR, territory="西片")
    rep_a, rep_b = await login(client, "rep.a"), await login(client, "rep.b")
    customer = seeded.customers_a[0]
    ops = [
        # Monday: late by one minute, ended early, a visit before the start
        make_op(1, "attendance", new_id(), punch("start", MONDAY, 8, 1)),
        make_op(2, "visit", new_id(), visit_fields(customer, MONDAY, 7)),
        make_op(3, "visit", new_id(), visit_fields(customer, MONDAY, 10)),
        make_op(4, "attendance", new_id(), punch("end", MONDAY, 17, 30)),
        # Tuesday: on time, never ended
        make_op(5, "attendance", new_id(), punch("start", TUESDAY, 8, 0)),
        # Wednesday (today): a visit, no punch
        make_op(6, "visit", new_id(), visit_fields(customer, seeded.today, 9)),
    ]
    assert (await push(client, rep_a, ops)).status_code == 200
    other = make_op(1, "attendance", new_id(), punch("start", seeded.today, 9, 30), device_id=DEVICE_B)
    assert (await push(client, rep_b, [other], DEVICE_B)).status_code == 200

    await web_login(client, "boss")
    page = await client.get("/attendance")
    assert page.status_code == 200, page.text
    assert by_testid(page.text, "attendance-range") == "2026-12-07 至 2026-12-13"  # this week by default
    monday, tuesday, today = (f"rep.a-{d.isoformat()}" for d in (MONDAY, TUESDAY, seeded.today))
    assert by_testid(page.text, f"start-{monday}") == "08:01"
    assert by_testid(page.text, f"end-{monday}") == "17:30"
    status = page.text.split(f'data-testid="status-{monday}"')[1].split("</td>")[0]
    assert "迟到 1 分钟" in status and "早退 30 分钟" in status
    assert by_testid(page.text, f"outside-{monday}") == "1" and by_testid(page.text, f"visits-{monday}") == "2"
    assert by_testid(page.text, f"start-{tuesday}") == "08:00"
    assert "未下班打卡" in page.text.split(f'data-testid="status-{tuesday}"')[1].split("</td>")[0]
    assert "有拜访未打卡" in page.text.split(f'data-testid="status-{today}"')[1].split("</td>")[0]
    assert f'href="/reps/rep.a/day?day={MONDAY.isoformat()}"' in page.text
    assert 'data-testid="day-rep.a-2026-12-10"' not in page.text  # days to come say nothing yet
    assert "attendance-rep.b" in page.text  # the company-wide supervisor sees both teams

    day_page = await client.get(f"/reps/rep.a/day?day={MONDAY.isoformat()}")
    assert day_page.status_code == 200
    assert by_testid(day_page.text, "attendance-start") == "08:01"
    assert by_testid(day_page.text, "attendance-end") == "17:30"

    report_page = await client.get(f"/reports?period=day&day={MONDAY.isoformat()}")  # 日报: the day's 考勤 beside it
    assert report_page.status_code == 200
    line = report_page.text.split('data-testid="report-attendance-rep.a"')[1].split("</p>")[0]
    assert "上班 08:01" in line and "下班 17:30" in line and "迟到 1 分钟" in line and "早退 30 分钟" in line
    assert "上班 —" in report_page.text.split('data-testid="report-attendance-rep.b"')[1].split("</p>")[0]

    dashboard = await client.get("/dashboard")
    assert dashboard.status_code == 200
    assert by_testid(dashboard.text, "attendance-today-value") == "1/2 人已上班"
    assert by_testid(dashboard.text, "attendance-today-hint") == "迟到 1 人"

    await client.get("/logout")
    client.cookies.clear()
    await web_login(client, "west.boss")
    west = await client.get("/attendance")
    assert west.status_code == 200
    assert "attendance-rep.a" not in west.text and "attendance-rep.b" in west.text  # the team only
    assert (await client.get("/attendance?territory=东片")).status_code == 403
    assert (await client.get(f"/reps/rep.a/day?day={MONDAY.isoformat()}")).status_code == 404


async def test_a_bad_range_is_refused(client: Client, seeded: World) -> None:
    await web_login(client, "boss")
    assert (await client.get("/attendance?start=2026-12-09&end=2026-12-01")).status_code in (400, 422)
    assert (await client.get("/attendance?start=tuesday")).status_code in (400, 422)
    assert (await client.get("/attendance?start=2026-01-01&end=2026-12-01")).status_code in (400, 422)
