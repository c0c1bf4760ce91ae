"""The merge rule of complaint steps (shared/complaints.py): every arrival order gives the same complaint."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shared.complaints import derive_progress, earliest, furthest, next_moves, step_problems
from shared.enums import ComplaintStatus
from shared.hlc import Hlc

STATUSES = [status.value for status in ComplaintStatus]


def step(number: int, status: str, hour: int, node: str = "phone") -> dict[str, Any]:
    return {
        "id": f"step-{number:03d}",
        "status": status,
        "at": f"2026-11-27T{hour:02d}:00:00+08:00",
        "clock": str(Hlc(1_764_000_000_000 + number * 1000, 0, node)),
        "note": f"note {number}",
    }


steps_strategy = st.lists(
    st.builds(
        step,
        st.integers(0, 500),
        st.sampled_from(STATUSES[1:]),
        st.integers(0, 23),
        st.sampled_from(["phone-a", "phone-b", "server"]),
    ),
    max_size=8,
    unique_by=lambda item: item["id"],
)


@given(steps=steps_strategy, created=st.sampled_from(STATUSES), data=st.data())
def test_every_arrival_order_gives_the_same_status_timers_and_history(
    steps: list[dict[str, Any]], created: str, data: st.DataObject
) -> None:
    complaint = {"status": created}
    shuffled = data.draw(st.permutations(steps))
    first, second = derive_progress(complaint, steps), derive_progress(complaint, shuffled)
    assert first == second
    # The status is the furthest step reached; never behind the complaint's own status.
    assert first.status == furthest(created, *(item["status"] for item in steps))
    # The first answer is the earliest step past received; resolution the earliest at resolved or later.
    assert first.responded_at == earliest(*(item["at"] for item in steps))
    past_resolved = [item["at"] for item in steps if item["status"] in ("resolved", "confirmed")]
    assert first.resolved_at == earliest(*past_resolved)
    # Every step is kept, in clock order.
    assert [item.step["id"] for item in first.history] == [
        item["id"] for item in sorted(steps, key=lambda item: (item["clock"], item["id"]))
    ]


def test_a_backwards_step_is_kept_but_moves_nothing() -> None:
    resolved, investigating = step(1, "resolved", 10), step(2, "investigating", 11)
    progress = derive_progress({"status": "received"}, [investigating, resolved])
    assert progress.status is ComplaintStatus.RESOLVED
    assert [(item.step["id"], item.applied) for item in progress.history] == [("step-001", True), ("step-002", False)]
    assert progress.responded_at == resolved["at"]  # resolving it answered it


def test_times_compare_as_moments_not_texts() -> None:
    # 09:30 in Beijing is 01:30 UTC: earlier than 02:00 UTC although its text sorts later.
    assert earliest("2026-11-27T02:00:00+00:00", "2026-11-27T09:30:00+08:00") == "2026-11-27T09:30:00+08:00"
    assert earliest(None, "not a time") is None


def test_the_steps_a_complaint_can_move_to() -> None:
    assert next_moves("received")[0] is ComplaintStatus.INVESTIGATING
    assert next_moves("resolved") == [ComplaintStatus.CONFIRMED]
    assert next_moves("confirmed") == []
    assert step_problems({"status": "received"})[0].field == "status"
    assert step_problems({"status": "resolved"}) == []
