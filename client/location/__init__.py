"""Where the phone is: a position (`Location`), what gives one (`LocationProvider`: the device's GPS,
client/location/device.py, or a test's stand-in), `locate`, which asks with a time limit and never fails a
visit for want of a position, and `RecentFix`, the last position found, which 签到 uses while it is fresh
enough (the app starts locating when the visit form opens: docs/visits.md). Nothing here imports Flet."""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from client.browser import IN_BROWSER

logger = logging.getLogger(__name__)

# How long a check-in or check-out waits for the device's position before it goes on without one:
# the rep is at the customer's door, and a visit is never held up by GPS.
LOCATE_TIMEOUT = 4.0
# How long the device is given to find the position ahead of 签到 (asked when the visit form opens): nobody waits
# for it, and a GPS that has been off for a while (or a browser on a loaded machine) can take this long.
AHEAD_TIMEOUT = 30.0
# A position found ahead is used at 签到 (or 签退, or a punch) while it is at most this old: the rep has not
# gone far in two minutes. Older, or less accurate than the company's limit (VISIT_FLAG_ACCURACY_M), the
# device is asked again at 签到 as if none had been found.
FRESH_FIX_S = 120.0


@dataclass(frozen=True)
class Location:
    """Where the device was: WGS 84 degrees, and the radius in metres it is sure of, when it says."""

    lat: float
    lng: float
    accuracy: float | None = None


class LocationProvider(Protocol):
    """The device's position, trying for at most about `timeout` seconds; None when it has none.

    It may raise (permission denied, location off, timed out): `locate` turns that into "no location".
    """

    def __call__(self, timeout: float) -> Location | None: ...


def valid_location(location: object) -> Location | None:
    """`location` if it is a position the visit record can hold (accuracy dropped if it is not usable)."""
    if not isinstance(location, Location):
        return None

    def is_number(value: object) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)

    if not (is_number(location.lat) and is_number(location.lng)):
        return None
    if not (-90 <= location.lat <= 90 and -180 <= location.lng <= 180):
        return None
    accuracy = location.accuracy
    if accuracy is not None and not (is_number(accuracy) and 0 <= accuracy <= 100_000):
        accuracy = None
    return Location(float(location.lat), float(location.lng), None if accuracy is None else float(accuracy))


def locate(provider: LocationProvider | None, timeout: float = LOCATE_TIMEOUT) -> Location | None:
    """The device's position if `provider` gives one within `timeout` seconds, else None.

    Never raises and never waits longer than `timeout` (plus a thread start): the provider runs in a
    daemon thread, and one that hangs is left behind. Call it off the UI loop.
    """
    if provider is None:
        return None
    if IN_BROWSER:  # no threads in the PWA, and the geolocator cannot be awaited from here yet (docs/pwa.md)
        logger.info("no location: not asked in the PWA yet")
        return None
    answers: queue.SimpleQueue[Location | None] = queue.SimpleQueue()

    def ask() -> None:
        try:
            answers.put(provider(timeout))
        except Exception as error:  # denied, switched off, timed out, unsupported: the visit goes on
            logger.info("no location: %s", error)
            answers.put(None)

    started = time.monotonic()
    threading.Thread(target=ask, name="locate", daemon=True).start()
    try:
        found = answers.get(timeout=timeout)
    except queue.Empty:
        logger.info("no location within %.1f s", timeout)
        return None
    location = valid_location(found)
    if found is not None and location is None:
        logger.info("ignored an unusable location: %r", found)
    logger.debug("located in %.2f s", time.monotonic() - started)
    return location


class RecentFix:
    """The device's last usable position and when it was found, on a monotonic `clock` (seconds; injected in
    tests): the position a check-in takes at once when it is fresh enough, instead of asking and waiting."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._fix: Location | None = None
        self._found_at = 0.0

    def remember(self, location: Location | None) -> None:
        """Keep `location` as the last position found (nothing usable: the last one stays, ageing)."""
        usable = valid_location(location)
        if usable is not None:
            self._fix, self._found_at = usable, self.clock()

    def fresh(self, accuracy_limit_m: float, max_age_s: float = FRESH_FIX_S) -> Location | None:
        """The last position if it is at most `max_age_s` old and says it is accurate within
        `accuracy_limit_m` metres (one that does not say how accurate it is does not count); else None."""
        fix = self._fix
        if fix is None or fix.accuracy is None or fix.accuracy > accuracy_limit_m:
            return None
        age = self.clock() - self._found_at
        return fix if 0 <= age <= max_age_s else None

    def forget(self) -> None:
        self._fix = None
