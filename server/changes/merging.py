"""Applying an edit to a record whose fields merge by their clocks (customers, key persons, complaints)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel import Session

from server.actor import Actor
from server.changes.conflicts import record_conflict
from shared.enums import RecordKind
from shared.records import SUPERVISOR_FIELDS
from sync.merge import FieldMerge, merge_fields


@dataclass(frozen=True)
class Edit:
    """Where an edit comes from: its clock, the clocks it replaced, and for a device's op its ids."""

    clock: str
    base: Mapping[str, str] | None = None  # None: the writer saw the current values (a supervisor's page)
    op_id: str = ""
    device_id: str = ""


class MergedRecord(Protocol):
    id: str
    territory: str
    field_clocks: dict[str, Any]

    def model_dump(self) -> dict[str, Any]: ...


def apply_edit(
    session: Session, actor: Actor, kind: RecordKind, record: MergedRecord, fields: Mapping[str, Any], edit: Edit
) -> list[FieldMerge]:
    """Merge `fields` into `record` (sync.merge); every losing value is kept as a conflict record."""
    current_clocks = record.field_clocks or {}
    merges = merge_fields(
        record.model_dump(),
        current_clocks,
        fields,
        edit.clock,
        current_clocks if edit.base is None else edit.base,
        supervisor_fields=SUPERVISOR_FIELDS if kind == RecordKind.CUSTOMER else frozenset(),
        writer_is_rep=actor.is_rep,
    )
    clocks = dict(current_clocks)
    for merge in merges:
        if merge.apply:
            setattr(record, merge.field, merge.kept)
        clocks[merge.field] = merge.clock
        if merge.conflict:
            record_conflict(
                session, kind, record.id, record.territory, merge, actor, op_id=edit.op_id, device_id=edit.device_id
            )
    record.field_clocks = clocks
    return merges
