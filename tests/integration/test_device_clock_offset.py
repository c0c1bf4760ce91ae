"""Issue #17: a supervisor sees which phones have a wrong clock. Each sync request of the app says how far the
phone's clock is from the server's, as its last pull measured it (the RouteCRM-Clock-Offset header); the server
keeps it per phone and /devices says it in words. An app from before says nothing and syncs as ever; a value that is
not whole seconds within ten years is ignored and the sync goes on. The phone is the app's own stack (LocalStore,
AppService, the app's sync wiring) against the real server in-process."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.engine import Engine

from client import clock as phone_clock
from client.services import AppService
from client.shell.app import service_sync
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from client.sync_runner import HttpSyncSession, SyncRunner
from server.db import read_session
from server.domains.devices.models import Device
from server.domains.devices.service import note_clock_offset
from shared.clock import Clock
from sync.protocol import CLOCK_OFFSET_HEADER, SCHEMA_VERSION
from tests.integration.conftest import PASSWORD, World
from tests.integration.helpers import InProcessTransport
from tests.integration.test_phone_chain import supervisor_sees

MORNING = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # the company's morning
SLOW = dt.timedelta(hours=-3, minutes=-12)  # the phone's clock: 06:18 by it


@pytest.fixture(autouse=True)
def morning() -> Iterator[None]:
    with time_machine.travel(MORNING, tick=True):
        yield


@pytest.fixture(autouse=True)
def own_clock() -> Iterator[None]:
    phone_clock.install(Clock())
    yield
    phone_clock.install(Clock())


class Phone:
    """A rep's phone with the app's sync wiring (service_sync): it measures its clock and says it."""

    def __init__(self, server: TestClient[Litestar], folder: Path, username: str = "rep.a") -> None:
        self.server, self.transport = server, InProcessTransport(server)
        self.store = LocalStore(folder, StoreCipher(bytes(32)))
        self.service = AppService(self.store, transport=self.transport)  # type: ignore[arg-type]
        self.service.restore_clock_correction()
        self.runner = SyncRunner(
            service_sync(self.store, self.service, self.transport),
            counts=lambda: (self.store.pending_count(), len(self.store.rejected_ops())),
        )
        self.service.sign_in(str(server.base_url), username, PASSWORD)

    @property
    def device_id(self) -> str:
        return self.store.device_id

    def sync(self) -> None:
        assert self.runner.sync_once()
        assert self.runner.status.last_error is None, self.runner.status.last_error

    def close(self) -> None:
        self.runner.stop()
        self.store.close()


def kept(engine: Engine, device_id: str) -> tuple[int | None, str | None]:
    with read_session(engine) as session:
        device = session.get(Device, device_id)
        assert device is not None
        return device.clock_offset_s, device.clock_offset_at


def device_clock(page: str, device_id: str) -> tuple[str, str]:
    """The phone's clock as /devices shows it: its state and its words (without the "as of" time)."""
    found = re.search(rf'data-clock="([a-z]+)" data-testid="device-clock-{device_id}">(.*?)</td>', page, re.S)
    assert found, f"no clock shown for phone {device_id}"
    words = re.sub(r'<span class="muted small">.*?</span>', "", found.group(2))
    return found.group(1), html.unescape(re.sub(r"<[^>]+>", "", words)).strip()


def test_a_phone_3_hours_12_minutes_slow_is_shown_so_on_the_devices_page(
    sync_client: TestClient[Litestar], engine: Engine, seeded: World, tmp_path: Path
) -> None:
    phone_clock.install(Clock(offset=SLOW))
    phone = Phone(sync_client, tmp_path / "phone")
    assert kept(engine, phone.device_id) == (None, None)  # signed in: known, its clock not yet
    state, words = device_clock(supervisor_sees(sync_client, "/devices"), phone.device_id)
    assert (state, words) == ("unknown", "尚未测得")

    phone.sync()  # its pull measures the clock; the requests after it say so
    visit = phone.service.check_in(seeded.customers_a[0], None, None)
    phone.sync()
    offset, heard = kept(engine, phone.device_id)
    assert offset == pytest.approx(11_520, abs=2)
    assert heard is not None and abs(dt.datetime.fromisoformat(heard) - MORNING) < dt.timedelta(seconds=30)

    page = supervisor_sees(sync_client, "/devices")
    assert device_clock(page, phone.device_id) == ("behind", "时钟慢 3 小时 12 分")
    assert "09:30 测得" in page  # when the server heard it, in the company's zone
    english = supervisor_sees(sync_client, "/devices?lang=en")
    assert device_clock(english, phone.device_id) == ("behind", "clock 3 h 12 min behind")
    listed = sync_client.get("/api/devices", headers={"Authorization": f"Bearer {supervisor_token(sync_client)}"})
    assert [row["clock_offset_s"] for row in listed.json()["devices"]] == [offset]
    # The visit's evidence says it too, beside its signature (the phone's clock when it uploaded the visit).
    customer_page = f"/customers/{seeded.customers_a[0]}"
    chinese = supervisor_sees(sync_client, f"{customer_page}?lang=zh-CN")
    assert visit_clock(chinese, visit["id"]) == "上传时手机时钟慢 3 小时 12 分"
    english = supervisor_sees(sync_client, f"{customer_page}?lang=en")
    assert visit_clock(english, visit["id"]) == "phone's clock 3 h 12 min behind at upload"

    # The rep sets the phone's clock right: the next sync measures it so, and the one after tells the server.
    phone_clock.install(Clock())
    phone.sync()
    phone.sync()
    assert kept(engine, phone.device_id)[0] == 0
    assert device_clock(supervisor_sees(sync_client, "/devices?lang=en"), phone.device_id) == ("right", "clock right")
    # The visit keeps the clock it came with (tests/integration/test_op_clock_offset.py).
    assert (
        visit_clock(supervisor_sees(sync_client, f"{customer_page}?lang=zh-CN"), visit["id"])
        == "上传时手机时钟慢 3 小时 12 分"
    )
    phone.close()


def visit_clock(page: str, visit_id: str) -> str | None:
    """The phone's clock at upload beside a visit's signature, when it is wrong or not reported (else None)."""
    found = re.search(rf'data-testid="visit-clock-{visit_id}" data-clock="[a-z]+">([^<]*)<', page)
    return html.unescape(found.group(1)) if found else None


def supervisor_token(server: TestClient[Litestar]) -> str:
    answer = server.post("/api/auth/login", json={"username": "boss", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def test_an_app_from_before_that_says_nothing_syncs_and_shows_not_measured(
    sync_client: TestClient[Litestar], engine: Engine, seeded: World, tmp_path: Path
) -> None:
    phone_clock.install(Clock(offset=SLOW))
    phone = Phone(sync_client, tmp_path / "phone")
    phone.service.check_in(seeded.customers_a[0], None, None)
    for _ in range(2):  # the sync of an app from before: no clock offset on its requests
        HttpSyncSession(phone.store, str(sync_client.base_url), phone.service.token, phone.transport).run()
    assert phone.store.pending_count() == 0  # its visit went up
    assert kept(engine, phone.device_id) == (None, None)
    assert device_clock(supervisor_sees(sync_client, "/devices?lang=en"), phone.device_id) == (
        "unknown",
        "not measured yet",
    )
    phone.close()


@pytest.mark.parametrize(
    "value", ["abc", "1.5", "NaN", "1e12", "-99999999999", str(10 * 365 * 86400 + 1), "", "١٢".encode()], ids=repr
)
def test_a_clock_offset_that_is_not_whole_seconds_within_ten_years_is_ignored_and_the_sync_goes_on(
    sync_client: TestClient[Litestar], engine: Engine, seeded: World, tmp_path: Path, value: str | bytes
) -> None:
    phone = Phone(sync_client, tmp_path / "phone")
    headers: dict[str, str | bytes] = {"Authorization": f"Bearer {phone.service.token}", CLOCK_OFFSET_HEADER: "-420"}
    body = {"device_id": phone.device_id, "schema_version": SCHEMA_VERSION, "ops": []}
    assert sync_client.post("/api/sync/push", json=body, headers=headers).status_code == 200
    assert kept(engine, phone.device_id)[0] == -420  # a good value, kept (7 min ahead)
    before = kept(engine, phone.device_id)

    bad = {**headers, CLOCK_OFFSET_HEADER: value}
    visit = phone.service.check_in(seeded.customers_a[0], None, None)
    ops = [op.as_dict() for op in phone.store.pending_ops(10)]
    pushed = sync_client.post("/api/sync/push", json={**body, "ops": ops}, headers=bad)
    assert pushed.status_code == 200, pushed.text
    assert [result["status"] for result in pushed.json()["results"]] == ["applied"]
    pulled = sync_client.post("/api/sync/pull", json={"cursor": 0, "schema_version": SCHEMA_VERSION}, headers=bad)
    assert pulled.status_code == 200, pulled.text
    assert visit["id"] in {change["record_id"] for change in pulled.json()["changes"]}
    assert kept(engine, phone.device_id) == before  # the last good value stands
    assert device_clock(supervisor_sees(sync_client, "/devices"), phone.device_id) == ("ahead", "时钟快 7 分钟")
    phone.close()


def test_a_pull_says_the_clock_of_the_phone_its_sign_in_is_bound_to(
    sync_client: TestClient[Litestar], engine: Engine, seeded: World, tmp_path: Path
) -> None:
    phone = Phone(sync_client, tmp_path / "phone")
    headers = {"Authorization": f"Bearer {phone.service.token}", CLOCK_OFFSET_HEADER: "-90061"}
    pulled = sync_client.post("/api/sync/pull", json={"cursor": 0, "schema_version": SCHEMA_VERSION}, headers=headers)
    assert pulled.status_code == 200
    assert kept(engine, phone.device_id)[0] == -90_061
    page = supervisor_sees(sync_client, "/devices?lang=en")
    assert device_clock(page, phone.device_id) == ("ahead", "clock 1 d 1 h ahead")
    phone.close()


def test_the_kept_offset_is_written_again_only_when_it_moves_or_grows_old(
    sync_client: TestClient[Litestar], engine: Engine, seeded: World, tmp_path: Path
) -> None:
    """A phone syncing every 30 s does not write its row each time: a second or two of round trip is the same
    clock; the time it was heard is renewed every 10 minutes."""
    phone = Phone(sync_client, tmp_path / "phone")
    assert note_clock_offset(engine, phone.device_id, 11_520)
    first = kept(engine, phone.device_id)
    assert not note_clock_offset(engine, phone.device_id, 11_522)
    assert kept(engine, phone.device_id) == first
    assert note_clock_offset(engine, phone.device_id, 11_523)
    with time_machine.travel(MORNING + dt.timedelta(minutes=11), tick=False):
        assert note_clock_offset(engine, phone.device_id, 11_523)
        assert kept(engine, phone.device_id)[1] == (MORNING + dt.timedelta(minutes=11)).astimezone(dt.UTC).isoformat()
    assert not note_clock_offset(engine, "no-such-phone", 5)
    phone.close()
