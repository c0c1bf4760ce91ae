"""Sign-in sessions (issue 7): short access tokens, rotating refresh tokens with reuse detection, sign-out,
disabled users, phones bound to sign-ins and revoked by supervisors/admins, and the password policy.

All against the real app in-process; tokens are expired by making them with a past `exp` (no waiting)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import jwt
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlmodel import select

from server.actor import Actor
from server.auth import TOKEN_COOKIE
from server.db import read_session, write_session
from server.domains.audit.models import AuditEvent
from server.domains.devices.models import Device
from server.domains.users.models import AuthSession, User
from server.domains.users.service import create_user, password_problem, set_password
from server.errors import ValidationFailed
from server.settings import Settings
from shared.enums import Role
from shared.ids import new_id
from sync.protocol import SCHEMA_VERSION
from tests.integration.conftest import PASSWORD, TERRITORY_A, TERRITORY_B, World, make_op, push_body
from tests.integration.helpers import actions

Client = AsyncTestClient[Litestar]
PULL = {"cursor": 0, "schema_version": SCHEMA_VERSION}


async def phone_login(client: Client, username: str, device_id: str | None = "phone-1") -> dict[str, Any]:
    body: dict[str, Any] = {"username": username, "password": PASSWORD}
    if device_id:
        body |= {"device_id": device_id, "device_name": "红米 Note", "platform": "android"}
    response = await client.post("/api/auth/login", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def expired_token(settings: Settings, user_id: str, session_id: str) -> str:
    """A genuine access token of a live session, 10 minutes past its expiry."""
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    claims = {"sub": user_id, "iat": past - dt.timedelta(minutes=15), "exp": past, "sid": session_id}
    return jwt.encode(claims, settings.secret_key, algorithm="HS256")


async def test_login_gives_a_short_access_token_a_refresh_token_and_registers_the_phone(
    app: Litestar, client: Client, seeded: World, settings: Settings
) -> None:
    answer = await phone_login(client, "rep.a")
    assert answer["expires_in"] == int(settings.access_token_lifetime.total_seconds()) == 15 * 60
    assert answer["refresh_token"] and answer["token"] != answer["refresh_token"]
    assert (await client.get("/api/auth/me", headers=bearer(answer["token"]))).json()["user"]["username"] == "rep.a"
    with read_session(app.state.engine) as session:
        device = session.get(Device, "phone-1")
        sessions = session.exec(select(AuthSession)).all()
    assert device is not None and device.user_id == seeded.rep_a.id and device.platform == "android"
    assert [(row.device_id, row.kind) for row in sessions] == [("phone-1", "api")]
    # The benchmark's and older callers' body (no device) still signs in.
    assert (await client.post("/api/auth/login", json={"username": "rep.a", "password": PASSWORD})).status_code == 200


async def test_an_expired_access_token_is_answered_token_expired_and_a_refresh_brings_a_new_one(
    client: Client, seeded: World, settings: Settings
) -> None:
    answer = await phone_login(client, "rep.a")
    session_id = jwt.decode(answer["token"], options={"verify_signature": False})["extras"]["sid"]
    old = expired_token(settings, seeded.rep_a.id, session_id)
    response = await client.post("/api/sync/pull", json=PULL, headers=bearer(old))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"
    # A token signed with another key is not "expired", it is no token at all.
    forged = jwt.encode(
        {"sub": seeded.rep_a.id, "exp": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1), "sid": session_id},
        "another-key-another-key-another-key-0123",
        algorithm="HS256",
    )
    forged_answer = await client.post("/api/sync/pull", json=PULL, headers=bearer(forged))
    assert forged_answer.status_code == 401 and forged_answer.json()["error"]["code"] == "unauthorized"

    refreshed = await client.post("/api/auth/refresh", json={"refresh_token": answer["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    assert (
        await client.post("/api/sync/pull", json=PULL, headers=bearer(refreshed.json()["token"]))
    ).status_code == 200


async def test_refresh_tokens_rotate_and_reusing_one_revokes_the_whole_sign_in(
    app: Litestar, client: Client, seeded: World
) -> None:
    first = await phone_login(client, "rep.a")
    second = (await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    assert second["refresh_token"] != first["refresh_token"]
    third = (await client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})).json()
    assert (await client.post("/api/sync/pull", json=PULL, headers=bearer(third["token"]))).status_code == 200

    # A copy of an old refresh token shows up (stolen, or replayed): the sign-in ends for everyone holding it.
    reused = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert "used before" in reused.json()["error"]["message"]
    assert (await client.post("/api/sync/pull", json=PULL, headers=bearer(third["token"]))).status_code == 401
    assert (await client.post("/api/auth/refresh", json={"refresh_token": third["refresh_token"]})).status_code == 401
    assert "refresh_reuse" in actions(app)
    # Signing in again works: a new session.
    assert (await phone_login(client, "rep.a"))["token"]


async def test_sign_out_stops_the_access_and_refresh_tokens_at_once(
    app: Litestar, client: Client, seeded: World
) -> None:
    answer = await phone_login(client, "rep.a")
    other = await phone_login(client, "rep.a", device_id="phone-2")  # another sign-in of the same rep
    assert (await client.post("/api/auth/logout", headers=bearer(answer["token"]))).status_code == 204
    assert (await client.get("/api/auth/me", headers=bearer(answer["token"]))).status_code == 401
    assert (await client.post("/api/auth/refresh", json={"refresh_token": answer["refresh_token"]})).status_code == 401
    assert (await client.get("/api/auth/me", headers=bearer(other["token"]))).status_code == 200
    assert "sign_out" in actions(app)


async def test_web_sign_out_ends_the_session_so_a_copied_cookie_stops_working(client: Client, seeded: World) -> None:
    page = await client.get("/login")
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert csrf
    form = {"username": "boss", "password": PASSWORD, "next": "/board", "_csrf_token": csrf.group(1)}
    assert (await client.post("/login", data=form, follow_redirects=False)).status_code == 303
    cookie = client.cookies.get(TOKEN_COOKIE)
    board = await client.get("/board")
    assert cookie and board.status_code == 200
    signed_in_csrf = re.search(r'name="_csrf_token" value="([^"]+)"', board.text)  # made for this sign-in
    assert signed_in_csrf
    logout = await client.post("/logout", data={"_csrf_token": signed_in_csrf.group(1)}, follow_redirects=False)
    assert logout.status_code == 303
    client.cookies.set(TOKEN_COOKIE, cookie)  # the cookie kept by someone (or the browser's back button)
    again = await client.get("/board", follow_redirects=False)
    assert again.status_code in (302, 303) and again.headers["location"].startswith("/login")


async def test_a_disabled_user_is_locked_out_at_once(app: Litestar, client: Client, seeded: World) -> None:
    answer = await phone_login(client, "rep.a")
    with write_session(app.state.engine) as session:
        user = session.get(User, seeded.rep_a.id)
        assert user is not None
        user.active = False
        session.add(user)
    assert (await client.post("/api/sync/pull", json=PULL, headers=bearer(answer["token"]))).status_code == 401
    assert (await client.post("/api/auth/refresh", json={"refresh_token": answer["refresh_token"]})).status_code == 401


async def test_supervisors_revoke_their_territorys_phones_and_a_revoked_phone_is_told(
    app: Litestar, client: Client, seeded: World
) -> None:
    with write_session(app.state.engine) as session:
        sup_b = create_user(session, username="sup.b", password=PASSWORD, role=Role.SUPERVISOR, territory=TERRITORY_B)
        create_user(session, username="sup.a", password=PASSWORD, role=Role.SUPERVISOR, territory=TERRITORY_A)
        sup_b_id = sup_b.id
    phone = await phone_login(client, "rep.a", device_id="phone-a")
    await phone_login(client, "rep.b", device_id="phone-b")
    sup_a = bearer((await phone_login(client, "sup.a", device_id=None))["token"])
    sup_b_headers = bearer((await phone_login(client, "sup.b", device_id=None))["token"])

    listed = (await client.get("/api/devices", headers=sup_a)).json()["devices"]
    assert [device["id"] for device in listed] == ["phone-a"]  # only the phones of 东片's reps
    refused = await client.post("/api/devices/phone-a/revoke", headers=sup_b_headers)
    assert refused.status_code == 404  # another territory's phone is unknown to this supervisor, as its records are
    rep_refused = await client.get("/api/devices", headers=bearer(phone["token"]))
    assert rep_refused.status_code == 403

    revoked = await client.post("/api/devices/phone-a/revoke", headers=sup_a)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    pull = await client.post("/api/sync/pull", json=PULL, headers=bearer(phone["token"]))
    assert pull.status_code == 403 and pull.json()["error"]["code"] == "device_revoked"
    refresh = await client.post("/api/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert refresh.status_code == 403 and refresh.json()["error"]["code"] == "device_revoked"
    login = await client.post(
        "/api/auth/login", json={"username": "rep.a", "password": PASSWORD, "device_id": "phone-a"}
    )
    assert login.status_code == 403 and login.json()["error"]["code"] == "device_revoked"
    # The rep on a new phone (a new install has a new device id) works as before.
    assert (await phone_login(client, "rep.a", device_id="phone-a2"))["token"]
    with read_session(app.state.engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "device_revoked")).all()
    assert [event.details for event in events] == [{"device_id": "phone-a", "user_id": seeded.rep_a.id}]
    assert sup_b_id


async def test_a_revoked_phones_push_is_kept_in_quarantine_and_acknowledged(
    app: Litestar, client: Client, seeded: World
) -> None:
    phone = await phone_login(client, "rep.a", device_id="phone-a")
    admin_headers = bearer(app.state.jwt_auth.create_token(identifier=_admin(app).id))
    assert (await client.post("/api/devices/phone-a/revoke", headers=admin_headers)).status_code == 200
    note = {"customer_id": seeded.customers_a[0], "text": "最后一条", "created_at": "2026-11-27T09:00:00+08:00"}
    ops = [
        make_op(seq, "note", f"00000000-0000-4000-8000-00000000000{seq}", note, device_id="phone-a") for seq in (1, 2)
    ]
    for _ in range(2):  # a re-sent push is acknowledged again and kept once
        response = await client.post("/api/sync/push", json=push_body(ops, "phone-a"), headers=bearer(phone["token"]))
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "device_revoked"
        assert error["details"]["quarantined"] == [{"seq": op["seq"], "op_id": op["op_id"]} for op in ops]
    from server.domains.sync.quarantine import list_quarantine
    from server.models import Note

    with read_session(app.state.engine) as session:
        assert [row.seq for row, _ in list_quarantine(session)] == [1, 2]
        assert session.exec(select(Note)).all() == []  # not applied


async def test_a_push_naming_a_revoked_phone_is_quarantined_whatever_sign_in_sends_it(
    app: Litestar, client: Client, seeded: World
) -> None:
    """The token's own phone is checked with the token; a push naming another device id has that one read too."""
    await phone_login(client, "rep.a", device_id="phone-a")
    admin_headers = bearer(app.state.jwt_auth.create_token(identifier=_admin(app).id))
    assert (await client.post("/api/devices/phone-a/revoke", headers=admin_headers)).status_code == 200
    note = {"customer_id": seeded.customers_a[0], "text": "另一个登录", "created_at": "2026-11-27T09:00:00+08:00"}
    for device_id, expected in (("phone-a", 403), ("phone-b", 200)):
        # A sign-in without a phone (scripts, bench) is bound to the first phone it pushes for.
        script = await phone_login(client, "rep.a", device_id=None)
        op = make_op(1, "note", new_id(), note, device_id=device_id)
        response = await client.post("/api/sync/push", json=push_body([op], device_id), headers=bearer(script["token"]))
        assert response.status_code == expected, response.text
    assert response.json()["results"][0]["status"] == "applied"
    from server.models import Note

    with read_session(app.state.engine) as session:
        assert [row.text for row in session.exec(select(Note)).all()] == ["另一个登录"]  # phone-b's, once


def _admin(app: Litestar) -> Actor:
    with write_session(app.state.engine) as session:
        return Actor.of(create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN))


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short1", "at least 8 characters"),
        ("rep.new1", "must not be the username"),
        ("12345678", "too common"),
        ("Password1", "too common"),
    ],
)
async def test_the_password_policy_names_the_rule_broken(
    app: Litestar, client: Client, password: str, rule: str
) -> None:
    with write_session(app.state.engine) as session, pytest.raises(ValidationFailed) as refused:
        create_user(session, username="rep.new1", password=password, role=Role.REP, territory=TERRITORY_A)
    assert rule in refused.value.message
    assert refused.value.path == "password" and refused.value.code == "weak_password"
    assert password_problem(password, "rep.new1", "zh-CN")  # said in Chinese too


async def test_the_demo_password_and_resets_follow_the_policy(app: Litestar, client: Client) -> None:
    assert password_problem("demo1234", "rep.zhang") is None
    with write_session(app.state.engine) as session:
        user = create_user(session, username="rep.new", password="demo1234", role=Role.REP, territory=TERRITORY_A)
        with pytest.raises(ValidationFailed, match="too common"):
            set_password(session, user.id, "password")
        set_password(session, user.id, "a-better-one-42")
    assert "password_changed" in actions(app)


async def test_the_daily_job_forgets_sessions_ended_a_month_ago(
    app: Litestar, client: Client, seeded: World, settings: Settings
) -> None:
    from server.domains.users.models import RefreshToken
    from server.domains.users.sessions import forget_ended_sessions

    ended = await phone_login(client, "rep.a")
    live = await phone_login(client, "rep.a", device_id="phone-2")
    assert (await client.post("/api/auth/logout", headers=bearer(ended["token"]))).status_code == 204
    now = dt.datetime.now(dt.UTC)
    assert forget_ended_sessions(app.state.engine, settings, now) == 0  # signed out today: kept for now
    assert forget_ended_sessions(app.state.engine, settings, now + dt.timedelta(days=31)) == 1
    with read_session(app.state.engine) as session:
        assert len(session.exec(select(AuthSession)).all()) == 1
        assert len(session.exec(select(RefreshToken)).all()) == 1
    assert (await client.get("/api/auth/me", headers=bearer(live["token"]))).status_code == 200


# ---- issue 15, item 2: a push names the phone its sign-in is bound to --------------------------------------


def _stored_rows(app: Litestar) -> dict[str, int]:
    from sqlalchemy import func

    from server.changes.models import ChangeLog, RejectedOp
    from server.domains.sync.models import AppliedOp
    from server.models import Note

    with read_session(app.state.engine) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (Note, AppliedOp, ChangeLog, RejectedOp, Device)
        }


def _notes(customer_id: str, device_id: str, count: int, first_seq: int = 1) -> list[dict[str, Any]]:
    note = {"customer_id": customer_id, "text": "拜访记录", "created_at": "2026-11-27T09:00:00+08:00"}
    return [make_op(seq, "note", new_id(), note, device_id=device_id) for seq in range(first_seq, first_seq + count)]


async def test_a_push_under_a_teammates_phone_is_refused_and_that_phones_own_seq_1_goes_through(
    app: Litestar, client: Client, seeded: World
) -> None:
    """The probe: a rep pushed 5 ops under a teammate's device id; the teammate's seq 1 was then refused (409)."""
    with write_session(app.state.engine) as session:
        create_user(session, username="rep.a2", password=PASSWORD, role=Role.REP, territory=TERRITORY_A)
    victim = await phone_login(client, "rep.a", device_id="phone-a")
    teammate = await phone_login(client, "rep.a2", device_id="phone-x")
    before = _stored_rows(app)
    hijack = _notes(seeded.customers_a[0], "phone-a", 5)
    response = await client.post("/api/sync/push", json=push_body(hijack, "phone-a"), headers=bearer(teammate["token"]))
    assert response.status_code == 403, response.text
    assert response.json()["error"]["path"] == "device_id"
    assert _stored_rows(app) == before  # nothing applied, nothing kept as refused
    own = _notes(seeded.customers_a[0], "phone-a", 1)
    response = await client.post("/api/sync/push", json=push_body(own, "phone-a"), headers=bearer(victim["token"]))
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "applied"

    # Nor can the teammate sign in naming that phone while its rep is signed in on it.
    login = await client.post(
        "/api/auth/login", json={"username": "rep.a2", "password": PASSWORD, "device_id": "phone-a"}
    )
    assert login.status_code == 403, login.text
    with read_session(app.state.engine) as session:
        device = session.get(Device, "phone-a")
    assert device is not None and device.user_id == seeded.rep_a.id


async def test_a_sign_in_without_a_phone_pushes_for_its_users_phones_never_another_users(
    app: Litestar, client: Client, seeded: World
) -> None:
    """Scripts and the benchmark sign in without a device id: they push for phones of their own user, or new
    ones (registered to that user), never for a phone of another user."""
    with write_session(app.state.engine) as session:
        create_user(session, username="rep.a2", password=PASSWORD, role=Role.REP, territory=TERRITORY_A)
    await phone_login(client, "rep.a", device_id="phone-a")
    script = bearer((await phone_login(client, "rep.a2", device_id=None))["token"])
    customer = seeded.customers_a[0]
    before = _stored_rows(app)
    refused = await client.post(
        "/api/sync/push", json=push_body(_notes(customer, "phone-a", 1), "phone-a"), headers=script
    )
    assert refused.status_code == 403, refused.text
    assert _stored_rows(app) == before
    for device_id in ("script-1", "script-2"):
        ops = _notes(customer, device_id, 1)
        response = await client.post("/api/sync/push", json=push_body(ops, device_id), headers=script)
        assert response.status_code == 200, response.text
    with read_session(app.state.engine) as session:
        devices = {device.id: device.user_id for device in session.exec(select(Device)).all()}
    assert devices == {"phone-a": seeded.rep_a.id, "script-1": devices["script-2"], "script-2": devices["script-1"]}
    assert devices["script-1"] != seeded.rep_a.id
    # ...so the real rep.a's script cannot use them either
    rep_a_script = bearer((await phone_login(client, "rep.a", device_id=None))["token"])
    ops = _notes(customer, "script-1", 1, first_seq=2)
    taken = await client.post("/api/sync/push", json=push_body(ops, "script-1"), headers=rep_a_script)
    assert taken.status_code == 403, taken.text


async def test_a_web_sign_in_has_no_phone_and_cannot_push(app: Litestar, client: Client, seeded: World) -> None:
    """A supervisor's web session (its cookie's token sent as a Bearer token) pulls, but pushes for no phone."""
    page = await client.get("/login")
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert csrf
    form = {"username": "boss", "password": PASSWORD, "next": "/board", "_csrf_token": csrf.group(1)}
    assert (await client.post("/login", data=form, follow_redirects=False)).status_code == 303
    token = client.cookies.get(TOKEN_COOKIE)
    assert token
    client.cookies.clear()
    before = _stored_rows(app)
    ops = _notes(seeded.customers_a[0], "web-x", 1)
    response = await client.post("/api/sync/push", json=push_body(ops, "web-x"), headers=bearer(token))
    assert response.status_code == 403, response.text
    assert _stored_rows(app) == before
