"""The engine's own logic, with push and pull as plain functions. Against the real server: tests/integration."""

from pathlib import Path

import pytest

from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind
from shared.ids import new_id
from sync.engine import ProtocolViolation, SyncEngine, SyncProgress
from sync.errors import ClientTooOld, Refused, ResyncRequired, Unreachable
from sync.protocol import Change, OpResult, OpStatus, PullRequest, PullResponse, PushRequest, PushResponse


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    opened = LocalStore(tmp_path, StoreCipher(bytes(32)))
    yield opened
    opened.close()


def customers(store: LocalStore, names: list[str]) -> list[str]:
    ids = []
    for name in names:
        ids.append(new_id())
        store.save(RecordKind.CUSTOMER, ids[-1], {"name": name, "kind": "pharmacy"})
    return ids


def nothing_to_pull(request: PullRequest) -> PullResponse:
    return PullResponse(changes=[], cursor=request.cursor, has_more=False)


def accept_all(request: PushRequest) -> PushResponse:
    return PushResponse([OpResult(op.seq, op.op_id, OpStatus.APPLIED) for op in request.ops])


def test_push_in_batches_until_the_outbox_is_empty(store: LocalStore) -> None:
    customers(store, [f"药店{i}" for i in range(7)])
    batches: list[int] = []

    def push(request: PushRequest) -> PushResponse:
        batches.append(len(request.ops))
        return accept_all(request)

    report = SyncEngine(store, push, nothing_to_pull, push_batch=3).run()
    assert batches == [3, 3, 1]
    assert (report.pushed, report.rejected, store.pending_count()) == (7, 0, 0)


def test_a_refused_op_holds_up_only_itself_and_is_kept_as_a_draft(store: LocalStore) -> None:
    ids = customers(store, ["好", "坏", "好2", "好3"])
    bad = ids[1]

    def push(request: PushRequest) -> PushResponse:
        if any(op.record_id == bad for op in request.ops):
            raise Refused(403, "forbidden", "ops[1]: not your territory")  # the server stores none of it
        return accept_all(request)

    report = SyncEngine(store, push, nothing_to_pull).run()
    assert (report.pushed, report.rejected) == (3, 1)
    (draft,) = store.rejected_ops()
    assert draft["op"]["record_id"] == bad and draft["code"] == "forbidden"
    assert store.pending_count() == 0


def test_an_unreachable_server_leaves_every_op_queued(store: LocalStore) -> None:
    customers(store, ["a", "b"])

    def push(request: PushRequest) -> PushResponse:
        raise Unreachable("no network")

    with pytest.raises(Unreachable):
        SyncEngine(store, push, nothing_to_pull).run()
    assert store.pending_count() == 2 and store.rejected_ops() == []


def test_a_too_old_client_stops_without_turning_ops_into_drafts(store: LocalStore) -> None:
    customers(store, ["a"])

    def push(request: PushRequest) -> PushResponse:
        raise ClientTooOld(426, "client_too_old", "schema 2 needed")

    with pytest.raises(ClientTooOld):
        SyncEngine(store, push, nothing_to_pull).run()
    assert store.pending_count() == 1 and store.rejected_ops() == []


def test_an_answer_that_does_not_match_the_push_is_a_protocol_violation(store: LocalStore) -> None:
    customers(store, ["a", "b"])

    def push(request: PushRequest) -> PushResponse:
        return accept_all(PushRequest(request.device_id, request.schema_version, request.ops[:1]))

    with pytest.raises(ProtocolViolation):
        SyncEngine(store, push, nothing_to_pull).run()
    assert store.pending_count() == 2


def test_pull_follows_pages_and_saves_the_cursor_with_each_page(store: LocalStore) -> None:
    ids = [new_id() for _ in range(5)]
    seen: list[int] = []

    def pull(request: PullRequest) -> PullResponse:
        seen.append(request.cursor)
        page = [
            Change(i + 1, RecordKind.CUSTOMER, ids[i], False, {"name": f"c{i}", "kind": "clinic"})
            for i in range(request.cursor, min(request.cursor + request.limit, 5))
        ]
        cursor = page[-1].seq if page else request.cursor
        return PullResponse(changes=page, cursor=cursor, has_more=cursor < 5)

    report = SyncEngine(store, accept_all, pull, pull_limit=2).run()
    assert seen == [0, 2, 4]
    assert report.pulled == 5 and store.pull_cursor() == 5
    assert len(store.all(RecordKind.CUSTOMER)) == 5


def test_a_failure_mid_pull_keeps_the_pages_already_stored(store: LocalStore) -> None:
    calls = 0

    def pull(request: PullRequest) -> PullResponse:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Unreachable("dropped")
        return PullResponse([Change(1, RecordKind.CUSTOMER, new_id(), False, {"name": "a"})], 1, has_more=True)

    with pytest.raises(Unreachable):
        SyncEngine(store, accept_all, pull).run()
    assert store.pull_cursor() == 1 and len(store.all(RecordKind.CUSTOMER)) == 1


def test_a_cursor_moving_back_is_refused(store: LocalStore) -> None:
    store.set_meta(cursor=10)
    with pytest.raises(ProtocolViolation):
        SyncEngine(store, accept_all, lambda request: PullResponse([], 3, False)).run()
    assert store.pull_cursor() == 10


def test_a_refused_record_holds_up_only_itself_in_later_syncs_too(store: LocalStore) -> None:
    """Ops before and after a refused one, on other records, reach the server in the same sync; the next
    sync sends only new ops (the draft is never re-sent by itself)."""
    ids = customers(store, ["前", "坏", "后"])
    sent: list[str] = []

    def push(request: PushRequest) -> PushResponse:
        if any(op.record_id == ids[1] for op in request.ops):
            raise Refused(403, "forbidden", "ops[1]: not your territory")
        sent.extend(op.record_id for op in request.ops)
        return accept_all(request)

    SyncEngine(store, push, nothing_to_pull).run()
    assert sorted(sent) == sorted([ids[0], ids[2]])
    sent.clear()
    store.save(RecordKind.CUSTOMER, ids[2], {"phone": "0312-1"})
    report = SyncEngine(store, push, nothing_to_pull).run()
    assert sent == [ids[2]] and (report.pushed, report.rejected) == (1, 0)
    assert [draft["op"]["record_id"] for draft in store.rejected_ops()] == [ids[1]]


def test_a_resent_draft_goes_through_as_a_new_op(store: LocalStore) -> None:
    (bad,) = customers(store, ["坏名字"])

    def refuse(request: PushRequest) -> PushResponse:
        raise Refused(422, "invalid_record", "ops[0].fields.name not allowed")

    SyncEngine(store, refuse, nothing_to_pull).run()
    (draft,) = store.rejected_ops()
    store.resend_rejected([draft["op"]["seq"]], RecordKind.CUSTOMER, bad, {"name": "好名字", "kind": "pharmacy"})
    pushed: list[PushRequest] = []

    def push(request: PushRequest) -> PushResponse:
        pushed.append(request)
        return accept_all(request)

    report = SyncEngine(store, push, nothing_to_pull).run()
    ((op,),) = [request.ops for request in pushed]
    assert op.record_id == bad and op.fields == {"name": "好名字", "kind": "pharmacy"}
    assert op.seq > draft["op"]["seq"]
    assert (report.pushed, store.rejected_ops(), store.pending_count()) == (1, [], 0)


def test_progress_is_reported_for_each_push_batch_and_pull_page(store: LocalStore) -> None:
    customers(store, ["a", "b", "c"])
    ids = [new_id() for _ in range(7)]

    def pull(request: PullRequest) -> PullResponse:
        page = [
            Change(i + 1, RecordKind.CUSTOMER, ids[i], False, {"name": f"c{i}", "kind": "clinic"})
            for i in range(request.cursor, min(request.cursor + request.limit, len(ids)))
        ]
        cursor = page[-1].seq if page else request.cursor
        return PullResponse(changes=page, cursor=cursor, has_more=cursor < len(ids))

    seen: list[SyncProgress] = []
    SyncEngine(store, accept_all, pull, push_batch=2, pull_limit=3, on_progress=seen.append).run()
    assert seen == [
        SyncProgress(pushed=2),
        SyncProgress(pushed=3),
        SyncProgress(pushed=3, pages=1, received=3, more=True),
        SyncProgress(pushed=3, pages=2, received=6, more=True),
        SyncProgress(pushed=3, pages=3, received=7, more=False),
    ]


def test_a_full_pull_says_so_on_every_page_and_a_resync_starts_one(store: LocalStore) -> None:
    store.apply_pull_page([], 40)  # a phone that synced before
    sent: list[tuple[int, bool]] = []

    def pull(request: PullRequest) -> PullResponse:
        sent.append((request.cursor, request.full))
        if request.cursor == 40:
            raise ResyncRequired(410, "resync_required", "deletes forgotten since your cursor")
        seq = request.cursor + 1
        change = Change(seq, RecordKind.CUSTOMER, new_id(), False, {"name": f"店{seq}", "kind": "shop"})
        return PullResponse(changes=[change], cursor=seq, has_more=seq < 3)

    SyncEngine(store, accept_all, pull).run()
    assert sent == [(40, False), (0, True), (1, True), (2, True)]
    assert store.pull_cursor() == 3


def test_a_server_that_sends_a_full_pull_back_is_a_protocol_violation_not_a_loop(store: LocalStore) -> None:
    def pull(request: PullRequest) -> PullResponse:
        if request.cursor > 0:
            raise ResyncRequired(410, "resync_required", "deletes forgotten since your cursor")
        change = Change(1, RecordKind.CUSTOMER, new_id(), False, {"name": "店", "kind": "shop"})
        return PullResponse(changes=[change], cursor=1, has_more=True)

    with pytest.raises(ProtocolViolation, match="full resync of a full pull"):
        SyncEngine(store, accept_all, pull).run()


def test_a_full_pull_cut_short_goes_on_from_its_cursor_still_saying_full(store: LocalStore) -> None:
    """A first sync on a weak link: the link drops after two pages. The next sync goes on from the stored cursor
    and still says `full` (its cursors may lie below the horizon); once it ends, the next pull is an ordinary one.
    Without the flag the server would send it back to 0 after every drop (issue #20)."""
    sent: list[tuple[int, bool]] = []
    drop_at = [2]

    def pull(request: PullRequest) -> PullResponse:
        sent.append((request.cursor, request.full))
        if drop_at and request.cursor == drop_at[0]:
            drop_at.clear()
            raise Unreachable("ReadError: connection reset by peer")
        if request.cursor >= 4:
            return nothing_to_pull(request)
        seq = request.cursor + 1
        change = Change(seq, RecordKind.CUSTOMER, new_id(), False, {"name": f"店{seq}", "kind": "shop"})
        return PullResponse(changes=[change], cursor=seq, has_more=seq < 4)

    with pytest.raises(Unreachable):
        SyncEngine(store, accept_all, pull).run()
    assert store.pull_cursor() == 2 and store.full_pull_unfinished()
    SyncEngine(store, accept_all, pull).run()
    assert not store.full_pull_unfinished()
    SyncEngine(store, accept_all, pull).run()
    assert sent == [(0, True), (1, True), (2, True), (2, True), (3, True), (4, False)]
    assert len(store.all(RecordKind.CUSTOMER)) == 4


def test_a_full_pull_left_unfinished_for_more_than_a_week_goes_on_as_an_ordinary_one(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past a week the server may have forgotten a delete made after the pull's first pages: it decides."""
    import datetime as dt

    from client import clock as company_clock

    change = Change(1, RecordKind.CUSTOMER, new_id(), False, {"name": "店", "kind": "shop"})
    store.apply_pull_page([change], 1, full_pull_pending=True)
    assert store.full_pull_unfinished()
    later = company_clock.utc_now() + dt.timedelta(days=8)
    monkeypatch.setattr(company_clock, "utc_now", lambda: later)
    assert not store.full_pull_unfinished()
    store.restart_pull()
    assert store.pull_cursor() == 0 and not store.full_pull_unfinished()


def test_a_pull_from_0_may_ask_for_larger_pages_than_the_pulls_after_it(store: LocalStore) -> None:
    """A first sync is dozens of pages, each a round trip on a slow link: the app asks for the protocol's largest."""
    limits: list[tuple[int, bool]] = []

    def pull(request: PullRequest) -> PullResponse:
        limits.append((request.limit, request.full))
        return PullResponse(changes=[], cursor=request.cursor + 1, has_more=request.cursor < 1)

    SyncEngine(store, accept_all, pull, pull_limit=500, full_pull_limit=1000).run()
    SyncEngine(store, accept_all, pull, pull_limit=500, full_pull_limit=1000).run()
    assert limits == [(1000, True), (1000, True), (500, False)]
