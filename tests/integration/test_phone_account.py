"""Issue #7, the phone's account with the real client stack (PhoneLock: store, service, sync runner) against
the real server in-process:

- signing out is refused while work waits (after trying to sync it) or while the server cannot be told,
  with nothing changed; otherwise the server's session ends, the tokens are gone and the data folder is
  wiped, and the app starts over as a fresh install;
- a refresh whose answer was lost does not sign the phone out: the next sync retries within the grace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from litestar import Litestar
from litestar import testing as litestar_testing

from client.config import ClientConfig
from client.features.account.service import SignOutRefused
from client.shell.lock import PhoneLock
from client.storage.vault import KdfParams
from server.settings import Settings
from shared.enums import RecordKind
from tests.integration.conftest import PASSWORD, World
from tests.integration.helpers import InProcessTransport

CHEAP_KDF = KdfParams(time_cost=1, memory_cost=8, parallelism=1)
Server = litestar_testing.TestClient[Litestar]


class SwitchableTransport(InProcessTransport):
    """The server in-process, or no network at all while `down`."""

    down = False
    lose_refresh_answers = 0  # the server handles that many refreshes, but their answers never arrive

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("no network", request=request)
        response = super().handle_request(request)
        if request.url.path == "/api/auth/refresh" and self.lose_refresh_answers:
            self.lose_refresh_answers -= 1
            raise httpx.ReadError("connection dropped before the answer arrived", request=request)
        return response


@pytest.fixture
def server(app: Litestar, seeded: World) -> Iterator[Server]:
    with litestar_testing.TestClient(app=app) as client:
        yield client


@pytest.fixture
def network(server: Server) -> SwitchableTransport:
    return SwitchableTransport(server)


@pytest.fixture
def phone(server: Server, network: SwitchableTransport, tmp_path: Path) -> Iterator[PhoneLock]:
    config = ClientConfig(server_url=str(server.base_url), data_dir=tmp_path / "phone", sync_interval=3600)
    lock = PhoneLock(config, transport=network, kdf=CHEAP_KDF)
    assert lock.core is not None
    lock.core.service.sign_in(str(server.base_url), "rep.a", PASSWORD)
    lock.set_pin("2468")
    yield lock
    lock.close()


def signed_in_on_server(server: Server, token: str) -> bool:
    return server.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_sign_out_syncs_first_then_ends_the_session_and_wipes_the_phone(
    phone: PhoneLock, server: Server, seeded: World
) -> None:
    core = phone.core
    assert core is not None
    token = str(core.service.token)
    core.service.add_note(seeded.customers_a[0], "退出前写的笔记")
    assert core.store.pending_count() == 1

    phone.sign_out()

    assert core.store.pending_count() == 0  # the note went to the server before anything was wiped
    assert not signed_in_on_server(server, token)
    folder = phone.config.data_dir
    assert not (folder / "key.json").exists() and not (folder / "pin_attempts.json").exists()
    fresh = phone.core
    assert fresh is not None and fresh is not core and not phone.locked
    assert not fresh.service.signed_in() and fresh.service.refresh_token is None and phone.needs_pin
    assert fresh.store.all(RecordKind.NOTE) == []
    assert fresh.store.device_id != core.store.device_id  # a new install
    # The next rep signs in on the same phone and sets their own PIN.
    fresh.service.sign_in(str(server.base_url), "rep.a", PASSWORD)
    phone.set_pin("1357")
    assert fresh.runner.sync_once() and fresh.store.all(RecordKind.NOTE)


def test_sign_out_is_refused_while_work_cannot_be_synced_and_nothing_is_lost(
    phone: PhoneLock, server: Server, network: SwitchableTransport, seeded: World
) -> None:
    core = phone.core
    assert core is not None
    token = str(core.service.token)
    core.service.add_note(seeded.customers_a[0], "离线笔记")
    network.down = True
    with pytest.raises(SignOutRefused) as refused:
        phone.sign_out()
    assert refused.value.pending is not None and refused.value.pending.changes == 1
    assert phone.core is core and core.store.pending_count() == 1 and core.service.signed_in()
    assert (phone.config.data_dir / "key.json").exists()
    network.down = False
    assert signed_in_on_server(server, token)  # the sign-in was not ended either


def test_sign_out_is_refused_without_a_network_even_when_everything_is_synced(
    phone: PhoneLock, server: Server, network: SwitchableTransport
) -> None:
    core = phone.core
    assert core is not None
    network.down = True
    with pytest.raises(SignOutRefused) as refused:
        phone.sign_out()
    assert refused.value.unreachable and refused.value.pending is None
    assert phone.core is core and core.service.signed_in() and (phone.config.data_dir / "key.json").exists()


def expire_access_token(phone: PhoneLock, settings: Settings) -> None:
    assert phone.core is not None
    claims = jwt.decode(str(phone.core.service.token), options={"verify_signature": False})
    claims["exp"] = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    phone.core.store.set_meta(token=jwt.encode(claims, settings.secret_key, algorithm="HS256"))


def test_a_lost_refresh_answer_is_retried_with_the_kept_token_and_the_phone_stays_signed_in(
    phone: PhoneLock, network: SwitchableTransport, settings: Settings, seeded: World
) -> None:
    core = phone.core
    assert core is not None
    with core.runner.held():  # the runner's own thread stays out of the way
        core.runner.pause()
    kept = core.service.refresh_token
    expire_access_token(phone, settings)
    core.service.add_note(seeded.customers_a[0], "刷新时断网")
    network.lose_refresh_answers = 1
    core.runner.sync_once()
    assert core.store.pending_count() == 1 and core.service.refresh_token == kept  # the server rotated it
    core.runner.sync_once()  # the old token again, within the grace
    status = core.runner.status
    assert not status.auth_required and status.last_error is None, status
    assert core.store.pending_count() == 0 and core.service.refresh_token != kept


def test_sign_out_with_an_expired_access_token_refreshes_it_first(
    phone: PhoneLock, server: Server, settings: Settings
) -> None:
    core = phone.core
    assert core is not None
    expire_access_token(phone, settings)
    refresh_token = str(core.service.refresh_token)

    phone.sign_out()

    assert server.post("/api/auth/refresh", json={"refresh_token": refresh_token}).status_code == 401
    assert phone.core is not None and not phone.core.service.signed_in()
