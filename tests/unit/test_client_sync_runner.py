"""The sync runner's schedule (backoff, debounce, pause on 401) and its one-sync-at-a-time rule."""

from __future__ import annotations

import threading
import time

from client.sync_runner import SyncRunner, SyncStatus, backoff_delay
from sync.engine import SyncProgress, SyncReport
from sync.errors import AuthRequired, Refused, Unreachable
from tests.unit.helpers import FakeClock


class ScriptedEngine:
    """Runs return or raise the next scripted outcome; counts runs."""

    def __init__(self, outcomes: list[object]) -> None:
        self.outcomes = list(outcomes)
        self.runs = 0

    def factory(self) -> ScriptedEngine:
        return self

    def run(self) -> SyncReport:
        self.runs += 1
        outcome = self.outcomes.pop(0) if self.outcomes else SyncReport()
        if isinstance(outcome, Exception):
            raise outcome
        assert isinstance(outcome, SyncReport)
        return outcome


def make_runner(
    engine: ScriptedEngine, clock: FakeClock[float], rand: float = 1.0, backoff_cap: float = 30
) -> SyncRunner:
    return SyncRunner(
        engine.factory, monotonic=clock, rand=lambda: rand, interval=30, debounce=1, backoff_cap=backoff_cap
    )


def test_backoff_grows_exponentially_up_to_the_cap_with_jitter_between_half_and_all() -> None:
    assert [backoff_delay(n, 1, 30, 1.0) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff_delay(3, 1, 30, 0.0) == 2  # half of 4
    assert 2 <= backoff_delay(3, 1, 30, 0.5) <= 4


def test_unreachable_backs_off_and_a_success_returns_to_the_interval() -> None:
    clock = FakeClock(1000.0)
    engine = ScriptedEngine([Unreachable("down"), Unreachable("down"), Unreachable("down"), SyncReport()])
    runner = make_runner(engine, clock)
    delays = []
    for _ in range(3):
        assert runner.step() is not None
        delays.append(runner.next_due - clock.now)  # type: ignore[operator]
        assert runner.status.online is False
        clock.now = runner.next_due  # type: ignore[assignment]
    assert delays == [1, 2, 4]
    runner.step()
    assert runner.status.online is True and runner.status.last_sync_at is not None
    assert runner.next_due == clock.now + 30
    assert runner.failures == 0


def test_backoff_is_capped() -> None:
    clock = FakeClock(1000.0)
    engine = ScriptedEngine([Unreachable("down")] * 10)
    runner = make_runner(engine, clock, backoff_cap=30)
    for _ in range(10):
        runner.step()
        clock.now = runner.next_due  # type: ignore[assignment]
    runner.step()
    assert runner.next_due - clock.now <= 30  # type: ignore[operator]


def test_a_save_while_backing_off_syncs_after_the_debounce_and_sync_now_at_once() -> None:
    clock = FakeClock(1000.0)
    engine = ScriptedEngine([Unreachable("down")] * 6)
    runner = make_runner(engine, clock)
    for _ in range(5):  # backoff is now 16 s
        runner.step()
        clock.now = runner.next_due  # type: ignore[assignment]
    runner.step()
    assert runner.next_due - clock.now == 30  # type: ignore[operator]
    runner.notify_saved()
    assert runner.next_due == clock.now + 1
    runner.request_sync()
    assert runner.next_due == clock.now
    runs = engine.runs
    runner.step()
    assert engine.runs == runs + 1


def test_a_save_during_a_sync_is_not_forgotten() -> None:
    clock = FakeClock(1000.0)
    runner: SyncRunner

    class SavingEngine(ScriptedEngine):
        def run(self) -> SyncReport:
            if self.runs == 0:
                runner.notify_saved()  # the rep saves while the first sync is on the wire
            return super().run()

    engine = SavingEngine([])
    runner = make_runner(engine, clock)
    runner.sync_once()
    assert runner.next_due == clock.now + 1  # not the 30 s interval


def test_auth_required_pauses_until_resumed() -> None:
    clock = FakeClock(1000.0)
    engine = ScriptedEngine([AuthRequired("expired"), SyncReport()])
    runner = make_runner(engine, clock)
    runner.step()
    assert runner.status.auth_required is True
    assert runner.next_due is None
    assert runner.step() is None and engine.runs == 1
    runner.resume()
    assert runner.status.auth_required is False
    runner.step()
    assert engine.runs == 2 and runner.status.online is True


def test_a_refused_request_is_reported_and_retried_at_the_interval() -> None:
    clock = FakeClock(1000.0)
    runner = make_runner(ScriptedEngine([Refused(400, "invalid_request", "bad")]), clock)
    runner.step()
    assert runner.status.last_error == "bad"
    assert runner.next_due == clock.now + 30


def test_status_reaches_listeners_with_store_counts() -> None:
    clock = FakeClock(1000.0)
    seen: list[SyncStatus] = []
    runner = SyncRunner(ScriptedEngine([]).factory, monotonic=clock, counts=lambda: (3, 1))
    runner.add_listener(seen.append)
    runner.sync_once()
    assert seen[-1].pending == 3 and seen[-1].rejected == 1 and seen[-1].syncing is False
    assert any(status.syncing for status in seen)


def test_never_two_syncs_at_once() -> None:
    running = 0
    most = 0
    runs = 0
    gate = threading.Event()
    lock = threading.Lock()

    class SlowEngine:
        def run(self) -> SyncReport:
            nonlocal running, most, runs
            with lock:
                running += 1
                runs += 1
                most = max(most, running)
            gate.wait(2)
            with lock:
                running -= 1
            return SyncReport()

    runner = SyncRunner(SlowEngine)
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(runner.sync_once())) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert most == 1
    assert results.count(True) == runs >= 1
    # the callers that found a sync running asked for another one right after it
    assert runner.next_due is not None and runner.next_due <= time.monotonic()


def test_the_thread_syncs_at_start_and_on_request_and_stops() -> None:
    engine = ScriptedEngine([])
    runner = SyncRunner(engine.factory, interval=60, debounce=0.01)
    runner.start()
    try:
        deadline = time.monotonic() + 5
        while engine.runs < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert engine.runs == 1
        runner.request_sync()
        while engine.runs < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert engine.runs == 2
    finally:
        runner.stop()


def test_a_runner_started_paused_does_not_sync() -> None:
    engine = ScriptedEngine([])
    runner = SyncRunner(engine.factory)
    runner.start(paused=True)
    time.sleep(0.1)
    runner.stop()
    assert engine.runs == 0


def test_progress_shows_while_a_sync_runs_and_is_cleared_after() -> None:
    clock = FakeClock(1000.0)
    seen: list[SyncStatus] = []
    holder: list[SyncRunner] = []

    class PagedEngine:
        def run(self) -> SyncReport:
            for pages in (1, 2):
                holder[0].report_progress(SyncProgress(pages=pages, received=500 * pages, more=pages < 2))
            return SyncReport(pulled=1000)

    runner = SyncRunner(PagedEngine, monotonic=clock)
    holder.append(runner)
    runner.add_listener(seen.append)
    runner.report_progress(SyncProgress(pages=9))  # no sync running: ignored
    assert runner.status.progress is None
    runner.sync_once()
    during = [status.progress for status in seen if status.progress is not None]
    assert during == [SyncProgress(pages=1, received=500, more=True), SyncProgress(pages=2, received=1000)]
    assert all(status.syncing for status in seen if status.progress is not None)
    assert runner.status.progress is None and runner.status.syncing is False


def test_the_sync_bar_says_how_much_a_large_first_sync_has_received() -> None:
    from client.shell.sync_bar import SyncBar, progress_text

    receiving = SyncStatus(syncing=True, progress=SyncProgress(pages=6, received=3000, more=True))
    assert progress_text(receiving, "zh-CN") == "接收中 已收到 3,000 条（6 页），还有更多…"
    assert progress_text(receiving, "en") == "Receiving: 3,000 records so far (6 pages), more to come…"
    done = SyncStatus(syncing=True, progress=SyncProgress(pages=7, received=3200, more=False))
    assert progress_text(done, "zh-CN") == "已收到 3,200 条"
    assert progress_text(SyncStatus(syncing=False, progress=None), "zh-CN") == ""
    bar = SyncBar(lambda: None, lambda: None)
    bar.show(receiving, "zh-CN")
    assert bar.progress.visible and bar.progress.value == "接收中 已收到 3,000 条（6 页），还有更多…"
    bar.show(SyncStatus(online=True), "zh-CN")
    assert not bar.progress.visible
