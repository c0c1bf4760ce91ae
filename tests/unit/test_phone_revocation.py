"""The phone's side of a revocation and of token refresh, piece by piece (end to end: tests/integration/
test_phone_sessions_and_revocation.py)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from client.storage.wipe import wipe_local_data
from shared.enums import RecordKind
from shared.ids import new_id
from sync.engine import SyncEngine
from sync.errors import AuthRequired, DeviceRevoked
from sync.http import HttpSyncApi
from sync.protocol import SCHEMA_VERSION, PullRequest, PullResponse, PushRequest, PushResponse


def add_customers(store: LocalStore, count: int) -> None:
    for index in range(count):
        store.save(RecordKind.CUSTOMER, new_id(), {"name": f"药店{index}", "kind": "pharmacy"})


def revoked_pull(request: PullRequest) -> PullResponse:
    raise DeviceRevoked(403, "device_revoked", "revoked")


def test_a_revoked_phone_hands_over_every_batch_then_reports_the_revocation(store: LocalStore) -> None:
    add_customers(store, 5)
    batches: list[int] = []

    def push(request: PushRequest) -> PushResponse:
        batches.append(len(request.ops))
        raise DeviceRevoked(403, "device_revoked", "revoked", tuple((op.seq, op.op_id) for op in request.ops))

    with pytest.raises(DeviceRevoked):
        SyncEngine(store, push, revoked_pull, push_batch=2).run()
    assert batches == [2, 2, 1] and store.pending_count() == 0  # not split: each batch handed over whole


def test_ops_the_server_did_not_name_as_quarantined_stay_in_the_outbox(store: LocalStore) -> None:
    add_customers(store, 3)

    def push(request: PushRequest) -> PushResponse:
        first = request.ops[0]
        raise DeviceRevoked(403, "device_revoked", "revoked", ((first.seq, first.op_id),))

    with pytest.raises(DeviceRevoked):
        SyncEngine(store, push, revoked_pull).run()
    assert store.pending_count() == 3  # the answer does not cover the push: keep everything


def test_the_wipe_closes_the_store_and_empties_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "phone"
    store = LocalStore(folder, StoreCipher(bytes(32)))
    add_customers(store, 2)
    (folder / "photos").mkdir(exist_ok=True)
    (folder / "photos" / "a.jpg").write_bytes(b"jpeg")
    closed: list[bool] = []

    def close() -> None:
        store.close()
        closed.append(True)

    removed = wipe_local_data(folder, close)
    assert closed == [True] and removed and folder.is_dir() and list(folder.iterdir()) == []
    reopened = LocalStore(folder, StoreCipher(bytes(32)))  # as a new install: a new device id, nothing inside
    assert reopened.all(RecordKind.CUSTOMER) == [] and reopened.device_id != store.device_id
    reopened.close()


def server(answers: list[httpx.Response], seen: list[tuple[str, str, dict[str, object]]]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("authorization", ""), json.loads(request.content)))
        return answers.pop(0)

    return httpx.MockTransport(handle)


def expired() -> httpx.Response:
    return httpx.Response(401, json={"error": {"code": "token_expired", "message": "expired"}})


PULLED = {"changes": [], "cursor": 0, "has_more": False, "server_time": "2026-11-27T00:00:00+00:00"}
PULL = PullRequest(cursor=0, schema_version=SCHEMA_VERSION)


def test_an_expired_token_is_refreshed_once_and_the_request_sent_again() -> None:
    seen: list[tuple[str, str, dict[str, object]]] = []
    kept: list[tuple[str, str]] = []
    answers = [
        expired(),
        httpx.Response(200, json={"token": "a2", "refresh_token": "r2"}),
        httpx.Response(200, json=PULLED),
    ]
    api = HttpSyncApi(
        "http://crm", "a1", transport=server(answers, seen), refresh_token="r1", on_tokens=lambda *t: kept.append(t)
    )
    api.pull(PULL)
    assert [(path, auth) for path, auth, _ in seen] == [
        ("/api/sync/pull", "Bearer a1"),
        ("/api/auth/refresh", ""),
        ("/api/sync/pull", "Bearer a2"),
    ]
    assert seen[1][2] == {"refresh_token": "r1"} and kept == [("a2", "r2")]


def test_a_refused_refresh_asks_to_sign_in_and_a_revoked_phone_is_told() -> None:
    refused = httpx.Response(401, json={"error": {"code": "unauthorized", "message": "used before"}})
    api = HttpSyncApi("http://crm", "a1", transport=server([expired(), refused], []), refresh_token="r1")
    with pytest.raises(AuthRequired):
        api.pull(PULL)
    revoked = httpx.Response(403, json={"error": {"code": "device_revoked", "message": "revoked"}})
    api = HttpSyncApi("http://crm", "a1", transport=server([expired(), revoked], []), refresh_token="r1")
    with pytest.raises(DeviceRevoked):
        api.pull(PULL)
    no_refresh_token = HttpSyncApi("http://crm", "a1", transport=server([expired()], []))
    with pytest.raises(AuthRequired):
        no_refresh_token.pull(PULL)
