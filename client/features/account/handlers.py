"""The account feature's handlers: what the app does on this feature's taps (reaching the shell only through
client/shell/protocol.py's `Shell`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from client import clock
from client.features.account.service import AccountLock, PendingWork, SettingsForm, SignOutRefused, pending_work
from client.features.photos.service import PhotoFiles
from client.shell.protocol import Shell
from client.shell.state import Screen
from client.storage.vault import InvalidPin, PinDelayed, WrongPin, valid_pin
from shared.i18n import t

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)


class AccountHandlers:
    """Event handlers of the settings screen (a plain class; it reaches the shell through `Shell`)."""

    def __init__(self, shell: Shell, photos: PhotoFiles, account: Callable[[], AccountLock | None]) -> None:
        self.shell = shell
        self.service = shell.service
        self.photos = photos  # what is not uploaded yet counts as work a sign-out would lose
        self._account = account  # the lock's change PIN and sign out, once the lock (client/shell/lock.py) is up

    @property
    def account(self) -> AccountLock | None:
        return self._account()

    def open_settings(self) -> None:
        self.shell.state.settings = self._new_form()
        self.shell.go(Screen.SETTINGS)

    def _new_form(self) -> SettingsForm:
        """The settings as they open: nothing typed, and this phone's id, chain head and clock as they are now."""
        store = self.service.store
        seq, head = store.chain_head()
        return SettingsForm(
            phone_id=store.device_id,
            chain_seq=seq,
            chain_hash=head,
            clock_correction_s=clock.correction().total_seconds(),
        )

    # ---- change the PIN -----------------------------------------------------------------------

    def change_pin(self) -> None:
        with self.shell.ui:
            form, lang = self.shell.state.settings, self.shell.state.lang
            if form.pin_busy or self.account is None:
                return
            if not valid_pin(form.new_pin):
                form.pin_error = t("client.pin.format", lang)
            elif form.repeat_pin != form.new_pin:
                form.pin_error = t("client.pin.mismatch", lang)
            else:
                form.pin_busy, form.pin_error = True, None
                self.shell.render()  # first: in the PWA the worker runs on this stack (no threads), see sign_out
                self.shell.page.run_thread(self._change_pin_worker, self.account, form.current_pin, form.new_pin)
                return
            self.shell.render()

    def _change_pin_worker(self, account: AccountLock, current: str, new: str) -> None:
        lang = self.shell.state.lang
        try:
            account.change_pin(current, new)
        except WrongPin as wrong:
            wait = round(wrong.wait)
            message = t("client.settings.wrong_current_wait", lang, seconds=wait) if wait else None
            self.shell.on_loop(self._pin_refused, message or t("client.settings.wrong_current", lang))
            return
        except PinDelayed as delayed:
            self.shell.on_loop(self._pin_refused, t("client.pin.wait", lang, seconds=round(delayed.wait)))
            return
        except InvalidPin:
            self.shell.on_loop(self._pin_refused, t("client.pin.format", lang))
            return
        except Exception as failure:  # never left spinning: the rep sees it; the old PIN still works
            logger.exception("changing the PIN failed")
            self.shell.on_loop(self._pin_refused, t("client.pin.failed", lang, detail=str(failure)))
            return
        self.shell.on_loop(self._pin_changed)

    def _pin_refused(self, message: str) -> None:
        with self.shell.ui:
            form = self.shell.state.settings
            form.pin_busy, form.current_pin, form.pin_error = False, "", message
            self.shell.render()

    def _pin_changed(self) -> None:
        with self.shell.ui:
            self.shell.state.settings = self._new_form()  # the PINs typed are gone; 本机 still shows
            self.shell.state.notice = t("client.settings.pin_changed", self.shell.state.lang)
            self.shell.render()

    # ---- sign out -----------------------------------------------------------------------------

    def ask_sign_out(self) -> None:
        """The confirmation, with what is not synced yet (a sync starts at once if anything waits)."""
        with self.shell.ui:
            form = self.shell.state.settings
            form.confirming, form.sign_out_error = True, None
            form.pending = pending_work(self.service.store, self.photos)
            if form.pending.total:
                self.shell.runner.request_sync()
            self.shell.render()

    def cancel_sign_out(self) -> None:
        with self.shell.ui:
            self.shell.state.settings.confirming = False
            self.shell.render()

    def sign_out(self) -> None:
        with self.shell.ui:
            form = self.shell.state.settings
            if form.signing_out or self.account is None:
                return
            form.signing_out, form.sign_out_error = True, None
            # Shown before the worker starts: in the PWA `run_thread` runs it here, on this stack (no threads), and
            # the sign-out may wait seconds for a sync in flight (client/sync_runner.py `held`); rendered after it,
            # 正在退出… never showed and the button looked dead meanwhile.
            self.shell.render()
            self.shell.page.run_thread(self._sign_out_worker, self.account)

    def _sign_out_worker(self, account: AccountLock) -> None:
        lang = self.shell.state.lang
        try:
            account.sign_out()  # on success this app is replaced by a fresh one (the sign-in screen)
        except SignOutRefused as refused:
            if refused.pending is not None:
                pending = refused.pending
                message = t(
                    "client.settings.refused_pending",
                    lang,
                    changes=pending.changes,
                    drafts=pending.drafts,
                    photos=pending.photos,
                )
            elif refused.unreachable:
                message = t("client.settings.unreachable", lang, detail=str(refused))
            else:
                message = t("client.settings.failed", lang, detail=str(refused))
            self.shell.on_loop(self._sign_out_refused, message, refused.pending)
        except Exception as failure:
            logger.exception("signing out failed")
            self.shell.on_loop(self._sign_out_refused, t("client.settings.failed", lang, detail=str(failure)), None)

    def _sign_out_refused(self, message: str, pending: PendingWork | None) -> None:
        with self.shell.ui:
            form = self.shell.state.settings
            form.signing_out, form.sign_out_error = False, message
            if pending is not None:
                form.pending = pending
            self.shell.render()
