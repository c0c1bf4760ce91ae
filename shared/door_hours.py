"""When a customer receives reps: reception windows by weekday (several a day), closed days, appointments.

A clinic is not open to reps at any hour: a 卫生院 may receive them only on some afternoons, a pharmacy's
owner only before 10:00. Door hours are kept on the customer as a small dict (synced like its other fields):

    {"weekly": {"1": ["08:00-10:00", "14:00-17:00"], "3": ["14:00-17:00"]}, "closed": ["2026-12-25"],
     "appointments": {"2026-12-09": ["15:00-15:30"]}}

Weekdays are ISO numbers (1 = Monday). A customer without door hours receives reps all day; once any
weekday is given, the weekdays not given are closed. An appointment (预约) is the window agreed for one date:
that day the rep is received then and only then, whatever the weekly hours say; a closed date still wins.
Times are the company's (the business day's zone).
A window is a pair of minutes since the day's midnight: (480, 600) is 08:00-10:00.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

Window = tuple[int, int]
ALL_DAY: tuple[Window, ...] = ((0, 24 * 60),)
WINDOW_TEXT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s*$")


class DoorHoursError(ValueError):
    """Door hours that cannot be read; the message says which part and why."""


def parse_window(text: str) -> Window:
    """ "08:00-10:00" → (480, 600); an end before its start, or an hour past 24:00, is refused."""
    match = WINDOW_TEXT.match(text)
    if match is None:
        raise DoorHoursError(f"{text!r} is not a time window like 08:00-10:00")
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start_m > 59 or end_m > 59 or end > 24 * 60:
        raise DoorHoursError(f"{text!r} is not a time of the day")
    if end <= start:
        raise DoorHoursError(f"{text!r} ends before it starts")
    return start, end


def window_text(window: Window) -> str:
    start, end = window
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def merged(windows: list[Window]) -> tuple[Window, ...]:
    """Sorted, with overlapping or touching windows joined."""
    result: list[Window] = []
    for start, end in sorted(windows):
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return tuple(result)


@dataclass(frozen=True)
class DoorHours:
    weekly: Mapping[int, tuple[Window, ...]] = field(default_factory=dict)  # ISO weekday → windows
    closed: frozenset[dt.date] = frozenset()
    appointments: Mapping[dt.date, tuple[Window, ...]] = field(default_factory=dict)  # date → agreed windows

    def windows_on(self, day: dt.date) -> tuple[Window, ...]:
        """The windows of `day`: () when the customer does not receive reps that day."""
        if day in self.closed:
            return ()
        if day in self.appointments:
            return self.appointments[day]
        if not self.weekly:
            return ALL_DAY
        return self.weekly.get(day.isoweekday(), ())

    @property
    def is_set(self) -> bool:
        return bool(self.weekly or self.closed or self.appointments)

    def as_dict(self) -> dict[str, object]:
        stored: dict[str, object] = {
            "weekly": {
                str(weekday): [window_text(window) for window in windows]
                for weekday, windows in sorted(self.weekly.items())
            },
            "closed": sorted(day.isoformat() for day in self.closed),
        }
        if self.appointments:  # only when there are some: stored hours without any keep their old shape
            stored["appointments"] = {
                day.isoformat(): [window_text(window) for window in windows]
                for day, windows in sorted(self.appointments.items())
            }
        return stored

    @classmethod
    def from_dict(cls, value: object) -> DoorHours:
        """Read stored or typed door hours; DoorHoursError says what is wrong. None or {} is "all day"."""
        if value is None:
            return cls()
        if not isinstance(value, Mapping):
            raise DoorHoursError("door hours must be an object with weekly, closed and appointments")
        unknown = set(value) - {"weekly", "closed", "appointments"}
        if unknown:
            raise DoorHoursError(f"door hours have unknown parts: {', '.join(sorted(map(str, unknown)))}")
        weekly_value = value.get("weekly") or {}
        if not isinstance(weekly_value, Mapping):
            raise DoorHoursError("weekly must map weekday numbers (1 = Monday) to windows")
        weekly: dict[int, tuple[Window, ...]] = {}
        for key, windows in weekly_value.items():
            if str(key) not in {"1", "2", "3", "4", "5", "6", "7"}:
                raise DoorHoursError(f"{key!r} is not a weekday: use 1 (Monday) to 7 (Sunday)")
            if not isinstance(windows, list) or not all(isinstance(window, str) for window in windows):
                raise DoorHoursError(f"weekday {key}: windows must be a list like ['08:00-10:00']")
            weekly[int(key)] = merged([parse_window(window) for window in windows])
        closed_value = value.get("closed") or []
        if not isinstance(closed_value, list):
            raise DoorHoursError("closed must be a list of dates like 2026-12-25")
        try:
            closed = frozenset(dt.date.fromisoformat(str(day)) for day in closed_value)
        except ValueError as error:
            raise DoorHoursError(f"closed: {error}") from None
        appointments_value = value.get("appointments") or {}
        if not isinstance(appointments_value, Mapping):
            raise DoorHoursError("appointments must map dates like 2026-12-25 to windows")
        appointments: dict[dt.date, tuple[Window, ...]] = {}
        for key, windows in appointments_value.items():
            try:
                day = dt.date.fromisoformat(str(key))
            except ValueError:
                raise DoorHoursError(f"appointments: {key!r} is not a date like 2026-12-25") from None
            if not isinstance(windows, list) or not windows or not all(isinstance(item, str) for item in windows):
                raise DoorHoursError(f"appointment {key}: windows must be a list like ['15:00-15:30']")
            appointments[day] = merged([parse_window(window) for window in windows])
        return cls(weekly=weekly, closed=closed, appointments=appointments)


CLOSED_WORDS = ("closed", "休")
APPOINTMENT_WORDS = ("appointment", "预约")


def _appointments(part: str, rest: list[str], into: dict[str, list[str]]) -> None:
    """ "预约 2026-12-09 15:00-15:30 2026-12-11 09:00-09:30": each date followed by its windows."""
    day = ""
    for item in rest:
        if WINDOW_TEXT.match(item):
            if not day:
                raise DoorHoursError(f"{part!r}: say the date before its time, e.g. 预约 2026-12-09 15:00-15:30")
            into.setdefault(day, []).append(item)
        else:
            day = item
            into.setdefault(day, [])
    empty = [day for day, windows in into.items() if not windows]
    if empty:
        raise DoorHoursError(f"{part!r}: the appointment on {empty[0]} needs a time like 15:00-15:30")


def weekdays_of(text: str) -> list[int]:
    """ "1-5" → [1, 2, 3, 4, 5]; "1,3,5" → [1, 3, 5]."""
    days: list[int] = []
    for part in text.replace("，", ",").split(","):
        first, _, last = part.partition("-")
        if not (first.isdigit() and (not last or last.isdigit())):
            raise DoorHoursError(f"{text!r} is not weekdays like 1-5 or 1,3,5 (1 = Monday)")
        start, end = int(first), int(last or first)
        if not 1 <= start <= end <= 7:
            raise DoorHoursError(f"{text!r} is not weekdays like 1-5 or 1,3,5 (1 = Monday)")
        days += range(start, end + 1)
    return days


def parse_text(text: str) -> DoorHours:
    """Door hours as a supervisor types them: parts separated by ";" or new lines, each "<weekdays> <windows>"
    or "closed <dates>" ("休" for closed) or "预约 <date> <windows>" (an appointment), e.g.
    "1-5 08:30-11:30 14:30-17:00; 6 09:00-12:00; 休 2026-12-25; 预约 2026-12-09 15:00-15:30". Empty: all day."""
    weekly: dict[str, list[str]] = {}
    closed: list[str] = []
    appointments: dict[str, list[str]] = {}
    for part in filter(None, (piece.strip() for piece in text.replace("；", ";").replace("\n", ";").split(";"))):
        head, *rest = part.split()
        if not rest:
            raise DoorHoursError(f"{part!r}: say the weekdays and then their hours, e.g. 1-5 08:30-11:30")
        if head.lower() in CLOSED_WORDS:
            closed += rest
            continue
        if head.lower() in APPOINTMENT_WORDS:
            _appointments(part, rest, appointments)
            continue
        for weekday in weekdays_of(head):
            weekly.setdefault(str(weekday), []).extend(rest)
    return DoorHours.from_dict({"weekly": weekly, "closed": closed, "appointments": appointments})


def as_text(hours: DoorHours) -> str:
    """The typed form of `parse_text`: weekdays with the same windows grouped ("1-5 08:30-11:30 14:30-17:00")."""
    parts: list[str] = []
    days = sorted(hours.weekly)
    while days:
        first = last = days.pop(0)
        while days and days[0] == last + 1 and hours.weekly[days[0]] == hours.weekly[first]:
            last = days.pop(0)
        span = str(first) if first == last else f"{first}-{last}"
        parts.append(" ".join([span, *(window_text(window) for window in hours.weekly[first])]))
    if hours.closed:
        parts.append(" ".join(["closed", *sorted(day.isoformat() for day in hours.closed)]))
    for day, windows in sorted(hours.appointments.items()):
        parts.append(" ".join(["预约", day.isoformat(), *(window_text(window) for window in windows)]))
    return "; ".join(parts)


def stored_as_text(value: object) -> str:
    """Stored door hours as a form shows them ("" for none, or for a stored value that cannot be read)."""
    try:
        return as_text(DoorHours.from_dict(value))
    except DoorHoursError:
        return ""


def typed_to_stored(text: str) -> dict[str, object] | None:
    """What a form's typed door hours are stored as: their dict, or None for "all day" (DoorHoursError: why not)."""
    hours = parse_text(text)
    return hours.as_dict() if hours.is_set else None


def same_hours(stored: object, other: object) -> bool:
    """Whether two stored values say the same door hours (a missing "closed" is an empty one)."""
    try:
        return DoorHours.from_dict(stored) == DoorHours.from_dict(other)
    except DoorHoursError:
        return stored == other


def hours_for(stored: object, kind: object, by_kind: Mapping[str, object]) -> DoorHours:
    """The door hours a customer is planned with: its own when set, else its kind's default (`by_kind`: the
    company's DOOR_HOURS_BY_KIND, kind → stored form), else all day. Unreadable hours count as not set."""
    for value in (stored, by_kind.get(str(kind))):
        try:
            hours = DoorHours.from_dict(value)
        except DoorHoursError:
            continue
        if hours.is_set:
            return hours
    return DoorHours()


def parse_by_kind(text: str, kinds: Iterable[str]) -> dict[str, dict[str, object]]:
    """DOOR_HOURS_BY_KIND as typed: "<kind>=<door hours>" parts separated by "|", e.g.
    "township_hospital=1-5 08:00-11:30 14:30-17:00|pharmacy=1-7 08:00-10:00" → kind → stored form."""
    known, found = set(kinds), {}
    for part in filter(None, (piece.strip() for piece in text.split("|"))):
        kind, equals, typed = part.partition("=")
        if not equals or kind.strip() not in known:
            raise DoorHoursError(f"{part!r} is not <kind>=<door hours> (kinds: {', '.join(sorted(known))})")
        try:
            found[kind.strip()] = parse_text(typed).as_dict()
        except DoorHoursError as error:
            raise DoorHoursError(f"{kind.strip()}: {error}") from None
    return found


def appointment_on(value: object, day: dt.date) -> Window | None:
    """The first window of the customer's appointment on `day` (None: no appointment that day, or hours that
    cannot be read): what Today and the planner show beside the stop."""
    try:
        windows = DoorHours.from_dict(value).appointments.get(day)
    except DoorHoursError:
        return None
    return windows[0] if windows else None
