"""The phone's clock: every "now" and "today" on the phone, in the company's zone.

The zone is the server's `TIMEZONE`: it comes with the sign-in answer and every pull, and is kept in the
store's metadata, so a phone set to another zone (a wrong setting, a trip) still shows and records the
company's day; before the first sign-in it is the default zone. One clock per process (a phone runs one
company): `install` replaces it (`--clock-offset`-style shifts come from `ROUTECRM_CLOCK_OFFSET`), tests
freeze the wall time with time-machine or pass their own clock to the services.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from shared.clock import Clock, zone

_clock = Clock()


def install(clock: Clock) -> None:
    global _clock
    _clock = clock


def current() -> Clock:
    return _clock


def now() -> dt.datetime:
    """Now in the company's zone, with its UTC offset: what a visit, an order or a note is stamped with."""
    return _clock.now()


def utc_now() -> dt.datetime:
    return _clock.utc_now()


def now_ms() -> int:
    return _clock.now_ms()


def epoch_seconds() -> float:
    """Seconds since the epoch (the PIN's wrong-attempt delays, which must outlast a restart)."""
    return _clock.now_ms() / 1000


def company_zone() -> ZoneInfo:
    return _clock.tz


def use_zone(name: str | None) -> bool:
    """Switch to the company's zone `name` (from the server or the store); False when unknown or unchanged."""
    if not name:
        return False
    tz = zone(name, fallback=_clock.tz)
    if tz.key != name or tz == _clock.tz:
        return False
    install(_clock.in_zone(tz))
    return True


def local(moment: dt.datetime) -> dt.datetime:
    """A stored time as the company reads it (its zone), whatever zone the phone is set to."""
    return moment.astimezone(_clock.tz)
