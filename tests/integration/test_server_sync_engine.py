"""The client's sync engine and HTTP adapter against the real server in-process (no fake of the server)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar import Litestar
from litestar import testing as litestar_testing
from sqlalchemy.engine import Engine

from server.domains.sync import service
from server.settings import Settings
from server.sync_kinds import SYNC_KINDS
from shared.enums import OpAction, RecordKind
from shared.ids import new_id
from sync.engine import SyncEngine
from sync.http import HttpSyncApi
from sync.protocol import SCHEMA_VERSION, Change, Op, OpResult, OpStatus, PullRequest, PushRequest
from tests.integration.conftest import PASSWORD, World, customer_fields, visit_fields
from tests.integration.helpers import InProcessTransport


@dataclass
class MemoryStore:
    """The smallest SyncStore: an outbox, drafts, records and a cursor, in memory."""

    device_id: str
    outbox: list[Op] = field(default_factory=list)
    drafts: dict[int, OpResult] = field(default_factory=dict)
    records: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    cursor: int = 0
    seq: int = 0

    def add(self, kind: RecordKind, record_id: str, fields: dict[str, Any]) -> Op:
        self.seq += 1
        op = Op(new_id(), self.device_id, self.seq, kind, record_id, OpAction.PUT, fields, "2026-11-26T01:00:00+00:00")
        self.outbox.append(op)
        return op

    def pending_ops(self, limit: int) -> list[Op]:
        return self.outbox[:limit]

    def signing_key(self) -> None:
        return None  # an app from before phones signed their ops

    def record_results(self, results: Sequence[OpResult]) -> None:
        done = {result.seq for result in results}
        for result in results:
            if result.status is OpStatus.REJECTED:
                self.drafts[result.seq] = result
        self.outbox = [op for op in self.outbox if op.seq not in done]

    def pull_cursor(self) -> int:
        return self.cursor

    def full_pull_unfinished(self) -> bool:
        return False

    def apply_pull_page(self, changes: Iterable[Change], cursor: int, *, full_pull_pending: bool = False) -> int:
        count = 0
        for change in changes:
            self.records[change.record_id] = change.data
            count += 1
        self.cursor = cursor
        return count


def http_api(client: litestar_testing.TestClient[Litestar], username: str) -> HttpSyncApi:
    token = client.post("/api/auth/login", json={"username": username, "password": PASSWORD}).json()["token"]
    return HttpSyncApi(str(client.base_url), token, transport=InProcessTransport(client))


def test_the_engine_pushes_keeps_a_bad_op_as_a_draft_and_pulls(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World
) -> None:
    api = http_api(sync_client, "rep.a")
    store = MemoryStore(device_id="phone-a")
    prospect = new_id()
    store.add(RecordKind.CUSTOMER, prospect, customer_fields("新客户"))
    store.add(RecordKind.VISIT, new_id(), visit_fields(seeded.customers_a[0], seeded.today, 9))
    bad = store.add(RecordKind.VISIT, new_id(), visit_fields(seeded.customers_b[0], seeded.today, 10))  # not hers
    store.add(
        RecordKind.NOTE, new_id(), {"customer_id": prospect, "text": "好", "created_at": "2026-11-26T09:00:00+08:00"}
    )
    report = SyncEngine(store, api.push, api.pull).run()
    assert (report.pushed, report.rejected) == (3, 1)
    assert store.outbox == [] and list(store.drafts) == [bad.seq]
    assert store.drafts[bad.seq].code == "forbidden"
    pulled_prospect = store.records[prospect]
    assert pulled_prospect is not None and pulled_prospect["owner_rep_id"] == seeded.rep_a.id
    assert seeded.customers_b[0] not in store.records
    # A second run pulls nothing new and pushes nothing.
    assert SyncEngine(store, api.push, api.pull).run().pulled == 0
    api.close()


def test_an_op_the_server_fails_on_becomes_a_draft_and_the_rest_syncs(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15, item 6: the real server answering 500 on one op (a bug it has) must not jam the outbox."""
    api = http_api(sync_client, "rep.a")
    store = MemoryStore(device_id="phone-a")
    good = [store.add(RecordKind.CUSTOMER, new_id(), customer_fields(f"药店{i}")) for i in range(2)]
    poison = store.add(RecordKind.CUSTOMER, new_id(), customer_fields("好的"))  # in the middle of the batch
    good += [store.add(RecordKind.CUSTOMER, new_id(), customer_fields(f"诊所{i}")) for i in range(4)]
    allowed = service.check_op_allowed

    def failing_on_poison(op: Op, path: str) -> None:
        if op.record_id == poison.record_id:
            raise RuntimeError("a bug the server has with this op")
        allowed(op, path)

    monkeypatch.setattr(service, "check_op_allowed", failing_on_poison)
    report = SyncEngine(store, api.push, api.pull).run()
    assert (report.pushed, report.rejected) == (6, 1)
    assert store.outbox == [] and list(store.drafts) == [poison.seq]
    assert store.drafts[poison.seq].code == "server_failed"
    assert {op.record_id for op in good} <= set(store.records)  # pushed, then pulled back
    assert poison.record_id not in store.records
    api.close()


def test_concurrent_identical_pushes_apply_once(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World, engine: Engine, settings: Settings
) -> None:
    """Two processes answering the same re-sent push at once: one applies it, the other sees duplicates."""
    ops = [
        Op(new_id(), "phone-a", seq, RecordKind.CUSTOMER, new_id(), OpAction.PUT, customer_fields(f"客户{seq}"), "x")
        for seq in range(1, 21)
    ]
    request = PushRequest("phone-a", SCHEMA_VERSION, ops)
    start = threading.Barrier(4)

    def run(_: int) -> list[str]:
        start.wait()
        return [r.status.value for r in service.push(engine, settings, seeded.rep_a, request, SYNC_KINDS).results]

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(run, range(4)))
    assert sorted(answers) == [["applied"] * 20] + [["duplicate"] * 20] * 3


def test_concurrent_pushes_of_different_devices_give_gapless_pullable_numbers(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World, engine: Engine, settings: Settings
) -> None:
    def run(device: int) -> None:
        for seq in range(1, 6):
            op = Op(new_id(), f"d{device}", seq, RecordKind.CUSTOMER, new_id(), OpAction.PUT, customer_fields("c"), "x")
            service.push(engine, settings, seeded.rep_a, PushRequest(f"d{device}", SCHEMA_VERSION, [op]), SYNC_KINDS)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(run, range(4)))
    page = service.pull(engine, seeded.supervisor, PullRequest(cursor=0, schema_version=SCHEMA_VERSION, limit=1000))
    assert len(page.changes) == 4 + 2 + 1 + 20  # seeded customers, plan, and the 20 new ones
    assert [c.seq for c in page.changes] == sorted(c.seq for c in page.changes)
