"""One business day everywhere: the company's zone (the server's TIMEZONE) reaches the phone at sign-in and in
every pull, is kept in its store, and the phone's day, times and today's route follow it, whatever zone the
phone (or the test machine) is set to. The company here is on Asia/Kolkata (+05:30), not the default zone, and
the clock stands at 23:00 there: already the next day in Asia/Shanghai, the phone's default before sign-in."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from litestar import Litestar
from litestar import testing as litestar_testing
from litestar.testing import AsyncTestClient

from client import clock as phone_clock
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from client.widgets import clock_time
from server.settings import Settings
from shared.clock import DEFAULT_ZONE, Clock
from sync.protocol import SCHEMA_VERSION
from tests.integration.conftest import PASSWORD, World
from tests.integration.helpers import app_phone

COMPANY_ZONE = "Asia/Kolkata"
LATE_EVENING = dt.datetime(2026, 12, 7, 23, 0, tzinfo=ZoneInfo(COMPANY_ZONE))  # 2026-12-08 01:30 in Shanghai


@pytest.fixture(autouse=True)
def late_evening() -> Iterator[None]:
    """Before `seeded` (autouse comes first): the plan is made for the company's day at this moment."""
    with time_machine.travel(LATE_EVENING, tick=True):
        yield


@pytest.fixture(autouse=True)
def fresh_phone_clock() -> Iterator[None]:
    phone_clock.install(Clock())
    yield
    phone_clock.install(Clock())


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, timezone=COMPANY_ZONE)


async def test_sign_in_and_every_pull_name_the_company_zone(client: AsyncTestClient[Litestar], seeded: World) -> None:
    response = await client.post("/api/auth/login", json={"username": "rep.a", "password": PASSWORD})
    assert response.status_code == 200 and response.json()["timezone"] == COMPANY_ZONE
    headers = {"Authorization": f"Bearer {response.json()['token']}"}
    body = {"cursor": 0, "schema_version": SCHEMA_VERSION, "limit": 10}
    pulled = await client.post("/api/sync/pull", json=body, headers=headers)
    assert pulled.status_code == 200 and pulled.json()["timezone"] == COMPANY_ZONE


def test_the_phone_keeps_the_company_day_from_the_server(app: Litestar, seeded: World, tmp_path: Path) -> None:
    assert seeded.today == dt.date(2026, 12, 7)  # the company's day
    assert phone_clock.now().date() == dt.date(2026, 12, 8)  # the phone's default zone is a day ahead
    with litestar_testing.TestClient(app=app) as server:
        service, runner, store = app_phone(server, tmp_path / "phone")
        service.sign_in(str(server.base_url), "rep.a", PASSWORD)
        assert store.get_meta("timezone") == COMPANY_ZONE
        assert phone_clock.company_zone() == ZoneInfo(COMPANY_ZONE)
        assert runner.sync_once()

        route = service.today()
        assert route.day == seeded.today and route.has_plan
        assert [stop.customer_id for stop in route.stops] == seeded.customers_a[:3]
        stamped = service.clock()
        assert stamped.utcoffset() == dt.timedelta(hours=5, minutes=30)  # visits carry the company's offset
        assert clock_time("2026-12-07T17:30:00+00:00") == "23:00"  # times shown in the company's zone

        # A pull names the zone again: a phone that lost it (or was told another) takes it back.
        store.set_meta(timezone="Asia/Shanghai")
        phone_clock.install(Clock())
        assert runner.sync_once()
        assert store.get_meta("timezone") == COMPANY_ZONE and phone_clock.company_zone() == ZoneInfo(COMPANY_ZONE)
        runner.stop()
        store.close()

    # The app opens its store on the next start: the zone comes back from it before any network.
    phone_clock.install(Clock())
    assert phone_clock.company_zone() == DEFAULT_ZONE
    reopened = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    assert phone_clock.use_zone(reopened.get_meta("timezone"))
    assert phone_clock.now().date() == seeded.today
    reopened.close()


def test_a_zone_name_the_phone_does_not_know_is_ignored() -> None:
    assert not phone_clock.use_zone("Mars/Olympus_Mons")
    assert not phone_clock.use_zone("")
    assert phone_clock.company_zone() == DEFAULT_ZONE
    assert phone_clock.use_zone("Asia/Kolkata") and not phone_clock.use_zone("Asia/Kolkata")
