"""Plain helpers the integration tests share (fixtures, the world and the op builders: conftest.py next to this)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar
from litestar import testing as litestar_testing
from litestar.testing import AsyncTestClient
from litestar.testing import transport as litestar_transport
from sqlmodel import select

from client.services import AppService
from client.shell.app import service_sync
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from client.sync_runner import SyncRunner
from server.actor import Actor
from server.db import read_session
from server.domains.audit.models import AuditEvent
from tests.integration.conftest import make_op, push_body


class InProcessTransport(httpx.BaseTransport):
    """Litestar's sync test transport as a full httpx transport (it lacks close())."""

    def __init__(self, client: litestar_testing.TestClient[Litestar]) -> None:
        self.inner = litestar_transport.TestClientTransport(client)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)


def app_phone(server: litestar_testing.TestClient[Litestar], folder: Path) -> tuple[AppService, SyncRunner, LocalStore]:
    """A phone wired to `server` as the app wires it (client/shell/app.py build_core: `service_sync`, so each pull
    keeps what it says of the company and of the server's time), without the UI, photo uploads or the runner's
    thread: a test calls `runner.sync_once()`."""
    transport = InProcessTransport(server)
    store = LocalStore(folder, StoreCipher(bytes(32)))
    service = AppService(store, transport=transport)  # type: ignore[arg-type]
    runner = SyncRunner(
        service_sync(store, service, transport),
        counts=lambda: (store.pending_count(), len(store.rejected_ops())),
    )
    return service, runner, store


def bearer(app: Litestar, actor: Actor) -> dict[str, str]:
    """Headers with an access token of `actor`, made without a sign-in."""
    return {"Authorization": f"Bearer {app.state.jwt_auth.create_token(identifier=actor.id)}"}


def actions(app: Litestar) -> list[str]:
    """The audit log's actions, oldest first."""
    with read_session(app.state.engine) as session:
        return [event.action for event in session.exec(select(AuditEvent)).all()]


async def push(
    client: AsyncTestClient[Litestar], headers: dict[str, str], ops: list[dict[str, Any]], device: str
) -> Any:
    """A push of `ops` from `device`: the response, whatever its status."""
    return await client.post("/api/sync/push", json=push_body(ops, device_id=device), headers=headers)


def op(
    seq: int, kind: str, record_id: str, fields: dict[str, Any], device: str, hlc: str | None = None
) -> dict[str, Any]:
    """An op of `device` (conftest.make_op), carrying the edit's hybrid logical clock `hlc` when given."""
    made = make_op(seq, kind, record_id, fields, device_id=device)
    return {**made, "hlc": hlc} if hlc else made
