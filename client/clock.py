"""The phone's clock: every "now" and "today" on the phone, in the company's zone.

The zone is the server's `TIMEZONE`: it comes with the sign-in answer and every pull, and is kept in the
store's metadata, so a phone set to another zone (a wrong setting, a trip) still shows and records the
company's day; before the first sign-in it is the default zone. One clock per process (a phone runs one
company): `install` replaces it (`--clock-offset`-style shifts come from `ROUTECRM_CLOCK_OFFSET`), tests
freeze the wall time with time-machine or pass their own clock to the services.

The phone keeps the server's time. Phones are often wrong by minutes, hours or days (a cheap phone after its
battery ran out, a rep who set it by hand); a visit stamped with such a clock lands on the wrong business day
and a supervisor reads the wrong hour. So every pull measures how far the phone's own clock is from the
server's (`measured_correction`: the server's time against the middle of the request's round trip) and, when
it is off by more than `TRUSTED_SKEW`, every "now" on the phone is corrected by that much (`correct_by`). The
correction is kept in the store, so it holds offline and after a restart, until the next sync measures again;
a phone whose clock was set right measures zero and goes back to its own time.

The phone tells the server what it measured (`known_correction`, sent with every sync request: sync/http.py), so
a supervisor sees on /devices which phones have a wrong clock; before its first measurement it says nothing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from shared.clock import TRUSTED_SKEW, Clock, zone

_own = Clock()  # the phone's own clock (with ROUTECRM_CLOCK_OFFSET's shift): what it says of the time
_correction = dt.timedelta(0)  # the server's time minus the phone's own, when that is beyond TRUSTED_SKEW
_known = False  # a sync has measured the correction (in this process, or kept in the store from an earlier one)
_clock = _own


def install(clock: Clock) -> None:
    """The phone's own clock (a new process, a test's phone): the correction starts again from none."""
    global _own, _correction, _known, _clock
    _own, _correction, _known, _clock = clock, dt.timedelta(0), False, clock


def current() -> Clock:
    return _clock


def correction() -> dt.timedelta:
    """How much every "now" on the phone is moved from the phone's own clock to be the server's time."""
    return _correction


def known_correction() -> dt.timedelta | None:
    """The correction as a sync measured it (0: the phone's clock is right); None before any measurement."""
    return _correction if _known else None


def correct_by(value: dt.timedelta) -> bool:
    """Move every "now" by `value` from the phone's own clock (0: the phone's own time); True when it changed.
    `value` is a measurement (a pull's, or one kept from an earlier sync): `known_correction` says it from now on."""
    global _correction, _known, _clock
    _known = True
    if value == _correction:
        return False
    _correction = value
    _clock = Clock(tz=_own.tz, offset=_own.offset + value)
    return True


def own_ms() -> int:
    """Milliseconds since the epoch by the phone's own clock, uncorrected (what a correction is measured on)."""
    return _own.now_ms()


def measured_correction(server_time: str, sent_ms: int, received_ms: int) -> dt.timedelta | None:
    """The correction a pull shows: the server's time (`server_time`, ISO 8601, stamped while it answered)
    minus the phone's own time in the middle of the round trip (`sent_ms` to `received_ms`, by `own_ms`).
    Zero when that is within TRUSTED_SKEW plus half the round trip (the phone's clock may be right); None
    when the answer has no readable time."""
    try:
        server = dt.datetime.fromisoformat(server_time)
    except (TypeError, ValueError):
        return None
    if server.tzinfo is None or received_ms < sent_ms:
        return None
    middle = dt.datetime.fromtimestamp((sent_ms + received_ms) / 2000, dt.UTC)
    skew = server - middle
    uncertain = TRUSTED_SKEW + dt.timedelta(milliseconds=(received_ms - sent_ms) / 2)
    if abs(skew) <= uncertain:
        return dt.timedelta(0)
    return dt.timedelta(seconds=round(skew.total_seconds()))


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
    global _own, _clock
    tz = zone(name, fallback=_clock.tz)
    if tz.key != name or tz == _clock.tz:
        return False
    _own, _clock = _own.in_zone(tz), _clock.in_zone(tz)
    return True


def local(moment: dt.datetime) -> dt.datetime:
    """A stored time as the company reads it (its zone), whatever zone the phone is set to."""
    return moment.astimezone(_clock.tz)
