"""The server's clock: every "now" and "today" on the server comes from the process clock installed here.

`create_app(settings)` (and the command line) installs a `shared.clock.Clock` built from the settings; tests
freeze the wall time with time-machine, or start server processes with `ROUTECRM_CLOCK_OFFSET`. The server
stamps `updated_at` in UTC; a visit's day comes from its check-in, read in the company's zone (`TIMEZONE`).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from shared.clock import Clock
from shared.hlc import Hlc

_process_clock = Clock()


def install(clock: Clock) -> None:
    """Make `clock` the process's clock (at start, from the settings)."""
    global _process_clock
    _process_clock = clock


def process_clock() -> Clock:
    return _process_clock


def utc_now() -> dt.datetime:
    return _process_clock.utc_now()


def now_iso() -> str:
    return _process_clock.now_iso()


def now_in(tz: ZoneInfo) -> dt.datetime:
    return _process_clock.utc_now().astimezone(tz)


def today(tz: ZoneInfo) -> dt.date:
    """The business day in `tz` (settings.tz, the company's zone)."""
    return now_in(tz).date()


def local_day(timestamp: str, tz: ZoneInfo) -> dt.date:
    """The calendar day in `tz` of an ISO 8601 date-time that carries its UTC offset."""
    return dt.datetime.fromisoformat(timestamp).astimezone(tz).date()


def local_time(timestamp: str | None, tz: ZoneInfo) -> dt.datetime | None:
    return None if not timestamp else dt.datetime.fromisoformat(timestamp).astimezone(tz)


SERVER_NODE = "server"
MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000


def now_ms() -> int:
    return _process_clock.now_ms()


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
