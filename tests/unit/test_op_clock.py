"""A phone's clock set back between two consecutive ops (server/domains/chain/op_clock.py): both the stamps and the
phone's own clock (stamp minus the correction its push said) must go back by more than five minutes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from server.domains.chain.op_clock import CLOCK_BACK_TOLERANCE, Stamp, went_back

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = dt.datetime(2026, 12, 7, 12, 0, tzinfo=SHANGHAI)


def stamp(seq: int, made: dt.datetime, offset_s: int | None = 0) -> Stamp:
    return Stamp(seq, made, offset_s)


def test_stamps_that_go_back_with_the_same_correction_are_a_clock_set_back() -> None:
    previous = stamp(7, NOON)
    figures = went_back(previous, stamp(8, NOON - dt.timedelta(hours=2)), SHANGHAI)
    assert figures == {"minutes": 120, "previous_at": "12-07 12:00", "previous_seq": 7}


@pytest.mark.parametrize(
    ("back", "flagged"),
    [
        (CLOCK_BACK_TOLERANCE, False),  # at the limit: a drifted clock measured again
        (CLOCK_BACK_TOLERANCE + dt.timedelta(seconds=1), True),
        (-dt.timedelta(minutes=30), False),  # forward: the next op made later
    ],
)
def test_five_minutes_back_is_the_limit(back: dt.timedelta, flagged: bool) -> None:
    assert (went_back(stamp(1, NOON), stamp(2, NOON - back), SHANGHAI) is not None) is flagged


def test_a_correction_that_changed_explains_a_jump_of_its_size() -> None:
    """A phone 3 h fast: its first op stamped before any pull (nothing said), the next after the pull measured it
    (-3 h): the stamps go back 3 h, the phone's own clock did not; the later op's time is the right one."""
    fast = stamp(1, NOON + dt.timedelta(hours=3), None)
    assert went_back(fast, stamp(2, NOON + dt.timedelta(minutes=1), -3 * 3600), SHANGHAI) is None


def test_a_clock_set_back_and_measured_before_the_op_stamps_right_and_is_not_flagged() -> None:
    """The phone's own clock went back 5 h but a pull measured it (+5 h): the stamps go on; nothing is false."""
    assert went_back(stamp(1, NOON), stamp(2, NOON + dt.timedelta(minutes=2), 5 * 3600), SHANGHAI) is None


def test_a_fast_clock_set_right_without_a_pull_stamps_early_and_is_flagged() -> None:
    """Known 3 h fast (-3 h), then set right before the next pull: stamps 3 h early, the correction unchanged."""
    previous = stamp(1, NOON, -3 * 3600)
    figures = went_back(previous, stamp(2, NOON - dt.timedelta(hours=3) + dt.timedelta(minutes=1), -3 * 3600), SHANGHAI)
    assert figures is not None and figures["minutes"] == 179
