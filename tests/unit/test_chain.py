"""Issue #17: each phone's ops as a tamper-evident chain (sync/chain.py), and its check offline
(server/domains/chain/verify.py, `python -m server verify-export`).

A real phone store signs the ops (client/storage/store.py); each tampering the issue lists is then made on them
and must be found: a field edited after signing, an op dropped, ops reordered, an op replayed from another
phone, a photo swapped, a key from another phone; and a fork, a key replaced by whoever made the export, and an
op the server changed. The server's side (refusals, flags, the visit's display) is in
tests/integration/test_phone_chain.py; the chain under a faulty network in tests/integration/test_sync_stateful.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from client.storage.store import CHAIN_HEAD, META, META_ID, OUTBOX, SIGNED_FROM_SEQ, SIGNING_KEY, LocalStore
from client.storage.vault import StoreCipher
from server.domains.chain.verify import FORMAT, PROBLEMS, VERSION, Verdict, report, verify_lines
from shared.enums import OpAction, RecordKind
from shared.ids import new_id
from sync.chain import GENESIS, Link, PhoneKey, link_of, op_hash, signature_valid, signed_bytes
from sync.protocol import Op, parse_op

CUSTOMER = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[LocalStore]:
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    yield store
    store.close()


@pytest.fixture
def other_phone(tmp_path: Path) -> Iterator[LocalStore]:
    store = LocalStore(tmp_path / "other", StoreCipher(bytes(32)))
    yield store
    store.close()


def a_day_of_work(store: LocalStore) -> list[Op]:
    """A check-in, a photo, a note, a check-out: the phone's ops, as it signed them."""
    visit = new_id()
    store.save(
        RecordKind.VISIT,
        visit,
        {"customer_id": CUSTOMER, "visit_type": "day", "check_in_at": "2026-12-07T09:05:00+08:00"},
    )
    photo = {
        "customer_id": CUSTOMER,
        "visit_id": visit,
        "size": 1000,
        "sha256": "ab" * 32,
        "content_type": "image/jpeg",
        "taken_at": "2026-12-07T09:10:00+08:00",
    }
    store.save(RecordKind.VISIT_PHOTO, new_id(), photo)
    store.save(
        RecordKind.NOTE,
        new_id(),
        {"customer_id": CUSTOMER, "text": "王院长要样品", "created_at": "2026-12-07T09:20:00+08:00"},
    )
    store.save(RecordKind.VISIT, visit, {"check_out_at": "2026-12-07T09:40:00+08:00", "progress": "送样品"})
    return store.pending_ops(100)


def header(*phones: LocalStore, keys: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "from": "2026-12-06T16:00:00+00:00",
        "to": "2026-12-07T16:00:00+00:00",
        "exported_at": "2026-12-08T01:00:00+00:00",
        "phones": [
            {
                "device_id": store.device_id,
                "public_key": (keys or {}).get(store.device_id, store.signing_key().public_key),
                "signed_from_seq": store.signing_key().from_seq,
                "user": "rep.a",
            }
            for store in phones
        ],
    }


def line(op: Op, **extra: Any) -> str:
    hashed = op_hash(op) if op.signature is not None else None
    return json.dumps({"op": op.as_dict(), "hash": hashed, "link": "intact", "outcome": "applied", **extra})


def verify(head: dict[str, Any], ops: list[Op], **extra: dict[int, dict[str, Any]]) -> Verdict:
    """The verdict on an export holding `ops` (extra fields per op index under `extra["fields"]`)."""
    per_op = extra.get("fields", {})
    return verify_lines([json.dumps(head), *(line(op, **per_op.get(index, {})) for index, op in enumerate(ops))])


def kinds(verdict: Verdict) -> list[tuple[str, int | None]]:
    return [(problem.kind, problem.seq) for problem in verdict.problems]


def test_what_is_signed_is_canonical_json_and_an_ops_hash_follows_from_it() -> None:
    """The byte form both sides sign and check (docs/security.md shows it): keys sorted, no spaces, UTF-8 as is.
    Ed25519 signs deterministically, so this pins the format: changing it breaks every export made before."""
    key = PhoneKey.from_hex("0" * 62 + "01")
    device = "3c9d2e1f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
    op = Op(
        op_id="7b2f1c9e-0a4d-4c1e-9f3b-2d6e8a1c5b70",
        device_id=device,
        seq=1,
        kind=RecordKind.VISIT,
        record_id="9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b",
        action=OpAction.PUT,
        fields={
            "customer_id": CUSTOMER,
            "visit_type": "day",
            "check_in_at": "2026-12-07T09:05:00+08:00",
            "check_in_lat": 38.87,
            "person_met": "王院长",
        },
        made_at="2026-12-07T01:05:02+00:00",
        hlc=f"0001796605502000-00000-{device}",
        prev_hash=GENESIS,
    )
    assert signed_bytes(op).decode() == (
        '{"action":"put","base":{},"chain":1,"device_id":"3c9d2e1f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",'
        '"fields":{"check_in_at":"2026-12-07T09:05:00+08:00","check_in_lat":38.87,'
        '"customer_id":"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","person_met":"王院长","visit_type":"day"},'
        '"hlc":"0001796605502000-00000-3c9d2e1f-5a6b-4c7d-8e9f-0a1b2c3d4e5f","kind":"visit",'
        '"made_at":"2026-12-07T01:05:02+00:00","op_id":"7b2f1c9e-0a4d-4c1e-9f3b-2d6e8a1c5b70",'
        '"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",'
        '"record_id":"9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b","seq":1}'
    )
    signed = key.sign(op)
    assert key.public_hex == "4cb5abf6ad79fbf5abbccafcc269d85cd2651ed4b885b5869f241aedf0a5ba29"
    assert signed.signature == (
        "2ae80e38249ca849f8a2d179206341283cabe37eeb4ed431e3564a1d7b511746"
        "d8efbe9801424ef71d33fa176d1efbf3080d0dbba837c09dedc9d53708294500"
    )
    assert op_hash(signed) == "4c8ee8cdaf923d46b19193ec06167b6112602ab8e7a1171470b68ddd56bfe15f"
    # What travels is what was signed: the op as the server parses it from JSON checks the same.
    assert signature_valid(parse_op(json.loads(json.dumps(signed.as_dict())), "op"), key.public_hex)


def test_a_phone_signs_each_op_as_it_saves_it_and_keeps_the_chain_head_with_it(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, StoreCipher(bytes(32)))
    ops = a_day_of_work(store)
    key = store.signing_key()
    assert key.from_seq == 1
    assert [op.prev_hash for op in ops] == [GENESIS, *(op_hash(op) for op in ops[:-1])]
    assert all(signature_valid(op, key.public_key) for op in ops)
    assert store.get_meta(CHAIN_HEAD) == op_hash(ops[-1])
    store.close()
    # Reopened (the app restarted, or killed after the save returned): the same key, the chain goes on.
    again = LocalStore(tmp_path, StoreCipher(bytes(32)))
    assert again.signing_key() == key
    again.save(
        RecordKind.NOTE, new_id(), {"customer_id": CUSTOMER, "text": "再访", "created_at": "2026-12-07T10:00:00+08:00"}
    )
    assert again.pending_ops(100)[-1].prev_hash == op_hash(ops[-1])
    private = str(again.get_meta(SIGNING_KEY))
    again.close()
    # The private key is inside the encrypted store: in no file of the data folder in the clear.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert private.encode() not in path.read_bytes() and bytes.fromhex(private) not in path.read_bytes()


def test_a_phone_from_before_signing_sends_its_waiting_ops_unsigned_and_signs_from_its_next_op(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, StoreCipher(bytes(32)))
    old = a_day_of_work(store)
    # As an app from before issue #17 left it: no key, its outbox unsigned.
    meta = {
        k: v
        for k, v in store.storage.read()[META][META_ID].items()
        if k not in (SIGNING_KEY, SIGNED_FROM_SEQ, CHAIN_HEAD)
    }
    unsigned = [{k: v for k, v in op.as_dict().items() if k not in ("prev_hash", "signature")} for op in old]
    store.storage.commit([("put", META, META_ID, meta), *(("put", OUTBOX, str(op["seq"]), op) for op in unsigned)])
    store.close()
    updated = LocalStore(tmp_path, StoreCipher(bytes(32)))
    assert updated.signing_key().from_seq == len(old) + 1
    updated.save(
        RecordKind.NOTE, new_id(), {"customer_id": CUSTOMER, "text": "新版", "created_at": "2026-12-07T11:00:00+08:00"}
    )
    ops = updated.pending_ops(100)
    assert [op.signature is None for op in ops] == [True] * len(old) + [False]
    assert ops[-1].prev_hash == GENESIS and signature_valid(ops[-1], updated.signing_key().public_key)
    assert link_of(ops[-1].seq, ops[-1].prev_hash, len(old) + 1, None) is Link.START
    assert verify(header(updated), ops).ok
    updated.close()


def test_an_intact_day_verifies(phone: LocalStore) -> None:
    verdict = verify(header(phone), a_day_of_work(phone))
    assert verdict.ok, verdict.problems
    assert "OK" in report(verdict)


def test_a_field_edited_after_signing_is_found(phone: LocalStore) -> None:
    ops = a_day_of_work(phone)
    backdated = replace(ops[0], fields={**ops[0].fields, "check_in_at": "2026-12-01T09:05:00+08:00"})
    assert not signature_valid(backdated, phone.signing_key().public_key)
    verdict = verify(header(phone), [backdated, *ops[1:]])
    assert ("bad_signature", 1) in kinds(verdict)
    # Its time as the phone said it is signed too.
    later = replace(ops[2], made_at="2026-12-07T23:00:00+00:00")
    assert ("bad_signature", 3) in kinds(verify(header(phone), [*ops[:2], later, ops[3]]))


def test_an_op_dropped_is_found(phone: LocalStore) -> None:
    ops = a_day_of_work(phone)
    assert kinds(verify(header(phone), [ops[0], *ops[2:]])) == [("gap", 3)]
    # The first op of the phone's chain cannot be dropped either: the next one does not start a chain.
    assert kinds(verify(header(phone), ops[1:])) == []  # an export may begin mid-chain ...
    dropped_first = verify(header(phone), [replace(ops[1], seq=1)])  # ... but not claim to be its start
    assert ("bad_signature", 1) in kinds(dropped_first) and ("fork", 1) in kinds(dropped_first)


def test_ops_reordered_are_found(phone: LocalStore) -> None:
    ops = a_day_of_work(phone)
    assert kinds(verify(header(phone), [ops[0], ops[2], ops[1], ops[3]])) == [("gap", 3), ("out_of_order", 2)]
    # Renumbered to look in order: the numbers are signed.
    swapped = [ops[0], replace(ops[2], seq=2), replace(ops[1], seq=3), ops[3]]
    assert {kind for kind, _ in kinds(verify(header(phone), swapped))} >= {"bad_signature", "fork"}


def test_an_op_replayed_from_another_phone_is_found(phone: LocalStore, other_phone: LocalStore) -> None:
    ops = a_day_of_work(phone)
    theirs = a_day_of_work(other_phone)
    # The other phone's op, as this phone's next op: its phone and number are signed.
    replayed = replace(theirs[0], device_id=phone.device_id, seq=5, prev_hash=op_hash(ops[-1]))
    assert kinds(verify(header(phone, other_phone), [*ops, replayed])) == [("bad_signature", 5)]
    # As it was (the other phone's id): it is the other phone's op, not this one's; its chain shows it once.
    assert kinds(verify(header(phone, other_phone), [*ops, *theirs, theirs[0]])) == [("out_of_order", 1)]


def test_a_photo_swapped_is_found(phone: LocalStore) -> None:
    ops = a_day_of_work(phone)
    photo = ops[1]
    assert photo.kind is RecordKind.VISIT_PHOTO
    # Another photo's hash in the signed op: the signature breaks.
    swapped = replace(photo, fields={**photo.fields, "sha256": "cd" * 32})
    assert ("bad_signature", 2) in kinds(verify(header(phone), [ops[0], swapped, *ops[2:]]))
    # Other bytes on the server than the phone signed (the server's upload already refuses such bytes: 422).
    verdict = verify(header(phone), ops, fields={1: {"stored_sha256": "cd" * 32}})
    assert kinds(verdict) == [("photo_differs", 2)]
    assert verify(header(phone), ops, fields={1: {"stored_sha256": "ab" * 32}}).ok


def test_a_key_from_another_phone_is_found(phone: LocalStore, other_phone: LocalStore) -> None:
    ops = a_day_of_work(phone)
    thief = PhoneKey.from_hex(str(other_phone.get_meta(SIGNING_KEY)))
    forged = thief.sign(replace(ops[3], fields={**ops[3].fields, "ordered": True}))
    assert kinds(verify(header(phone), [*ops[:3], forged])) == [("bad_signature", 4)]
    # A whole chain signed again with another key, the key in the header replaced to match: the file is
    # consistent in itself, so only a key pinned from an earlier export shows it.
    earlier = verify_lines([json.dumps(header(phone)), *(line(op) for op in ops[:2])]).phones
    resigned, prev = [], GENESIS
    for op in ops:
        op = thief.sign(replace(op, prev_hash=prev))
        resigned.append(op)
        prev = op_hash(op)
    head = header(phone, keys={phone.device_id: thief.public_hex})
    assert verify(head, resigned).ok
    pinned = verify_lines([json.dumps(head), *(line(op) for op in resigned)], earlier)
    assert {problem.kind for problem in pinned.problems} == {"differs_from_pinned"}


def test_a_fork_is_found(phone: LocalStore, tmp_path: Path) -> None:
    """A copy of the phone's store (a backup restored, a cloned phone) makes its own op after the same op."""
    ops = a_day_of_work(phone)
    key = PhoneKey.from_hex(str(phone.get_meta(SIGNING_KEY)))
    clone_op = key.sign(replace(ops[2], op_id=new_id(), fields={**ops[2].fields, "text": "另一条"}))
    after_clone = key.sign(replace(ops[3], prev_hash=op_hash(clone_op)))
    assert kinds(verify(header(phone), [*ops[:3], after_clone])) == [("fork", 4)]


def test_an_unsigned_op_after_the_key_and_an_export_that_is_not_one_are_found(phone: LocalStore) -> None:
    ops = a_day_of_work(phone)
    stripped = replace(ops[1], prev_hash=None, signature=None)
    assert ("unsigned", 2) in kinds(verify(header(phone), [ops[0], stripped, *ops[2:]]))
    assert kinds(verify(header(phone), [ops[0], replace(ops[1], signature="0" * 128), *ops[2:]]))[0] == (
        "bad_signature",
        2,
    )
    verdict = verify_lines([json.dumps(header(phone)), "not json", json.dumps({"op": {"seq": 1}})])
    assert [problem.kind for problem in verdict.problems] == ["unreadable", "unreadable"]
    assert set(PROBLEMS) >= {problem.kind for problem in verdict.problems}


@pytest.mark.parametrize(
    ("seq", "prev", "start", "below", "link"),
    [
        (1, GENESIS, 1, None, Link.START),
        (1, "a" * 64, 1, None, Link.FORK),  # claims a chain before the phone's first signed op
        (5, GENESIS, 1, "a" * 64, Link.FORK),  # starts a second chain
        (5, "a" * 64, 1, "a" * 64, Link.INTACT),
        (5, "a" * 64, 1, "b" * 64, Link.FORK),
        (5, "a" * 64, 1, None, Link.GAP),
        (3, "a" * 64, 5, None, Link.FORK),  # signed before the phone signed
        (3, None, 5, None, Link.UNSIGNED),
        (3, None, None, None, Link.UNSIGNED),
    ],
)
def test_how_an_op_joins_the_op_below_it(
    seq: int, prev: str | None, start: int | None, below: str | None, link: Link
) -> None:
    assert link_of(seq, prev, start, below) is link
