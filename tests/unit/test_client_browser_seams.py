"""The PWA's seams that run outside a browser too (client/browser.py, docs/pwa.md): what the app does where
threads cannot start (the sync runner, the idle lock and the autosave debouncer on the event loop), the
durability hook the IndexedDB flush plugs into, the crypto backend and the uptime clock's fallback. The
browser-only halves (XHR, WebCrypto, hash-wasm, IDBFS) are driven by tests/e2e/test_pwa.py."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest
from argon2.low_level import Type, hash_secret_raw

import client.shell.autosave as autosave
import client.sync_runner as sync_runner
from client.shell.lock import uptime
from client.storage import crypto, files, journal
from client.storage.journal import JOURNAL, JournalStorage
from client.storage.vault import StoreCipher, StoreTampered
from client.storage.wipe import wipe_local_data
from client.sync_runner import SyncRunner
from tests.unit.test_client_sync_runner import ScriptedEngine


@pytest.fixture
def durability_calls() -> list[tuple[Path, bytes]]:
    """Each call of the hook: the folder, and the journal's bytes on disk at that moment."""
    calls: list[tuple[Path, bytes]] = []

    def hook(folder: Path) -> None:
        journal = folder / JOURNAL if (folder / JOURNAL).exists() else None
        calls.append((folder, journal.read_bytes() if journal else b""))

    files.set_durability_hook(hook)
    yield calls
    files.set_durability_hook(None)


def test_each_commit_is_flushed_before_it_returns(tmp_path: Path, durability_calls: list[tuple[Path, bytes]]) -> None:
    storage = JournalStorage(tmp_path, StoreCipher(os.urandom(32)))
    try:
        before = len(durability_calls)
        storage.commit([("put", "customers", "c1", {"name": "东关村卫生室"})])
        after_commit = durability_calls[before:]
        assert after_commit, "a commit must reach the durability hook (in the PWA: the IndexedDB flush)"
        folder, journal = after_commit[-1]
        assert folder == tmp_path
        assert journal.count(b"\n") == 1  # the line was written when the hook ran, not after
    finally:
        storage.close()


def test_an_atomic_write_is_flushed(tmp_path: Path, durability_calls: list[tuple[Path, bytes]]) -> None:
    files.write_atomically(tmp_path / "key.json", b"{}")
    assert [folder for folder, _ in durability_calls] == [tmp_path]


def test_a_wipe_is_flushed_with_the_files_gone(tmp_path: Path, durability_calls: list[tuple[Path, bytes]]) -> None:
    """Sign-out and revocation: in the PWA the removals must reach IndexedDB, or a reload brings the data back."""
    (tmp_path / "key.json").write_bytes(b"{}")
    seen: list[list[str]] = []
    files.set_durability_hook(lambda folder: seen.append(sorted(p.name for p in folder.iterdir())))
    assert wipe_local_data(tmp_path, lambda: None) == ["key.json"]
    assert seen == [[]]


def test_native_aead_round_trip_and_a_changed_byte_is_refused() -> None:
    cipher = StoreCipher(os.urandom(32))
    sealed = cipher.seal("已保存".encode(), b"context")
    assert cipher.open(sealed, b"context") == "已保存".encode()
    with pytest.raises(StoreTampered):
        cipher.open(sealed[:-1] + bytes([sealed[-1] ^ 1]), b"context")
    with pytest.raises(StoreTampered):
        cipher.open(sealed, b"another context")
    with pytest.raises(crypto.AuthenticationFailed):
        crypto.aead(cipher.key).decrypt(sealed[:12], sealed[12:], b"another context")


def test_argon2id_is_argon2_cffi_with_the_arguments_in_order() -> None:
    derived = crypto.argon2id(b"2468", b"0123456789abcdef", 1, 1024, 2, 32)
    assert derived == hash_secret_raw(b"2468", b"0123456789abcdef", 1, 1024, 2, 32, Type.ID)


def test_uptime_falls_back_to_monotonic_when_boottime_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(_clock: int) -> float:
        raise OSError(28, "Invalid argument")  # Pyodide names CLOCK_BOOTTIME but refuses it

    monkeypatch.setattr(time, "CLOCK_BOOTTIME", 7, raising=False)
    monkeypatch.setattr(time, "clock_gettime", refused)
    assert abs(uptime() - time.monotonic()) < 1


async def test_the_runner_on_the_event_loop_syncs_at_start_and_on_request_and_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sync_runner, "WAKE_POLL_S", 0.01)
    engine = ScriptedEngine([])
    runner = SyncRunner(engine.factory, interval=60, debounce=0.01)
    task = asyncio.get_running_loop().create_task(runner._run_on_event_loop())
    deadline = time.monotonic() + 5
    while engine.runs < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert engine.runs == 1
    runner.request_sync()  # a save: the loop notices the wake within WAKE_POLL_S and syncs after the debounce
    while engine.runs < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert engine.runs == 2
    runner._stopped = True
    await asyncio.wait_for(task, 1)


def test_holding_the_runner_while_a_sync_is_suspended_waits_without_blocking_the_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In the PWA a sync whose request is in flight is a suspended stack on the worker's one thread, holding the
    runner's lock; signing out then holds the runner (`held`). Blocking on the lock there would stop the only
    thread and the sync could never resume: the app froze. `held` suspends its own stack instead until the sync
    has released the lock (here the 'other stack' is run by the stand-in for yield_to_other_stacks)."""
    monkeypatch.setattr(sync_runner, "IN_BROWSER", True)
    runner = SyncRunner(ScriptedEngine([]).factory, interval=60)
    runner._sync_lock.acquire()  # the suspended sync
    yields: list[float] = []

    def the_sync_resumes_and_ends(seconds: float) -> None:
        yields.append(seconds)
        if len(yields) == 2:
            runner._sync_lock.release()

    monkeypatch.setattr(sync_runner, "yield_to_other_stacks", the_sync_resumes_and_ends, raising=False)
    entered = threading.Event()

    def sign_out_checks() -> None:
        with runner.held():
            entered.set()

    stack = threading.Thread(target=sign_out_checks, daemon=True)  # a thread only to time out a blocked wait
    stack.start()
    stack.join(2)
    assert entered.is_set(), "held() blocked on the lock instead of letting the suspended sync resume"
    assert len(yields) == 2
    assert runner._sync_lock.acquire(blocking=False)  # released again on the way out


async def test_the_debouncer_uses_the_event_loop_where_threads_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(autosave, "IN_BROWSER", True)
    fired: list[float] = []
    debouncer = autosave.Debouncer(lambda: fired.append(time.monotonic()), delay=0.05)
    debouncer.touch()
    debouncer.touch()  # the first is cancelled
    assert isinstance(debouncer._timer, asyncio.TimerHandle)
    await asyncio.sleep(0.2)
    assert len(fired) == 1
    debouncer.touch()
    debouncer.cancel()
    await asyncio.sleep(0.1)
    assert len(fired) == 1


def test_a_commit_made_while_another_awaits_its_flush_waits_its_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the PWA a commit awaits its seal and its flush (the stack suspends) and another stack may commit then
    (the sync resuming, another handler): both lines must not take the same place in the journal (the store
    would refuse to open: CorruptStore). The second waits until the first has returned."""
    cipher = StoreCipher.new()
    storage = JournalStorage(tmp_path, cipher)
    waited: list[str] = []

    def another_stack_commits(folder: Path) -> None:
        if not waited:
            waited.append("in flush")
            with pytest.raises(WaitedForTurn):
                storage.commit([("put", "visits", "v2", {"by": "the sync"})])

    def wait_for_turn() -> None:  # in Pyodide: suspends this stack until the other commit returns
        waited.append("waited")
        raise WaitedForTurn

    monkeypatch.setattr(journal, "wait_for_turn", wait_for_turn)
    files.set_durability_hook(another_stack_commits)
    try:
        storage.commit([("put", "visits", "v1", {"by": "the rep"})])
    finally:
        files.set_durability_hook(None)
    storage.commit([("put", "visits", "v2", {"by": "the sync"})])  # its turn
    storage.close()
    assert waited == ["in flush", "waited"]
    reopened = JournalStorage(tmp_path, cipher)
    assert reopened.journal_lines == 2 and set(reopened.read()["visits"]) == {"v1", "v2"}
    reopened.close()


class WaitedForTurn(Exception):
    pass
