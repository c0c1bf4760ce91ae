"""How an edit of a customer's archive merges with the server's copy, field by field.

Each field keeps the clock (shared.hlc) of the edit that wrote it. An op says, for each field it changes,
which clock it replaced (`base`): the value the phone saw.

- The phone saw the current value (`base` not older than the field's clock): the edit follows it, and
  applies. No conflict, whatever the phone's wall clock says.
- Otherwise the edits were concurrent. Equal values agree. Different values: the later clock wins, except
  on the fields that belong to supervisors (`SUPERVISOR_FIELDS`), where a rep's concurrent change never
  overwrites. Either way the losing value is kept in a conflict record, never dropped.

Visits, notes and other append-only records never conflict: each has one writer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldMerge:
    field: str
    apply: bool  # the incoming value becomes the current one
    clock: str  # the field's clock afterwards
    conflict: bool  # concurrent edits with different values: the loser must be recorded
    kept: Any  # the value the field holds afterwards
    lost: Any  # the value that lost (meaningful when `conflict`)
    lost_clock: str | None


def merge_fields(
    current: Mapping[str, Any],
    clocks: Mapping[str, str],
    incoming: Mapping[str, Any],
    op_clock: str,
    base: Mapping[str, str],
    *,
    supervisor_fields: frozenset[str],
    writer_is_rep: bool,
) -> list[FieldMerge]:
    merges = []
    for name, value in incoming.items():
        stored_clock = clocks.get(name)
        seen = base.get(name)
        old = current.get(name)
        if stored_clock is None or (seen is not None and seen >= stored_clock):
            merges.append(FieldMerge(name, True, op_clock, False, value, None, None))
        elif value == old:
            merges.append(FieldMerge(name, False, max(stored_clock, op_clock), False, old, None, None))
        elif writer_is_rep and name in supervisor_fields:
            merges.append(FieldMerge(name, False, stored_clock, True, old, value, op_clock))
        elif op_clock > stored_clock:
            merges.append(FieldMerge(name, True, op_clock, True, value, old, stored_clock))
        else:
            merges.append(FieldMerge(name, False, stored_clock, True, old, value, op_clock))
    return merges
