"""A phone's clock set back between two of its ops (issue #17; docs/security.md, "What the supervisor sees").

The app stamps each op (`made_at`, and a visit's `check_in_at` with it) with its own clock plus the correction its
last pull measured, and each push says that correction (RouteCRM-Clock-Offset, kept per op as
`op_chain.clock_offset_s`). A phone numbers its ops in the order it makes them, so for two consecutive ops:

- their stamps should not go back (an op made later is not stamped earlier), and
- the phone's own clock (the stamp minus the correction it said) should not go back either.

When both go back by more than `CLOCK_BACK_TOLERANCE`, the phone's clock was set back between them while the
correction stayed (no pull measured it in between): the later op's times are earlier than when it was made. A
correction that changed explains a jump of its own size (a pull that found a fast phone moves its stamps back, and
they are right from then on), so that alone is never flagged; an op of an app that says nothing counts as stamped
with no correction (the app applies none before it measured). A rooted phone that stamps what it likes in order is
not caught: this catches the stock app's clock moved back offline to record a visit "earlier".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table
from sqlalchemy import select as sa_select
from sqlmodel import Session

from server.domains.chain.models import ChainOp
from shared.enums import RecordKind
from shared.visit_rules import instant
from sync.protocol import Op

# Two measurements of one clock differ by seconds; a phone that drifted a minute or two and is measured again moves
# its stamps back by that much, honestly. Five minutes is also the most a phone's clock may run ahead in a merge.
CLOCK_BACK_TOLERANCE = dt.timedelta(minutes=5)
OP_CHAIN = cast(Table, ChainOp.__table__)  # type: ignore[attr-defined]  # SQLModel sets it at runtime


@dataclass(frozen=True)
class Stamp:
    """An op's stamp and the correction its push said (None: not said, taken as none applied)."""

    seq: int
    made: dt.datetime
    offset_s: int | None

    @property
    def own(self) -> dt.datetime:
        """The phone's own clock when it stamped the op."""
        return self.made - dt.timedelta(seconds=self.offset_s or 0)


def went_back(previous: Stamp, stamp: Stamp, tz: ZoneInfo) -> dict[str, Any] | None:
    """The figures of a clock set back between `previous` and `stamp` (consecutive ops of one phone), or None."""
    back = previous.made - stamp.made
    if back <= CLOCK_BACK_TOLERANCE or previous.own - stamp.own <= CLOCK_BACK_TOLERANCE:
        return None
    return {
        "minutes": round(back.total_seconds() / 60),
        "previous_at": previous.made.astimezone(tz).strftime("%m-%d %H:%M"),
        "previous_seq": previous.seq,
    }


def _stamp(op: Op, offset_s: int | None) -> Stamp | None:
    made = instant(op.made_at)
    return Stamp(op.seq, made, offset_s) if made is not None else None


def _held_stamp(session: Session, device_id: str, seq: int) -> Stamp | None:
    """The phone's op `seq` as the server holds it (one query), or None."""
    chain = OP_CHAIN.c
    row = session.execute(
        sa_select(chain.op, chain.clock_offset_s).where(chain.device_id == device_id, chain.seq == seq)
    ).first()
    if row is None:
        return None
    made = instant((row[0] or {}).get("made_at"))
    return Stamp(seq, made, row[1]) if made is not None else None


def clocks_set_back(
    session: Session, device_id: str, ops: Sequence[Op], offset_s: int | None, tz: ZoneInfo
) -> dict[int, dict[str, Any]]:
    """Each visit op of the push (by seq) made after the phone's clock was set back: at most one query (the op
    before the push's first, when the push brings a visit), whatever the number of ops."""
    if not any(op.kind == RecordKind.VISIT for op in ops):
        return {}
    found: dict[int, dict[str, Any]] = {}
    previous = _held_stamp(session, device_id, ops[0].seq - 1)
    for op in ops:  # in seq order: a push's seqs increase
        stamp = _stamp(op, offset_s)
        if previous is not None and previous.seq == op.seq - 1 and stamp is not None and op.kind == RecordKind.VISIT:
            figures = went_back(previous, stamp, tz)
            if figures is not None:
                found[op.seq] = figures
        previous = stamp
    return found
