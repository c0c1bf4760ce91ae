"""Server time helpers. The server's clock stamps `updated_at`; a visit's day comes from its check-in."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from shared.hlc import Hlc


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def today(tz: ZoneInfo) -> dt.date:
    return dt.datetime.now(tz).date()


def local_day(timestamp: str, tz: ZoneInfo) -> dt.date:
    """The calendar day in `tz` of an ISO 8601 date-time that carries its UTC offset."""
    return dt.datetime.fromisoformat(timestamp).astimezone(tz).date()


def local_time(timestamp: str | None, tz: ZoneInfo) -> dt.datetime | None:
    return None if not timestamp else dt.datetime.fromisoformat(timestamp).astimezone(tz)


SERVER_NODE = "server"
MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def server_clock() -> str:
    """The clock of an edit made on the server (a supervisor's, or the demo's)."""
    return str(Hlc(now_ms(), 0, SERVER_NODE))


def accepted_clock(device_clock: str | None) -> str:
    """A device's edit clock as the server keeps it: a phone whose clock runs more than five minutes ahead
    cannot make its edits win over later ones; its clock is taken back to the server's time."""
    if device_clock is None:
        return server_clock()
    clock, now = Hlc.parse(device_clock), now_ms()
    if clock.wall_ms > now + MAX_CLOCK_AHEAD_MS:
        return str(Hlc(now, clock.counter, clock.node))
    return device_clock
