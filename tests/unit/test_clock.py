"""The one clock: the company's day whatever the machine's zone, and an offset for tests and demos."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine

from server.settings import Settings
from shared.clock import CLOCK_OFFSET_ENV, Clock, parse_offset, zone

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 23:59:30 in Shanghai on New Year's Eve: 15:59:30 UTC, 07:59:30 the same day in Los Angeles.
NEW_YEARS_EVE = dt.datetime(2026, 12, 31, 23, 59, 30, tzinfo=SHANGHAI)


@pytest.fixture(params=["UTC", "Asia/Shanghai", "America/Los_Angeles"])
def machine_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The process's own zone (TZ), which must change nothing."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if before is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.parametrize(
    ("instant", "company_day"),
    [
        (dt.datetime(2026, 12, 7, 23, 59, 59, tzinfo=SHANGHAI), dt.date(2026, 12, 7)),  # before midnight
        (dt.datetime(2026, 12, 8, 0, 0, 0, tzinfo=SHANGHAI), dt.date(2026, 12, 8)),  # midnight
        (dt.datetime(2026, 12, 8, 6, 0, tzinfo=SHANGHAI), dt.date(2026, 12, 8)),  # 22:00 UTC the day before
        (dt.datetime(2026, 11, 30, 23, 59, tzinfo=SHANGHAI), dt.date(2026, 11, 30)),  # month end
        (NEW_YEARS_EVE, dt.date(2026, 12, 31)),  # year end
        (NEW_YEARS_EVE + dt.timedelta(seconds=30), dt.date(2027, 1, 1)),
    ],
)
def test_the_business_day_is_the_companys_whatever_the_machine_zone(
    machine_zone: str, instant: dt.datetime, company_day: dt.date
) -> None:
    with time_machine.travel(instant, tick=False):
        clock = Clock(tz=SHANGHAI)
        assert clock.today() == company_day
        assert clock.now().utcoffset() == dt.timedelta(hours=8)
        assert clock.now() == instant
        assert clock.now_iso().endswith("+00:00")


def test_an_offset_shifts_every_reading_alike() -> None:
    with time_machine.travel(NEW_YEARS_EVE, tick=False):
        shifted = Clock(tz=SHANGHAI, offset=dt.timedelta(minutes=1))
        assert shifted.today() == dt.date(2027, 1, 1)
        assert shifted.now_ms() - Clock(tz=SHANGHAI).now_ms() == 60_000
        assert shifted.in_zone(ZoneInfo("UTC")).now() == shifted.now()


@pytest.mark.parametrize(("text", "seconds"), [(None, 0), ("", 0), (" ", 0), ("3600", 3600), ("-90.5", -90.5)])
def test_the_offset_setting(text: str | None, seconds: float) -> None:
    assert parse_offset(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["an hour", "nan", "inf", "1e12"])
def test_a_bad_offset_is_refused_naming_the_setting(text: str) -> None:
    with pytest.raises(ValueError, match=CLOCK_OFFSET_ENV):
        parse_offset(text)


def test_the_server_reads_its_zone_and_offset_once(tmp_path: object) -> None:
    env = {"DATA_DIR": str(tmp_path), "SECRET_KEY": "k" * 40, "TIMEZONE": "Asia/Urumqi", CLOCK_OFFSET_ENV: "-60"}
    settings = Settings.from_env(env)
    assert settings.clock == Clock(tz=ZoneInfo("Asia/Urumqi"), offset=dt.timedelta(seconds=-60))
    with pytest.raises(ValueError, match=CLOCK_OFFSET_ENV):
        Settings.from_env({**env, CLOCK_OFFSET_ENV: "soon"})


def test_a_zone_from_the_server_falls_back_when_unknown() -> None:
    assert zone("Asia/Kolkata") == ZoneInfo("Asia/Kolkata")
    assert zone("Nowhere/Atlantis", ZoneInfo("UTC")) == ZoneInfo("UTC")
    assert zone(None) == SHANGHAI
