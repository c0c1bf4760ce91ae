"""The background sync runner: when to sync, one sync at a time, and what the sync bar shows.

A daemon thread waits until the next sync is due, then runs one sync through an engine made by the
injected `engine_factory` (in the app: `SyncEngine` over `HttpSyncApi`). A sync is due:

- at start and every `interval` seconds after a success;
- `debounce` seconds after a save (`notify_saved`), so a burst of saves goes in one push;
- at once on "sync now" (`request_sync`) or when connectivity returns (`connectivity_changed`);
- while the server is unreachable, after an exponential backoff with jitter (capped at `backoff_cap`),
  unless a save or "sync now" asks earlier.

`AuthRequired` pauses the runner until `resume()` (after the rep signs in again); nothing local is
dropped (an expired access token is refreshed by `HttpSyncApi` first). `DeviceRevoked` (an admin revoked
this phone): once the outbox is empty (handed over into the server's quarantine) the runner calls
`on_revoked` (the app wipes the store, client/wipe.py) and stops for good.

`sync_once` holds a lock: a second caller does not wait or sync twice, it marks that another sync
should follow. Clocks, sleeping (the wake event), randomness and the engine are injected so the
scheduling can be tested without time passing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Protocol

from client import clock as company_clock
from client.browser import IN_BROWSER, start_background, yield_to_other_stacks
from sync.engine import ProgressListener, SyncEngine, SyncProgress, SyncReport, SyncStore
from sync.errors import AuthRequired, ClientTooOld, DeviceRevoked, Refused, Unreachable
from sync.http import ClockOffset, HttpSyncApi, TokensListener
from sync.protocol import MAX_COLUMNS_PULL_LIMIT, PullRequest, PullResponse

logger = logging.getLogger(__name__)
# The pages of a pull from 0: asked for in the columns encoding (sync/http.py), which allows 2,000 records a page;
# a server that answers plain pages sends at most 1,000 (MAX_PULL_LIMIT), as the phone then asks.
FULL_PULL_LIMIT = MAX_COLUMNS_PULL_LIMIT
WAKE_POLL_S = 0.5  # in the PWA: how soon a save's trigger starts a sync (see _run_on_event_loop)
HELD_POLL_S = 0.05  # in the PWA: how often `held` looks whether the running sync has ended


class RunsSync(Protocol):
    def run(self) -> SyncReport: ...


EngineFactory = Callable[[], RunsSync]
StatusListener = Callable[["SyncStatus"], None]


@dataclass(frozen=True)
class SyncStatus:
    """What the sync bar shows. `online` is None until the first attempt ends."""

    online: bool | None = None
    syncing: bool = False
    pending: int = 0
    rejected: int = 0
    last_sync_at: dt.datetime | None = None  # the last successful sync
    last_error: str | None = None
    auth_required: bool = False
    client_too_old: bool = False
    data_version: int = 0  # grows when a sync changed local records: screens showing them re-read
    progress: SyncProgress | None = None  # how far the running sync has come (None when none runs)
    device_revoked: bool = False  # an admin revoked this phone: its data is wiped, the app shows so


def backoff_delay(failures: int, base: float, cap: float, rand: float) -> float:
    """Exponential backoff with "equal jitter": between half and all of min(cap, base * 2^(failures-1))."""
    ceiling = min(cap, base * 2 ** max(0, failures - 1))
    return ceiling / 2 + ceiling / 2 * rand


class SyncRunner:
    def __init__(
        self,
        engine_factory: EngineFactory,
        *,
        counts: Callable[[], tuple[int, int]] = lambda: (0, 0),
        interval: float = 30.0,
        debounce: float = 1.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = company_clock.now,
        rand: Callable[[], float] = random.random,
        after_sync: Callable[[], object] | None = None,
        on_revoked: Callable[[], object] | None = None,
    ) -> None:
        self._engine_factory = engine_factory
        self._counts = counts  # (pending ops, rejected ops) of the store
        self.interval = interval
        self.debounce = debounce
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._monotonic = monotonic
        self._now = now
        self._rand = rand
        self._after_sync = after_sync
        self._on_revoked = on_revoked
        self._revoked = False  # the store is wiped and closed: never touch it again
        self._sync_lock = threading.Lock()  # never two syncs at once
        self._state_lock = threading.RLock()
        self._wake = threading.Event()
        self._listeners: list[StatusListener] = []
        self._status = SyncStatus()
        self._due: float = monotonic()
        self._failures = 0
        self._again = False
        self._requested: float | None = None  # earliest sync a trigger asked for since the last attempt began
        self._paused = False
        self._stopped = False
        self._thread: threading.Thread | None = None

    # ---- status -----------------------------------------------------------------------------

    @property
    def status(self) -> SyncStatus:
        return self._status

    @property
    def failures(self) -> int:
        return self._failures

    @property
    def next_due(self) -> float | None:
        """Monotonic time of the next sync; None while paused."""
        with self._state_lock:
            return None if self._paused else self._due

    def add_listener(self, listener: StatusListener) -> None:
        with self._state_lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: StatusListener) -> None:
        with self._state_lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _set_status(self, **changes: object) -> None:
        if changes.get("syncing") is not None:  # a sync starts or ends: its progress is not this one's
            changes.setdefault("progress", None)
        with self._state_lock:
            pending, rejected = (0, 0) if self._revoked else self._counts()
            self._status = replace(self._status, pending=pending, rejected=rejected, **changes)  # type: ignore[arg-type]
            status, listeners = self._status, list(self._listeners)
        for listener in listeners:
            try:
                listener(status)
            except Exception:  # a broken screen must not stop syncing
                logger.exception("sync status listener failed")

    def refresh_counts(self) -> None:
        self._set_status()

    def report_progress(self, progress: SyncProgress) -> None:
        """From the engine, during a sync (on the runner's thread): what the sync bar shows meanwhile."""
        if self._status.syncing:
            self._set_status(progress=progress)

    # ---- triggers ---------------------------------------------------------------------------

    def _due_within(self, seconds: float) -> None:
        with self._state_lock:
            target = self._monotonic() + seconds
            self._requested = target if self._requested is None else min(self._requested, target)
            self._due = min(self._due, target)
        self._wake.set()

    def request_sync(self) -> None:
        """ "Sync now": an attempt at once, whatever the backoff."""
        self._due_within(0)

    def notify_saved(self) -> None:
        """A record was saved locally: push it soon (debounced), even while backing off."""
        self._due_within(self.debounce)
        self.refresh_counts()

    def connectivity_changed(self, connected: bool) -> None:
        if connected:
            self.request_sync()

    @contextmanager
    def held(self) -> Iterator[None]:
        """No sync runs inside (a running one is waited for): e.g. while signing out checks what waits.

        In the PWA the running sync is a suspended stack on the worker's one thread (its request in flight):
        blocking on the lock there would stop the thread, so that sync could never resume and release it, and the
        app would freeze (seen in the e2e test: 确认退出登录 while a sync was still trying, offline). This stack
        suspends instead until the sync has ended (client.browser.yield_to_other_stacks; where it cannot be
        suspended, CannotWait: the caller shows an error)."""
        if IN_BROWSER:
            while not self._sync_lock.acquire(blocking=False):
                yield_to_other_stacks(HELD_POLL_S)
        else:
            self._sync_lock.acquire()
        try:
            yield
        finally:
            self._sync_lock.release()

    def pause(self) -> None:
        with self._state_lock:
            self._paused = True

    def resume(self) -> None:
        """After signing in (again): clear the sign-in flag and sync at once."""
        with self._state_lock:
            self._paused = False
            self._failures = 0
        self._set_status(auth_required=False, last_error=None)
        self.request_sync()

    # ---- one sync ---------------------------------------------------------------------------

    def sync_once(self) -> bool:
        """Run one sync unless one is running (then ask for another after it); True if it ran."""
        if not self._sync_lock.acquire(blocking=False):
            with self._state_lock:
                self._again = True
            return False
        try:
            with self._state_lock:
                self._again = False
                self._requested = None
            self._set_status(syncing=True)
            self._attempt()
            if self._after_sync is not None and not self._revoked:
                try:
                    self._after_sync()
                except Exception:
                    logger.exception("after-sync hook failed")
            return True
        finally:
            self._sync_lock.release()
            with self._state_lock:
                if self._again:
                    self._due = self._monotonic()
                    self._wake.set()

    def _attempt(self) -> None:
        now = self._monotonic()
        try:
            report = self._engine_factory().run()
        except Unreachable as error:
            self._failed(now, str(error))
        except DeviceRevoked as error:
            self._device_revoked(now, error)
        except AuthRequired as error:
            with self._state_lock:
                self._paused = True
            self._set_status(syncing=False, online=True, auth_required=True, last_error=str(error))
        except ClientTooOld as error:
            self._schedule(now + self.interval)
            self._set_status(syncing=False, online=True, client_too_old=True, last_error=error.message)
        except Refused as error:
            self._schedule(now + self.interval)
            self._set_status(syncing=False, online=True, last_error=error.message or str(error))
        except Exception as error:  # a protocol violation or a bug: keep everything, back off, say so
            logger.exception("sync failed")
            self._failed(now, f"{type(error).__name__}: {error}")
        else:
            with self._state_lock:
                self._failures = 0
                version = self._status.data_version + (1 if report.pulled or report.rejected else 0)
            self._schedule(now + self.interval)
            self._set_status(
                syncing=False,
                online=True,
                last_sync_at=self._now(),
                last_error=None,
                client_too_old=False,
                data_version=version,
            )

    def _device_revoked(self, now: float, error: DeviceRevoked) -> None:
        if self._counts()[0]:  # ops not yet handed over (should not happen): try again, keep them meanwhile
            self._schedule(now + self.interval)
            self._set_status(syncing=False, online=True, last_error=error.message)
            return
        with self._state_lock:
            self._paused = True
            self._stopped = True
        try:
            if self._on_revoked is not None:
                self._on_revoked()
        except Exception:
            logger.exception("wiping the revoked phone failed")
        finally:
            self._revoked = True
        self._set_status(syncing=False, online=True, device_revoked=True, last_error=error.message)

    def _failed(self, now: float, message: str) -> None:
        with self._state_lock:
            self._failures += 1
            delay = backoff_delay(self._failures, self.backoff_base, self.backoff_cap, self._rand())
        self._schedule(now + delay)
        self._set_status(syncing=False, online=False, last_error=message)

    def _schedule(self, due: float) -> None:
        with self._state_lock:
            # a save or "sync now" during the attempt asked for an earlier sync: keep it
            self._due = due if self._requested is None else min(due, self._requested)

    # ---- the thread -------------------------------------------------------------------------

    def step(self, max_syncs: int = 10) -> float | None:
        """Run what is due (at most `max_syncs` in a row); return how long to wait (None: until woken)."""
        for _ in range(max_syncs):
            with self._state_lock:
                if self._paused:
                    return None
                wait = self._due - self._monotonic()
            if wait > 0:
                return wait
            self.sync_once()
        return 0.0

    def start(self, *, paused: bool = False) -> None:
        with self._state_lock:
            self._paused = paused
        self.refresh_counts()
        if IN_BROWSER:  # no threads in Pyodide: a task on the event loop (client/browser.py)
            start_background(self._run_on_event_loop(), "sync-runner")
            return
        self._thread = threading.Thread(target=self._loop, name="sync-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    async def _run_on_event_loop(self) -> None:
        """The loop below for the PWA: while a sync's requests are in flight (fetch, awaited with `run_sync`:
        client/browser.py) this task's stack is suspended and the app keeps answering; a trigger (`_wake`) is
        noticed within `WAKE_POLL_S`, as an Event cannot be awaited."""
        while not self._stopped:
            self._wake.clear()
            try:
                wait = self.step()
            except Exception:
                logger.exception("sync runner step failed")
                wait = self.interval
            deadline = self._monotonic() + (wait if wait is not None else float("inf"))
            while not self._stopped and not self._wake.is_set() and self._monotonic() < deadline:
                await asyncio.sleep(WAKE_POLL_S)

    def _loop(self) -> None:
        while not self._stopped:
            self._wake.clear()
            try:
                wait = self.step()
            except Exception:
                logger.exception("sync runner step failed")
                wait = self.interval
            if self._stopped:
                return
            if wait is None or wait > 0:
                self._wake.wait(wait)


class HttpSyncSession:
    """One sync over HTTP with the credentials of the moment (a new sign-in changes the token)."""

    def __init__(
        self,
        store: SyncStore,
        server_url: str,
        token: str | None,
        transport: object = None,
        on_progress: ProgressListener | None = None,
        refresh_token: str | None = None,
        on_tokens: TokensListener | None = None,
        on_company: Callable[[PullResponse], object] | None = None,
        on_clock: Callable[[dt.timedelta], object] | None = None,
        clock_offset: ClockOffset | None = None,
    ) -> None:
        self.store, self.server_url, self.token, self.transport = store, server_url, token, transport
        self.on_progress = on_progress
        self.refresh_token, self.on_tokens = refresh_token, on_tokens
        self.on_company = on_company
        self.on_clock = on_clock
        self.clock_offset = clock_offset

    def run(self) -> SyncReport:
        if not self.token:
            raise AuthRequired("not signed in")
        if not self.server_url:
            raise Unreachable("no server address")
        api = HttpSyncApi(
            self.server_url,
            self.token,
            transport=self.transport,  # type: ignore[arg-type]
            refresh_token=self.refresh_token,
            on_tokens=self.on_tokens,
            clock_offset=self.clock_offset,
        )

        def pull(request: PullRequest) -> PullResponse:
            sent = company_clock.own_ms()
            page = api.pull(request)
            received = company_clock.own_ms()
            if self.on_company is not None:  # the company's zone and visit rules, kept on the phone
                self.on_company(page)
            measured = company_clock.measured_correction(page.server_time, sent, received)
            if self.on_clock is not None and measured is not None:  # the phone keeps the server's time
                self.on_clock(measured)
            return page

        try:
            return SyncEngine(
                self.store, push=api.push, pull=pull, on_progress=self.on_progress, full_pull_limit=FULL_PULL_LIMIT
            ).run()
        finally:
            api.close()


def http_engine_factory(
    store: SyncStore,
    credentials: Callable[[], tuple[str, str | None]],
    transport: object = None,
    on_progress: ProgressListener | None = None,
    refresh_token: Callable[[], str | None] | None = None,
    on_tokens: TokensListener | None = None,
    on_company: Callable[[PullResponse], object] | None = None,
    on_clock: Callable[[dt.timedelta], object] | None = None,
    clock_offset: ClockOffset | None = None,
) -> EngineFactory:
    """An engine factory for the runner: `credentials()` gives (server URL, token) at each attempt;
    `on_progress` hears how each sync advances (the app passes `SyncRunner.report_progress`);
    `refresh_token()` gives the refresh token, and `on_tokens` keeps the new pair after a refresh; `on_company`
    hears each pull answer, and `on_clock` the correction each one measures (client/clock.py); `clock_offset()`
    is the correction each request tells the server (seconds; None: not measured yet)."""

    def make() -> RunsSync:
        server_url, token = credentials()
        refresh = refresh_token() if refresh_token is not None else None
        return HttpSyncSession(
            store, server_url, token, transport, on_progress, refresh, on_tokens, on_company, on_clock, clock_offset
        )

    return make
