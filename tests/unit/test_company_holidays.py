"""The company's holiday list (issue #4): the `holiday` record's validation, and the phone's choice of the
pulled list over the built-in one (and of a --holidays file over both), across the year's end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from client.services import AppService
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind
from shared.holidays import Holiday, company_holidays, default_holiday_records, default_holidays
from shared.records import holiday_problems, validate_fields
from sync.protocol import Change

TZ = dt.timezone(dt.timedelta(hours=8))
FIRM_DAY = "7d2f0b7e-4a52-4f7e-9a43-1f7f3c1a0001"
NEW_YEAR = "7d2f0b7e-4a52-4f7e-9a43-1f7f3c1a0002"


def problems(fields: Mapping[str, object]) -> list[tuple[str, str]]:
    return [(error.field, error.problem) for error in holiday_problems(fields)]


def test_a_holiday_is_a_date_or_a_day_of_every_year() -> None:
    assert problems({"name": "公司周年", "month_day": "12-28", "note": "给关键人发问候"}) == []
    assert problems({"name": "春节", "day": "2031-01-23"}) == []
    assert problems({"name": "闰日", "month_day": "02-29"}) == []  # kept in leap years only
    assert problems({"name": "春节"}) == [("day", "a date or a day of every year is required")]
    assert problems({"name": "春节", "day": "2031-01-23", "month_day": "01-23"}) == [
        ("day", "give a date or a day of every year, not both")
    ]
    assert [field for field, _ in problems({"name": "x", "month_day": "13-01"})] == ["month_day"]
    assert [field for field, _ in problems({"name": "x", "month_day": "2031-01-23"})] == ["month_day"]
    assert [field for field, _ in problems({"name": "x", "day": "2031-02-30"})] == ["day"]
    assert [field for field, _ in problems({"name": " ", "day": "2031-01-23"})] == ["name"]
    assert [field for field, _ in problems({"name": "x" * 41, "day": "2031-01-23"})] == ["name"]
    assert [field for field, _ in problems({"name": "x", "day": "2031-01-23", "note": "n" * 201})] == ["note"]
    assert [field for field, _ in problems({"name": "x", "day": "2031-01-23", "rep_id": "r"})] == ["rep_id"]
    assert validate_fields(RecordKind.HOLIDAY, {"month_day": 1001}, creating=False)[0].field == "month_day"


def test_the_built_in_list_as_records_makes_the_built_in_days() -> None:
    records = default_holiday_records()
    assert all(problems(record) == [] for record in records)
    for year in (2026, 2030):
        made = {h for h in company_holidays(records, dt.date(year, 1, 5)) if h.day.year == year}
        assert made == {h for h in default_holidays() if h.day.year == year}


def test_a_yearly_holiday_is_made_this_year_and_next_and_29_february_in_leap_years_only() -> None:
    records = [
        {"id": FIRM_DAY, "name": "公司周年", "month_day": "12-28", "note": "送台历"},
        {"id": NEW_YEAR, "name": "闰日", "month_day": "02-29"},
        {"id": "x", "name": "坏的", "day": "not a date"},
    ]
    days = [(h.day, h.name, h.note) for h in company_holidays(records, dt.date(2027, 12, 25))]
    assert days == [
        (dt.date(2027, 12, 28), "公司周年", "送台历"),
        (dt.date(2028, 2, 29), "闰日", ""),
        (dt.date(2028, 12, 28), "公司周年", "送台历"),
    ]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    yield store
    store.close()


def care_holidays(store: LocalStore, moment: dt.datetime, holidays: list[Holiday] | None = None) -> list[str]:
    service = AppService(store, clock=lambda: moment, holidays=holidays)
    return [f"{h.day.isoformat()} {h.name}" for h in service.care_reminders().holidays]


def test_the_phone_uses_the_pulled_list_else_the_built_in_one_across_the_year_end(store: LocalStore) -> None:
    moment = dt.datetime(2026, 12, 26, 9, 0, tzinfo=TZ)
    # A first start, nothing pulled: the built-in list (元旦 on 2027-01-01 is within the week).
    assert care_holidays(store, moment) == ["2027-01-01 元旦"]

    firm = {"name": "公司周年", "month_day": "12-30", "note": "给关键人发问候", "updated_at": "2026-12-01T00:00:00Z"}
    store.apply_pull_page([Change(1, RecordKind.HOLIDAY, FIRM_DAY, False, firm)], 1)
    # The company's list replaces the built-in one: it has no 元旦, so none is reminded of.
    assert care_holidays(store, moment) == ["2026-12-30 公司周年"]

    new_year = {"name": "元旦", "month_day": "01-01"}
    store.apply_pull_page([Change(2, RecordKind.HOLIDAY, NEW_YEAR, False, new_year)], 2)
    assert care_holidays(store, moment) == ["2026-12-30 公司周年", "2027-01-01 元旦"]  # next year's 01-01
    assert care_holidays(store, dt.datetime(2027, 12, 29, 9, 0, tzinfo=TZ)) == [
        "2027-12-30 公司周年",
        "2028-01-01 元旦",
    ]

    # Taken off the list on the server: both tombstones arrive, the phone is back on the built-in list.
    store.apply_pull_page(
        [Change(3, RecordKind.HOLIDAY, FIRM_DAY, True, None), Change(4, RecordKind.HOLIDAY, NEW_YEAR, True, None)], 4
    )
    assert care_holidays(store, moment) == ["2027-01-01 元旦"]


def test_a_holidays_file_overrides_the_pulled_list(store: LocalStore) -> None:
    firm = {"name": "公司周年", "month_day": "12-30"}
    store.apply_pull_page([Change(1, RecordKind.HOLIDAY, FIRM_DAY, False, firm)], 1)
    moment = dt.datetime(2026, 12, 26, 9, 0, tzinfo=TZ)
    assert care_holidays(store, moment, [Holiday(dt.date(2026, 12, 31), "年会")]) == ["2026-12-31 年会"]


def test_the_today_screen_shows_the_company_note() -> None:
    from client.features.today.view import holiday_text

    holiday = Holiday(dt.date(2026, 12, 30), "公司周年", "给关键人发问候")
    assert holiday_text(holiday, dt.date(2026, 12, 26), "zh-CN") == "公司周年：4 天后（12-30） · 给关键人发问候"
