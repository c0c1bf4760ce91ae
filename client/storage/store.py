"""The rep's local store: records, the outbox of ops to push, and device metadata, in TinyDB.

Every write goes through `JournalStorage.commit`, so a record and the op that will carry it to the
server are stored together in one fsynced step: when `save` returns, the UI may say "saved".
One writer: a process-wide lock here, a file lock in the storage.

Everything the store writes is sealed with the data key of the `StoreCipher` it is given
(`LocalStore(folder, cipher)`); the app gets that cipher from `client.storage.vault.Vault.unlock(pin)`,
a test makes one directly, e.g. `StoreCipher(bytes(32))` or `StoreCipher.new()`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB
from tinydb.table import Table

from client import clock as company_clock
from client.storage.journal import Change, JournalStorage
from client.storage.vault import StoreCipher
from shared.enums import OpAction, RecordKind
from shared.hlc import Hlc, receive, tick
from shared.ids import new_id
from shared.records import DELETABLE_KINDS, FieldError, validate_fields, visit_type_problems
from sync.chain import GENESIS, PhoneKey, op_hash
from sync.protocol import MERGED_INTO, Op, OpResult, OpStatus, SigningKey
from sync.protocol import Change as PulledChange

OUTBOX = "outbox"  # ops waiting for the server, keyed by their seq
REJECTED = "rejected"  # ops the server refused for good: drafts the rep can see, fix or discard
CLOCKS = "clocks"  # per record, the clock (shared.hlc) of each field's value as this device knows it
META = "meta"
META_ID = "device"
# Customers merged into another (合并, docs/duplicates.md), keyed by the merged one's id: {"merged_into": survivor}.
# Kept for good (a merge is rare, an entry is two ids) so that what still names the merged customer after the pull
# that brought the merge (a form open on it, a screen in the history) lands on the survivor.
MERGED = "merged"
# Meta: the form the rep is typing, kept as they type (client/shell/autosave.py FormDraft); re-pointed by a merge.
FORM_DRAFT = "form_draft"
COMPACT_AFTER_LINES = 5_000
# Meta: when an unfinished pull from 0 began (UTC); how long such a pull may go on from its cursor.
FULL_PULL_SINCE = "full_pull_since"
FULL_PULL_RESUMABLE = dt.timedelta(days=7)
# Meta: the phone's signing key (sync/chain.py; the private half, sealed with the rest of the store), its first
# signed op number, and the hash of its last signed op (the next op's `prev_hash`), kept with that op.
SIGNING_KEY = "signing_key"
SIGNED_FROM_SEQ = "signed_from_seq"
CHAIN_HEAD = "chain_head"
# Fields looked up by value on a rep's taps, kept in an in-memory index so that a check-in (which counts
# the customer's visits) and the customer card cost what that customer has, not what the phone holds.
INDEXED_FIELDS = {
    RecordKind.VISIT.value: "customer_id",
    RecordKind.NOTE.value: "customer_id",
    RecordKind.CONFLICT.value: "record_id",
    RecordKind.KEY_PERSON.value: "customer_id",
    RecordKind.COMPLAINT.value: "customer_id",
    RecordKind.ORDER.value: "customer_id",
    RecordKind.COMPETITOR_REPORT.value: "customer_id",
    RecordKind.COMPLAINT_STEP.value: "complaint_id",  # a complaint's history on the customer card
    RecordKind.APPROVAL.value: "customer_id",  # 审批 on the customer card and the visit
}


class InvalidRecord(ValueError):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field} {e.problem}" for e in errors))
        self.errors = errors


class RecordTable(Table):
    """Documents keyed by their record id (a UUID text), not TinyDB's counter."""

    document_id_class = str  # type: ignore[assignment]


class RecordDB(TinyDB):
    table_class = RecordTable


class FieldIndex:
    """Record ids by the value of one field of a table (ids in the order they were first indexed)."""

    def __init__(self, field: str, docs: dict[str, dict[str, Any]]) -> None:
        self.field = field
        self._ids: dict[str, dict[str, None]] = {}
        self._value_of: dict[str, str] = {}
        for doc_id, doc in docs.items():
            self.put(doc_id, doc)

    def put(self, doc_id: str, doc: dict[str, Any]) -> None:
        value = doc.get(self.field)
        old = self._value_of.get(doc_id)
        if old == value:
            return
        self.delete(doc_id)
        if isinstance(value, str):
            self._ids.setdefault(value, {})[doc_id] = None
            self._value_of[doc_id] = value

    def delete(self, doc_id: str) -> None:
        old = self._value_of.pop(doc_id, None)
        if old is not None:
            ids = self._ids.get(old, {})
            ids.pop(doc_id, None)
            if not ids:
                self._ids.pop(old, None)

    def ids(self, value: object) -> list[str]:
        return list(self._ids.get(value, {})) if isinstance(value, str) else []


class LocalStore:
    def __init__(self, folder: str | Path, cipher: StoreCipher) -> None:
        self.cipher = cipher
        self._lock = threading.RLock()
        self._storage: JournalStorage | None = None
        self._indexes: dict[str, FieldIndex] = {}  # built on first use, then kept up to date by `_commit`
        self._key: PhoneKey | None = None  # the signing key, read from the metadata on first use
        self._db = RecordDB(folder, storage=self._open_storage)
        if self.storage.journal_lines:
            self.storage.compact()
        if not self.get_meta("device_id"):
            self.set_meta(device_id=new_id(), next_seq=1, cursor=0)
        if not self.get_meta(SIGNING_KEY):
            # A new install, or one made before phones signed their ops: it signs from its next op on, and what
            # waits in its outbox goes as it was made, unsigned (the server accepts those: docs/security.md).
            key = PhoneKey.new()
            self.set_meta(**{SIGNING_KEY: key.private_hex(), SIGNED_FROM_SEQ: int(self.get_meta("next_seq", 1))})

    def _open_storage(self, folder: str | Path) -> JournalStorage:
        self._storage = JournalStorage(folder, self.cipher)
        return self._storage

    @property
    def storage(self) -> JournalStorage:
        assert self._storage is not None
        return self._storage

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---- metadata ---------------------------------------------------------------------------

    @property
    def device_id(self) -> str:
        return str(self.get_meta("device_id"))

    def chain_head(self) -> tuple[int, str | None]:
        """The number of the phone's last op and its hash (None before its first signed op): what the supervisor's
        /devices page shows for this phone once every op has reached the server."""
        return int(self.get_meta("next_seq", 1)) - 1, self.get_meta(CHAIN_HEAD) or None

    def signing_key(self) -> SigningKey:
        """The phone's public key and its first signed op number, as pushes and the sign-in carry them."""
        return SigningKey(self._signing_key().public_hex, int(self.get_meta(SIGNED_FROM_SEQ, 1)))

    def _signing_key(self) -> PhoneKey:
        if self._key is None:
            self._key = PhoneKey.from_hex(str(self.get_meta(SIGNING_KEY)))
        return self._key

    def _meta(self) -> dict[str, Any]:
        return dict(self.storage.read().get(META, {}).get(META_ID, {}))

    def get_meta(self, key: str, default: Any = None) -> Any:
        return self._meta().get(key, default)

    def set_meta(self, **values: Any) -> None:
        with self._lock:
            self._commit([("put", META, META_ID, {**self._meta(), **values})])

    # ---- reading ----------------------------------------------------------------------------

    def _table(self, name: str) -> Table:
        return self._db.table(name)

    def get(self, kind: RecordKind, record_id: str) -> dict[str, Any] | None:
        doc = self.storage.read().get(kind.value, {}).get(record_id)
        return dict(doc) if doc is not None else None

    def all(self, kind: RecordKind) -> list[dict[str, Any]]:
        # One copy per record, straight from the tables (TinyDB's `Table.all()` made a Document copy first: two
        # copies of 20,000 visits at once was a third of a first sync's peak memory, docs/benchmarks.md section 7).
        with self._lock:
            return [dict(doc) for doc in self.storage.read().get(kind.value, {}).values()]

    def count(self, kind: RecordKind) -> int:
        """How many records of `kind` the phone holds (no copies)."""
        with self._lock:
            return len(self.storage.read().get(kind.value, {}))

    def find(self, kind: RecordKind, /, **equals: Any) -> list[dict[str, Any]]:
        """Records whose fields equal the given values, e.g. find(RecordKind.VISIT, customer_id=x).

        An indexed field (`INDEXED_FIELDS`) among them is looked up in its index: the cost is the
        number of records with that value, not the size of the table.
        """
        field = INDEXED_FIELDS.get(kind.value)
        if field is None or field not in equals:
            return [dict(doc) for doc in self._table(kind.value).search(Query().fragment(equals))]
        with self._lock:
            docs = self.storage.read().get(kind.value, {})
            candidates = [docs[doc_id] for doc_id in self._index(kind.value).ids(equals[field]) if doc_id in docs]
        return [
            dict(doc) for doc in candidates if all(name in doc and doc[name] == value for name, value in equals.items())
        ]

    def _index(self, table: str) -> FieldIndex:
        index = self._indexes.get(table)
        if index is None:
            index = FieldIndex(INDEXED_FIELDS[table], self.storage.read().get(table, {}))
            self._indexes[table] = index
        return index

    def pending_count(self) -> int:
        return len(self.storage.read().get(OUTBOX, {}))

    def pending_record_ids(self) -> set[str]:
        return {op["record_id"] for op in self.storage.read().get(OUTBOX, {}).values()}

    def rejected_ops(self) -> list[dict[str, Any]]:
        return sorted(self.storage.read().get(REJECTED, {}).values(), key=lambda item: item["op"]["seq"])

    def rejected_op(self, seq: int) -> dict[str, Any] | None:
        draft = self.storage.read().get(REJECTED, {}).get(str(seq))
        return dict(draft) if draft is not None else None

    # ---- writing ----------------------------------------------------------------------------

    def save(self, kind: RecordKind, record_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Store the record's new fields and the op that pushes them, durably, in one step."""
        with self._lock:
            record, changes = self._put_changes(kind, record_id, fields)
            self._commit(changes)
            return record

    def resend_rejected(
        self, seqs: Iterable[int], kind: RecordKind, record_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """The rep fixed refused ops: a new op with `fields` replaces the drafts `seqs`.

        The record, the new op and the drafts' removal are one durable step: the drafts go only
        together with the op that replaces them (an invalid fix raises InvalidRecord and keeps them).
        """
        with self._lock:
            record, changes = self._put_changes(kind, record_id, fields)
            drafts = self.storage.read().get(REJECTED, {})
            changes += [("del", REJECTED, str(seq), None) for seq in seqs if str(seq) in drafts]
            self._commit(changes)
            return record

    def _put_changes(
        self, kind: RecordKind, record_id: str, fields: dict[str, Any]
    ) -> tuple[dict[str, Any], list[Change]]:
        """The record with `fields` and the changes that store it with its op (validated; not yet stored).

        A customer merged away since the form was opened is replaced by its survivor (`survivor`): the rep's
        note, visit or edit is stored on the customer that stands, as the server would place it."""
        if kind is RecordKind.CUSTOMER:
            record_id = self.survivor(record_id)
        fields = _following(fields, self._merged())
        existing = self.get(kind, record_id)
        errors = validate_fields(kind, fields, creating=existing is None)
        if errors:
            raise InvalidRecord(errors)
        record = {**(existing or {}), **fields, "id": record_id}
        if kind is RecordKind.VISIT and (errors := visit_type_problems(record)):  # a type's own fields only
            raise InvalidRecord(errors)
        known = self.field_clocks(record_id)
        base = {name: known[name] for name in fields if name in known}
        op, meta = self._new_op(kind, record_id, OpAction.PUT, fields, base)
        clocks = {**known, **dict.fromkeys(fields, op.hlc)}
        changes: list[Change] = [
            ("put", kind.value, record_id, record),
            ("put", CLOCKS, record_id, clocks),
            ("put", OUTBOX, str(op.seq), op.as_dict()),
            ("put", META, META_ID, meta),
        ]
        return record, changes

    def delete(self, kind: RecordKind, record_id: str) -> None:
        with self._lock:
            if kind not in DELETABLE_KINDS:
                raise InvalidRecord([FieldError("kind", f"{kind.value} records cannot be deleted")])
            op, meta = self._new_op(kind, record_id, OpAction.DELETE, {}, {})
            self._commit(
                [
                    ("del", kind.value, record_id, None),
                    ("put", OUTBOX, str(op.seq), op.as_dict()),
                    ("put", META, META_ID, meta),
                ]
            )

    def discard_rejected(self, seq: int) -> None:
        """The rep chose to drop a refused op (the only way a refused op ever goes away).

        What it wrote leaves the phone too: the phone's copy of its record goes (unless another waiting op
        or draft still writes that record) and the next pull starts from 0, so the record comes back as the
        server holds it, or stays gone if the server never had it. Without this a discarded visit stayed
        on the phone for good, shown as saved (found by tests/integration/test_sync_stateful.py). A discard
        is rare; the full pull is the price of not keeping a server copy of every record.
        """
        with self._lock:
            data = self.storage.read()
            draft = data.get(REJECTED, {}).get(str(seq))
            changes: list[Change] = [("del", REJECTED, str(seq), None)]
            if draft is not None:
                kind, record_id = draft["op"]["kind"], draft["op"]["record_id"]
                still_written = any(op["record_id"] == record_id for op in data.get(OUTBOX, {}).values()) or any(
                    other["op"]["record_id"] == record_id
                    for key, other in data.get(REJECTED, {}).items()
                    if key != str(seq)
                )
                if not still_written:
                    changes += [("del", kind, record_id, None), ("del", CLOCKS, record_id, None)]
                changes.append(("put", META, META_ID, {**self._meta(), "cursor": 0}))
            self._commit(changes)

    def field_clocks(self, record_id: str) -> dict[str, str]:
        return dict(self.storage.read().get(CLOCKS, {}).get(record_id, {}))

    def _clock(self) -> Hlc | None:
        text = self.get_meta("hlc")
        return Hlc.parse(text) if text else None

    def _new_op(
        self, kind: RecordKind, record_id: str, action: OpAction, fields: dict[str, Any], base: dict[str, str]
    ) -> tuple[Op, dict[str, Any]]:
        """The op for a change, signed, and the device metadata after it (next seq, the clock advanced, the chain's
        new head): what the rep saved is what is signed, and the head is stored in the same step as the op."""
        meta = self._meta()
        seq = int(meta.get("next_seq", 1))
        clock = tick(self._clock(), company_clock.now_ms(), self.device_id)
        op = Op(
            op_id=new_id(),
            device_id=self.device_id,
            seq=seq,
            kind=kind,
            record_id=record_id,
            action=action,
            fields=dict(fields),
            made_at=company_clock.utc_now().isoformat(timespec="seconds"),
            hlc=str(clock),
            base=base,
            prev_hash=str(meta.get(CHAIN_HEAD) or GENESIS),
        )
        op = self._signing_key().sign(op)
        return op, {**meta, "next_seq": seq + 1, "hlc": str(clock), CHAIN_HEAD: op_hash(op)}

    def _commit(self, changes: list[Change]) -> None:
        with self._lock:
            self.storage.commit(changes)
            for action, table, doc_id, doc in changes:
                index = self._indexes.get(table)
                if index is not None:
                    if action == "put" and doc is not None:
                        index.put(doc_id, doc)
                    else:
                        index.delete(doc_id)
            for name in {change[1] for change in changes}:
                self._table(name).clear_cache()

    # ---- what the sync engine needs (sync.engine.SyncStore) ----------------------------------

    def pending_ops(self, limit: int) -> list[Op]:
        outbox = self.storage.read().get(OUTBOX, {})
        ops = sorted(outbox.values(), key=lambda op: op["seq"])[:limit]
        return [_op_of(op) for op in ops]

    def record_results(self, results: Sequence[OpResult]) -> None:
        """Drop acknowledged ops from the outbox; move refused ones to the drafts, never away."""
        with self._lock:
            outbox = self.storage.read().get(OUTBOX, {})
            changes: list[Change] = []
            for result in results:
                op = outbox.get(str(result.seq))
                if op is None or op["op_id"] != result.op_id:
                    continue  # an answer about an op we no longer hold (already acknowledged)
                if result.status is OpStatus.REJECTED:
                    draft = {"op": op, "code": result.code, "message": result.message}
                    changes.append(("put", REJECTED, str(result.seq), draft))
                changes.append(("del", OUTBOX, str(result.seq), None))
            self._commit(changes)

    def pull_cursor(self) -> int:
        return int(self.get_meta("cursor", 0))

    def full_pull_unfinished(self) -> bool:
        """A pull from 0 stopped between pages less than FULL_PULL_RESUMABLE ago: it goes on from its cursor.

        The phone then holds only what that pull brought, so a delete the server forgot since cannot concern
        it, unless the pull stopped for longer than the server keeps deletes (90 days by default): after a
        week, the pull goes on as an ordinary one, and the server sends it back to 0 if it must."""
        since = self.get_meta(FULL_PULL_SINCE)
        if not isinstance(since, str):
            return False
        try:
            started = dt.datetime.fromisoformat(since)
        except ValueError:
            return False
        return abs(company_clock.utc_now() - started) < FULL_PULL_RESUMABLE

    def apply_pull_page(self, changes: Iterable[PulledChange], cursor: int, *, full_pull_pending: bool = False) -> int:
        """Store a pulled page and its cursor in one durable step; returns how many records changed.

        `full_pull_pending`: the page is part of a pull from 0 and more pages follow; kept with the cursor, so
        that a pull cut short (by the network, or the app closed) goes on from here as part of it.

        A record with ops still waiting in the outbox takes the server's state with the waiting edits
        re-applied on top: those ops reach the server next, and its merged answer comes back in a
        later pull. The device's clock moves past every clock it sees, so its next edits order after.

        A customer's tombstone that names a survivor (a merge, `Change.merged_into`) first re-points, in the same
        step, what the phone holds of the merged customer (`_repoint_merged`).
        """
        with self._lock:
            changes = list(changes)
            meta = self._meta()
            batch: list[Change] = []
            merges = {change.record_id: change.merged_into for change in changes if change.merged_into}
            if merges:
                arriving = {
                    change.record_id
                    for change in changes
                    if change.kind is RecordKind.CUSTOMER and not change.deleted and change.data is not None
                }
                outbox, meta = self._repoint_merged(merges, meta, batch, arriving)
            else:
                outbox = self.storage.read().get(OUTBOX, {})
            pending, deleting = _waiting_edits(outbox)
            clock = self._clock()
            for change in changes:
                waiting = pending.get(change.record_id)
                if change.deleted or change.data is None or change.record_id in deleting:
                    if waiting is None and change.record_id not in deleting:
                        batch += [
                            ("del", change.kind.value, change.record_id, None),
                            ("del", CLOCKS, change.record_id, None),
                        ]
                    continue  # the phone's ops go first; the server answers them (a draft if refused)
                data = {**change.data, "id": change.record_id}
                server_clocks = dict(data.pop("field_clocks", None) or {})
                if server_clocks:  # the texts order like the clocks: the newest is the max
                    newest = Hlc.parse(max(server_clocks.values()))
                    clock = receive(clock, newest, company_clock.now_ms(), self.device_id)
                local_clocks = self.field_clocks(change.record_id) if waiting else {}
                if waiting is not None:  # the rep's edits still on their way stay on top
                    data.update(waiting)
                    server_clocks.update({name: local_clocks[name] for name in waiting if name in local_clocks})
                batch.append(("put", change.kind.value, change.record_id, data))
                if server_clocks:
                    batch.append(("put", CLOCKS, change.record_id, server_clocks))
            meta = {**meta, "cursor": cursor} | ({"hlc": str(clock)} if clock else {})
            if full_pull_pending:
                meta.setdefault(FULL_PULL_SINCE, company_clock.utc_now().isoformat(timespec="seconds"))
            else:
                meta.pop(FULL_PULL_SINCE, None)
            batch.append(("put", META, META_ID, meta))
            self._commit(batch)
            return sum(1 for change in batch if change[1] not in (META, CLOCKS, OUTBOX, REJECTED, MERGED))

    def restart_pull(self) -> None:
        """Forget what was pulled and pull everything again (the server no longer has every delete since
        our cursor). Records with waiting ops stay, as do the outbox, the drafts and the device's clock."""
        with self._lock:
            waiting = self.pending_record_ids()
            data = self.storage.read()
            batch: list[Change] = []
            for kind in RecordKind:
                for record_id in data.get(kind.value, {}):
                    if record_id not in waiting:
                        batch += [("del", kind.value, record_id, None), ("del", CLOCKS, record_id, None)]
            meta = {**self._meta(), "cursor": 0}
            meta.pop(FULL_PULL_SINCE, None)
            batch.append(("put", META, META_ID, meta))
            self._commit(batch)

    # ---- merged customers (合并, docs/duplicates.md) -------------------------------------------

    def _merged(self) -> dict[str, str]:
        return {key: str(doc[MERGED_INTO]) for key, doc in self.storage.read().get(MERGED, {}).items()}

    def survivor(self, customer_id: str) -> str:
        """The customer that stands for `customer_id`: itself, or the one it was merged into (chains followed)."""
        return _survivor_of(customer_id, self._merged())

    def _repoint_merged(
        self, merges: dict[str, str], meta: dict[str, Any], batch: list[Change], arriving: set[str]
    ) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
        """Re-point everything the phone holds that names a merged customer to its survivor, as changes added to
        `batch` (stored with the pull page that brought the merges, in one durable step): its records (visits,
        notes, orders, key persons, complaints... and the customer lists of plans and campaigns), its waiting ops,
        its drafts, the form being typed. Returns the outbox and the device metadata as re-pointed.

        A waiting op whose content changes is signed again, and every waiting op after it is linked again to the
        new hash (sync/chain.py): the engine pulls only once its outbox is empty, so the ops waiting now were made
        after the last push and never reached the server. A waiting delete of the merged customer stays as it is
        (the server ignores it); an edit of it becomes an edit of the survivor, as the server would apply it.
        Pulled twice, a merge finds nothing left to re-point.

        A record of the merged customer whose survivor the phone neither holds nor receives in this page
        (`arriving`) left the phone's reach: the survivor is in another territory (a merge across territories), and
        the server moved the record there. It is dropped rather than kept under a customer the phone does not
        list, unless ops for it still wait (they are re-pointed and sent; the server applies or refuses them, and
        a refusal comes back as a draft). Were the survivor in the phone's territory after all (its row in a later
        page), nothing is lost: the merge logged every moved record again under the survivor, so they arrive."""
        known = self._merged()
        for merged, survivor in merges.items():
            known[merged] = survivor
        resolved = {merged: _survivor_of(merged, known) for merged in known}
        for merged, survivor in resolved.items():
            if known.get(merged) != survivor or merged in merges:
                batch.append(("put", MERGED, merged, {MERGED_INTO: survivor}))
        data = self.storage.read()
        customers = data.get(RecordKind.CUSTOMER.value, {})
        within_reach = set(customers) | arriving
        waiting = {op["record_id"] for op in data.get(OUTBOX, {}).values()}
        for table in (kind.value for kind in RecordKind if kind is not RecordKind.CUSTOMER):
            for record_id, doc in data.get(table, {}).items():
                moved = _following(doc, resolved)
                if moved is doc:
                    continue
                gone = moved.get("customer_id") != doc.get("customer_id") and moved["customer_id"] not in within_reach
                if gone and record_id not in waiting:
                    batch += [("del", table, record_id, None), ("del", CLOCKS, record_id, None)]
                else:
                    batch.append(("put", table, record_id, moved))
        outbox: dict[str, dict[str, Any]] = {}
        hashes: dict[int, str] = {}  # the new hash of each op signed again, by seq
        for key, item in sorted(data.get(OUTBOX, {}).items(), key=lambda entry: entry[1]["seq"]):
            op = _op_of(item)
            fields = _following(op.fields, resolved)
            record_id = op.record_id
            if op.kind is RecordKind.CUSTOMER and op.action is OpAction.PUT and record_id in resolved:
                record_id = resolved[record_id]
                survivor_doc = customers.get(record_id)
                if survivor_doc is not None:  # the edit shows on the survivor now, as it will on the server
                    survivor_doc = {**survivor_doc, **fields, "id": record_id}
                    customers = {**customers, record_id: survivor_doc}
                    batch.append(("put", RecordKind.CUSTOMER.value, record_id, survivor_doc))
                    clocks = {**dict(data.get(CLOCKS, {}).get(record_id, {})), **dict.fromkeys(fields, op.hlc)}
                    batch.append(("put", CLOCKS, record_id, clocks))
            relinked = op.signature is not None and op.seq - 1 in hashes
            if fields is op.fields and record_id == op.record_id and not relinked:
                outbox[key] = item
                continue
            op = dataclasses.replace(op, fields=fields, record_id=record_id)
            if op.signature is not None:
                op = dataclasses.replace(op, prev_hash=hashes.get(op.seq - 1, op.prev_hash))
                op = self._signing_key().sign(op)
                hashes[op.seq] = op_hash(op)
            outbox[key] = op.as_dict()
            batch.append(("put", OUTBOX, key, outbox[key]))
        head = int(meta.get("next_seq", 1)) - 1
        if head in hashes:
            meta = {**meta, CHAIN_HEAD: hashes[head]}
        for key, draft in data.get(REJECTED, {}).items():  # never sent as they are: a fix makes a new op
            op_fields = _following(draft["op"].get("fields", {}), resolved)
            if op_fields is not draft["op"].get("fields", {}):
                batch.append(("put", REJECTED, key, {**draft, "op": {**draft["op"], "fields": op_fields}}))
        typing = meta.get(FORM_DRAFT)
        if isinstance(typing, dict):
            moved_typing = {
                **typing,
                **{name: resolved[typing[name]] for name in ("target", "customer_id") if typing.get(name) in resolved},
            }
            if moved_typing != typing:
                meta = {**meta, FORM_DRAFT: moved_typing}
        return outbox, meta

    def conflicts(self, record_id: str | None = None) -> list[dict[str, Any]]:
        """Concurrent edits the server resolved (of one record if given), newest first (kept and lost values)."""
        found = (
            self.all(RecordKind.CONFLICT) if record_id is None else self.find(RecordKind.CONFLICT, record_id=record_id)
        )
        return sorted(found, key=lambda item: str(item.get("created_at")), reverse=True)

    def maybe_compact(self) -> bool:
        """Fold a long journal into the snapshot; the sync runner calls it when idle."""
        with self._lock:
            if self.storage.journal_lines < COMPACT_AFTER_LINES:
                return False
            self.storage.compact()
            return True


def _waiting_edits(outbox: dict[str, dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """The fields that waiting ops write, per record and in order; and the records they delete."""
    fields: dict[str, dict[str, Any]] = {}
    deleting: set[str] = set()
    for op in sorted(outbox.values(), key=lambda op: op["seq"]):
        if op["action"] == OpAction.DELETE.value:
            deleting.add(op["record_id"])
        else:
            fields.setdefault(op["record_id"], {}).update(op["fields"])
    return fields, deleting


def _op_of(op: dict[str, Any]) -> Op:
    """An outbox entry as the op it stores."""
    return Op(
        op_id=op["op_id"],
        device_id=op["device_id"],
        seq=op["seq"],
        kind=RecordKind(op["kind"]),
        record_id=op["record_id"],
        action=OpAction(op["action"]),
        fields=op["fields"],
        made_at=op["made_at"],
        hlc=op.get("hlc"),
        base=op.get("base", {}),
        prev_hash=op.get("prev_hash"),
        signature=op.get("signature"),
    )


def _survivor_of(customer_id: str, merged: dict[str, str]) -> str:
    """The customer that stands for `customer_id` by the merges `merged` (merged id -> survivor), chains followed."""
    seen = {customer_id}
    while customer_id in merged and merged[customer_id] not in seen:
        customer_id = merged[customer_id]
        seen.add(customer_id)
    return customer_id


def _following(fields: dict[str, Any], merged: dict[str, str]) -> dict[str, Any]:
    """`fields` with the customers they name (`customer_id`, a list's `customer_ids`) replaced by their survivors;
    `fields` itself (the same object) when it names no merged customer."""
    if not merged:
        return fields
    moved: dict[str, Any] = {}
    customer_id = fields.get("customer_id")
    if isinstance(customer_id, str) and customer_id in merged:
        moved["customer_id"] = _survivor_of(customer_id, merged)
    customer_ids = fields.get("customer_ids")
    if isinstance(customer_ids, list) and any(isinstance(c, str) and c in merged for c in customer_ids):
        moved["customer_ids"] = list(
            dict.fromkeys(_survivor_of(c, merged) if isinstance(c, str) else c for c in customer_ids)
        )
    return {**fields, **moved} if moved else fields
