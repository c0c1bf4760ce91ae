"""The rep's own controls on the phone (设置, reached from Today): change the PIN, and sign out.

- **Change the PIN**: the current PIN and the new one twice. The lock (client/lock.py, `Vault.change_pin`)
  re-wraps the same data key under the new PIN in one atomic rename of `key.json`; nothing else is
  re-encrypted, and a wrong current PIN counts toward the same delays as on the lock screen.
- **Sign out**: never discards work. It syncs first; while anything is still waiting (changes in the
  outbox, refused changes kept as drafts, photos not uploaded) it is refused with the counts. Then it ends
  the sign-in on the server (POST /api/auth/logout; an expired access token is refreshed first), and only
  then the lock wipes the data folder and starts over as a fresh install: another rep can sign in, and
  sets their own PIN. Without a network it is refused: the sign-in must end on the server too.

`AccountHandlers` is the app's part (mixed into client.app.App), like client.pipeline's handlers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from client.photos import PhotoFiles, waiting_photos
from client.services import LOGIN_TIMEOUT, AppService
from client.store import LocalStore
from client.vault import InvalidPin, PinDelayed, WrongPin, valid_pin
from shared.errors import ErrorCode
from shared.i18n import t
from sync.http import tls_context

if TYPE_CHECKING:
    import flet as ft

    from client.state import AppState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingWork:
    """What would be lost by wiping the phone now."""

    changes: int = 0  # ops in the outbox, not yet received by the server
    drafts: int = 0  # changes the server refused, waiting for the rep to fix and resend (or discard)
    photos: int = 0  # photos whose bytes are not uploaded yet

    @property
    def total(self) -> int:
        return self.changes + self.drafts + self.photos


def pending_work(store: LocalStore, photos: PhotoFiles) -> PendingWork:
    return PendingWork(store.pending_count(), len(store.rejected_ops()), len(waiting_photos(store, photos)))


class SignOutRefused(Exception):
    """Signing out did not happen; nothing was changed on the phone."""

    def __init__(self, message: str, pending: PendingWork | None = None, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.pending = pending  # set: work is still waiting
        self.unreachable = unreachable  # the server could not be told


def end_server_session(service: AppService, transport: httpx.BaseTransport | None = None) -> None:
    """End this phone's sign-in on the server (POST /api/auth/logout). An expired access token is refreshed
    first, the new pair kept before it is used. A sign-in the server has ended already counts as ended.
    SignOutRefused(unreachable=True) when the server cannot be reached or fails."""
    token, base = service.token, service.server_url.rstrip("/")
    if not token or not base:
        return  # not signed in: nothing to end on the server
    try:
        with httpx.Client(base_url=base, transport=transport, timeout=LOGIN_TIMEOUT, verify=tls_context()) as http:
            answer = http.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
            if answer.status_code == 401 and _code(answer) == ErrorCode.TOKEN_EXPIRED and service.refresh_token:
                refreshed = http.post("/api/auth/refresh", json={"refresh_token": service.refresh_token})
                pair = refreshed.json() if refreshed.is_success else {}
                if isinstance(pair.get("token"), str) and isinstance(pair.get("refresh_token"), str):
                    service.keep_tokens(pair["token"], pair["refresh_token"])  # durably, before it is used
                    answer = http.post("/api/auth/logout", headers={"Authorization": f"Bearer {pair['token']}"})
                elif refreshed.status_code >= 500:
                    answer = refreshed
                else:  # the refresh token is refused: the sign-in has ended already
                    return
    except (httpx.HTTPError, ValueError) as error:  # ValueError: a body that is not JSON
        raise SignOutRefused(f"{type(error).__name__}: {error}", unreachable=True) from error
    if answer.status_code >= 500:
        raise SignOutRefused(f"server error {answer.status_code}", unreachable=True)
    # 204: ended now; 401: ended before (signed out elsewhere, expired); 403: the phone was revoked.
    if answer.status_code not in (204, 401, 403):
        raise SignOutRefused(f"{answer.status_code}: {answer.text[:200]}")


def _code(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code", "")) if isinstance(error, dict) else ""


class AccountLock(Protocol):
    """What the PIN lock (client/lock.py, PhoneLock) offers the settings screen."""

    def change_pin(self, current: str, new: str) -> None: ...
    def sign_out(self) -> None: ...  # on success the lock restarts every page session's app


@dataclass
class SettingsForm:
    """The settings screen: the change-PIN form and the sign-out confirmation."""

    current_pin: str = ""
    new_pin: str = ""
    repeat_pin: str = ""
    pin_error: str | None = None
    pin_busy: bool = False  # the key derivations run (about a second)
    confirming: bool = False  # the sign-out confirmation is shown
    pending: PendingWork | None = None  # counted when the confirmation opened
    sign_out_error: str | None = None
    signing_out: bool = False


class AccountHandlers:
    """Event handlers of the settings screen, mixed into client.app.App."""

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
        from client.state import Screen  # the state module imports this one

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
