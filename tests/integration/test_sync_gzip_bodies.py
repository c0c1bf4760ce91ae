"""Gzipped push and pull bodies (issue #20): the server reads them and says so; phones send them only to a server
that said so, and fall back to plain ones when a body was not read. Old phones (plain bodies) are answered as before.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar import testing as litestar_testing

import sync.http as sync_http
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from server.request_encoding import MAX_DECODED_BYTES
from shared.enums import RecordKind
from shared.ids import new_id
from sync.engine import SyncEngine
from sync.http import HttpSyncApi
from sync.protocol import MAX_COLUMNS_PULL_LIMIT, MAX_PULL_LIMIT, SCHEMA_VERSION, parse_pull_response
from tests.integration.conftest import PASSWORD, World, make_op, push_body, visit_fields
from tests.integration.helpers import InProcessTransport


@pytest.fixture(autouse=True)
def no_server_known() -> Iterator[None]:
    """Which servers read gzip (and columns) is kept per process: each test starts from none known."""
    sync_http._GZIP_SERVERS.clear()
    sync_http._PLAIN_PULL_SERVERS.clear()
    yield
    sync_http._GZIP_SERVERS.clear()
    sync_http._PLAIN_PULL_SERVERS.clear()


def token(client: litestar_testing.TestClient[Litestar], username: str = "rep.a") -> str:
    answer = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    return str(answer.json()["token"])


def visits(world: World, count: int) -> list[dict[str, Any]]:
    return [
        make_op(seq, "visit", new_id(), visit_fields(world.customers_a[seq % 4], world.today, 9, progress="补货" * 40))
        for seq in range(1, count + 1)
    ]


def note(world: World, text: str) -> dict[str, Any]:
    return {
        "customer_id": world.customers_a[0],
        "text": text,
        "created_at": f"{world.today.isoformat()}T10:00:00+08:00",
    }


def gzipped_post(
    client: litestar_testing.TestClient[Litestar], path: str, content: bytes, token_: str, encoding: str = "gzip"
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token_}", "Content-Type": "application/json", "Content-Encoding": encoding}
    return client.post(path, content=content, headers=headers)


def test_a_gzipped_push_is_applied_as_a_plain_one_and_every_sync_answer_says_gzip_is_read(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World
) -> None:
    rep = token(sync_client)
    body = json.dumps(push_body(visits(seeded, 20))).encode()
    answer = gzipped_post(sync_client, "/api/sync/push", gzip.compress(body), rep)
    assert answer.status_code == 200, answer.text
    assert [result["status"] for result in answer.json()["results"]] == ["applied"] * 20
    assert answer.headers["accept-encoding"] == "gzip"
    again = gzipped_post(sync_client, "/api/sync/push", gzip.compress(body), rep)  # the answer was lost
    assert [result["status"] for result in again.json()["results"]] == ["duplicate"] * 20
    pull = {"cursor": 0, "schema_version": SCHEMA_VERSION, "limit": 100}
    pulled = gzipped_post(sync_client, "/api/sync/pull", gzip.compress(json.dumps(pull).encode()), rep)
    assert pulled.status_code == 200 and len(pulled.json()["changes"]) >= 20
    plain = sync_client.post("/api/sync/pull", json=pull, headers={"Authorization": f"Bearer {rep}"})
    assert plain.status_code == 200 and plain.headers["accept-encoding"] == "gzip"  # old phones: as before
    assert plain.json()["changes"] == pulled.json()["changes"]


def test_bad_gzipped_bodies_are_refused_before_anything_reads_them(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World
) -> None:
    rep = token(sync_client)
    bomb = gzip.compress(b" " * (MAX_DECODED_BYTES + 10))  # about 3 KB that inflate past the push limit
    assert len(bomb) < 10_000
    too_large = gzipped_post(sync_client, "/api/sync/push", bomb, rep)
    assert too_large.status_code == 413 and too_large.json()["error"]["code"] == "too_large"
    not_gzip = gzipped_post(sync_client, "/api/sync/push", json.dumps(push_body([])).encode(), rep)
    assert not_gzip.status_code == 400 and not_gzip.json()["error"]["code"] == "invalid_request"
    truncated = gzip.compress(json.dumps(push_body(visits(seeded, 3))).encode())[:-12]
    assert gzipped_post(sync_client, "/api/sync/push", truncated, rep).status_code == 400
    other = gzipped_post(sync_client, "/api/sync/push", b"{}", rep, encoding="br")
    assert other.status_code == 415 and other.headers["accept-encoding"] == "gzip"
    # the limit of the decompressed body is the push's own: 2 MiB of JSON is refused as it is when plain
    notes = [make_op(seq, "note", new_id(), {"text": "补" * 1_900}) for seq in range(1, 401)]
    big = json.dumps(push_body(notes)).encode()
    assert len(big) > MAX_DECODED_BYTES
    assert gzipped_post(sync_client, "/api/sync/push", gzip.compress(big), rep).status_code == 413


class Recording(httpx.BaseTransport):
    """The app's transport to the in-process server, noting each request's encoding; optionally as an old
    server that never says it reads gzip, or one that cannot read it (400)."""

    def __init__(self, inner: httpx.BaseTransport, *, old_server: bool = False) -> None:
        self.inner, self.old_server = inner, old_server
        self.sent: list[tuple[str, str | None]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        encoding = request.headers.get("content-encoding")
        self.sent.append((request.url.path, encoding))
        if self.old_server and encoding == "gzip":
            body = json.dumps({"error": {"code": "invalid_request", "message": "not JSON"}}).encode()
            return httpx.Response(400, content=body, headers={"content-type": "application/json"})
        response = self.inner.handle_request(request)
        if self.old_server:
            response.headers.pop("accept-encoding", None)
        return response


def test_the_phone_gzips_its_pushes_to_a_server_that_reads_them(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World, tmp_path: Path
) -> None:
    transport = Recording(InProcessTransport(sync_client))
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    api = HttpSyncApi(str(sync_client.base_url), token(sync_client), transport=transport)
    for seq in range(10):
        fields = visit_fields(seeded.customers_a[seq % 4], seeded.today, 9, progress="补货" * 40)
        store.save(RecordKind.VISIT, new_id(), fields)
    SyncEngine(store, api.push, api.pull).run()  # nothing known yet: gzipped, and the answer says it is read
    assert transport.sent[0] == ("/api/sync/push", "gzip") and len(transport.sent) == 2  # then the pull
    assert sync_http._GZIP_SERVERS.get(str(sync_client.base_url)) is True
    store.save(RecordKind.NOTE, new_id(), note(seeded, "回访" * 400))
    SyncEngine(store, api.push, api.pull).run()
    assert transport.sent[2] == ("/api/sync/push", "gzip")
    assert store.pending_count() == 0 and store.rejected_ops() == []
    api.close()
    store.close()


def test_a_phone_falls_back_to_plain_bodies_for_an_old_server_and_keeps_to_them(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World, tmp_path: Path
) -> None:
    old = Recording(InProcessTransport(sync_client), old_server=True)
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    api = HttpSyncApi(str(sync_client.base_url), token(sync_client), transport=old)
    for round_ in range(2):
        store.save(RecordKind.NOTE, new_id(), note(seeded, f"回访{round_}" * 400))
        SyncEngine(store, api.push, api.pull).run()
    # the first push went gzipped, was not read (400: nothing stored), went again plain at once; then plain only
    assert old.sent[:2] == [("/api/sync/push", "gzip"), ("/api/sync/push", None)]
    assert all(encoding is None for _, encoding in old.sent[2:]) and len(old.sent) == 5
    assert sync_http._GZIP_SERVERS.get(str(sync_client.base_url)) is False
    assert store.pending_count() == 0 and store.rejected_ops() == []
    api.close()
    store.close()


class PullRecording(httpx.BaseTransport):
    """The app's transport to the in-process server, noting each pull's body; optionally as a server from before
    the `columns` encoding (it refuses the unknown field with 400, as parse_pull_request did)."""

    def __init__(self, inner: httpx.BaseTransport, *, before_columns: bool = False) -> None:
        self.inner, self.before_columns = inner, before_columns
        self.pulls: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/sync/pull":
            raw = request.read()
            body = json.loads(gzip.decompress(raw) if request.headers.get("content-encoding") == "gzip" else raw)
            self.pulls.append(body)
            if self.before_columns and "encoding" in body:
                error = {"error": {"code": "invalid_request", "message": "is not a known field", "path": "encoding"}}
                return httpx.Response(400, json=error)
        return self.inner.handle_request(request)


def test_a_phone_pulls_columns_from_a_server_that_has_them_and_stores_what_a_plain_pull_stores(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World, tmp_path: Path
) -> None:
    rep = token(sync_client)
    ops = [*visits(seeded, 30), make_op(31, "note", new_id(), note(seeded, "回访"))]
    assert sync_client.post(
        "/api/sync/push", json=push_body(ops), headers={"Authorization": f"Bearer {rep}"}
    ).is_success
    stores = []
    for name, before_columns in (("columns", False), ("plain", True)):
        sync_http._PLAIN_PULL_SERVERS.clear()
        transport = PullRecording(InProcessTransport(sync_client), before_columns=before_columns)
        store = LocalStore(tmp_path / name, StoreCipher(bytes(32)))
        api = HttpSyncApi(str(sync_client.base_url), token(sync_client), transport=transport)
        SyncEngine(store, api.push, api.pull, pull_limit=7).run()  # several pages
        api.close()
        stores.append(store)
        if before_columns:  # asked once, refused, then plain pages only (the page asked again at once)
            assert transport.pulls[0].get("encoding") == "columns"
            assert all("encoding" not in body for body in transport.pulls[1:]) and len(transport.pulls) > 3
            # a plain page is at most 1,000 records, whatever the phone would take in columns
            big = SyncEngine(store, api.push, api.pull, pull_limit=MAX_COLUMNS_PULL_LIMIT)
            api = HttpSyncApi(str(sync_client.base_url), token(sync_client), transport=transport)
            big.pull = api.pull
            big.run()
            api.close()
            assert transport.pulls[-1]["limit"] == MAX_PULL_LIMIT
        else:
            assert all(body.get("encoding") == "columns" for body in transport.pulls) and len(transport.pulls) > 3
    for kind in (RecordKind.CUSTOMER, RecordKind.VISIT, RecordKind.NOTE, RecordKind.PRODUCT):
        assert stores[0].all(kind) == stores[1].all(kind)
        assert stores[0].count(kind) == len(stores[1].all(kind))
    assert stores[0].count(RecordKind.VISIT) >= 30
    assert stores[0].pull_cursor() == stores[1].pull_cursor()
    for store in stores:
        store.close()


def test_the_server_answers_columns_only_to_a_phone_that_asks(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World
) -> None:
    rep = {"Authorization": f"Bearer {token(sync_client)}"}
    asked = {"cursor": 0, "schema_version": SCHEMA_VERSION, "limit": 1000}
    plain = sync_client.post("/api/sync/pull", json=asked, headers=rep).json()
    columns = sync_client.post("/api/sync/pull", json=asked | {"encoding": "columns"}, headers=rep).json()
    assert "groups" not in plain and plain["changes"]
    assert "changes" not in columns and columns["encoding"] == "columns"
    assert parse_pull_response(columns).changes == parse_pull_response(plain).changes
    refused = sync_client.post("/api/sync/pull", json=asked | {"encoding": "zip"}, headers=rep)
    assert refused.status_code == 400 and refused.json()["error"]["path"] == "encoding"
