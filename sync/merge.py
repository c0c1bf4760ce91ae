"""How an edit of a customer's archive merges with the server's copy, field by field.

Each field keeps the clock (shared.hlc) of the edit that wrote it. An op says, for each field it changes,
which clock it replaced (`base`): the value the phone saw.

- The phone saw the current value (`base` not older than the field's clock): the edit follows it, and
  applies. No conflict, whatever the phone's wall clock says.
- Otherwise the edits were concurrent. Equal values agree. Different values: the later clock wins, except
  on the fields that belong to supervisors (`SUPERVISOR_FIELDS`), where a rep's concurrent change never
  overwrites. Either way the losing value is kept in a conflict record, never dropped.

A field's clock never goes back: an edit that follows the current value but carries an older clock (the
server's own clock behind a phone's a little fast, or a fast phone's clock the server took back) is kept
under a clock just after the current one. Otherwise a phone that had seen the older, larger clock would
count as having seen the newer value, and overwrite it without a conflict. For the same reason a `base`
of the writer's own making (its earlier edit, which the server may keep under a clock taken back) counts
as having seen the current value only when that value is the writer's own.

Visits, notes and other append-only records never conflict: each has one writer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.hlc import Hlc, receive


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
    writer = _node(op_clock)
    for name, value in incoming.items():
        stored_clock = clocks.get(name)
        seen = base.get(name)
        old = current.get(name)
        if stored_clock is None:
            merges.append(FieldMerge(name, True, op_clock, False, value, None, None))
        elif _saw(seen, stored_clock, writer):
            merges.append(FieldMerge(name, True, _after(op_clock, stored_clock, writer), False, value, None, None))
        elif value == old:
            merges.append(FieldMerge(name, False, max(stored_clock, op_clock), False, old, None, None))
        elif writer_is_rep and name in supervisor_fields:
            merges.append(FieldMerge(name, False, stored_clock, True, old, value, op_clock))
        elif op_clock > stored_clock:
            merges.append(FieldMerge(name, True, op_clock, True, value, old, stored_clock))
        else:
            merges.append(FieldMerge(name, False, stored_clock, True, old, value, op_clock))
    return merges


def _node(clock: str) -> str:
    try:
        return Hlc.parse(clock).node
    except ValueError:  # not a clock this server made or accepted: it names no writer
        return ""


def _saw(seen: str | None, stored_clock: str, writer: str) -> bool:
    """Whether the writer had the field's current value in front of it when it made the edit.

    A clock the writer received (pulled) is the server's own: it saw the current value if it is not older.
    A clock of the writer's own making names the writer's earlier edit, which the server may have kept under
    another clock (taken back from a fast phone, or moved on by `_after`): the writer saw the current value
    exactly when that value is its own.
    """
    if seen is None:
        return False
    if seen == stored_clock:
        return True
    if writer and _node(seen) == writer:
        return _node(stored_clock) == writer
    return seen >= stored_clock


def _after(op_clock: str, stored_clock: str, writer: str) -> str:
    """The clock an applied edit keeps: its own, or just after the current one if its own is not later."""
    if op_clock > stored_clock:
        return op_clock
    try:
        return str(receive(Hlc.parse(op_clock), Hlc.parse(stored_clock), 0, writer or "server"))
    except ValueError:
        return op_clock
