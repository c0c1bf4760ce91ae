"""The whole suite's time. Tests never depend on the hour or the zone they run at: set

    ROUTECRM_TEST_NOW=2026-12-31T23:59:30+08:00   (any ISO 8601 instant with its offset)

to run the suite at that instant: the test process's wall clock starts there (time-machine, ticking), and the
server and app processes the end-to-end tests start get the same instant through `ROUTECRM_CLOCK_OFFSET`
(`clock_offset_env`). `scripts/test-times.sh` runs the suite at the instants where business days are easy to
get wrong, in several machine zones (`TZ`); `.ci/run` runs it in a zone other than the company's.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine

from shared.clock import CLOCK_OFFSET_ENV

TEST_NOW_ENV = "ROUTECRM_TEST_NOW"
# A Wednesday afternoon in the company's zone (the tests' TIMEZONE, Asia/Shanghai): the day's visits are done.
COMPANY_AFTERNOON = dt.datetime(2026, 12, 9, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
_travel: time_machine.travel | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _travel
    when = os.environ.get(TEST_NOW_ENV)
    if when:
        instant = dt.datetime.fromisoformat(when)
        if instant.tzinfo is None:
            raise pytest.UsageError(f"{TEST_NOW_ENV} needs a UTC offset: {when!r}")
        _travel = time_machine.travel(instant, tick=True)
        _travel.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _travel is not None:
        _travel.stop()


def pytest_report_header(config: pytest.Config) -> str:
    zone = os.environ.get("TZ") or "the machine's"
    return f"wall clock: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} (TZ: {zone})"


def clock_offset_env() -> dict[str, str]:
    """For a process a test starts: its clock shifted as this process's is (empty when time runs normally)."""
    if _travel is None:
        return {}
    offset = time.time() - time_machine.escape_hatch.time.time()
    return {CLOCK_OFFSET_ENV: f"{offset:.3f}"}


@pytest.fixture
def company_afternoon() -> Iterator[dt.datetime]:
    """The wall clock at a fixed afternoon (ticking on), for tests whose records sit at hours of "today"
    (e.g. a complaint received at 09:00): at any real hour those hours are in the past. Ask for it before
    fixtures that read the clock (or with `pytest.mark.usefixtures`, which comes first)."""
    with time_machine.travel(COMPANY_AFTERNOON, tick=True):
        yield COMPANY_AFTERNOON
