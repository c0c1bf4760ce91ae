"""Issue 3's crash proof with sync: a phone process that saves and syncs is killed with SIGKILL at 200 random
moments; its store always loads, no save that had returned is missing, and the next sync converges.

The server is the real one (`python -m server serve` on a loopback port, a SQLite file), started once.
The phone is a process that opens the one store folder kept across all rounds (so crashes accumulate),
saves visits and notes (and once a customer for them) and syncs every few saves through the real HTTP
adapter (every few syncs it folds the journal into the snapshot, as the app does when idle); it prints
each record id after `save` returned, one line per id, written whole to the pipe at once. Python's
start-up would cost most of the time, so a single-threaded "zygote" process imports everything once and
forks a fresh phone process per round. The test kills that process with SIGKILL after a random delay of
up to 0.25 s (from its start, or in every other round from its store being open), landing anywhere:
opening (and compacting) the store, a save, a push, a pull page being stored, a compaction.

After each kill the test opens the store (it must load) and finds every id printed so far. At the end one
clean sync: nothing is left waiting or refused, every op the phone ever stored (seq 1 to the last) is
applied on the server exactly once, each with its own op id, every saved record is on the server, and
the phone holds exactly the server's records of its territory.

Kills: 200 by default (about 55 s with the server's start on a busy 2-core machine);
`ROUTECRM_CRASH_KILLS` raises it. The server runs on SQLite even under scripts/test-postgres.sh: the
subject here is the phone's store.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bench.server_process import running_server, server_dir
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from server.changes.models import ChangeLog
from server.db import make_engine, read_session
from server.domains.sync.models import AppliedOp
from server.models import Note, Visit
from shared.enums import RecordKind
from sync.engine import SyncEngine
from sync.http import HttpSyncApi

ROOT = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("ROUTECRM_CRASH_KILLS", "200"))
MAX_DELAY_S = 0.25
PASSWORD = "crash-test-pass-1"
TERRITORY = "崩溃片"
LINE_TIMEOUT_S = 30

# Imports everything once, then forks one phone process per "go" line on stdin. The phone's lines ("P pid"
# first, "R" when its store is open, "S id" per save, "B" and "Y" at the beginning and end of a sync) and
# the zygote's "X pid status" when it ended share the zygote's stdout; each is one write(2) to a pipe:
# never torn or mixed.
ZYGOTE = r"""
import os, random, sys, time
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind
from shared.ids import new_id
from sync.engine import SyncEngine
from sync.http import HttpSyncApi

folder, base_url, token = sys.argv[1:4]


def say(*words):
    os.write(1, (" ".join(map(str, words)) + "\n").encode())  # one write to the pipe: a whole line or none


def phone(seed):
    say("P", os.getpid())  # first, so it comes before the phone's own lines
    rng = random.Random(seed)
    give_up = time.monotonic() + 10  # never outlive a test that died
    store = LocalStore(folder, StoreCipher(bytes(32)))
    api = HttpSyncApi(base_url, token)
    say("R")
    customers = sorted(c["id"] for c in store.all(RecordKind.CUSTOMER))
    if not customers:
        customers = [new_id()]
        store.save(RecordKind.CUSTOMER, customers[0], {"name": "崩溃诊所", "kind": "clinic"})
        say("S", customers[0])
    while time.monotonic() < give_up:
        for _ in range(rng.randint(1, 4)):
            record = new_id()
            customer = rng.choice(customers)
            if rng.random() < 0.5:
                fields = {"customer_id": customer, "visit_type": "day", "check_in_at": "2026-11-26T09:00:00+08:00"}
                store.save(RecordKind.VISIT, record, fields)
            else:
                fields = {"customer_id": customer, "text": "回访" * 20, "created_at": "2026-11-26T09:00:00+08:00"}
                store.save(RecordKind.NOTE, record, fields)
            say("S", record)  # only after save returned: a promise to the rep
        say("B")
        SyncEngine(store, api.push, api.pull, push_batch=rng.randint(1, 8), pull_limit=rng.randint(5, 50)).run()
        say("Y")
        if rng.random() < 0.3:  # the runner folds the journal into the snapshot when idle
            store.storage.compact()
    os._exit(3)


for line in sys.stdin:
    seed = int(line.split()[1])
    pid = os.fork()
    if pid == 0:
        try:
            phone(seed)
        finally:
            os._exit(4)  # an exception (its traceback is on stderr) or the end: never back into this loop
    _, status = os.waitpid(pid, 0)
    say("X", pid, status)
"""


class Zygote:
    """The forking process, its output read by a thread so that every read can time out."""

    def __init__(self, folder: Path, base_url: str, token: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE, str(folder), base_url, token],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put("")  # end of output

    def next_line(self) -> str:
        try:
            line = self.lines.get(timeout=LINE_TIMEOUT_S)
        except queue.Empty:
            raise AssertionError(f"no output from the phone process for {LINE_TIMEOUT_S} s") from None
        assert line, "the zygote exited"
        return line.rstrip("\n")

    def start_phone(self, seed: int) -> int:
        """Fork a phone process; its pid."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"go {seed}\n")
        self.process.stdin.flush()
        kind, pid = self.next_line().split()
        assert kind == "P"
        return int(pid)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def crash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """`python -m server serve` on a free loopback port over a new SQLite file, with one rep: its URL and
    an engine on its database, to read what it stored."""
    with server_dir(f"sqlite:///{tmp_path_factory.mktemp('server') / 'server.db'}") as directory:
        directory.cli("init-db")
        directory.cli(
            "create-user", "--username", "crash.rep", "--password", PASSWORD, "--role", "rep", "--territory", TERRITORY
        )
        with running_server(directory) as server:
            engine = make_engine(directory.database_url)
            yield server.base_url, engine
            engine.dispose()


def stored_ids(store: LocalStore) -> set[str]:
    return {
        record["id"] for kind in (RecordKind.CUSTOMER, RecordKind.VISIT, RecordKind.NOTE) for record in store.all(kind)
    }


@pytest.mark.slow
@pytest.mark.timeout(max(300, KILLS))
def test_a_phone_killed_while_saving_and_syncing_loses_nothing_and_converges(
    crash_server: tuple[str, Engine], tmp_path: Path
) -> None:
    base_url, engine = crash_server
    token = httpx.post(
        f"{base_url}/api/auth/login", json={"username": "crash.rep", "password": PASSWORD}, timeout=30
    ).json()["token"]
    folder = tmp_path / "phone"
    rng = random.Random(20261127)
    saved: set[str] = set()
    syncs = killed_syncing = 0
    zygote = Zygote(folder, base_url, token)
    try:
        for round_number in range(KILLS):
            pid = zygote.start_phone(rng.randrange(2**32))
            if round_number % 2:  # half the kills count from the store being open: saves happen however busy
                assert zygote.next_line() == "R"
            time.sleep(rng.uniform(0, MAX_DELAY_S))
            os.kill(pid, signal.SIGKILL)
            last = ""
            while (line := zygote.next_line()).split()[0] != "X":
                if line.startswith("S "):
                    saved.add(line.split()[1])
                else:
                    assert line in ("R", "B", "Y"), line
                    syncs += line == "Y"
                last = line
            killed_syncing += last == "B"
            status = int(line.split()[2])
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
                f"round {round_number}: the phone process ended by itself (status {status}), see its stderr"
            )
            store = LocalStore(folder, StoreCipher(bytes(32)))  # must always load
            try:
                missing = saved - stored_ids(store)
                assert not missing, f"round {round_number}: {len(missing)} saves that had returned are gone"
            finally:
                store.close()
    finally:
        zygote.close()
    print(f"{KILLS} kills, {killed_syncing} of them while syncing; {len(saved)} saves, {syncs} syncs completed")
    # The kills hit saves and syncs, and syncs did complete (loose bounds: a busy machine starts phones slowly).
    assert len(saved) > KILLS // 4 and killed_syncing > KILLS // 20 and syncs > 0, (len(saved), killed_syncing, syncs)

    store = LocalStore(folder, StoreCipher(bytes(32)))
    api = HttpSyncApi(base_url, token)
    try:
        SyncEngine(store, api.push, api.pull).run()
        assert store.pending_count() == 0 and store.rejected_ops() == []
        last_seq = int(store.get_meta("next_seq")) - 1
        with read_session(engine) as session:
            applied = session.exec(select(AppliedOp).where(AppliedOp.device_id == store.device_id)).all()
            visits_and_notes = set(session.exec(select(Visit.id).where(col(Visit.id).in_(saved))).all())
            visits_and_notes |= set(session.exec(select(Note.id).where(col(Note.id).in_(saved))).all())
            rows = session.exec(select(ChangeLog).where(ChangeLog.territory == TERRITORY)).all()
        # Every op the phone stored, applied once: one register row per seq, no gap, each its own op.
        assert sorted(row.seq for row in applied) == list(range(1, last_seq + 1))
        assert len({row.op_id for row in applied}) == last_seq
        server_state: dict[tuple[str, str], dict[str, Any]] = {
            (row.kind, row.record_id): {k: v for k, v in row.data.items() if k != "field_clocks"}
            for row in rows
            if row.data is not None and row.kind in ("customer", "visit", "note")
        }
        local = {
            (kind.value, record["id"]): record
            for kind in (RecordKind.CUSTOMER, RecordKind.VISIT, RecordKind.NOTE)
            for record in store.all(kind)
        }
        assert local == server_state
        # Every saved record on the server; every one but the customer is a visit or a note there.
        assert saved <= {record_id for _, record_id in server_state}
        assert len(saved - visits_and_notes) <= 1
    finally:
        api.close()
        store.close()
