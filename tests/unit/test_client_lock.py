"""Issue #7: the PIN lock around the app (client/shell/lock.py), without a page: first start, PIN set after the
sign-in, locked start, idle lock, a store left without a key, a plain store imported once a PIN is set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from client.config import ClientConfig
from client.shell.lock import LockSession, PhoneLock
from client.storage.journal import JOURNAL, PLAIN_SNAPSHOT, sealed_files
from client.storage.vault import KdfParams, WrongPin
from shared.enums import RecordKind
from shared.ids import new_id
from tests.unit.helpers import FakeClock

CHEAP_KDF = KdfParams(time_cost=1, memory_cost=8, parallelism=1)


class Clock(FakeClock[float]):
    def __init__(self) -> None:
        super().__init__(100.0)


def config(folder: Path) -> ClientConfig:
    return ClientConfig(server_url="http://127.0.0.1:9", data_dir=folder, idle_lock=60.0)


def test_first_start_opens_at_once_then_the_pin_is_needed_from_the_next_start(tmp_path: Path) -> None:
    first = PhoneLock(config(tmp_path), kdf=CHEAP_KDF)
    assert not first.locked and first.needs_pin and first.core is not None
    customer_id = new_id()
    first.core.store.save(RecordKind.CUSTOMER, customer_id, {"name": "甲诊所", "kind": "clinic"})
    first.set_pin("4321")
    assert not first.needs_pin
    first.close()

    again = PhoneLock(config(tmp_path), kdf=CHEAP_KDF)
    assert again.locked and again.core is None  # nothing is read before the PIN
    with pytest.raises(WrongPin):
        again.unlock("1234")
    assert again.core is None
    core = again.unlock("4321")
    assert not again.locked and core.store.get(RecordKind.CUSTOMER, customer_id) is not None
    again.close()


def test_the_app_locks_after_the_idle_time_and_a_tap_postpones_it(tmp_path: Path) -> None:
    clock = Clock()
    lock = PhoneLock(config(tmp_path), kdf=CHEAP_KDF, clock=clock)
    clock.now += 3600
    assert not lock.lock_if_idle()  # no PIN set yet: nothing to lock with
    lock.set_pin("4321")
    clock.now += 59
    lock.touch()
    clock.now += 59
    assert not lock.lock_if_idle() and not lock.locked
    clock.now += 2
    assert lock.lock_if_idle() and lock.locked
    lock.unlock("4321")
    assert not lock.locked
    lock.close()


def test_a_store_left_without_a_pin_is_discarded_at_the_next_start(tmp_path: Path) -> None:
    first = PhoneLock(config(tmp_path), kdf=CHEAP_KDF)
    assert first.core is not None
    first.core.store.set_meta(token="t0ken")  # signed in, then stopped before the PIN screen was done
    first.close()
    assert sealed_files(tmp_path)
    second = PhoneLock(config(tmp_path), kdf=CHEAP_KDF)
    assert second.core is not None and second.core.store.get_meta("token") is None
    second.close()


def test_a_plain_store_waits_for_a_pin_then_is_imported_with_its_waiting_ops(tmp_path: Path) -> None:
    op = {"seq": 1, "op_id": new_id(), "record_id": new_id()}
    plain = {"meta": {"device": {"device_id": new_id(), "next_seq": 2, "token": "t0ken"}}, "outbox": {"1": op}}
    (tmp_path / PLAIN_SNAPSHOT).write_text(json.dumps(plain))
    lock = PhoneLock(config(tmp_path), kdf=CHEAP_KDF)
    assert lock.locked and lock.needs_pin and lock.core is None  # the plain files are untouched until then
    core = lock.set_pin("97531")
    assert core.store.pending_count() == 1 and core.store.get_meta("token") == "t0ken"
    assert not (tmp_path / PLAIN_SNAPSHOT).exists() and (tmp_path / JOURNAL).exists()
    lock.close()


class FakePage:
    """Just what LockSession uses of a Flet page; background work and loop tasks run at once."""

    def __init__(self) -> None:
        self.controls: list[object] = []

    def update(self) -> None:
        pass

    def run_thread(self, function, *args) -> None:  # type: ignore[no-untyped-def]
        function(*args)

    def run_task(self, job) -> None:  # type: ignore[no-untyped-def]
        coroutine = job()
        with pytest.raises(StopIteration):
            coroutine.send(None)


def test_a_failure_while_opening_is_shown_and_the_pin_can_be_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = PhoneLock(config(tmp_path), kdf=CHEAP_KDF)
    first.set_pin("4321")
    first.close()
    lock = PhoneLock(config(tmp_path), kdf=CHEAP_KDF)
    session = LockSession(lock, FakePage())  # type: ignore[arg-type]
    session.start()

    def broken(*args: object) -> None:
        raise OSError("disk read error")

    monkeypatch.setattr("client.shell.lock.build_core", broken)
    session.form.pin = "4321"
    session.submit_pin()
    assert not session.form.busy and session.form.error is not None and "disk read error" in session.form.error
    assert lock.core is None

    monkeypatch.undo()
    session.form.pin = "4321"
    session.submit_pin()
    assert lock.core is not None and not lock.locked and session.app is not None
    lock.close()
