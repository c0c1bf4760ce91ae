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


async def test_a_failed_sign_in_logs_an_unknown_username_masked(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    """Issue 15, item 13: a password typed into the username box landed in /audit verbatim."""
    typed = "Tr0ub4dor&3-my-password"
    for _ in range(2):
        assert (await attempt(client, "whatever", typed))[0] == 401
    assert (await attempt(client, "wrong-password", "rep.a"))[0] == 401
    with read_session(engine) as session:
        names = [event.actor_name for event in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]
    assert all(typed not in (name or "") and typed.lower() not in (name or "") for name in names), names
    assert names[0] == names[1] and names[0] and names[0].startswith("Tr")  # repeated attempts tell alike
    assert names[2] == "rep.a"  # a real account's name stays readable


async def test_pages_exports_and_api_answers_are_not_kept_by_caches(
    client: AsyncTestClient[Litestar], seeded: World
) -> None:
    """Issue 15, item 13: pages and exports with personal data came without Cache-Control: a shared computer's
    browser (or a proxy) kept them after sign-out."""
    from tests.integration.conftest import login

    headers = await login(client, "rep.a")
    await web_login(client, "boss")
    for path in (
        f"/customers/{seeded.customers_a[0]}",
        "/customers?format=csv",
        "/customers?format=xlsx",
        "/board",
        "/login",
    ):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert response.headers.get("cache-control") == "no-store", path
    from sync.protocol import SCHEMA_VERSION

    pull = await client.post("/api/sync/pull", json={"cursor": 0, "schema_version": SCHEMA_VERSION}, headers=headers)
    assert pull.headers.get("cache-control") == "no-store"
    static = await client.get("/static/app.css")
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"


async def test_the_api_docs_at_schema_work_under_the_content_security_policy(
    client: AsyncTestClient[Litestar],
) -> None:
    """Issue 15, item 13: the Swagger and Redoc pages loaded their scripts from a CDN and ran inline scripts,
    which the CSP (rightly) refuses: blank pages. The docs are a page of our own now, without any script."""
    for path in ("/schema", "/schema/swagger", "/schema/redoc"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page = response.text
        assert "<script" not in page and "style=" not in page and "<style" not in page, path
        assert "https://" not in page and "http://" not in page, path  # nothing from elsewhere
        assert "/api/sync/push" in page and "/schema/openapi.json" in page, path
    assert (await client.get("/schema/openapi.json")).json()["paths"]["/api/sync/push"]


async def test_a_csrf_token_works_only_in_the_session_it_was_made_for(
    client: AsyncTestClient[Litestar], seeded: World
) -> None:
    """Issue 15, item 13: the CSRF token was not tied to the sign-in: a cookie and token pair made anywhere (an
    attacker's own visit) passed for any session once the pair's cookie was planted in a victim's browser."""
    from server.auth import TOKEN_COOKIE

    anonymous = await client.get("/login")
    planted_cookie = client.cookies.get("csrftoken")
    planted_token = csrf_token(anonymous.text)
    client.cookies.clear()

    await web_login(client, "boss")
    first_session = client.cookies.get(TOKEN_COOKIE)
    own_token = csrf_token((await client.get("/board")).text)
    if planted_cookie:
        client.cookies.set("csrftoken", planted_cookie)
    forged = await client.post("/logout", data={"_csrf_token": planted_token}, follow_redirects=False)
    assert forged.status_code == 403, forged.text
    assert (await client.get("/board", follow_redirects=False)).status_code == 200  # still signed in

    client.cookies.clear()
    await web_login(client, "boss")  # another sign-in: the first one's token is no good here
    stale = await client.post("/logout", data={"_csrf_token": own_token}, follow_redirects=False)
    assert stale.status_code == 403, stale.text
    fresh = csrf_token((await client.get("/board")).text)
    assert (await client.post("/logout", data={"_csrf_token": fresh}, follow_redirects=False)).status_code == 303
    assert first_session and first_session != client.cookies.get(TOKEN_COOKIE)
