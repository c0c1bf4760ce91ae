"""The supervisor web view: sign-in with CSRF, the day board's rates, customers, plans, reps kept out."""

from __future__ import annotations

import html
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine

from server.db import read_session
from server.domains.routes.service import get_route_plan
from shared.ids import new_id
from tests.integration.conftest import (
    PASSWORD,
    World,
    customer_fields,
    local_time,
    login,
    make_op,
    push_body,
    visit_fields,
)

Client = AsyncTestClient[Litestar]


def csrf_token(page: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def by_testid(page: str, name: str) -> str:
    match = re.search(rf'data-testid="{re.escape(name)}"[^>]*>([^<]*)<', page)
    assert match, f"no element with data-testid={name}"
    return html.unescape(match.group(1)).strip()


async def web_login(client: Client, username: str, password: str = PASSWORD) -> object:
    form = await client.get("/login")
    assert form.status_code == 200
    return await client.post(
        "/login",
        data={"username": username, "password": password, "next": "/board", "_csrf_token": csrf_token(form.text)},
        follow_redirects=False,
    )


async def test_the_login_page_renders_in_chinese_and_switches_to_english(client: Client) -> None:
    page = await client.get("/login")
    assert page.status_code == 200
    assert "登录" in page.text and 'name="password"' in page.text
    assert '<link rel="stylesheet" href="/static/app.css">' in page.text
    assert (await client.get("/static/app.css")).status_code == 200
    english = await client.get("/login?lang=en")
    assert "Sign in" in english.text and "登录" not in english.text
    remembered = await client.get("/login")  # the cookie keeps the choice
    assert "Sign in" in remembered.text


async def test_pages_need_a_signed_in_supervisor(client: Client, seeded: World) -> None:
    response = await client.get("/board", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login?next=")
    refused = await web_login(client, "rep.a")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert "手机应用" in refused.text  # type: ignore[attr-defined]
    assert "token" not in client.cookies
    # Even with a valid token in the cookie, a rep gets the 403 page.
    token = (await login(client, "rep.a"))["Authorization"].removeprefix("Bearer ")
    client.cookies.set("token", token)
    blocked = await client.get("/board")
    assert blocked.status_code == 403 and 'data-testid="error-page"' in blocked.text


async def test_wrong_password_shows_the_form_again(client: Client, seeded: World) -> None:
    response = await web_login(client, "boss", "wrong-password")
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "用户名或密码错误" in response.text  # type: ignore[attr-defined]


async def test_a_form_post_without_the_csrf_token_is_refused(client: Client, seeded: World, engine: Engine) -> None:
    await client.get("/login")
    response = await client.post("/login", data={"username": "boss", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    assert "token" not in client.cookies
    signed_in = await web_login(client, "boss")
    assert signed_in.status_code == 303  # type: ignore[attr-defined]
    plan = await client.post(
        "/plans",
        data={"rep": "rep.a", "day": seeded.today.isoformat(), "customer_id": seeded.customers_a[3]},
        follow_redirects=False,
    )
    assert plan.status_code == 403
    with read_session(engine) as session:
        stored = get_route_plan(session, seeded.rep_a.id, seeded.today)
        assert stored is not None and stored.customer_ids == seeded.customers_a[:3]


async def test_the_board_shows_the_seeds_rates_for_a_day(client: Client, seeded: World) -> None:
    """Planned 4; visited 3 on the route, 2 of them ordered; 1 off-route visit with an order -> 75% and 67%."""
    signed_in = await web_login(client, "boss")
    assert signed_in.status_code == 303  # type: ignore[attr-defined]
    day = seeded.today
    plans_page = await client.get(f"/plans?rep=rep.a&day={day.isoformat()}")
    assert plans_page.status_code == 200
    saved = await client.post(
        "/plans",
        data={
            "rep": "rep.a",
            "day": day.isoformat(),
            "customer_id": seeded.customers_a,  # all 4
            "_csrf_token": csrf_token(plans_page.text),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    confirmed = await client.get(saved.headers["location"])
    assert 'data-testid="plan-saved"' in confirmed.text and by_testid(confirmed.text, "plan-count") == "已计划 4 家客户"
    c = seeded.customers_a
    off_route = new_id()
    visit_ids = [new_id() for _ in range(5)]
    ops = [
        make_op(1, "customer", off_route, customer_fields("路边新诊所")),
        make_op(2, "visit", visit_ids[0], visit_fields(c[0], day, 8, ordered=True, order_amount=1200)),
        make_op(3, "visit", visit_ids[0], {"check_out_at": local_time(day, 8, 25)}),
        make_op(4, "visit", visit_ids[1], visit_fields(c[1], day, 9, ordered=True, attitude="positive")),
        make_op(5, "visit", visit_ids[2], visit_fields(c[2], day, 10, ordered=False)),
        make_op(6, "visit", visit_ids[3], visit_fields(c[0], day, 15, ordered=False)),  # second visit, same customer
        make_op(7, "visit", visit_ids[4], visit_fields(off_route, day, 11, ordered=True)),
    ]
    pushed = await client.post("/api/sync/push", json=push_body(ops), headers=await login(client, "rep.a"))
    assert pushed.status_code == 200, pushed.text
    board = await client.get(f"/board?day={day.isoformat()}")
    assert board.status_code == 200
    page = board.text
    assert by_testid(page, "planned-rep.a") == "4"
    assert by_testid(page, "visited-on-route-rep.a") == "3"
    assert by_testid(page, "visited-off-route-rep.a") == "1"
    assert by_testid(page, "ordered-on-route-rep.a") == "2"
    assert by_testid(page, "ordered-off-route-rep.a") == "1"
    assert by_testid(page, "completion-rate-rep.a") == "75%"
    assert by_testid(page, "success-rate-rep.a") == "67%"
    assert by_testid(page, "completion-rate-rep.b") == "—"  # nothing planned
    assert by_testid(page, "completion-rate-total") == "75%"
    assert by_testid(page, "visit-count") == "5"
    assert by_testid(page, "visit-duration-" + visit_ids[0]) == "25"
    assert 'data-testid="visit-route-' + visit_ids[4] + '" data-on-route="false"' in page
    assert by_testid(page, "prospect-count") == "1" and f'data-testid="prospect-row-{off_route}"' in page
    assert "拜访完成率" in page and "拜访成功率" in page
    previous = await client.get(f"/board?day={day.replace(year=day.year - 1).isoformat()}")
    assert by_testid(previous.text, "visit-count") == "0"


async def test_the_customer_page_shows_visits_newest_first_and_notes(client: Client, seeded: World) -> None:
    customer_id = seeded.customers_a[0]
    early, late, note_id = new_id(), new_id(), new_id()
    ops = [
        make_op(1, "visit", early, visit_fields(customer_id, seeded.today, 8, person_met="王院长")),
        make_op(2, "visit", late, visit_fields(customer_id, seeded.today, 16, person_met="李医生")),
        make_op(
            3,
            "note",
            note_id,
            {"customer_id": customer_id, "text": "院长周二坐诊", "created_at": local_time(seeded.today, 17)},
        ),
    ]
    assert (
        await client.post("/api/sync/push", json=push_body(ops), headers=await login(client, "rep.a"))
    ).status_code == 200
    await web_login(client, "boss")
    page = await client.get(f"/customers/{customer_id}")
    assert page.status_code == 200
    assert by_testid(page.text, "customer-name") == "东片诊所0"
    assert by_testid(page.text, "customer-visit-count") == "2"
    assert page.text.index(f"customer-visit-{late}") < page.text.index(f"customer-visit-{early}")
    assert "院长周二坐诊" in page.text and f"customer-note-{note_id}" in page.text
    listing = await client.get("/customers?q=西片")
    assert "西片药店0" in listing.text and "东片诊所0" not in listing.text
    missing = await client.get(f"/customers/{new_id()}")
    assert missing.status_code == 404 and 'data-testid="error-page"' in missing.text


async def test_logout_clears_the_cookie(client: Client, seeded: World) -> None:
    await web_login(client, "boss")
    board = await client.get("/board")
    assert board.status_code == 200
    response = await client.post("/logout", data={"_csrf_token": csrf_token(board.text)}, follow_redirects=False)
    assert response.status_code == 303
    assert (await client.get("/board", follow_redirects=False)).status_code in (302, 303)
