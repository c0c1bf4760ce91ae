"""Sign-in is held off after repeated failures, across server processes, and every attempt is audited."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from server.app import create_app
from server.db import make_engine, read_session, write_session
from server.domains.users.service import create_user
from server.domains.users.signin import MAX_USER_FAILURES
from server.models import AuditEvent
from server.settings import Settings
from shared.enums import Role
from tests.integration.conftest import PASSWORD, World
from tests.integration.test_server_web import by_testid, csrf_token, web_login


async def attempt(client: AsyncTestClient[Litestar], password: str, username: str = "rep.a") -> tuple[int, dict]:
    response = await client.post("/api/auth/login", json={"username": username, "password": password})
    return response.status_code, {"body": response.json(), "headers": response.headers}


async def test_repeated_failures_lock_the_username_even_for_the_right_password(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    for _ in range(MAX_USER_FAILURES):
        status, _ = await attempt(client, "wrong-password")
        assert status == 401
    status, answer = await attempt(client, PASSWORD)
    assert status == 429
    assert answer["body"]["error"]["code"] == "rate_limited"
    assert "try again in 15 minutes" in answer["body"]["error"]["message"]
    assert 800 < int(answer["headers"]["retry-after"]) <= 900
    assert (await attempt(client, PASSWORD, "rep.b"))[0] == 200  # another user is not affected
    with read_session(engine) as session:
        actions = [event.action for event in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]
    assert actions == ["sign_in_failed"] * MAX_USER_FAILURES + ["sign_in_locked", "sign_in"]


async def test_a_success_clears_the_count(client: AsyncTestClient[Litestar], seeded: World) -> None:
    for _ in range(MAX_USER_FAILURES - 1):
        assert (await attempt(client, "wrong-password"))[0] == 401
    assert (await attempt(client, PASSWORD))[0] == 200
    for _ in range(MAX_USER_FAILURES - 1):
        assert (await attempt(client, "wrong-password"))[0] == 401
    assert (await attempt(client, PASSWORD))[0] == 200


async def test_the_lockout_holds_on_every_server_process(
    client: AsyncTestClient[Litestar], seeded: World, settings: Settings
) -> None:
    other_engine = make_engine(settings.database_url)
    try:
        async with AsyncTestClient(app=create_app(settings, engine=other_engine)) as other_process:
            for index in range(MAX_USER_FAILURES):
                on = client if index % 2 == 0 else other_process  # the balancer spreads the attempts
                assert (await attempt(on, "wrong-password"))[0] == 401
            assert (await attempt(other_process, PASSWORD))[0] == 429
            assert (await attempt(client, PASSWORD))[0] == 429
    finally:
        other_engine.dispose()


async def test_the_web_sign_in_says_how_long_to_wait(client: AsyncTestClient[Litestar], seeded: World) -> None:
    for _ in range(MAX_USER_FAILURES):
        assert (await attempt(client, "wrong-password", "boss"))[0] == 401
    form = await client.get("/login")
    response = await client.post(
        "/login",
        data={"username": "boss", "password": PASSWORD, "next": "/board", "_csrf_token": csrf_token(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 429
    assert by_testid(response.text, "login-error") == "登录失败次数过多，请 15 分钟后再试"


async def test_every_page_and_answer_carries_the_security_headers(client: AsyncTestClient[Litestar]) -> None:
    for path, status in (
        ("/login", 200),
        ("/health", 200),
        ("/board", 302),
        ("/api/auth/me", 401),
        ("/static/app.css", 200),
    ):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == status
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_admins_see_the_audit_log_and_supervisors_do_not(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    with write_session(engine) as session:
        create_user(session, username="root", password=PASSWORD, role=Role.ADMIN, display_name="管理员")
    await attempt(client, "wrong-password")
    await web_login(client, "boss")
    assert (await client.get("/audit")).status_code == 403
    await web_login(client, "root")
    page = await client.get("/audit")
    assert page.status_code == 200
    assert "登录失败" in page.text and "rep.a" in page.text
