"""A phone whose own clock is wrong records the server's time: each pull measures the phone's clock against the
server's (client/clock.py), every "now" on the phone follows, the store keeps the correction for a start
offline, and a phone set right again goes back to its own time at the next sync. Real server in-process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from litestar import Litestar
from litestar import testing as litestar_testing
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from client import clock as phone_clock
from client.services import CLOCK_CORRECTION, AppService
from client.shell.app import service_sync
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from client.sync_runner import SyncRunner
from server.models import Visit
from shared.clock import Clock
from tests.integration.conftest import PASSWORD, World
from tests.integration.helpers import InProcessTransport

MORNING = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # the company's morning
SLOW = dt.timedelta(hours=-3)  # the phone's clock: 06:30 by it, still on the same day


@pytest.fixture(autouse=True)
def morning() -> Iterator[None]:
    with time_machine.travel(MORNING, tick=True):
        yield


@pytest.fixture(autouse=True)
def slow_phone() -> Iterator[None]:
    phone_clock.install(Clock(offset=SLOW))
    yield
    phone_clock.install(Clock())


def close_to(moment: dt.datetime, target: dt.datetime) -> bool:
    return abs(moment - target) < dt.timedelta(seconds=10)


def phone(store: LocalStore, transport: InProcessTransport) -> tuple[AppService, SyncRunner]:
    service = AppService(store, transport=transport)  # type: ignore[arg-type]
    service.restore_clock_correction()
    runner = SyncRunner(
        service_sync(store, service, transport),
        counts=lambda: (store.pending_count(), len(store.rejected_ops())),
    )
    return service, runner


def test_a_phone_three_hours_slow_stamps_its_visit_with_the_servers_time(
    app: Litestar, seeded: World, engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "phone"
    with litestar_testing.TestClient(app=app) as server:
        transport = InProcessTransport(server)
        store = LocalStore(folder, StoreCipher(bytes(32)))
        service, runner = phone(store, transport)
        assert close_to(phone_clock.now(), MORNING + SLOW)
        service.sign_in(str(server.base_url), "rep.a", PASSWORD)
        assert runner.sync_once()
        assert close_to(phone_clock.now(), MORNING)
        assert store.get_meta(CLOCK_CORRECTION) == pytest.approx(3 * 3600, abs=2)

        visit = service.check_in(seeded.customers_a[0], None, None)
        assert runner.sync_once()
        with Session(engine) as session:
            stored = session.exec(select(Visit).where(Visit.id == visit["id"])).one()
        assert close_to(dt.datetime.fromisoformat(str(stored.check_in_at)), MORNING)
        runner.stop()
        store.close()

        # The next start is offline, on the same wrong clock: the kept correction holds before any sync.
        phone_clock.install(Clock(offset=SLOW))
        store = LocalStore(folder, StoreCipher(bytes(32)))
        service, runner = phone(store, transport)
        assert close_to(phone_clock.now(), MORNING)

        # The rep sets the phone's clock right: the next sync measures it right, and the correction goes.
        phone_clock.install(Clock())
        service.restore_clock_correction()
        assert close_to(phone_clock.now(), MORNING - SLOW)  # corrected twice until the server is asked again
        assert runner.sync_once()
        assert phone_clock.correction() == dt.timedelta(0) and close_to(phone_clock.now(), MORNING)
        assert store.get_meta(CLOCK_CORRECTION) == 0
        runner.stop()
        store.close()


def test_a_phone_with_a_right_clock_writes_nothing(app: Litestar, seeded: World, tmp_path: Path) -> None:
    phone_clock.install(Clock())
    with litestar_testing.TestClient(app=app) as server:
        transport = InProcessTransport(server)
        store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
        service, runner = phone(store, transport)
        service.sign_in(str(server.base_url), "rep.a", PASSWORD)
        assert runner.sync_once()
        assert phone_clock.correction() == dt.timedelta(0) and store.get_meta(CLOCK_CORRECTION) is None
        runner.stop()
        store.close()
