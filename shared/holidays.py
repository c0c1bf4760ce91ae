"""Holidays a rep prepares greetings and gifts for (关怀: 节日问候), shown on the phone's Today screen.

Lunar holidays move every year, and no calendar library is on the phone, so their Gregorian days are listed
for 2026-2030; the fixed ones are made for any year. This built-in list is the default. A company keeps its
own list on the server (admins, /admin/holidays): phones receive it as `holiday` records and use it instead
(`company_holidays`); a phone that has none yet (first start, offline) uses the built-in list. A JSON file
given to the app (`python -m client --holidays FILE`, see client/config.py) overrides both:
`[{"day": "2031-01-23", "name": "春节"}, ...]`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, order=True)
class Holiday:
    day: dt.date
    name: str
    note: str = field(default="", compare=False)  # the company's word on it, e.g. "send greetings to key persons"


# 春节, 元宵节, 端午节 and 中秋节 by the lunar calendar.
LUNAR = {
    "春节": ["2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03"],
    "元宵节": ["2026-03-03", "2027-02-20", "2028-02-09", "2029-02-27", "2030-02-17"],
    "端午节": ["2026-06-19", "2027-06-09", "2028-05-28", "2029-06-16", "2030-06-05"],
    "中秋节": ["2026-09-25", "2027-09-15", "2028-10-03", "2029-09-22", "2030-09-12"],
}
# Fixed days; 中国医师节 (doctors' day) matters to clinics and village health rooms.
FIXED = {"元旦": (1, 1), "劳动节": (5, 1), "中国医师节": (8, 19), "国庆节": (10, 1)}
FIRST_YEAR, LAST_YEAR = 2026, 2030


def default_holidays() -> list[Holiday]:
    found = [Holiday(dt.date.fromisoformat(day), name) for name, days in LUNAR.items() for day in days]
    found += [
        Holiday(dt.date(year, month, day), name)
        for year in range(FIRST_YEAR, LAST_YEAR + 1)
        for name, (month, day) in FIXED.items()
    ]
    return sorted(found)


def load_holidays(path: Path) -> list[Holiday]:
    """A company's list from a JSON file; a clear ValueError naming the entry that is wrong."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"holidays file {path}: {error}") from error
    if not isinstance(entries, list):
        raise ValueError(f'holidays file {path}: a JSON list of {{"day": "YYYY-MM-DD", "name": ...}} expected')
    holidays = []
    for index, entry in enumerate(entries):
        try:
            name = entry["name"]
            if not isinstance(name, str) or not name.strip():
                raise ValueError("name must be a non-empty text")
            holidays.append(Holiday(dt.date.fromisoformat(entry["day"]), name.strip()))
        except (TypeError, KeyError, ValueError) as error:
            raise ValueError(f"holidays file {path}, entry {index + 1}: {error!r}") from error
    return sorted(holidays)


def default_holiday_records() -> list[dict[str, str]]:
    """The built-in list as the fields of `holiday` records: lunar ones on their dates, fixed ones every year."""
    dated = [{"name": name, "day": day} for name, days in LUNAR.items() for day in days]
    yearly = [{"name": name, "month_day": f"{month:02d}-{day:02d}"} for name, (month, day) in FIXED.items()]
    return sorted(dated, key=lambda item: item["day"]) + yearly


def _day_in(year: int, month_day: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(f"{year:04d}-{month_day}")
    except ValueError:  # 02-29 outside a leap year, or a malformed value
        return None


def company_holidays(records: Iterable[Mapping[str, Any]], today: dt.date) -> list[Holiday]:
    """The company's holidays (pulled `holiday` records) as days: a dated one on its day, a yearly one in this
    year and the next (a week ahead crosses the year's end). Records that make no day are left out."""
    found = []
    for record in records:
        name, note = str(record.get("name") or "").strip(), str(record.get("note") or "")
        if not name:
            continue
        days: list[dt.date | None] = []
        if isinstance(record.get("day"), str):
            try:
                days = [dt.date.fromisoformat(record["day"])]
            except ValueError:
                days = []
        elif isinstance(record.get("month_day"), str):
            days = [_day_in(year, record["month_day"]) for year in (today.year, today.year + 1)]
        found += [Holiday(day, name, note) for day in days if day is not None]
    return sorted(found)
