"""Holidays a rep prepares greetings and gifts for (关怀: 节日问候), shown on the phone's Today screen.

Lunar holidays move every year, and no calendar library is on the phone, so their Gregorian days are listed
for 2026-2030; the fixed ones are made for any year. A company configures its own list (more festivals, a
local one, later years) as a JSON file given to the app (`python -m client --holidays FILE`, see
client/config.py): `[{"day": "2031-01-23", "name": "春节"}, ...]`; it replaces this list.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Holiday:
    day: dt.date
    name: str


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
