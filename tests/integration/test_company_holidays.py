"""Issue #4: admins keep the company's holiday list on the web (/admin/holidays, CSRF-protected forms, audited);
every phone pulls it as `holiday` records; a phone cannot write one (a permanent 403)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from server.db import read_session, write_session
from server.domains.holidays.models import CompanyHoliday
from server.domains.users.service import create_user
from server.models import AuditEvent
from shared.enums import Role
from shared.holidays import default_holiday_records
from shared.ids import new_id
from tests.integration.conftest import PASSWORD, World, login, make_op, pull_all, push_body
from tests.integration.test_server_web import csrf_token, web_login

Client = AsyncTestClient[Litestar]


def holidays_of(changes: list[dict[str, Any]]) -> dict[str, dict[str, Any] | None]:
    """The holiday records a phone holds after these changes (None: a tombstone)."""
    found: dict[str, dict[str, Any] | None] = {}
    for change in changes:
        if change["kind"] == "holiday":
            found[change["record_id"]] = None if change["deleted"] else change["data"]
    return found


async def admin_client(client: Client, engine: Engine) -> str:
    with write_session(engine) as session:
        create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN)
    answer = await web_login(client, "admin")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    page = await client.get("/admin/holidays")
    assert page.status_code == 200
    return page.text


async def test_an_admin_adds_a_holiday_on_the_web_and_every_phone_pulls_it(
    client: Client, seeded: World, engine: Engine
) -> None:
    page = await admin_client(client, engine)
    assert 'data-testid="holidays-built-in"' in page and page.count('data-testid="holiday-row"') == len(
        default_holiday_records()
    )
    rep = await login(client, "rep.a")
    assert holidays_of((await pull_all(client, rep))[0]) == {}  # nothing stored: phones use the built-in list

    form = {"name": "公司周年", "month_day": "12-28", "note": "给关键人发问候", "day": ""}
    without_token = await client.post("/admin/holidays", data=form, follow_redirects=False)
    assert without_token.status_code == 403  # CSRF
    added = await client.post("/admin/holidays", data={**form, "_csrf_token": csrf_token(page)}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == "/admin/holidays?done=added"

    pulled = holidays_of((await pull_all(client, rep))[0])
    # The first change stored the built-in list, then the new holiday: the phone gets them all.
    assert len(pulled) == len(default_holiday_records()) + 1
    [firm] = [data for data in pulled.values() if data and data["name"] == "公司周年"]
    assert (firm["month_day"], firm["day"], firm["note"]) == ("12-28", None, "给关键人发问候")
    other_rep = await login(client, "rep.b")
    assert holidays_of((await pull_all(client, other_rep))[0]) == pulled  # every territory
    page = (await client.get("/admin/holidays?done=added")).text
    assert "公司周年" in page and 'data-testid="holidays-built-in"' not in page

    # Removing one reaches the phones as a tombstone.
    with read_session(engine) as session:
        mid_autumn = session.exec(select(CompanyHoliday).where(CompanyHoliday.day == "2026-09-25")).one()
    _, cursor = await pull_all(client, rep)
    removed = await client.post(
        f"/admin/holidays/{mid_autumn.id}/delete", data={"_csrf_token": csrf_token(page)}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert holidays_of((await pull_all(client, rep, cursor))[0]) == {mid_autumn.id: None}
    with read_session(engine) as session:
        actions = ["holiday_added", "holiday_removed"]
        events = session.exec(select(AuditEvent).where(col(AuditEvent.action).in_(actions))).all()
    assert [(e.action, e.details["name"]) for e in events] == [  # type: ignore[index]
        ("holiday_added", "公司周年"),
        ("holiday_removed", "中秋节"),
    ]
    english = await client.get("/admin/holidays?lang=en")
    assert "Add a holiday" in english.text and "every year on 12-28" in english.text


async def test_a_bad_holiday_is_refused_with_a_clear_message_and_nothing_stored(
    client: Client, seeded: World, engine: Engine
) -> None:
    page = await admin_client(client, engine)
    token = csrf_token(page)
    cases = [
        ({"name": "春节", "day": "", "month_day": ""}, "请填写日期或每年的月-日，二者选一。"),
        ({"name": "春节", "day": "2031-01-23", "month_day": "01-23"}, "请填写日期或每年的月-日，二者选一。"),
        ({"name": "x", "month_day": "13-45"}, "每年的日期须为 月-日，如 10-01。"),
        ({"name": "", "day": "2031-01-23"}, "请填写节日名称（最多 40 个字）。"),
        ({"name": "元旦", "month_day": "01-01"}, "这个节日已在表中。"),  # the built-in list has it
    ]
    for form, message in cases:
        answer = await client.post("/admin/holidays", data={**form, "_csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 422, (form, answer.text)
        assert message in answer.text, form
    with read_session(engine) as session:
        assert session.exec(select(CompanyHoliday)).all() == []  # nothing stored, not even the built-in list
    unknown = await client.post(f"/admin/holidays/{new_id()}/delete", data={"_csrf_token": token})
    assert unknown.status_code == 404


async def test_a_phone_cannot_write_a_holiday(client: Client, seeded: World, engine: Engine) -> None:
    rep = await login(client, "rep.a")
    op = make_op(1, "holiday", new_id(), {"name": "自定节日", "day": "2026-12-01"})
    answer = await client.post("/api/sync/push", json=push_body([op]), headers=rep)
    assert answer.status_code == 403, answer.text
    error = answer.json()["error"]
    assert error["code"] == "forbidden" and error["path"] == "ops[0].kind"
    assert "kept by admins on the server" in error["message"]
    with read_session(engine) as session:
        assert session.exec(select(CompanyHoliday)).all() == []
    supervisor = await login(client, "boss")
    assert (await client.post("/api/sync/push", json=push_body([op]), headers=supervisor)).status_code == 403
