"""The dashboard's periods (the last 7 days up to a day, a day, a Monday-to-Sunday week, a calendar month) and
who they cover (scope)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

ROLLING_DAYS = 7  # the rolling window's length


class PeriodKind(StrEnum):
    LAST_7_DAYS = "7d"  # a rolling window ending on its day (the dashboard opens on the one ending today)
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: dt.date  # first day, included
    end: dt.date  # last day, included

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def anchor(self) -> dt.date:
        """The day that names the period in an address (`period_of(kind, anchor)` gives it back): the last
        day of a rolling window, the first of the others."""
        return self.end if self.kind == PeriodKind.LAST_7_DAYS else self.start

    def previous(self) -> Period:
        return period_of(self.kind, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        """The period just after; a rolling window's is the 7 days after it (ending a week later)."""
        days = ROLLING_DAYS if self.kind == PeriodKind.LAST_7_DAYS else 1
        return period_of(self.kind, self.end + dt.timedelta(days=days))

    def trend(self) -> Period:
        """The days the trend charts show: the period's days, or for one day the fortnight ending on it."""
        if self.kind == PeriodKind.DAY:
            return Period(self.kind, self.end - dt.timedelta(days=13), self.end)
        return self


def period_of(kind: PeriodKind, day: dt.date) -> Period:
    """The period of this kind that contains `day` (a rolling window: the one ending on it)."""
    if kind == PeriodKind.LAST_7_DAYS:
        return Period(kind, day - dt.timedelta(days=ROLLING_DAYS - 1), day)
    if kind == PeriodKind.DAY:
        return Period(kind, day, day)
    if kind == PeriodKind.WEEK:
        monday = day - dt.timedelta(days=day.weekday())
        return Period(kind, monday, monday + dt.timedelta(days=6))
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return Period(kind, first, following - dt.timedelta(days=1))


@dataclass(frozen=True)
class Scope:
    """Whose work a report covers: one rep, the reps of some territories, or (both None) the whole company."""

    territory: str | None = None
    rep_id: str | None = None
    rep_ids: frozenset[str] | None = None  # the reps of `territory` (None: no territory filter)
