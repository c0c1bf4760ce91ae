"""Server time helpers. The server's clock stamps `updated_at`; a visit's day comes from its check-in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def today(tz: ZoneInfo) -> dt.date:
    return dt.datetime.now(tz).date()


def local_day(timestamp: str, tz: ZoneInfo) -> dt.date:
    """The calendar day in `tz` of an ISO 8601 date-time that carries its UTC offset."""
    return dt.datetime.fromisoformat(timestamp).astimezone(tz).date()


def local_time(timestamp: str | None, tz: ZoneInfo) -> dt.datetime | None:
    return None if not timestamp else dt.datetime.fromisoformat(timestamp).astimezone(tz)
