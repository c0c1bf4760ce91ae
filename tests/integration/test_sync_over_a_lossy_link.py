"""A first sync over a link that resets connections mid-transfer resumes, and ends with every record once (issue #20).

The server is the real process (`python -m server serve`, SQLite); the phone is the app's own sync code (a
`LocalStore` synced by `client.sync_runner.HttpSyncSession`, i.e. `SyncEngine` over `HttpSyncApi`) talking
through the link emulator (`bench/link.py`), which resets each connection once it has carried a little more
than one pull page. Every attempt that a reset cuts short raises `Unreachable`, as it does in the app, and
the test syncs again, as the runner does after its backoff. The first attempt is cut while the server's
answer to the phone's push is on its way: the server has applied the ops, the phone does not know it.

At the end: the phone holds each of the territory's records exactly once, as the server has it; the pull
cursor it stored only ever moved forward (each attempt went on from the last stored page, never from 0);
every op the phone made is applied exactly once (`applied_ops`: seq 1..n, each with its own op id).

With the tombstone horizon above every cursor of the first pull (the server forgot old deletes), a resumed
pull must still say it is part of a pull from 0 (`full`), or the server sends the phone back to 0 after
each reset and a first sync on a bad link never ends.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bench.link import Link, LinkProfile, start_link
from bench.server_process import RunningServer, ServerDir, login, running_server, server_dir
from bench.village_link import PASSWORD, REP, SEED_DEVICE, TERRITORY, body_bytes, push_all, territory_ops
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from client.sync_runner import HttpSyncSession
from server.changes.models import ChangeLog, SyncHorizon
from server.changes.tombstones import TOMBSTONES
from server.db import make_engine, read_session, write_session
from server.domains.sync.models import AppliedOp
from server.models import Customer, KeyPerson, Visit
from shared.enums import RecordKind
from shared.ids import new_id
from sync.errors import Unreachable
from sync.http import GZIP_LEVEL, HttpSyncApi
from sync.protocol import MAX_PULL_LIMIT, SCHEMA_VERSION, Change, PushRequest

# Modest in `make test`; ROUTECRM_LINK_SCALE=10 for a larger run (54,000 records).
SCALE = int(os.environ.get("ROUTECRM_LINK_SCALE", "1"))
CUSTOMERS, KEY_PERSONS, VISITS = 200 * SCALE, 200 * SCALE, 5_000 * SCALE
OFFLINE_VISITS = 150
PULL_PAGE = MAX_PULL_LIMIT  # the pages of a first sync in the app (HttpSyncSession)
MAX_ATTEMPTS = 60


class WatchedStore(LocalStore):
    """The phone's store, noting where each attempt's pull began and every cursor it stored."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder, StoreCipher(bytes(32)))
        self.started_at: list[int] = []
        self.stored: list[int] = []
        self.restarts = 0

    def pull_cursor(self) -> int:
        cursor = super().pull_cursor()
        self.started_at.append(cursor)
        return cursor

    def apply_pull_page(self, changes: Iterable[Change], cursor: int, **kwargs: Any) -> int:
        count = super().apply_pull_page(changes, cursor, **kwargs)
        self.stored.append(cursor)
        return count

    def restart_pull(self) -> None:
        self.restarts += 1
        super().restart_pull()


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[ServerDir, RunningServer]]:
    with server_dir() as directory:
        directory.cli("init-db")
        directory.cli(
            "create-user", "--username", REP, "--password", PASSWORD, "--role", "rep", "--territory", TERRITORY
        )
        with running_server(directory) as running:
            yield directory, running


def seed_territory(directory: ServerDir, running: RunningServer) -> int:
    """The territory, pushed by another device of the rep straight to the server; returns the newest change."""
    token, _ = login(running.base_url, REP, PASSWORD)
    api = HttpSyncApi(running.base_url, token)
    try:
        device = f"{SEED_DEVICE}-{new_id()[:8]}"
        push_all(api, device, territory_ops(device, CUSTOMERS, KEY_PERSONS, VISITS, seed=new_id()))
    finally:
        api.close()
    engine = make_engine(directory.database_url)
    try:
        with read_session(engine) as session:
            return int(session.exec(select(func.max(ChangeLog.seq))).one() or 0)
    finally:
        engine.dispose()


def largest_page(base_url: str, token: str) -> int:
    """Bytes of the largest answer of a pull from 0 in pages of PULL_PAGE, measured straight from the server
    as they travel (gzipped, as the phone asks for them)."""
    largest, cursor = 0, 0
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        while True:
            body = {"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": PULL_PAGE, "full": True}
            with http.stream("POST", "/api/sync/pull", json=body) as response:
                raw = b"".join(response.iter_raw())
                gzipped = response.headers.get("content-encoding") == "gzip"
            largest = max(largest, len(raw) + 400)  # and the answer's headers
            page = json.loads(gzip.decompress(raw) if gzipped else raw)
            cursor = page["cursor"]
            if not page["has_more"]:
                return largest


def server_records(directory: ServerDir) -> dict[RecordKind, set[str]]:
    engine = make_engine(directory.database_url)
    try:
        with read_session(engine) as session:
            return {
                RecordKind.CUSTOMER: set(session.exec(select(Customer.id).where(Customer.territory == TERRITORY))),
                RecordKind.KEY_PERSON: set(
                    session.exec(select(KeyPerson.id).where(KeyPerson.territory == TERRITORY, ~col(KeyPerson.deleted)))
                ),
                RecordKind.VISIT: set(session.exec(select(Visit.id).where(Visit.territory == TERRITORY))),
            }
    finally:
        engine.dispose()


def applied_ops(directory: ServerDir, device_id: str) -> list[tuple[int, str]]:
    engine = make_engine(directory.database_url)
    try:
        with read_session(engine) as session:
            rows = session.exec(select(AppliedOp.seq, AppliedOp.op_id).where(AppliedOp.device_id == device_id))
            return sorted((int(seq), str(op_id)) for seq, op_id in rows)
    finally:
        engine.dispose()


def plain_body(store: LocalStore) -> bytes:
    """The phone's push of its whole outbox as JSON, encoded as sync/http.py encodes it."""
    request = PushRequest(store.device_id, SCHEMA_VERSION, store.pending_ops(500)).as_dict()
    return json.dumps(request, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def raise_horizon(directory: ServerDir, seq: int) -> None:
    """The server forgot deletes up to `seq` (as the tombstone job does after TOMBSTONE_DAYS)."""
    engine = make_engine(directory.database_url)
    try:
        with write_session(engine) as session:
            horizon = session.get(SyncHorizon, TOMBSTONES) or SyncHorizon(name=TOMBSTONES)
            horizon.seq = max(horizon.seq, seq)
            session.add(horizon)
    finally:
        engine.dispose()


def offline_visits(store: LocalStore, customers: list[str]) -> list[str]:
    """The rep's visits saved on the phone before its first sync reached the server: ops waiting to go."""
    made = []
    check_in = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    for index in range(OFFLINE_VISITS):
        record_id = new_id()
        fields = {
            "customer_id": customers[index % len(customers)],
            "visit_type": "day",
            "planned": False,
            "check_in_at": (check_in + dt.timedelta(minutes=index)).isoformat(),
            "progress": "村卫生室补货两箱，约下周再访。",
        }
        store.save(RecordKind.VISIT, record_id, fields)
        made.append(record_id)
    return made


def sync_until_done(store: WatchedStore, link: Link, token: str) -> tuple[int, int]:
    """Sync as the runner does after each failure, until a sync ends; (attempts, attempts cut short)."""
    cut = 0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            HttpSyncSession(store, link.url, token).run()
        except Unreachable:
            cut += 1
            continue
        return attempt, cut
    raise AssertionError(
        f"no sync completed in {MAX_ATTEMPTS} attempts; pulls began at {store.started_at}, stored {store.stored}"
    )


@pytest.mark.parametrize("horizon", [False, True], ids=["deletes-kept", "old-deletes-forgotten"])
def test_a_first_sync_cut_by_resets_resumes_and_ends_with_every_record_once(
    server: tuple[ServerDir, RunningServer], tmp_path: Path, horizon: bool
) -> None:
    directory, running = server
    newest = seed_territory(directory, running)
    if horizon:
        raise_horizon(directory, newest)  # every cursor of the phone's first pull lies below it
    token, _ = login(running.base_url, REP, PASSWORD)
    page_bytes = largest_page(running.base_url, token)
    expected = server_records(directory)
    store = WatchedStore(tmp_path / "phone")
    made = offline_visits(store, sorted(expected[RecordKind.CUSTOMER]))
    plain = body_bytes(PushRequest(store.device_id, SCHEMA_VERSION, store.pending_ops(500)).as_dict())
    push_body = len(gzip.compress(plain_body(store), GZIP_LEVEL, mtime=0)) + 600  # and its headers
    assert push_body < plain  # the phone gzips it (sync/http.py)
    port = int(running.base_url.rsplit(":", 1)[1])

    # First attempt: the link resets the connection about 1 KB into the push's answer (150 results, gzipped),
    # after the server applied the push: the phone hears nothing and keeps its ops.
    with start_link(port, LinkProfile("cut-in-push-answer", reset_after_bytes=push_body + 1_500)) as link:
        with pytest.raises(Unreachable):
            HttpSyncSession(store, link.url, token).run()
        assert link.snapshot().resets == 1
    assert len(store.pending_ops(1_000)) == OFFLINE_VISITS  # still waiting on the phone...
    assert len(applied_ops(directory, store.device_id)) == OFFLINE_VISITS  # ...though applied on the server

    # Then each connection is reset once it carried one and a half pages: every attempt stores a page or two.
    cut_after = page_bytes * 3 // 2 + push_body
    with start_link(port, LinkProfile("resets", reset_after_bytes=cut_after)) as link:
        attempts, cut = sync_until_done(store, link, token)
        stats = link.snapshot()
    pages = -(-sum(len(ids) for ids in expected.values()) // PULL_PAGE)
    assert cut >= 2 and stats.resets == cut, (attempts, cut, stats)

    # Resumed, never restarted: the first pull began at 0, each later one where the previous one stopped.
    assert store.restarts == 0
    assert store.stored == sorted(set(store.stored)), f"the cursor went back: {store.stored}"
    assert store.started_at[0] == 0  # the attempt cut in the push's answer never reached the pull
    resumed = store.started_at[1:]
    assert all(cursor > 0 for cursor in resumed), f"a resumed pull began at 0: {store.started_at}"
    assert len(store.stored) <= pages + 1, f"pages pulled more than once: {store.stored}"

    # Every record once, as the server has it; the phone's own visits among them.
    expected = server_records(directory)
    held = {kind: {record["id"] for record in store.all(kind)} for kind in expected}
    for kind, ids in expected.items():
        assert held[kind] == ids, kind
        assert len(store.all(kind)) == len(ids)
    assert set(made) <= held[RecordKind.VISIT]
    assert store.pending_ops(1_000) == [] and store.rejected_ops() == []

    # Every op applied exactly once, each under its own op id.
    applied = applied_ops(directory, store.device_id)
    assert [seq for seq, _ in applied] == list(range(1, OFFLINE_VISITS + 1))
    assert len({op_id for _, op_id in applied}) == OFFLINE_VISITS
    store.close()


def test_pull_answers_travel_gzipped_to_phones_that_accept_it_and_plain_to_others(
    server: tuple[ServerDir, RunningServer],
) -> None:
    """Bytes are what a village link lacks: a page of records is sent gzipped (phones' httpx always asks for
    it and decodes it), and as before to a caller that does not ask."""
    directory, running = server
    seed_territory(directory, running)
    token, _ = login(running.base_url, REP, PASSWORD)
    body = {"cursor": 0, "schema_version": SCHEMA_VERSION, "limit": PULL_PAGE, "full": True}
    sizes = {}
    with httpx.Client(base_url=running.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        for encoding in ("gzip", "identity"):
            with http.stream("POST", "/api/sync/pull", json=body, headers={"Accept-Encoding": encoding}) as answer:
                raw = b"".join(answer.iter_raw())
                assert answer.status_code == 200
                assert answer.headers.get("content-encoding") == (encoding if encoding == "gzip" else None)
                sizes[encoding] = len(raw)
        decoded = http.post("/api/sync/pull", json=body).json()  # httpx's default: gzip, decoded by itself
    assert len(decoded["changes"]) == PULL_PAGE
    assert sizes["gzip"] * 4 < sizes["identity"], sizes
