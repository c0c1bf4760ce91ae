"""The phone's side of issue 7, with the real client stack (LocalStore, AppService, SyncRunner, SyncEngine,
HttpSyncApi) against the real server in-process:

- an expired access token is refreshed transparently; a sign-in that cannot be refreshed asks the rep to
  sign in again and keeps every unsent op;
- a revoked phone with unsent work hands it over (quarantined, not applied), wipes its data, and an admin
  then accepts one op (applied exactly once, as the rep and phone) and drops another (never applied).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
from litestar import Litestar
from litestar import testing as litestar_testing
from sqlmodel import func, select

from client.services import AppService
from client.shell.app import service_sync
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from client.storage.wipe import wipe_local_data
from client.sync_runner import SyncRunner
from server.db import read_session, write_session
from server.domains.devices.models import QuarantinedOp
from server.domains.users.models import AuthSession
from server.domains.users.service import create_user
from server.models import AppliedOp, Note
from server.settings import Settings
from shared.enums import Role
from tests.integration.conftest import PASSWORD, World
from tests.integration.helpers import InProcessTransport


@dataclass
class Phone:
    folder: Path
    store: LocalStore
    service: AppService
    runner: SyncRunner


@pytest.fixture
def server(app: Litestar, seeded: World) -> Iterator[litestar_testing.TestClient[Litestar]]:
    with litestar_testing.TestClient(app=app) as client:
        yield client


def open_phone(server: litestar_testing.TestClient[Litestar], folder: Path) -> Phone:
    """The app's wiring (client/shell/app.py build_core) without the UI or the runner's thread."""
    transport = InProcessTransport(server)
    store = LocalStore(folder, StoreCipher(bytes(32)))
    service = AppService(store, transport=transport)  # type: ignore[arg-type]
    runner = SyncRunner(
        service_sync(store, service, transport),
        counts=lambda: (store.pending_count(), len(store.rejected_ops())),
        on_revoked=lambda: wipe_local_data(folder, store.close),
    )
    service.sign_in(str(server.base_url), "rep.a", PASSWORD)
    return Phone(folder, store, service, runner)


def expire_access_token(phone: Phone, settings: Settings) -> None:
    """Replace the phone's access token by the same one, 10 minutes past its expiry."""
    claims = jwt.decode(str(phone.service.token), options={"verify_signature": False})
    claims["exp"] = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    phone.store.set_meta(token=jwt.encode(claims, settings.secret_key, algorithm="HS256"))


def add_notes(phone: Phone, customer_id: str, count: int) -> None:
    for index in range(count):
        phone.service.add_note(customer_id, f"离线笔记 {index}")


def note_count(app: Litestar) -> int:
    with read_session(app.state.engine) as session:
        return int(session.exec(select(func.count()).select_from(Note)).one())


def test_an_expired_access_token_is_refreshed_without_the_rep_noticing(
    app: Litestar, server: litestar_testing.TestClient[Litestar], seeded: World, settings: Settings, tmp_path: Path
) -> None:
    phone = open_phone(server, tmp_path / "phone")
    refresh_before = phone.service.refresh_token
    expire_access_token(phone, settings)
    add_notes(phone, seeded.customers_a[0], 2)
    assert phone.runner.sync_once()
    status = phone.runner.status
    assert status.last_error is None and not status.auth_required, status
    assert phone.store.pending_count() == 0 and note_count(app) == 2
    assert phone.service.refresh_token not in (None, refresh_before)  # the rotated pair was kept
    phone.store.close()


def test_a_sign_in_that_cannot_be_refreshed_asks_to_sign_in_again_and_keeps_the_work(
    app: Litestar, server: litestar_testing.TestClient[Litestar], seeded: World, settings: Settings, tmp_path: Path
) -> None:
    phone = open_phone(server, tmp_path / "phone")
    with write_session(app.state.engine) as session:  # e.g. signed out elsewhere, or the refresh token reused
        for row in session.exec(select(AuthSession)).all():
            row.revoked_at = "2026-11-27T00:00:00+00:00"
            session.add(row)
    expire_access_token(phone, settings)
    add_notes(phone, seeded.customers_a[0], 3)
    phone.runner.sync_once()
    assert phone.runner.status.auth_required
    assert phone.store.pending_count() == 3  # nothing dropped, nothing wiped
    assert note_count(app) == 0
    phone.service.sign_in(str(server.base_url), "rep.a", PASSWORD)  # signing in again sends them
    phone.runner.resume()
    phone.runner.sync_once()
    assert phone.store.pending_count() == 0 and note_count(app) == 3
    phone.store.close()


def admin_browser(server: litestar_testing.TestClient[Litestar], app: Litestar) -> str:
    """Sign an admin in to the web view (cookie); the CSRF token for its forms."""
    with write_session(app.state.engine) as session:
        create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN)
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', server.get("/login").text)
    assert csrf
    form = {"username": "admin", "password": PASSWORD, "next": "/board", "_csrf_token": csrf.group(1)}
    assert server.post("/login", data=form, follow_redirects=False).status_code == 303
    signed_in = re.search(r'name="_csrf_token" value="([^"]+)"', server.get("/board").text)  # for this sign-in
    assert signed_in
    return signed_in.group(1)


def test_a_revoked_phone_hands_over_its_work_wipes_itself_and_an_admin_decides(
    app: Litestar, server: litestar_testing.TestClient[Litestar], seeded: World, tmp_path: Path
) -> None:
    phone = open_phone(server, tmp_path / "phone")
    assert phone.runner.sync_once() and phone.runner.status.last_error is None  # the phone has its territory
    device_id = phone.store.device_id
    add_notes(phone, seeded.customers_a[0], 2)  # made offline, not yet pushed
    assert phone.store.pending_count() == 2

    csrf = admin_browser(server, app)
    devices_page = server.get("/devices")
    assert device_id in devices_page.text
    revoked = server.post(f"/devices/{device_id}/revoke", data={"_csrf_token": csrf}, follow_redirects=False)
    assert revoked.status_code == 303

    phone.runner.sync_once()
    assert phone.runner.status.device_revoked
    assert list(phone.folder.iterdir()) == []  # wiped: the store is closed and its files are gone
    assert note_count(app) == 0  # received, not applied
    with read_session(app.state.engine) as session:
        held = list(session.exec(select(QuarantinedOp).order_by(QuarantinedOp.seq)).all())
    assert [(row.device_id, row.status, row.user_id) for row in held] == [(device_id, "pending", seeded.rep_a.id)] * 2

    page = server.get("/quarantine")
    assert page.status_code == 200 and "离线笔记 0" in page.text
    accept = server.post(f"/quarantine/{held[0].id}/accept", data={"_csrf_token": csrf}, follow_redirects=False)
    assert accept.status_code == 303 and accept.headers["location"] == "/quarantine?done=applied"
    again = server.post(f"/quarantine/{held[0].id}/accept", data={"_csrf_token": csrf}, follow_redirects=False)
    assert again.status_code == 409  # decided already: never applied twice
    drop = server.post(f"/quarantine/{held[1].id}/drop", data={"_csrf_token": csrf}, follow_redirects=False)
    assert drop.status_code == 303

    with read_session(app.state.engine) as session:
        notes = list(session.exec(select(Note)).all())
        applied = list(session.exec(select(AppliedOp).where(AppliedOp.device_id == device_id)).all())
        statuses = [row.status for row in session.exec(select(QuarantinedOp).order_by(QuarantinedOp.seq)).all()]
    assert [note.text for note in notes] == ["离线笔记 0"]  # the accepted one, once; the dropped one never
    assert [(row.seq, row.user_id) for row in applied] == [(held[0].seq, seeded.rep_a.id)]
    assert statuses == ["accepted", "dropped"]
    audit_page = server.get("/audit").text
    for action in ("撤销手机", "被撤销手机的数据进入隔离区", "接受隔离数据", "丢弃隔离数据"):
        assert action in audit_page
