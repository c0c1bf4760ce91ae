"""The phone keeps the server's time (client/clock.py): how a pull's answer measures the phone's clock, and how
every "now" on the phone follows the correction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from client import clock
from client.features.account.settings_view import clock_line
from shared.clock import Clock

SENT = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)  # 09:00 in the company's zone


def ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture(autouse=True)
def fresh_clock() -> Iterator[None]:
    clock.install(Clock())
    yield
    clock.install(Clock())


def test_a_phone_hours_off_is_corrected_by_the_servers_time_at_the_middle_of_the_round_trip() -> None:
    received = SENT + dt.timedelta(seconds=2)
    server = (SENT + dt.timedelta(hours=3, seconds=1)).isoformat()  # the phone is 3 hours slow
    assert clock.measured_correction(server, ms(SENT), ms(received)) == dt.timedelta(hours=3)
    fast = (SENT - dt.timedelta(days=1) + dt.timedelta(seconds=1)).isoformat()  # a day fast
    assert clock.measured_correction(fast, ms(SENT), ms(received)) == -dt.timedelta(days=1)


def test_a_phone_within_the_trusted_skew_keeps_its_own_time() -> None:
    received = SENT + dt.timedelta(seconds=2)
    for skew in (dt.timedelta(0), dt.timedelta(seconds=25), -dt.timedelta(seconds=29)):
        server = (SENT + dt.timedelta(seconds=1) + skew).isoformat()
        assert clock.measured_correction(server, ms(SENT), ms(received)) == dt.timedelta(0)


def test_a_slow_round_trip_widens_what_counts_as_right() -> None:
    """40 s off with a 20 s round trip may be the link, not the clock: the phone keeps its time; with a 1 s
    round trip it is the clock."""
    server = (SENT + dt.timedelta(seconds=10 + 40)).isoformat()
    assert clock.measured_correction(server, ms(SENT), ms(SENT + dt.timedelta(seconds=20))) == dt.timedelta(0)
    server = (SENT + dt.timedelta(milliseconds=500, seconds=40)).isoformat()
    assert clock.measured_correction(server, ms(SENT), ms(SENT + dt.timedelta(seconds=1))) == dt.timedelta(seconds=40)


def test_an_answer_without_a_readable_time_measures_nothing() -> None:
    for server in ("", "yesterday", "2026-12-07T09:00:00"):  # the last has no zone
        assert clock.measured_correction(server, ms(SENT), ms(SENT)) is None
    assert clock.measured_correction(SENT.isoformat(), ms(SENT), ms(SENT) - 1) is None  # time went backwards


def test_every_now_follows_the_correction_and_a_new_clock_starts_without_one() -> None:
    with time_machine.travel(SENT, tick=False):
        clock.install(Clock(offset=-dt.timedelta(hours=3)))  # the phone is 3 hours slow
        assert clock.now() == SENT - dt.timedelta(hours=3)
        assert clock.correct_by(dt.timedelta(hours=3)) and not clock.correct_by(dt.timedelta(hours=3))
        assert clock.now() == SENT and clock.now_ms() == ms(SENT)
        assert clock.own_ms() == ms(SENT - dt.timedelta(hours=3))  # what the next measure starts from
        assert clock.use_zone("Asia/Kolkata")  # the zone changes, the correction stays
        assert clock.now() == SENT and clock.now().utcoffset() == dt.timedelta(hours=5, minutes=30)
        clock.install(Clock())
        assert clock.correction() == dt.timedelta(0) and clock.now() == SENT


def test_settings_say_how_far_the_phone_clock_is_off() -> None:
    assert clock_line(0, "zh") == "手机时钟：准确（与服务器相差不到 30 秒）"
    assert clock_line(3 * 3600 + 12 * 60, "zh") == "手机时钟：慢了 3 小时 12 分，本应用按服务器时间记录"
    assert clock_line(-45, "zh") == "手机时钟：快了 1 分钟，本应用按服务器时间记录"
    assert clock_line(-26 * 3600, "en") == "Phone clock: 26 h 0 min fast; the app records the server's time"
