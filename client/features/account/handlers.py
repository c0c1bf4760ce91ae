"""The account feature's handlers: what the app does on this feature's taps (reaching the shell through
the app it is mixed into)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from client.features.account.service import AccountLock, PendingWork, SettingsForm, SignOutRefused, pending_work
from client.features.photos.service import PhotoFiles
from client.services import AppService
from client.shell.state import AppState, Screen
from client.storage.vault import InvalidPin, PinDelayed, WrongPin, valid_pin
from shared.i18n import t

if TYPE_CHECKING:
    import flet as ft

logger = logging.getLogger(__name__)


class AccountHandlers:
    """Event handlers of the settings screen, mixed into client.shell.app.App."""

    state: AppState
    service: AppService
    page: ft.Page
    photos: PhotoFiles
    account: AccountLock | None
    _ui: threading.RLock
    render: Callable[..., None]
    _go: Callable[..., None]
    _on_loop: Callable[..., None]
    sync_now: Callable[[], None]

    def open_settings(self) -> None:

        self.state.settings = SettingsForm()
        self._go(Screen.SETTINGS)

    # ---- change the PIN -----------------------------------------------------------------------

    def change_pin(self) -> None:
        with self._ui:
            form, lang = self.state.settings, self.state.lang
            if form.pin_busy or self.account is None:
                return
            if not valid_pin(form.new_pin):
                form.pin_error = t("client.pin.format", lang)
            elif form.repeat_pin != form.new_pin:
                form.pin_error = t("client.pin.mismatch", lang)
            else:
                form.pin_busy, form.pin_error = True, None
                self.page.run_thread(self._change_pin_worker, self.account, form.current_pin, form.new_pin)
            self.render()

    def _change_pin_worker(self, account: AccountLock, current: str, new: str) -> None:
        lang = self.state.lang
        try:
            account.change_pin(current, new)
        except WrongPin as wrong:
            wait = round(wrong.wait)
            message = t("client.settings.wrong_current_wait", lang, seconds=wait) if wait else None
            self._on_loop(self._pin_refused, message or t("client.settings.wrong_current", lang))
            return
        except PinDelayed as delayed:
            self._on_loop(self._pin_refused, t("client.pin.wait", lang, seconds=round(delayed.wait)))
            return
        except InvalidPin:
            self._on_loop(self._pin_refused, t("client.pin.format", lang))
            return
        except Exception as failure:  # never left spinning: the rep sees it; the old PIN still works
            logger.exception("changing the PIN failed")
            self._on_loop(self._pin_refused, t("client.pin.failed", lang, detail=str(failure)))
            return
        self._on_loop(self._pin_changed)

    def _pin_refused(self, message: str) -> None:
        with self._ui:
            form = self.state.settings
            form.pin_busy, form.current_pin, form.pin_error = False, "", message
            self.render()

    def _pin_changed(self) -> None:
        with self._ui:
            self.state.settings = SettingsForm()
            self.state.notice = t("client.settings.pin_changed", self.state.lang)
            self.render()

    # ---- sign out -----------------------------------------------------------------------------

    def ask_sign_out(self) -> None:
        """The confirmation, with what is not synced yet (a sync starts at once if anything waits)."""
        with self._ui:
            form = self.state.settings
            form.confirming, form.sign_out_error = True, None
            form.pending = pending_work(self.service.store, self.photos)
            if form.pending.total:
                self.sync_now()
            self.render()

    def cancel_sign_out(self) -> None:
        with self._ui:
            self.state.settings.confirming = False
            self.render()

    def sign_out(self) -> None:
        with self._ui:
            form = self.state.settings
            if form.signing_out or self.account is None:
                return
            form.signing_out, form.sign_out_error = True, None
            self.page.run_thread(self._sign_out_worker, self.account)
            self.render()

    def _sign_out_worker(self, account: AccountLock) -> None:
        lang = self.state.lang
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
            self._on_loop(self._sign_out_refused, message, refused.pending)
        except Exception as failure:
            logger.exception("signing out failed")
            self._on_loop(self._sign_out_refused, t("client.settings.failed", lang, detail=str(failure)), None)

    def _sign_out_refused(self, message: str, pending: PendingWork | None) -> None:
        with self._ui:
            form = self.state.settings
            form.signing_out, form.sign_out_error = False, message
            if pending is not None:
                form.pending = pending
            self.render()
