"""The PIN lock around the app: the store opens only with the rep's PIN, and the app locks when idle or
after a while in the background.

`PhoneLock` is one per process (like `ClientCore`, which it builds once the store's key is known);
`LockSession` is one per page session and puts the PIN screen (client/features/account/pin_view.py) over the app.

- A store folder with a key file (`key.json`): the app starts locked and the PIN opens the store.
- A folder without one (a first start): the store opens at once with a new data key held in memory;
  after the first sign-in the rep sets a PIN, which wraps that key into the key file. Sync waits
  until then. If the app is stopped before a PIN was set, the store it wrote (a sign-in token and
  nothing the rep typed) cannot be read again and is discarded at the next start.
- A store written before encryption (plain `store.json`): the rep sets a PIN first, then the store is
  imported into sealed files; nothing waiting to be pushed is lost.

Locked, the app keeps syncing: the store stays open in this process (its key in memory), so pending
ops still go out and pulls still land; only the screens are covered. docs/security.md says what the
lock does and does not protect against.

In the background (the page's app lifecycle: hidden or paused; a browser tab hidden) the app
locks once `background_lock` seconds have passed (0: at once), checked again when it is shown, since a
suspended phone runs no watcher. The lock also offers the settings screen (client/features/account/service.py) a PIN
change and the sign-out, after which the data folder is wiped and the app starts over as a fresh install.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import flet as ft

from client.browser import IN_BROWSER, start_background
from client.config import ClientConfig
from client.features.account import pin_view as pin
from client.features.account.pin_view import PinForm, PinMode
from client.features.account.service import SignOutRefused, end_server_session, pending_work
from client.features.photos.service import PhotoFiles
from client.shell.app import App, ClientCore, build_core
from client.shell.theme import FONTS, phone_theme
from client.storage.journal import CorruptStore, has_plain_store, sealed_files
from client.storage.vault import InvalidPin, KdfParams, PinDelayed, StoreCipher, Vault, WrongPin, valid_pin
from client.storage.wipe import wipe_local_data
from shared.i18n import DEFAULT_LANGUAGE, t

logger = logging.getLogger(__name__)

# The page's lifecycle states in which the app counts as in the background, and those that bring it back.
# Not INACTIVE: a permission prompt, the notification shade or (in a browser) focus moving to another window
# makes the app inactive while it is still on screen and in use; locking then locked reps out mid-form.
BACKGROUND_STATES = {ft.AppLifecycleState.HIDE, ft.AppLifecycleState.PAUSE}
FOREGROUND_STATES = {ft.AppLifecycleState.SHOW, ft.AppLifecycleState.RESUME}


def uptime() -> float:
    """Seconds on a clock that goes on while the phone sleeps where there is one (Linux, Android:
    CLOCK_BOOTTIME), so a suspended app's time in the background counts in full; else time.monotonic."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        try:
            return time.clock_gettime(boottime)
        except OSError:  # named but refused (Pyodide)
            pass
    return time.monotonic()


class PhoneLock:
    def __init__(
        self,
        config: ClientConfig,
        *,
        transport: Any = None,
        kdf: KdfParams | None = None,
        clock: Callable[[], float] = uptime,
    ) -> None:
        self.config = config
        self.transport = transport
        self.vault = Vault(config.data_dir, kdf)
        self.clock = clock
        self.core: ClientCore | None = None
        self.sessions: list[LockSession] = []
        self._guard = threading.RLock()
        self._last_activity = clock()
        self._hidden_since: float | None = None  # when the app went to the background (None: in front)
        self._stop = threading.Event()
        self._idle_thread: threading.Thread | None = None
        if self.vault.has_pin() or has_plain_store(config.data_dir):
            self.locked = True  # the PIN opens the store (or, for a plain store, is set first)
        else:
            for orphan in sealed_files(config.data_dir):  # sealed with a key that was never kept
                logger.warning("discarding %s: written before a PIN was set, its key is gone", orphan)
                orphan.unlink()
            self.core = build_core(config, StoreCipher.new(), transport)
            self.locked = False

    @property
    def needs_pin(self) -> bool:
        """No PIN yet: the rep sets one (after signing in, or before opening a plain store)."""
        return not self.vault.has_pin()

    # ---- unlocking ----------------------------------------------------------------------------

    def unlock(self, entered: str) -> ClientCore:
        """Open the store with the PIN (the first time in this process) or check it; WrongPin, PinDelayed."""
        cipher = self.vault.unlock(entered)
        with self._guard:
            if self.core is None:
                self.core = build_core(self.config, cipher, self.transport)
            self.locked = False
            self._last_activity = self.clock()
            self._hidden_since = None  # someone is looking at it
            return self.core

    def set_pin(self, entered: str) -> ClientCore:
        """Keep the store's key under a new PIN (opening a plain store, if that is what waits for it)."""
        with self._guard:
            cipher = self.core.store.cipher if self.core is not None else StoreCipher.new()
            self.vault.set_pin(entered, cipher)
            if self.core is None:
                self.core = build_core(self.config, cipher, self.transport)
            self.locked = False
            self._last_activity = self.clock()
            if self.core.service.signed_in():
                self.core.runner.resume()
            return self.core

    # ---- idle lock ----------------------------------------------------------------------------

    def touch(self) -> None:
        """The rep used the app: the idle time starts again, and the app is evidently in front."""
        self._last_activity = self.clock()
        self._hidden_since = None

    def idle_for(self) -> float:
        return self.clock() - self._last_activity

    def hidden_for(self) -> float | None:
        """Seconds in the background (None: in front)."""
        hidden_since = self._hidden_since
        return None if hidden_since is None else self.clock() - hidden_since

    def _lock_due(self) -> bool:
        hidden_for = self.hidden_for()
        in_background_too_long = hidden_for is not None and hidden_for >= self.config.background_lock
        return in_background_too_long or self.idle_for() >= self.config.idle_lock

    def lock_if_idle(self) -> bool:
        """Lock when idle for `idle_lock` seconds, or in the background for `background_lock` seconds."""
        with self._guard:
            core = self.core
            if self.locked or core is None or self.needs_pin or core.runner.status.device_revoked:
                return False
            if not self._lock_due():
                return False
            self.locked = True
            sessions = list(self.sessions)
        for session in sessions:
            session.cover(PinMode.UNLOCK)
        return True

    # ---- lock in the background -------------------------------------------------------------------

    def went_to_background(self) -> bool:
        """The app was hidden, paused or lost focus: the grace starts (0: locked at once). True if locked."""
        with self._guard:
            if self._hidden_since is None:
                self._hidden_since = self.clock()
        return self.lock_if_idle()

    def came_to_foreground(self) -> bool:
        """The app is shown again: locked if it was away longer than the grace (its watcher may not have run
        while the phone was suspended). True if locked now."""
        locked = self.lock_if_idle()
        with self._guard:
            self._hidden_since = None
        return locked

    def lifecycle_changed(self, state: ft.AppLifecycleState) -> None:
        if state in BACKGROUND_STATES:
            self.went_to_background()
        elif state in FOREGROUND_STATES:
            self.came_to_foreground()

    # ---- the settings screen: change the PIN, sign out (client/features/account/service.py) -----------------------

    def change_pin(self, current: str, new: str) -> None:
        """Re-wrap the store's key under a new PIN (Vault.change_pin: WrongPin, PinDelayed, InvalidPin)."""
        self.vault.change_pin(current, new)
        self.touch()

    def sign_out(self) -> None:
        """Sync, refuse while work waits (SignOutRefused with the counts), end the sign-in on the server
        (SignOutRefused when it cannot be reached), then wipe the data folder and start over as a fresh
        install: every page session shows the sign-in screen, and the next rep sets their own PIN."""
        core = self.core
        if core is None:
            raise SignOutRefused("the app is locked")
        for _ in range(2):  # hand over what waits; a sync running now may have begun before the last change
            if core.runner.sync_once():
                break
            with core.runner.held():  # wait for it: the runner starts another at once, which the next try waits for
                pass
        with core.runner.held():
            waiting = pending_work(core.store, PhotoFiles(core.store.storage.folder, core.store.cipher))
            if waiting.total:
                raise SignOutRefused("work is waiting to be synced", waiting)
            end_server_session(core.service, self.transport)
            core.runner.pause()  # nothing syncs any more on the old sign-in
        with self._guard:
            self.core = None
            core.close()
            removed = wipe_local_data(self.config.data_dir, lambda: None)
            logger.info("signed out; removed from the data folder: %s", ", ".join(removed))
            self.core = build_core(self.config, StoreCipher.new(), self.transport)
            self.locked, self._hidden_since, self._last_activity = False, None, self.clock()
            sessions = list(self.sessions)
        for session in sessions:
            session.restart()

    def start(self) -> None:
        """Watch for idleness in the background (a daemon thread, in the PWA a task; `close` stops it)."""
        if IN_BROWSER:
            start_background(self._watch_idle(), "idle-lock")
            return

        def watch() -> None:
            while not self._stop.wait(min(1.0, self.config.idle_lock / 4)):
                try:
                    self.lock_if_idle()
                except Exception:
                    logger.exception("idle lock check failed")

        self._idle_thread = threading.Thread(target=watch, name="idle-lock", daemon=True)
        self._idle_thread.start()

    async def _watch_idle(self) -> None:
        while not self._stop.is_set():
            await asyncio.sleep(min(1.0, self.config.idle_lock / 4))
            try:
                self.lock_if_idle()
            except Exception:
                logger.exception("idle lock check failed")

    def close(self) -> None:
        self._stop.set()
        if self._idle_thread is not None:
            self._idle_thread.join(timeout=5)
        if self.core is not None:
            self.core.close()

    # ---- page sessions ------------------------------------------------------------------------

    def main(self, page: ft.Page) -> None:
        """Flet's entry point for a page session."""
        session = LockSession(self, page)
        with self._guard:
            self.sessions.append(session)
        session.start()

    def unlocked(self, by: LockSession) -> None:
        """Every other session's screens are uncovered too (one phone, one lock)."""
        for session in list(self.sessions):
            if session is not by:
                session.uncover()

    def forget(self, session: LockSession) -> None:
        with self._guard:
            if session in self.sessions:
                self.sessions.remove(session)


class LockSession:
    """One page: the app, and the PIN screen put over it while locked (the app's state stays underneath)."""

    def __init__(self, lock: PhoneLock, page: ft.Page) -> None:
        self.lock = lock
        self.page = page
        self.app: App | None = None
        self.form = PinForm()
        self.covered: list[Any] | None = None  # the app's controls while the PIN screen shows

    @property
    def lang(self) -> str:
        if self.app is not None:
            return self.app.state.lang
        return self.lock.config.lang or DEFAULT_LANGUAGE

    def start(self) -> None:
        self.page.on_app_lifecycle_state_change = lambda e: self.lock.lifecycle_changed(e.state)
        if self.lock.locked:
            self.page.fonts = FONTS
            self.page.theme = phone_theme()
            self.page.padding = 0
            self.cover(PinMode.SET if self.lock.needs_pin else PinMode.UNLOCK)
        else:
            self._mount_app()

    def _mount_app(self) -> None:
        core = self.lock.core
        assert core is not None
        self.page.controls = []
        app = App(self.page, core)
        app.on_activity = self.lock.touch
        app.after_sign_in = self._after_sign_in
        app.account = self.lock
        self.app = app
        app.mount()
        if self.lock.needs_pin and core.service.signed_in():  # signed in before, the PIN never set
            self.cover(PinMode.SET)

    def restart(self) -> None:
        """After a sign-out: a fresh app (the sign-in screen) in place of the old one (from any thread)."""
        self._on_loop(self._restart)

    def _restart(self) -> None:
        self.app, self.covered, self.form = None, None, PinForm()
        self._mount_app()

    def _after_sign_in(self) -> bool:
        if not self.lock.needs_pin:
            return False
        self.cover(PinMode.SET)
        return True

    # ---- the PIN screen ------------------------------------------------------------------------

    def cover(self, mode: PinMode) -> None:
        """Show the PIN screen in place of the app (from any thread)."""
        self._on_loop(self._cover, mode)

    def _cover(self, mode: PinMode) -> None:
        if self.covered is None:
            self.covered = list(self.page.controls)
        self.form = PinForm(mode=mode)
        self.render()

    def render(self) -> None:
        self.page.controls = [
            ft.SafeArea(ft.Container(pin.build(self.form, self.lang, self), padding=ft.Padding.all(16)), expand=True)
        ]
        try:
            self.page.update()
        except Exception:  # the session went away
            logger.debug("page update failed", exc_info=True)

    def submit_pin(self) -> None:
        form, lang = self.form, self.lang
        if form.busy:
            return
        if not valid_pin(form.pin):
            form.error = t("client.pin.format", lang)
        elif form.mode is PinMode.SET and form.repeat != form.pin:
            form.error = t("client.pin.mismatch", lang)
        else:
            form.busy, form.error = True, None
            self.page.run_thread(self._submit_worker, form.mode, form.pin)  # Argon2 takes about half a second
        self.render()

    def _submit_worker(self, mode: PinMode, entered: str) -> None:
        try:
            if mode is PinMode.SET:
                self.lock.set_pin(entered)
            else:
                self.lock.unlock(entered)
        except WrongPin as wrong:
            message = t("client.pin.wrong_wait", self.lang, seconds=round(wrong.wait)) if wrong.wait else None
            self._on_loop(self._refused, message or t("client.pin.wrong", self.lang))
            return
        except PinDelayed as delayed:
            self._on_loop(self._refused, t("client.pin.wait", self.lang, seconds=round(delayed.wait)))
            return
        except InvalidPin:
            self._on_loop(self._refused, t("client.pin.format", self.lang))
            return
        except CorruptStore as corrupt:  # reported, never opened with less than was saved
            logger.error("the store cannot be opened: %s", corrupt)
            self._on_loop(self._refused, t("client.pin.corrupt", self.lang, detail=str(corrupt)))
            return
        except Exception as failure:  # never left spinning: the rep sees it and can try again
            logger.exception("opening the app with the PIN failed")
            self._on_loop(self._refused, t("client.pin.failed", self.lang, detail=str(failure)))
            return
        self._on_loop(self._unlocked, mode)
        self.lock.unlocked(self)

    def _refused(self, message: str) -> None:
        self.form.busy, self.form.pin, self.form.repeat, self.form.error = False, "", "", message
        self.render()

    def _unlocked(self, mode: PinMode) -> None:
        self.form = PinForm()
        covered, self.covered = self.covered, None
        if self.app is None:
            self._mount_app()
            return
        if covered is not None:
            self.page.controls = covered
        if mode is PinMode.SET:  # just signed in: the first sync starts now
            self.app.go_today()
        else:
            self.app.render()

    def uncover(self) -> None:
        """Another session unlocked: show the app again (or mount it, if it never was)."""
        self._on_loop(self._unlocked, PinMode.UNLOCK)

    def _on_loop(self, function: Callable[..., None], *args: Any) -> None:
        async def job() -> None:
            function(*args)

        try:
            self.page.run_task(job)
        except Exception:  # the session is gone
            logger.debug("page session gone", exc_info=True)
            self.lock.forget(self)
