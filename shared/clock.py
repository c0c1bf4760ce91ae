"""The one clock of a process: every "now" and "today" of the product comes from a `Clock`.

The business day is the company's (the server's `TIMEZONE`, which phones receive at sign-in and in every
pull), never the machine's: a phone set to another zone, or a server whose machine runs on UTC, still
counts a visit on the company's day. A clock reads the wall time, shifted by an offset that tests and
demos set (`ROUTECRM_CLOCK_OFFSET`, seconds) so that a whole process, or several, run at another hour;
in-process tests freeze it with time-machine instead. Only this module reads the wall clock
(tests/unit/test_one_clock.py holds every other product module to it).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

CLOCK_OFFSET_ENV = "ROUTECRM_CLOCK_OFFSET"
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_ZONE = ZoneInfo(DEFAULT_TIMEZONE)
# A phone within this of the server's time keeps its own (client/clock.py), and the server calls its clock right
# (/devices): a correction fixes a wrong clock, not network jitter.
TRUSTED_SKEW = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class Clock:
    """Wall time plus `offset`. `tz` is the zone of `now()` and `today()`: the company's."""

    tz: ZoneInfo = DEFAULT_ZONE
    offset: dt.timedelta = dt.timedelta(0)

    def utc_now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def now(self) -> dt.datetime:
        """Now in the company's zone, with its UTC offset (what a phone stamps on a visit)."""
        return self.utc_now().astimezone(self.tz)

    def today(self) -> dt.date:
        """The company's business day."""
        return self.now().date()

    def now_ms(self) -> int:
        """Milliseconds since the epoch (hybrid logical clocks)."""
        return time.time_ns() // 1_000_000 + self.offset // dt.timedelta(milliseconds=1)

    def now_iso(self) -> str:
        """Now as the server stores it: ISO 8601 in UTC, whole seconds."""
        return self.utc_now().isoformat(timespec="seconds")

    def in_zone(self, tz: ZoneInfo) -> Clock:
        return Clock(tz=tz, offset=self.offset)


def parse_offset(text: str | None) -> dt.timedelta:
    """`ROUTECRM_CLOCK_OFFSET`: seconds added to the wall clock (may be negative); empty means none."""
    if not text or not text.strip():
        return dt.timedelta(0)
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{CLOCK_OFFSET_ENV} must be a number of seconds, not {text!r}") from None
    if not math.isfinite(seconds) or abs(seconds) > 100 * 365 * 86400:
        raise ValueError(f"{CLOCK_OFFSET_ENV} is out of range: {text!r}")
    return dt.timedelta(seconds=seconds)


def zone(name: str | None, fallback: ZoneInfo | None = None) -> ZoneInfo:
    """The zone of an IANA name sent by the server; `fallback` (or the default) when missing or unknown."""
    try:
        return ZoneInfo(name) if name else (fallback or DEFAULT_ZONE)
    except (ValueError, KeyError, OSError):
        return fallback or DEFAULT_ZONE
