"""Issue 15, item 6: one op the server fails on (5xx) every time must not jam the outbox. The engine splits
a failing batch until the op stands alone, checks that the server answers otherwise, tries the op once more,
then keeps it as a draft the rep sees; the rest syncs. A server failing on everything leaves every op queued."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from sync.engine import POISON_TRIES, SyncEngine
from sync.errors import ServerFailed, Unreachable
from sync.http import read_answer
from sync.protocol import PushRequest, PushResponse
from tests.unit.test_sync_engine import accept_all, customers, nothing_to_pull


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    opened = LocalStore(tmp_path, StoreCipher(bytes(32)))
    yield opened
    opened.close()


class Server:
    """A push function that fails (500) on any batch holding a poison record, and records every push."""

    def __init__(self, poison: set[str], *, down: bool = False, fail_times: int | None = None) -> None:
        self.poison = poison
        self.down = down  # fails every request, empty ones too
        self.fail_times = fail_times  # fail on the poison only this many times, then accept it
        self.batches: list[int] = []
        self.failures = 0

    def push(self, request: PushRequest) -> PushResponse:
        self.batches.append(len(request.ops))
        failing = self.down or any(op.record_id in self.poison for op in request.ops)
        if failing and (self.fail_times is None or self.failures < self.fail_times):
            self.failures += 1
            raise ServerFailed(500)
        return accept_all(request)


def test_a_poison_op_is_isolated_kept_as_a_draft_and_the_rest_syncs(store: LocalStore) -> None:
    ids = customers(store, [f"药店{i}" for i in range(20)])
    server = Server({ids[13]})
    report = SyncEngine(store, server.push, nothing_to_pull).run()
    assert (report.pushed, report.rejected) == (19, 1)
    assert store.pending_count() == 0
    (draft,) = store.rejected_ops()
    assert draft["op"]["record_id"] == ids[13] and draft["code"] == "server_failed"
    assert "500" in draft["message"]
    assert len(server.batches) < 40  # bisected (each failure followed by an empty push), not op by op
    assert server.failures == 5 + POISON_TRIES  # batches of 20, 10, 5, 3 and 2 ops, then the op alone
    # Later syncs have nothing left to push: the outbox is no longer jammed.
    assert SyncEngine(store, server.push, nothing_to_pull).run().pushed == 0


def test_two_poison_ops_in_one_batch_become_two_drafts(store: LocalStore) -> None:
    ids = customers(store, [f"药店{i}" for i in range(9)])
    server = Server({ids[0], ids[8]})
    report = SyncEngine(store, server.push, nothing_to_pull, push_batch=4).run()
    assert (report.pushed, report.rejected) == (7, 2)
    assert {draft["op"]["record_id"] for draft in store.rejected_ops()} == {ids[0], ids[8]}


def test_a_server_failing_on_everything_leaves_every_op_queued(store: LocalStore) -> None:
    customers(store, ["a", "b", "c", "d"])
    server = Server(set(), down=True)
    with pytest.raises(Unreachable):
        SyncEngine(store, server.push, nothing_to_pull).run()
    assert store.pending_count() == 4 and store.rejected_ops() == []


def test_a_single_waiting_op_and_a_server_that_is_down_is_not_a_poison_op(store: LocalStore) -> None:
    customers(store, ["a"])
    server = Server(set(), down=True)
    with pytest.raises(Unreachable):
        SyncEngine(store, server.push, nothing_to_pull).run()
    assert store.pending_count() == 1 and store.rejected_ops() == []


def test_a_passing_failure_is_retried_not_turned_into_a_draft(store: LocalStore) -> None:
    ids = customers(store, ["a", "b", "c"])
    server = Server({ids[1]}, fail_times=4)  # the batch, its half, the op alone twice; its third try works
    report = SyncEngine(store, server.push, nothing_to_pull).run()
    assert (report.pushed, report.rejected) == (3, 0)
    assert store.pending_count() == 0 and store.rejected_ops() == []


def test_a_5xx_answer_is_a_server_failure_that_still_counts_as_unreachable() -> None:
    for status in (500, 502, 503):
        with pytest.raises(ServerFailed) as raised:
            read_answer(httpx.Response(status, json={"error": {"code": "invalid_request", "message": "oops"}}))
        assert raised.value.status == status and isinstance(raised.value, Unreachable)
