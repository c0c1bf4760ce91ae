"""What a photo carries besides its bytes (docs/photos.md): its source, the phone's clock at the moment it
arrived, the phone's position (its GPS service), and for a live photo the stamp burned in. Runs off the
page's loop: locating waits up to `LOCATE_TIMEOUT` and stamping re-encodes the photo."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from client.features.photos.service import PhotoCapture
from client.features.photos.stamp import burn_stamp
from client.location import Location, LocationProvider, locate
from client.storage.store import LocalStore
from shared.enums import PhotoSource, RecordKind
from shared.photos import stamp_text


def capture(
    store: LocalStore,
    visit: dict[str, Any],
    data: bytes,
    source: PhotoSource,
    taken_at: dt.datetime,
    locator: LocationProvider | None,
    *,
    where: Callable[[LocationProvider | None], Location | None] = locate,
) -> tuple[bytes, PhotoCapture]:
    """The photo's bytes as kept (a live photo stamped with time, place and customer) and its capture.
    `taken_at` is read by the caller when the bytes arrived, before the position is waited for."""
    place = where(locator)
    if source is PhotoSource.LIVE:
        customer = store.get(RecordKind.CUSTOMER, str(visit.get("customer_id"))) or {}
        text = stamp_text(taken_at, (place.lat, place.lng) if place else None, str(customer.get("name") or ""))
        data, _ = burn_stamp(data, text)
    return data, PhotoCapture(source, taken_at, place)
