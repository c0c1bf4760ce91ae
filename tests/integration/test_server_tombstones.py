"""Tombstones expire after the retention period; an older cursor gets "resync required" and the phone
pulls everything again without losing its waiting ops. The expiry job runs once across processes."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from litestar import Litestar
from litestar import testing as litestar_testing
from sqlalchemy.engine import Engine

from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from server.changes.tombstones import expire_tombstones
from server.db import make_engine
from server.jobs import Job, claim
from server.settings import Settings
from shared.enums import RecordKind
from shared.ids import new_id
from sync.engine import SyncEngine
from sync.protocol import SCHEMA_VERSION
from tests.integration.conftest import PASSWORD, World, visit_fields
from tests.integration.test_server_sync_engine import http_api

LATER = dt.timedelta(days=91)


def test_an_expired_tombstone_makes_an_older_cursor_resync_without_losing_waiting_work(
    sync_client: litestar_testing.TestClient[Litestar],
    seeded: World,
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
) -> None:
    api = http_api(sync_client, "rep.a")
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    SyncEngine(store, api.push, api.pull).run()
    assert store.get(RecordKind.CUSTOMER, seeded.customers_a[0]) is not None
    old_cursor = store.pull_cursor()

    # Meanwhile a supervisor deletes a customer, and 91 days pass: its tombstone expires.
    office = http_api(sync_client, "boss")
    office_store = LocalStore(tmp_path / "office", StoreCipher(bytes(32)))
    office_store.delete(RecordKind.CUSTOMER, seeded.customers_a[0])
    SyncEngine(office_store, office.push, office.pull).run()
    assert expire_tombstones(engine, settings, dt.datetime.now(dt.UTC) + LATER) == 1
    token = sync_client.post("/api/auth/login", json={"username": "rep.a", "password": PASSWORD}).json()["token"]

    answer = sync_client.post(
        "/api/sync/pull",
        json={"cursor": old_cursor, "schema_version": SCHEMA_VERSION},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 410 and answer.json()["error"]["code"] == "resync_required"

    # The phone still has work waiting: a visit. It syncs, resyncs fully, and keeps the visit.
    visit_id = new_id()
    store.save(RecordKind.VISIT, visit_id, visit_fields(seeded.customers_a[1], seeded.today, 9))
    report = SyncEngine(store, api.push, api.pull).run()
    assert report.pushed == 1 and store.pending_count() == 0
    assert store.get(RecordKind.CUSTOMER, seeded.customers_a[0]) is None  # the delete it would have missed
    assert store.get(RecordKind.CUSTOMER, seeded.customers_a[1]) is not None
    assert store.get(RecordKind.VISIT, visit_id) is not None
    assert store.pull_cursor() > old_cursor
    for opened in (store, office_store):
        opened.close()
    api.close()
    office.close()


def test_a_fresh_tombstone_is_kept(seeded: World, engine: Engine, settings: Settings) -> None:
    assert expire_tombstones(engine, settings, dt.datetime.now(dt.UTC)) == 0


def test_a_scheduled_job_runs_once_however_many_processes_look(seeded: World, settings: Settings) -> None:
    job = Job("test_job", dt.timedelta(hours=24), expire_tombstones)
    engines = [make_engine(settings.database_url) for _ in range(4)]  # four server processes
    now = dt.datetime.now(dt.UTC)
    start = threading.Barrier(len(engines))

    def try_claim(index: int) -> bool:
        start.wait()
        return claim(engines[index], job, now, f"process-{index}")

    try:
        with ThreadPoolExecutor(len(engines)) as pool:
            assert sorted(pool.map(try_claim, range(len(engines)))) == [False, False, False, True]
        assert not claim(engines[0], job, now + dt.timedelta(hours=23), "process-0")  # not due yet
        assert claim(engines[1], job, now + dt.timedelta(hours=24), "process-1")  # due again a day later
    finally:
        for opened in engines:
            opened.dispose()


def test_a_full_pull_in_small_pages_crosses_the_horizon_without_being_sent_back(
    sync_client: litestar_testing.TestClient[Litestar],
    seeded: World,
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
) -> None:
    """A new phone (or one resyncing) pulls from 0 page by page: its cursors between pages are below the
    horizon, yet it holds nothing older that a forgotten delete could concern; it must not be sent back."""
    office = http_api(sync_client, "boss")
    office_store = LocalStore(tmp_path / "office", StoreCipher(bytes(32)))
    office_store.delete(RecordKind.CUSTOMER, seeded.customers_a[0])
    SyncEngine(office_store, office.push, office.pull).run()
    assert expire_tombstones(engine, settings, dt.datetime.now(dt.UTC) + LATER) == 1

    api = http_api(sync_client, "rep.a")
    fresh = LocalStore(tmp_path / "new-phone", StoreCipher(bytes(32)))
    SyncEngine(fresh, api.push, api.pull, pull_limit=1).run()
    assert fresh.get(RecordKind.CUSTOMER, seeded.customers_a[0]) is None
    assert all(fresh.get(RecordKind.CUSTOMER, customer_id) for customer_id in seeded.customers_a[1:])
    for opened in (fresh, office_store):
        opened.close()
    api.close()
    office.close()


@pytest.mark.parametrize("kind", [RecordKind.KEY_PERSON, RecordKind.CUSTOMER])
def test_a_record_made_and_deleted_before_a_sync_stays_deleted(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World, tmp_path: Path, kind: RecordKind
) -> None:
    """The rep adds a key person (or a prospect) and deletes it again while offline: both ops arrive in one
    push. The delete must find the record the same push made, or the record comes back on every phone
    (found by tests/integration/test_sync_stateful.py)."""
    api = http_api(sync_client, "rep.a")
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    record_id = new_id()
    if kind is RecordKind.KEY_PERSON:
        fields = {"customer_id": seeded.customers_a[0], "name": "张主任", "role": "doctor"}
    else:
        fields = {"name": "新药店", "kind": "pharmacy"}
    store.save(kind, record_id, fields)
    store.delete(kind, record_id)
    report = SyncEngine(store, api.push, api.pull).run()
    assert (report.pushed, report.rejected) == (2, 0)
    assert store.get(kind, record_id) is None
    store.close()
    api.close()
