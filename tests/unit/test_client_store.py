import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from client.storage.journal import JOURNAL, SNAPSHOT, CorruptStore, JournalStorage, StoreLocked
from client.storage.store import InvalidRecord, LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind
from shared.ids import new_id
from sync.protocol import Change, OpResult, OpStatus

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-26T08:00:00+08:00"
CIPHER = StoreCipher(bytes(32))  # tests skip the PIN's key derivation: any 32 bytes make a store key


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    opened = LocalStore(tmp_path / "store", CIPHER)
    yield opened
    opened.close()


def add_customer(store: LocalStore, name: str = "王庄村卫生室") -> str:
    customer_id = new_id()
    store.save(RecordKind.CUSTOMER, customer_id, {"name": name, "kind": "village_clinic"})
    return customer_id


def test_a_save_stores_the_record_and_its_op_together(store: LocalStore) -> None:
    customer_id = add_customer(store)
    assert store.get(RecordKind.CUSTOMER, customer_id)["name"] == "王庄村卫生室"
    (op,) = store.pending_ops(10)
    assert (op.seq, op.record_id, op.device_id) == (1, customer_id, store.device_id)
    assert op.fields == {"name": "王庄村卫生室", "kind": "village_clinic"}


def test_an_update_merges_fields_and_queues_only_the_change(store: LocalStore) -> None:
    customer_id = add_customer(store)
    merged = store.save(RecordKind.CUSTOMER, customer_id, {"phone": "0311-5551234"})
    assert merged["name"] == "王庄村卫生室" and merged["phone"] == "0311-5551234"
    assert [op.fields for op in store.pending_ops(10)][1] == {"phone": "0311-5551234"}
    assert [op.seq for op in store.pending_ops(10)] == [1, 2]


def test_an_invalid_record_is_refused_and_nothing_is_stored(store: LocalStore) -> None:
    with pytest.raises(InvalidRecord) as raised:
        store.save(RecordKind.VISIT, new_id(), {"visit_type": "teleport"})
    assert {error.field for error in raised.value.errors} >= {"visit_type", "customer_id", "check_in_at"}
    assert store.all(RecordKind.VISIT) == [] and store.pending_count() == 0


def test_everything_survives_reopening(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, CIPHER)
    customer_id = add_customer(store)
    store.set_meta(token="t0ken")
    device_id = store.device_id
    store.close()
    again = LocalStore(tmp_path, CIPHER)
    assert again.get(RecordKind.CUSTOMER, customer_id) is not None
    assert (again.device_id, again.get_meta("token"), again.pending_count()) == (device_id, "t0ken", 1)
    add_customer(again, "second")
    assert [op.seq for op in again.pending_ops(10)] == [1, 2]
    again.close()


def test_find_filters_by_field_values(store: LocalStore) -> None:
    customer_id = add_customer(store)
    other = add_customer(store, "李家诊所")
    store.save(RecordKind.NOTE, new_id(), {"customer_id": customer_id, "text": "院长周三在", "created_at": NOW})
    assert [note["text"] for note in store.find(RecordKind.NOTE, customer_id=customer_id)] == ["院长周三在"]
    assert store.find(RecordKind.NOTE, customer_id=other) == []
    assert len(store.find(RecordKind.CUSTOMER, kind="village_clinic")) == 2


def test_acknowledged_ops_leave_the_outbox_and_refused_ones_become_drafts(store: LocalStore) -> None:
    first, second = add_customer(store), add_customer(store, "x")
    ops = store.pending_ops(10)
    store.record_results(
        [
            OpResult(ops[0].seq, ops[0].op_id, OpStatus.APPLIED),
            OpResult(ops[1].seq, ops[1].op_id, OpStatus.REJECTED, "forbidden", "not your territory"),
        ]
    )
    assert store.pending_count() == 0
    (draft,) = store.rejected_ops()
    assert draft["op"]["record_id"] == second and draft["message"] == "not your territory"
    assert store.get(RecordKind.CUSTOMER, second) is not None  # the rep's work is still there
    store.discard_rejected(draft["op"]["seq"])
    assert store.rejected_ops() == []
    assert store.get(RecordKind.CUSTOMER, first) is not None


def test_a_discarded_draft_leaves_the_phone_and_the_next_pull_brings_the_server_copy(store: LocalStore) -> None:
    """What a discarded op wrote does not stay on the phone as if saved: its record goes (unless another
    draft or waiting op still writes it) and the pull starts again from 0, to bring back the server's copy."""
    pulled = new_id()
    store.apply_pull_page(
        [Change(7, RecordKind.CUSTOMER, pulled, False, {"id": pulled, "name": "甲", "kind": "village_clinic"})], 7
    )
    store.save(RecordKind.CUSTOMER, pulled, {"phone": "0312-1"})  # refused: the record keeps the server's name
    visit, twice = new_id(), add_customer(store)
    store.save(RecordKind.VISIT, visit, visit_fields(new_id()))  # refused: never on the server
    store.save(RecordKind.CUSTOMER, twice, {"phone": "0312-2"})
    ops = store.pending_ops(10)
    store.record_results([OpResult(op.seq, op.op_id, OpStatus.REJECTED, "forbidden", "no") for op in ops])
    drafts = {draft["op"]["record_id"]: draft["op"]["seq"] for draft in store.rejected_ops()}
    store.discard_rejected(drafts[visit])
    assert store.get(RecordKind.VISIT, visit) is None and store.pull_cursor() == 0
    store.discard_rejected(drafts[pulled])
    assert store.get(RecordKind.CUSTOMER, pulled) is None
    store.discard_rejected(min(draft["op"]["seq"] for draft in store.rejected_ops()))  # `twice` has a second draft
    assert store.get(RecordKind.CUSTOMER, twice) is not None
    store.apply_pull_page(
        [Change(9, RecordKind.CUSTOMER, pulled, False, {"id": pulled, "name": "甲", "kind": "village_clinic"})], 9
    )
    assert store.get(RecordKind.CUSTOMER, pulled) == {"id": pulled, "name": "甲", "kind": "village_clinic"}


def test_an_answer_about_an_unknown_op_changes_nothing(store: LocalStore) -> None:
    add_customer(store)
    (op,) = store.pending_ops(10)
    store.record_results([OpResult(op.seq, new_id(), OpStatus.APPLIED)])
    assert store.pending_count() == 1


def test_a_pulled_page_never_overwrites_a_record_with_pending_ops(store: LocalStore) -> None:
    mine = add_customer(store, "本地改名")
    theirs = new_id()
    store.apply_pull_page(
        [
            Change(1, RecordKind.CUSTOMER, mine, False, {"name": "服务器名", "kind": "clinic"}),
            Change(2, RecordKind.CUSTOMER, theirs, False, {"name": "新客户", "kind": "pharmacy"}),
        ],
        cursor=2,
    )
    assert store.get(RecordKind.CUSTOMER, mine)["name"] == "本地改名"
    assert store.get(RecordKind.CUSTOMER, theirs) == {"name": "新客户", "kind": "pharmacy", "id": theirs}
    assert store.pull_cursor() == 2
    store.apply_pull_page([Change(3, RecordKind.CUSTOMER, theirs, True, None)], cursor=3)
    assert store.get(RecordKind.CUSTOMER, theirs) is None
    assert store.pull_cursor() == 3


def test_pulled_fields_arrive_under_the_edits_still_waiting(store: LocalStore) -> None:
    customer_id = add_customer(store, "本地名")
    store.save(RecordKind.CUSTOMER, customer_id, {"phone": "0312-1"})
    server = {"name": "本地名", "kind": "clinic", "phone": "0312-0", "address": "城关镇", "field_clocks": {}}
    store.apply_pull_page([Change(1, RecordKind.CUSTOMER, customer_id, False, server)], cursor=1)
    record = store.get(RecordKind.CUSTOMER, customer_id)
    assert record == {
        "id": customer_id,
        "name": "本地名",
        "kind": "village_clinic",
        "phone": "0312-1",
        "address": "城关镇",
    }


def test_a_pulled_record_does_not_revive_one_deleted_on_the_phone(store: LocalStore) -> None:
    customer_id = new_id()
    store.apply_pull_page([Change(1, RecordKind.CUSTOMER, customer_id, False, {"name": "甲", "kind": "clinic"})], 1)
    store.delete(RecordKind.CUSTOMER, customer_id)
    store.apply_pull_page([Change(2, RecordKind.CUSTOMER, customer_id, False, {"name": "乙", "kind": "clinic"})], 2)
    assert store.get(RecordKind.CUSTOMER, customer_id) is None


def test_an_edit_names_the_clock_of_the_value_it_replaced(store: LocalStore) -> None:
    customer_id = new_id()
    server_clock = "9000000000000000-00000-server"  # far ahead of the phone's wall clock
    data = {"name": "甲", "kind": "clinic", "field_clocks": {"name": server_clock, "kind": server_clock}}
    store.apply_pull_page([Change(1, RecordKind.CUSTOMER, customer_id, False, data)], cursor=1)
    assert "field_clocks" not in store.get(RecordKind.CUSTOMER, customer_id)
    store.save(RecordKind.CUSTOMER, customer_id, {"name": "乙"})
    [op] = store.pending_ops(10)
    assert op.base == {"name": server_clock}
    assert op.hlc is not None and op.hlc > server_clock  # seen before, so ordered after
    store.save(RecordKind.CUSTOMER, customer_id, {"name": "丙"})
    second = store.pending_ops(10)[1]
    assert second.base == {"name": op.hlc} and second.hlc > op.hlc


def test_a_second_process_cannot_open_the_same_store(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, CIPHER)
    code = (
        "from client.storage.store import LocalStore; from client.storage.vault import StoreCipher; "
        f"LocalStore({str(tmp_path)!r}, StoreCipher(bytes(32)))"
    )
    child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert child.returncode != 0 and StoreLocked.__name__ in child.stderr
    store.close()


def test_a_torn_journal_tail_is_cut_and_the_rest_recovered(tmp_path: Path) -> None:
    storage = JournalStorage(tmp_path, CIPHER)
    storage.commit([("put", "note", "1", {"text": "kept"})])
    storage.close()
    with open(tmp_path / JOURNAL, "ab") as journal:
        journal.write(b"q83v6mT0Zx")  # a crash mid-append: the start of a line, no newline
    recovered = JournalStorage(tmp_path, CIPHER)
    assert recovered.read() == {"note": {"1": {"text": "kept"}}}
    recovered.commit([("put", "note", "3", {"text": "after"})])
    recovered.close()
    assert set(JournalStorage(tmp_path, CIPHER).read()["note"]) == {"1", "3"}


def test_a_damaged_last_line_is_a_torn_tail_but_a_damaged_middle_line_refuses_to_open(tmp_path: Path) -> None:
    storage = JournalStorage(tmp_path, CIPHER)
    for note in "123":
        storage.commit([("put", "note", note, {"text": note})])
    storage.close()
    lines = (tmp_path / JOURNAL).read_bytes().splitlines(keepends=True)

    def flipped(line: bytes) -> bytes:  # one base64 character changed: other bits of the sealed line
        return line[:20] + (b"A" if line[20:21] != b"A" else b"B") + line[21:]

    (tmp_path / JOURNAL).write_bytes(lines[0] + lines[1] + flipped(lines[2]))
    assert set(JournalStorage(tmp_path, CIPHER).read()["note"]) == {"1", "2"}  # the last line: a crash's tail
    (tmp_path / JOURNAL).write_bytes(lines[0] + flipped(lines[1]) + lines[2])
    with pytest.raises(CorruptStore, match="line 2 of 3"):
        JournalStorage(tmp_path, CIPHER)
    assert (tmp_path / JOURNAL).read_bytes() == lines[0] + flipped(lines[1]) + lines[2]  # nothing cut


def test_compaction_folds_the_journal_into_the_snapshot(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, CIPHER)
    ids = [add_customer(store, f"c{i}") for i in range(20)]
    store.storage.compact()
    assert (tmp_path / JOURNAL).stat().st_size == 0 and (tmp_path / SNAPSHOT).stat().st_size > 0
    add_customer(store, "after")  # a line after the new snapshot
    store.close()
    again = LocalStore(tmp_path, CIPHER)
    assert {c["name"] for c in again.all(RecordKind.CUSTOMER)} == {f"c{i}" for i in range(20)} | {"after"}
    assert set(ids) < {c["id"] for c in again.all(RecordKind.CUSTOMER)}
    again.close()


WRITER = """
import sys
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind
from shared.ids import new_id
store = LocalStore(sys.argv[1], StoreCipher(bytes(32)))
customer = new_id()
store.save(RecordKind.CUSTOMER, customer, {"name": "crash", "kind": "clinic"})
print("C", customer, flush=True)
n = 0
while True:
    note = new_id()
    fields = {"customer_id": customer, "text": "x" * 300, "created_at": "2026-11-26T08:00:00+08:00"}
    store.save(RecordKind.NOTE, note, fields)
    print("N", note, flush=True)  # printed only after save returned: a promise to the rep
    n += 1
    if n % 150 == 0:
        store.storage.compact()
"""


@pytest.mark.slow
def test_every_returned_save_survives_sigkill_at_random_moments(tmp_path: Path) -> None:
    rng = random.Random(20261126)
    folder = tmp_path / "crash"
    promised: set[str] = set()
    for _ in range(60):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        first = child.stdout.readline()  # the store is open and writing
        assert first.startswith("C ")
        time.sleep(rng.uniform(0.0, 0.08))
        os.kill(child.pid, signal.SIGKILL)
        output, _ = child.communicate()
        complete_lines = [first, *output.split("\n")[:-1]]  # what follows the last newline may be torn
        promised.update(line.split()[1] for line in complete_lines)
        store = LocalStore(folder, CIPHER)  # must always load
        stored = {c["id"] for c in store.all(RecordKind.CUSTOMER)} | {n["id"] for n in store.all(RecordKind.NOTE)}
        missing = promised - stored
        assert not missing, f"{len(missing)} saves that had returned are gone"
        assert store.pending_count() == len(stored)  # each record still has its op
        store.close()
    assert len(promised) > 200


def visit_fields(customer_id: str) -> dict[str, object]:
    return {"customer_id": customer_id, "visit_type": "day", "check_in_at": NOW}


def test_the_customer_index_follows_saves_pulls_moves_and_deletes(tmp_path: Path) -> None:
    """find() by customer_id answers from an index; it must agree with a scan after every kind of change."""
    store = LocalStore(tmp_path / "store", CIPHER)
    first, second = add_customer(store), add_customer(store, "李家诊所")
    mine = new_id()
    store.save(RecordKind.VISIT, mine, visit_fields(first))
    assert [visit["id"] for visit in store.find(RecordKind.VISIT, customer_id=first)] == [mine]  # index built now
    pulled_visit, gone = new_id(), new_id()
    store.apply_pull_page(
        [
            Change(1, RecordKind.VISIT, pulled_visit, False, {**visit_fields(first), "rep_id": "x"}),
            Change(2, RecordKind.VISIT, gone, False, visit_fields(second)),
        ],
        2,
    )
    store.save(RecordKind.VISIT, mine, {"customer_id": second})  # a visit moved to another customer
    store.apply_pull_page([Change(3, RecordKind.VISIT, gone, True, None)], 3)

    def ids(customer_id: str) -> set[str]:
        return {visit["id"] for visit in store.find(RecordKind.VISIT, customer_id=customer_id)}

    def scanned(customer_id: str) -> set[str]:
        return {visit["id"] for visit in store.all(RecordKind.VISIT) if visit.get("customer_id") == customer_id}

    assert ids(first) == scanned(first) == {pulled_visit}
    assert ids(second) == scanned(second) == {mine}
    assert [v["id"] for v in store.find(RecordKind.VISIT, customer_id=first, rep_id="x")] == [pulled_visit]
    assert store.find(RecordKind.VISIT, customer_id=second, rep_id="x") == []
    store.restart_pull()  # forgets pulled records, keeps the ones with waiting ops
    assert ids(first) == scanned(first) == set() and ids(second) == {mine}
    store.close()
    again = LocalStore(tmp_path / "store", CIPHER)
    assert {visit["id"] for visit in again.find(RecordKind.VISIT, customer_id=second)} == {mine}
    again.close()


def test_counting_a_customers_visits_does_not_scan_the_visit_table(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = add_customer(store)
    for _ in range(3):
        store.save(RecordKind.VISIT, new_id(), visit_fields(customer_id))
    store.find(RecordKind.VISIT, customer_id=customer_id)  # builds the index
    table = store._table(RecordKind.VISIT.value)

    def no_scan(*args: object, **kwargs: object) -> None:
        raise AssertionError("scanned the visit table")

    monkeypatch.setattr(table, "search", no_scan)
    store.save(RecordKind.VISIT, new_id(), visit_fields(customer_id))
    assert len(store.find(RecordKind.VISIT, customer_id=customer_id)) == 4


def refuse_all(store: LocalStore) -> None:
    store.record_results(
        [
            OpResult(op.seq, op.op_id, OpStatus.REJECTED, "forbidden", "not your territory")
            for op in store.pending_ops(50)
        ]
    )


def test_a_resent_draft_is_replaced_by_a_new_op_in_one_durable_step(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store", CIPHER)
    customer_id = add_customer(store)
    refuse_all(store)
    (draft,) = store.rejected_ops()
    fixed = {"name": "王庄村卫生室（新址）", "kind": "village_clinic"}
    record = store.resend_rejected([draft["op"]["seq"]], RecordKind.CUSTOMER, customer_id, fixed)
    assert record["name"] == "王庄村卫生室（新址）"
    assert store.rejected_ops() == []
    (op,) = store.pending_ops(10)
    assert op.fields == fixed and op.seq == draft["op"]["seq"] + 1
    store.close()
    again = LocalStore(tmp_path / "store", CIPHER)  # both halves of the step survived together
    assert again.rejected_ops() == [] and again.pending_count() == 1
    again.close()


def test_an_invalid_fix_keeps_the_draft(store: LocalStore) -> None:
    customer_id = add_customer(store)
    refuse_all(store)
    (draft,) = store.rejected_ops()
    with pytest.raises(InvalidRecord):
        store.resend_rejected([draft["op"]["seq"]], RecordKind.CUSTOMER, customer_id, {"name": ""})
    assert store.rejected_ops() == [draft] and store.pending_count() == 0


def test_conflicts_of_one_record_newest_first(store: LocalStore) -> None:
    customer_id, other = add_customer(store), add_customer(store, "x")
    store.apply_pull_page(
        [
            Change(
                1,
                RecordKind.CONFLICT,
                new_id(),
                False,
                {"record_id": customer_id, "field": "phone", "created_at": "2026-11-26T01:00:00+00:00"},
            ),
            Change(
                2,
                RecordKind.CONFLICT,
                new_id(),
                False,
                {"record_id": customer_id, "field": "name", "created_at": "2026-11-26T02:00:00+00:00"},
            ),
            Change(
                3,
                RecordKind.CONFLICT,
                new_id(),
                False,
                {"record_id": other, "field": "name", "created_at": "2026-11-26T03:00:00+00:00"},
            ),
        ],
        3,
    )
    assert [conflict["field"] for conflict in store.conflicts(customer_id)] == ["name", "phone"]
    assert len(store.conflicts()) == 3
