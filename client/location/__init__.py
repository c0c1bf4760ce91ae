"""Where the phone is: a position (`Location`), what gives one (`LocationProvider`: the device's GPS,
client/location/device.py, or a test's stand-in), and `locate`, which asks with a time limit and never fails a
visit for want of a position. Nothing here imports Flet."""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from client.browser import IN_BROWSER

logger = logging.getLogger(__name__)

# How long a check-in or check-out waits for the device's position before it goes on without one:
# the rep is at the customer's door, and a visit is never held up by GPS.
LOCATE_TIMEOUT = 4.0


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
