"""A customer merged into another (合并, docs/duplicates.md) reaches the phone as a tombstone naming its survivor
(`deleted: true, data: {"merged_into": A}`): the store re-points, with the pull page, in one durable step, its
records and its waiting ops from the merged customer to the survivor; nothing is lost or doubled, the ops still
form the phone's chain, and a merge pulled twice changes nothing more."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client.storage.store import FORM_DRAFT, MERGED, OUTBOX, REJECTED, LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind
from shared.ids import new_id
from sync.chain import GENESIS, op_hash, signature_valid
from sync.protocol import (
    MERGED_INTO,
    Change,
    OpResult,
    OpStatus,
    PullResponse,
    changes_of_groups,
    column_groups,
    parse_pull_response,
)

CIPHER = StoreCipher(bytes(32))
CHECK_IN = "2026-11-26T09:00:00+08:00"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    opened = LocalStore(tmp_path / "store", CIPHER)
    yield opened
    opened.close()


def pulled_customer(store: LocalStore, seq: int, name: str) -> str:
    """A customer as the server sends it (no waiting op)."""
    customer_id = new_id()
    data = {"name": name, "kind": "village_clinic", "territory": "东片"}
    store.apply_pull_page([Change(seq, RecordKind.CUSTOMER, customer_id, False, data)], cursor=seq)
    return customer_id


def merge(merged: str, survivor: str, seq: int) -> Change:
    return Change(seq, RecordKind.CUSTOMER, merged, True, {MERGED_INTO: survivor})


def visit_fields(customer_id: str) -> dict[str, Any]:
    return {"customer_id": customer_id, "check_in_at": CHECK_IN, "visit_type": "day"}


def note_fields(customer_id: str, text: str) -> dict[str, Any]:
    return {"customer_id": customer_id, "text": text, "created_at": CHECK_IN}


def chain_holds(store: LocalStore) -> bool:
    """Every waiting op is signed by the phone's key and names the hash of the op before it."""
    ops = store.pending_ops(1000)
    key = store.signing_key().public_key
    previous = GENESIS
    for op in ops:
        if op.prev_hash != previous or not signature_valid(op, key):
            return False
        previous = op_hash(op)
    return store.storage.read()["meta"]["device"]["chain_head"] == previous


def test_the_tombstone_names_the_survivor_in_both_encodings() -> None:
    survivor, merged = new_id(), new_id()
    change = merge(merged, survivor, 7)
    assert change.merged_into == survivor
    assert Change(7, RecordKind.CUSTOMER, merged, True, None).merged_into is None  # a plain delete
    assert Change(7, RecordKind.VISIT, merged, True, {MERGED_INTO: survivor}).merged_into is None
    assert Change(7, RecordKind.CUSTOMER, merged, True, {MERGED_INTO: merged}).merged_into is None
    plain = PullResponse([change], cursor=7, has_more=False).as_dict()
    assert parse_pull_response(plain).changes == [change]
    rows = [(7, "customer", merged, True, {MERGED_INTO: survivor})]
    assert changes_of_groups(column_groups(rows)) == [change]


def test_a_merge_re_points_the_waiting_ops_and_local_records_in_one_step(store: LocalStore) -> None:
    kept = pulled_customer(store, 1, "王庄村卫生室")
    gone = pulled_customer(store, 2, "王庄卫生室")
    visit_id, note_id, other_note = new_id(), new_id(), new_id()
    store.save(RecordKind.VISIT, visit_id, visit_fields(gone))
    store.save(RecordKind.NOTE, note_id, note_fields(gone, "院长周三坐诊"))
    store.save(RecordKind.CUSTOMER, gone, {"phone": "13912345678"})  # an edit of the merged customer
    store.save(RecordKind.NOTE, other_note, note_fields(kept, "已在A上"))
    assert chain_holds(store)
    before = {op.seq: op for op in store.pending_ops(100)}
    lines = store.storage.journal_lines

    store.apply_pull_page([merge(gone, kept, 3)], cursor=3)

    assert store.storage.journal_lines == lines + 1  # one durable write: records, ops, chain head, cursor
    assert store.get(RecordKind.CUSTOMER, gone) is None
    assert [c["id"] for c in store.all(RecordKind.CUSTOMER)] == [kept]
    assert store.get(RecordKind.VISIT, visit_id)["customer_id"] == kept
    assert store.get(RecordKind.NOTE, note_id)["customer_id"] == kept
    assert {note["id"] for note in store.find(RecordKind.NOTE, customer_id=kept)} == {note_id, other_note}
    assert store.find(RecordKind.VISIT, customer_id=gone) == []
    assert store.get(RecordKind.CUSTOMER, kept)["phone"] == "13912345678"  # the edit shows on the survivor
    ops = store.pending_ops(100)
    assert [op.seq for op in ops] == sorted(before)  # nothing dropped, nothing added
    assert [(op.kind, op.record_id, op.fields.get("customer_id")) for op in ops] == [
        (RecordKind.VISIT, visit_id, kept),
        (RecordKind.NOTE, note_id, kept),
        (RecordKind.CUSTOMER, kept, None),
        (RecordKind.NOTE, other_note, kept),
    ]
    assert [op.op_id for op in ops] == [op.op_id for op in before.values()]  # the same ops, re-pointed
    assert ops[0].fields == {**before[ops[0].seq].fields, "customer_id": kept}
    assert ops[2].fields == {"phone": "13912345678"} and ops[2].base == before[ops[2].seq].base
    assert ops[3].fields == before[ops[3].seq].fields and ops[3].prev_hash != before[ops[3].seq].prev_hash
    assert chain_holds(store)  # signed again and linked again, the chain head moved with them
    assert store.survivor(gone) == kept and store.survivor(kept) == kept


def test_the_same_merge_pulled_twice_changes_nothing_more(store: LocalStore) -> None:
    kept = pulled_customer(store, 1, "王庄村卫生室")
    gone = pulled_customer(store, 2, "王庄卫生室")
    store.save(RecordKind.NOTE, new_id(), note_fields(gone, "院长周三坐诊"))
    store.apply_pull_page([merge(gone, kept, 3)], cursor=3)
    data = store.storage.read()
    outbox, records = dict(data[OUTBOX]), dict(data[RecordKind.NOTE.value])
    store.apply_pull_page([merge(gone, kept, 3)], cursor=3)  # a page fetched again (a resync, a retried pull)
    data = store.storage.read()
    assert data[OUTBOX] == outbox and data[RecordKind.NOTE.value] == records
    assert dict(data[MERGED]) == {gone: {MERGED_INTO: kept}}
    assert chain_holds(store)


def test_a_merge_into_a_survivor_the_phone_does_not_hold_yet(store: LocalStore) -> None:
    """The survivor comes in a later page (or the phone never had it): the records wait on it, B is gone."""
    gone = pulled_customer(store, 1, "王庄卫生室")
    survivor = new_id()
    visit_id = new_id()
    store.save(RecordKind.VISIT, visit_id, visit_fields(gone))
    store.apply_pull_page([merge(gone, survivor, 2)], cursor=2, full_pull_pending=False)
    assert store.all(RecordKind.CUSTOMER) == []
    assert store.get(RecordKind.VISIT, visit_id)["customer_id"] == survivor
    (op,) = store.pending_ops(10)
    assert op.fields["customer_id"] == survivor and chain_holds(store)
    data = {"name": "王庄村卫生室", "kind": "village_clinic", "territory": "东片"}
    store.apply_pull_page([Change(3, RecordKind.CUSTOMER, survivor, False, data)], cursor=3)
    assert [visit["id"] for visit in store.find(RecordKind.VISIT, customer_id=survivor)] == [visit_id]


def pulled(store: LocalStore, seq: int, kind: RecordKind, fields: dict[str, Any]) -> str:
    """A record as the server sends it (synced: no waiting op)."""
    record_id = new_id()
    store.apply_pull_page([Change(seq, kind, record_id, False, fields)], cursor=seq)
    return record_id


def test_a_merge_into_another_territory_takes_the_synced_records_off_the_phone(store: LocalStore) -> None:
    """B merged into a customer of another territory: the server moved B's records there, so the phone drops the
    ones it had pulled instead of keeping them under a customer it does not list; what still waits to be sent
    is re-pointed and sent (the server applies or refuses it: never dropped)."""
    gone = pulled_customer(store, 1, "王庄卫生室")
    synced_visit = pulled(store, 2, RecordKind.VISIT, {**visit_fields(gone), "territory": "东片"})
    synced_note = pulled(store, 3, RecordKind.NOTE, {**note_fields(gone, "旧记录"), "territory": "东片"})
    waiting_note = new_id()
    store.save(RecordKind.NOTE, waiting_note, note_fields(gone, "还没发出去"))
    elsewhere = new_id()  # the survivor, in another territory: never pulled by this phone

    store.apply_pull_page([merge(gone, elsewhere, 4)], cursor=4)

    assert store.get(RecordKind.VISIT, synced_visit) is None
    assert store.get(RecordKind.NOTE, synced_note) is None
    assert store.get(RecordKind.NOTE, waiting_note)["customer_id"] == elsewhere
    (op,) = store.pending_ops(10)
    assert op.record_id == waiting_note and op.fields["customer_id"] == elsewhere and chain_holds(store)
    assert store.survivor(gone) == elsewhere


def test_a_survivor_in_the_same_page_keeps_the_records(store: LocalStore) -> None:
    gone = pulled_customer(store, 1, "王庄卫生室")
    synced_visit = pulled(store, 2, RecordKind.VISIT, {**visit_fields(gone), "territory": "东片"})
    survivor = new_id()
    data = {"name": "王庄村卫生室", "kind": "village_clinic", "territory": "东片"}
    store.apply_pull_page([merge(gone, survivor, 3), Change(4, RecordKind.CUSTOMER, survivor, False, data)], cursor=4)
    assert store.get(RecordKind.VISIT, synced_visit)["customer_id"] == survivor


def test_a_chain_of_merges_in_one_page_ends_on_the_last_survivor(store: LocalStore) -> None:
    a, b, c = (pulled_customer(store, seq, name) for seq, name in ((1, "甲"), (2, "乙"), (3, "丙")))
    note_id = new_id()
    store.save(RecordKind.NOTE, note_id, note_fields(c, "丙的记录"))
    store.apply_pull_page([merge(c, b, 4), merge(b, a, 5)], cursor=5)  # C into B, then B into A
    assert store.get(RecordKind.NOTE, note_id)["customer_id"] == a
    assert store.pending_ops(10)[0].fields["customer_id"] == a
    assert [customer["id"] for customer in store.all(RecordKind.CUSTOMER)] == [a]
    assert store.survivor(c) == a


def test_what_is_saved_after_the_merge_on_the_merged_customer_lands_on_the_survivor(store: LocalStore) -> None:
    """A visit or note form open on B while the merge was pulled keeps its text; saved, it is stored on A, and the
    form being typed (kept as the rep types) names A, so it opens again after a restart."""
    kept = pulled_customer(store, 1, "王庄村卫生室")
    gone = pulled_customer(store, 2, "王庄卫生室")
    typing = {"screen": "customer", "target": gone, "values": {"note": "没写完的"}, "customer_id": None}
    store.set_meta(**{FORM_DRAFT: typing})
    visit = {"screen": "visit", "target": None, "values": {"person_met": "王院长"}, "customer_id": gone}
    store.apply_pull_page([merge(gone, kept, 3)], cursor=3)
    assert store.get_meta(FORM_DRAFT) == {**typing, "target": kept}
    store.set_meta(**{FORM_DRAFT: visit})  # the open visit form, kept again from the screen after the pull
    note = store.save(RecordKind.NOTE, new_id(), note_fields(gone, "合并后才保存"))
    assert note["customer_id"] == kept and store.pending_ops(10)[-1].fields["customer_id"] == kept
    edited = store.save(RecordKind.CUSTOMER, gone, {"phone": "13800000000"})  # an edit form open on B
    assert edited["id"] == kept and store.get(RecordKind.CUSTOMER, gone) is None
    assert store.get(RecordKind.CUSTOMER, kept)["phone"] == "13800000000"
    assert store.get_meta(FORM_DRAFT)["values"] == {"person_met": "王院长"}  # the text is never touched


def test_drafts_plans_and_unsigned_ops_follow_the_merge(store: LocalStore) -> None:
    kept = pulled_customer(store, 1, "王庄村卫生室")
    gone = pulled_customer(store, 2, "王庄卫生室")
    plan_id = new_id()
    plan = {"rep_id": new_id(), "day": "2026-11-26", "customer_ids": [gone, kept], "territory": "东片"}
    store.apply_pull_page([Change(3, RecordKind.ROUTE_PLAN, plan_id, False, plan)], cursor=3)
    refused = new_id()
    store.save(RecordKind.NOTE, refused, note_fields(gone, "被拒的"))
    (op,) = store.pending_ops(10)
    store.record_results([OpResult(op.seq, op.op_id, OpStatus.REJECTED, "invalid", "bad")])
    store.apply_pull_page([merge(gone, kept, 4)], cursor=4)
    assert store.get(RecordKind.ROUTE_PLAN, plan_id)["customer_ids"] == [kept]
    (draft,) = store.rejected_ops()
    assert draft["op"]["fields"]["customer_id"] == kept and draft["op"]["op_id"] == op.op_id
    assert store.storage.read()[REJECTED][str(op.seq)]["code"] == "invalid"
