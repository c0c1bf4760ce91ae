"""Issue #7: a phone that lost a refresh's answer is not signed out (the previous refresh token works once
within the grace while its successor was never used; otherwise reuse still revokes the sign-in), and the
operator's `python -m server reset-password` / `sessions revoke` (policy, sessions ended, audited)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlmodel import select

from server.__main__ import main as server_cli
from server.db import read_session, write_session
from server.domains.audit.models import AuditEvent
from server.domains.users.models import AuthSession, RefreshToken
from server.domains.users.service import authenticate
from server.domains.users.sessions import REFRESH_GRACE, hash_refresh_token
from server.settings import Settings
from sync.protocol import SCHEMA_VERSION
from tests.integration.conftest import PASSWORD, World
from tests.integration.helpers import actions

Client = AsyncTestClient[Litestar]
PULL = {"cursor": 0, "schema_version": SCHEMA_VERSION}


async def phone_login(client: Client, username: str = "rep.a") -> dict[str, Any]:
    # Each rep's own phone: a phone someone is signed in on is not another user's to sign in with.
    body = {"username": username, "password": PASSWORD, "device_id": f"phone-of-{username}", "platform": "android"}
    response = await client.post("/api/auth/login", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def use(client: Client, refresh_token: str) -> Any:
    return await client.post("/api/auth/refresh", json={"refresh_token": refresh_token})


async def pulls(client: Client, token: str) -> bool:
    response = await client.post("/api/sync/pull", json=PULL, headers={"Authorization": f"Bearer {token}"})
    return response.status_code == 200


def used_long_ago(app: Litestar, refresh_token: str) -> None:
    """As if the token had been used just past the grace (no waiting in tests)."""
    past = dt.datetime.now(dt.UTC) - REFRESH_GRACE - dt.timedelta(seconds=5)
    with write_session(app.state.engine) as session:
        stored = session.get(RefreshToken, hash_refresh_token(refresh_token))
        assert stored is not None and stored.used_at is not None
        stored.used_at = past.isoformat(timespec="seconds")
        session.add(stored)


async def test_a_lost_refresh_answer_is_retried_once_within_the_grace(
    app: Litestar, client: Client, seeded: World
) -> None:
    first = await phone_login(client)
    lost = (await use(client, first["refresh_token"])).json()  # the answer never reached the phone
    retried = await use(client, first["refresh_token"])
    assert retried.status_code == 200, retried.text
    fresh = retried.json()
    assert fresh["refresh_token"] not in (first["refresh_token"], lost["refresh_token"])
    assert await pulls(client, fresh["token"])
    assert "refresh_grace" in actions(app) and "refresh_reuse" not in actions(app)
    # The phone goes on rotating with the fresh pair.
    onwards = await use(client, fresh["refresh_token"])
    assert onwards.status_code == 200 and await pulls(client, onwards.json()["token"])


async def test_the_grace_is_spent_once(app: Litestar, client: Client, seeded: World) -> None:
    first = await phone_login(client)
    assert (await use(client, first["refresh_token"])).status_code == 200
    fresh = (await use(client, first["refresh_token"])).json()
    again = await use(client, first["refresh_token"])  # a third use: a copy is around
    assert again.status_code == 401
    assert not await pulls(client, fresh["token"])
    assert "refresh_reuse" in actions(app)


async def test_the_unused_successor_handed_out_before_the_retry_revokes_the_sign_in(
    client: Client, seeded: World
) -> None:
    """Someone replayed a copy within the grace: the real phone's token then ends the sign-in for both."""
    first = await phone_login(client)
    successor = (await use(client, first["refresh_token"])).json()
    replayed = (await use(client, first["refresh_token"])).json()
    assert (await use(client, successor["refresh_token"])).status_code == 401
    assert not await pulls(client, replayed["token"])


async def test_reuse_after_the_successor_was_used_revokes_the_sign_in(client: Client, seeded: World) -> None:
    first = await phone_login(client)
    successor = (await use(client, first["refresh_token"])).json()
    third = (await use(client, successor["refresh_token"])).json()  # the phone kept the successor and used it
    assert (await use(client, first["refresh_token"])).status_code == 401
    assert not await pulls(client, third["token"])


async def test_reuse_outside_the_grace_revokes_the_sign_in(app: Litestar, client: Client, seeded: World) -> None:
    first = await phone_login(client)
    successor = (await use(client, first["refresh_token"])).json()
    used_long_ago(app, first["refresh_token"])
    refused = await use(client, first["refresh_token"])
    assert refused.status_code == 401 and "used before" in refused.json()["error"]["message"]
    assert (await use(client, successor["refresh_token"])).status_code == 401
    assert "refresh_reuse" in actions(app)


# ---- the command line --------------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SECRET_KEY", settings.secret_key)


def open_sessions(app: Litestar, user_id: str) -> list[AuthSession]:
    with read_session(app.state.engine) as session:
        rows = session.exec(select(AuthSession).where(AuthSession.user_id == user_id)).all()
        return [row for row in rows if row.revoked_at is None]


def signs_in(app: Litestar, username: str, password: str) -> bool:
    with write_session(app.state.engine) as session:
        return authenticate(session, username, password) is not None


async def test_reset_password_from_stdin_applies_the_policy_and_ends_the_users_sign_ins(
    app: Litestar,
    client: Client,
    seeded: World,
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    phone = await phone_login(client)
    other_rep = await phone_login(client, "rep.b")

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert server_cli(["reset-password", "rep.a", "--stdin"]) == 2
    assert "at least 8" in capsys.readouterr().err
    assert signs_in(app, "rep.a", PASSWORD) and open_sessions(app, seeded.rep_a.id)  # nothing changed

    monkeypatch.setattr("sys.stdin", io.StringIO("nobody-guesses-this\n"))
    assert server_cli(["reset-password", "rep.a", "--stdin"]) == 0
    assert "1 sign-in(s) ended" in capsys.readouterr().out
    assert signs_in(app, "rep.a", "nobody-guesses-this") and not signs_in(app, "rep.a", PASSWORD)
    assert not open_sessions(app, seeded.rep_a.id)
    assert not await pulls(client, phone["token"])
    assert (await use(client, phone["refresh_token"])).status_code == 401
    assert await pulls(client, other_rep["token"])  # another user's sign-in is untouched
    assert "password_reset" in actions(app)

    monkeypatch.setattr("sys.stdin", io.StringIO("whatever-long\n"))
    assert server_cli(["reset-password", "nobody", "--stdin"]) == 2
    assert "no user" in capsys.readouterr().err


def test_reset_password_asks_twice_and_changes_nothing_when_they_differ(
    app: Litestar, seeded: World, cli_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = iter(["first-long-one", "second-long-one"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert server_cli(["reset-password", "rep.a"]) == 2
    assert "differ" in capsys.readouterr().err
    assert signs_in(app, "rep.a", PASSWORD)

    typed = iter(["same-long-one", "same-long-one"])
    assert server_cli(["reset-password", "rep.a"]) == 0
    assert signs_in(app, "rep.a", "same-long-one")


async def test_sessions_revoke_ends_every_sign_in_of_the_user(
    app: Litestar, client: Client, seeded: World, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    phone = await phone_login(client)
    assert server_cli(["sessions", "revoke", "rep.a"]) == 0
    assert "1 sign-in(s) ended" in capsys.readouterr().out
    assert not await pulls(client, phone["token"])
    assert signs_in(app, "rep.a", PASSWORD)  # the password stays
    assert "sessions_revoked" in actions(app)


# ---- issue 15, item 3: the web admin's reset, deactivation and "end all sign-ins" ---------------------------


async def admin_signed_in(app: Litestar, client: Client) -> str:
    """The web view signed in as an admin; the users page's CSRF token."""
    from server.domains.users.service import create_user
    from shared.enums import Role
    from tests.integration.test_server_web import csrf_token, web_login

    with write_session(app.state.engine) as session:
        create_user(session, username="root", password=PASSWORD, role=Role.ADMIN)
    await web_login(client, "root")
    page = await client.get("/admin/users")
    assert page.status_code == 200, page.text
    return csrf_token(page.text)


async def test_a_password_reset_in_the_web_admin_ends_every_sign_in_of_the_user(
    app: Litestar, client: Client, seeded: World
) -> None:
    phone = await phone_login(client)
    other_rep = await phone_login(client, "rep.b")
    csrf = await admin_signed_in(app, client)
    reset = await client.post(
        f"/admin/users/{seeded.rep_a.id}/password",
        data={"password": "a-new-long-one-7", "_csrf_token": csrf},
        follow_redirects=False,
    )
    assert reset.status_code == 303
    assert not await pulls(client, phone["token"])  # the old access token
    assert (await use(client, phone["refresh_token"])).status_code == 401  # the old refresh token
    assert not open_sessions(app, seeded.rep_a.id)
    assert await pulls(client, other_rep["token"])
    with read_session(app.state.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "password_changed")).one()
    assert event.actor_name == "root" and event.details == {"user_id": seeded.rep_a.id, "sessions_ended": 1}


async def test_deactivating_and_reactivating_a_user_does_not_bring_old_sign_ins_back(
    app: Litestar, client: Client, seeded: World
) -> None:
    phone = await phone_login(client)
    csrf = await admin_signed_in(app, client)
    for active in ("0", "1"):
        answer = await client.post(
            f"/admin/users/{seeded.rep_a.id}/active",
            data={"active": active, "_csrf_token": csrf},
            follow_redirects=False,
        )
        assert answer.status_code == 303
    assert not await pulls(client, phone["token"])
    assert (await use(client, phone["refresh_token"])).status_code == 401
    assert signs_in(app, "rep.a", PASSWORD)  # reactivated: a new sign-in works
    assert (await phone_login(client))["token"]


@pytest.mark.parametrize(("lang", "label"), [("zh-CN", "结束全部登录"), ("en", "End all sign-ins")])
async def test_an_admin_ends_all_sign_ins_of_a_user_on_the_users_page(
    app: Litestar, client: Client, seeded: World, lang: str, label: str
) -> None:
    phone = await phone_login(client)
    csrf = await admin_signed_in(app, client)
    page = await client.get(f"/admin/users?lang={lang}")
    assert label in page.text and f'action="/admin/users/{seeded.rep_a.id}/sessions/end"' in page.text
    forged = await client.post(f"/admin/users/{seeded.rep_a.id}/sessions/end", data={}, follow_redirects=False)
    assert forged.status_code == 403  # no CSRF token
    assert await pulls(client, phone["token"])
    ended = await client.post(
        f"/admin/users/{seeded.rep_a.id}/sessions/end", data={"_csrf_token": csrf}, follow_redirects=False
    )
    assert ended.status_code == 303
    assert not await pulls(client, phone["token"])
    assert (await use(client, phone["refresh_token"])).status_code == 401
    assert signs_in(app, "rep.a", PASSWORD)  # the password stays
    with read_session(app.state.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "sessions_revoked")).one()
    assert event.actor_name == "root" and event.details == {
        "user_id": seeded.rep_a.id,
        "username": "rep.a",
        "sessions_ended": 1,
    }
    done = await client.get(ended.headers["location"])
    assert 'data-testid="admin-done"' in done.text
