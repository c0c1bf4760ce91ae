"""The rep's local store: records, the outbox of ops to push, and device metadata, in TinyDB.

Every write goes through `JournalStorage.commit`, so a record and the op that will carry it to the
server are stored together in one fsynced step: when `save` returns, the UI may say "saved".
One writer: a process-wide lock here, a file lock in the storage.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB
from tinydb.table import Table

from client.journal import Change, JournalStorage
from shared.enums import OpAction, RecordKind
from shared.ids import new_id
from shared.records import DELETABLE_KINDS, FieldError, validate_fields
from sync.protocol import Change as PulledChange
from sync.protocol import Op, OpResult, OpStatus

OUTBOX = "outbox"  # ops waiting for the server, keyed by their seq
REJECTED = "rejected"  # ops the server refused for good: drafts the rep can see, fix or discard
META = "meta"
META_ID = "device"
COMPACT_AFTER_LINES = 5_000


class InvalidRecord(ValueError):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field} {e.problem}" for e in errors))
        self.errors = errors


class RecordTable(Table):
    """Documents keyed by their record id (a UUID text), not TinyDB's counter."""

    document_id_class = str  # type: ignore[assignment]


class RecordDB(TinyDB):
    table_class = RecordTable


class LocalStore:
    def __init__(self, folder: str | Path) -> None:
        self._lock = threading.RLock()
        self._storage: JournalStorage | None = None
        self._db = RecordDB(folder, storage=self._open_storage)
        if self.storage.journal_lines:
            self.storage.compact()
        if not self.get_meta("device_id"):
            self.set_meta(device_id=new_id(), next_seq=1, cursor=0)

    def _open_storage(self, folder: str | Path) -> JournalStorage:
        self._storage = JournalStorage(folder)
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
        return [dict(doc) for doc in self._table(kind.value).all()]

    def find(self, kind: RecordKind, /, **equals: Any) -> list[dict[str, Any]]:
        """Records whose fields equal the given values, e.g. find(RecordKind.VISIT, customer_id=x)."""
        return [dict(doc) for doc in self._table(kind.value).search(Query().fragment(equals))]

    def pending_count(self) -> int:
        return len(self.storage.read().get(OUTBOX, {}))

    def pending_record_ids(self) -> set[str]:
        return {op["record_id"] for op in self.storage.read().get(OUTBOX, {}).values()}

    def rejected_ops(self) -> list[dict[str, Any]]:
        return sorted(self.storage.read().get(REJECTED, {}).values(), key=lambda item: item["op"]["seq"])

    # ---- writing ----------------------------------------------------------------------------

    def save(self, kind: RecordKind, record_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Store the record's new fields and the op that pushes them, durably, in one step."""
        with self._lock:
            existing = self.get(kind, record_id)
            errors = validate_fields(kind, fields, creating=existing is None)
            if errors:
                raise InvalidRecord(errors)
            record = {**(existing or {}), **fields, "id": record_id}
            op, next_seq = self._new_op(kind, record_id, OpAction.PUT, fields)
            self._commit(
                [
                    ("put", kind.value, record_id, record),
                    ("put", OUTBOX, str(op.seq), op.as_dict()),
                    ("put", META, META_ID, {**self._meta(), "next_seq": next_seq}),
                ]
            )
            return record

    def delete(self, kind: RecordKind, record_id: str) -> None:
        with self._lock:
            if kind not in DELETABLE_KINDS:
                raise InvalidRecord([FieldError("kind", f"{kind.value} records cannot be deleted")])
            op, next_seq = self._new_op(kind, record_id, OpAction.DELETE, {})
            self._commit(
                [
                    ("del", kind.value, record_id, None),
                    ("put", OUTBOX, str(op.seq), op.as_dict()),
                    ("put", META, META_ID, {**self._meta(), "next_seq": next_seq}),
                ]
            )

    def discard_rejected(self, seq: int) -> None:
        """The rep chose to drop a refused op (the only way a refused op ever goes away)."""
        with self._lock:
            self._commit([("del", REJECTED, str(seq), None)])

    def _new_op(self, kind: RecordKind, record_id: str, action: OpAction, fields: dict[str, Any]) -> tuple[Op, int]:
        seq = int(self.get_meta("next_seq", 1))
        op = Op(
            op_id=new_id(),
            device_id=self.device_id,
            seq=seq,
            kind=kind,
            record_id=record_id,
            action=action,
            fields=dict(fields),
            made_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        return op, seq + 1

    def _commit(self, changes: list[Change]) -> None:
        self.storage.commit(changes)
        for name in {change[1] for change in changes}:
            self._table(name).clear_cache()

    # ---- what the sync engine needs (sync.engine.SyncStore) ----------------------------------

    def pending_ops(self, limit: int) -> list[Op]:
        outbox = self.storage.read().get(OUTBOX, {})
        ops = sorted(outbox.values(), key=lambda op: op["seq"])[:limit]
        return [
            Op(
                op_id=op["op_id"],
                device_id=op["device_id"],
                seq=op["seq"],
                kind=RecordKind(op["kind"]),
                record_id=op["record_id"],
                action=OpAction(op["action"]),
                fields=op["fields"],
                made_at=op["made_at"],
            )
            for op in ops
        ]

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

    def apply_pull_page(self, changes: Iterable[PulledChange], cursor: int) -> int:
        """Store a pulled page and its cursor in one durable step; returns how many records changed.

        A record with ops still waiting in the outbox keeps its local state: those ops will reach
        the server, and the server's merged record comes back in a later pull.
        """
        with self._lock:
            pending = self.pending_record_ids()
            batch: list[Change] = []
            for change in changes:
                if change.record_id in pending:
                    continue
                if change.deleted or change.data is None:
                    batch.append(("del", change.kind.value, change.record_id, None))
                else:
                    batch.append(("put", change.kind.value, change.record_id, {**change.data, "id": change.record_id}))
            batch.append(("put", META, META_ID, {**self._meta(), "cursor": cursor}))
            self._commit(batch)
            return len(batch) - 1

    def maybe_compact(self) -> bool:
        """Fold a long journal into the snapshot; the sync runner calls it when idle."""
        with self._lock:
            if self.storage.journal_lines < COMPACT_AFTER_LINES:
                return False
            self.storage.compact()
            return True
