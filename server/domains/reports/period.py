"""The dashboard's periods (a day, a Monday-to-Sunday week, a calendar month) and who they cover (scope)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class PeriodKind(StrEnum):
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

    def previous(self) -> Period:
        return period_of(self.kind, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        return period_of(self.kind, self.end + dt.timedelta(days=1))

    def trend(self) -> Period:
        """The days the trend charts show: the period's days, or for one day the fortnight ending on it."""
        if self.kind == PeriodKind.DAY:
            return Period(self.kind, self.end - dt.timedelta(days=13), self.end)
        return self


def period_of(kind: PeriodKind, day: dt.date) -> Period:
    """The period of this kind that contains `day`."""
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
