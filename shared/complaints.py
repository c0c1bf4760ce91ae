"""How a complaint moves forward (客户投诉处理), pure, the same on the phone and the server.

A complaint goes 受理 received → 调查 investigating → 提出方案 solution_proposed → 解决 resolved → 回访确认满意
confirmed, and never back. Reps (on the phone, offline) and supervisors move it by recording a **step**
(sync kind `complaint_step`: the step reached, a note, when): append-only, never changed, never lost.

The merge rule, whatever order the steps arrive in:

- the complaint's status is the furthest step reached: the complaint's own status (as created) and every
  step's, by the order of `ComplaintStatus`; a step at or before the status already reached changes nothing
  and stays in the history, marked "not applied";
- the first time each step was reached (the response and resolution timers) is the earliest `at` of the
  steps at it or past it: the first response is the first step past received;
- the history is every step in the order of their hybrid logical clocks (then ids).

Max and min do not depend on the order their inputs come in, so two offline phones and a supervisor end
with the same complaint, whatever reaches the server first. docs/sync-protocol.md, "Complaint steps".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.enums import ComplaintStatus
from shared.records import FieldError

STEPS = list(ComplaintStatus)
# The steps a complaint can be moved to (it starts at received).
MOVES = STEPS[1:]
# Each timer's step: the first time the complaint reached it or went past it.
TIMED_STEPS = {
    "responded_at": ComplaintStatus.INVESTIGATING,
    "resolved_at": ComplaintStatus.RESOLVED,
    "confirmed_at": ComplaintStatus.CONFIRMED,
}


def step_index(status: object) -> int:
    """The position of a status in the order (an unknown or missing status counts as received)."""
    try:
        return STEPS.index(ComplaintStatus(str(status)))
    except ValueError:
        return 0


def furthest(*statuses: object) -> ComplaintStatus:
    return STEPS[max((step_index(status) for status in statuses), default=0)]


def step_problems(fields: Mapping[str, Any]) -> list[FieldError]:
    """How a new step's fields must go together (the schema checks each field alone)."""
    if fields.get("status") == ComplaintStatus.RECEIVED.value:
        return [FieldError("status", "must be a step past received (a complaint starts received)")]
    return []


def moment(text: object) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def earliest(*texts: str | None) -> str | None:
    """The earliest of these ISO 8601 moments (compared as moments, not as texts); None when none is one."""
    found = [(when, text) for text in texts if text and (when := moment(text)) is not None]
    return min(found)[1] if found else None


def step_order_key(step: Mapping[str, Any]) -> tuple[str, str]:
    """Steps in clock order; the clock texts compare like the clocks (shared.hlc)."""
    return (str(step.get("clock") or ""), str(step.get("id") or ""))


@dataclass(frozen=True)
class StepItem:
    step: Mapping[str, Any]
    applied: bool  # True: it moved the complaint past every step before it in clock order


@dataclass(frozen=True)
class ComplaintProgress:
    status: ComplaintStatus
    responded_at: str | None = None  # the first answer: the first step past received
    resolved_at: str | None = None
    confirmed_at: str | None = None
    history: list[StepItem] = field(default_factory=list)  # oldest first

    def timestamps(self) -> dict[str, str | None]:
        return {"responded_at": self.responded_at, "resolved_at": self.resolved_at, "confirmed_at": self.confirmed_at}


def derive_progress(complaint: Mapping[str, Any], steps: Iterable[Mapping[str, Any]]) -> ComplaintProgress:
    """The complaint's status, timers and history from the complaint (its own status and timers, e.g. as the
    server last sent them) and its steps (each with `id`, `clock`, `status`, `at`)."""
    times = {name: complaint.get(name) for name in TIMED_STEPS}
    history: list[StepItem] = []
    moved = 0  # the furthest step reached by the steps so far, in clock order
    for step in sorted(steps, key=step_order_key):
        index = step_index(step.get("status"))
        history.append(StepItem(step, applied=index > moved))
        for name, timed in TIMED_STEPS.items():
            if index >= STEPS.index(timed):
                times[name] = earliest(times[name], str(step.get("at") or ""))
        moved = max(moved, index)
    return ComplaintProgress(
        STEPS[max(moved, step_index(complaint.get("status")))],
        times["responded_at"],
        times["resolved_at"],
        times["confirmed_at"],
        history,
    )


def next_moves(status: object) -> list[ComplaintStatus]:
    """The steps a complaint at `status` may be moved to: any later one (a step may be skipped)."""
    return STEPS[step_index(status) + 1 :]
