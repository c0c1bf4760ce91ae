"""The rep's own controls on the phone (设置, reached from Today): change the PIN, and sign out.

- **Change the PIN**: the current PIN and the new one twice. The lock (client/shell/lock.py, `Vault.change_pin`)
  re-wraps the same data key under the new PIN in one atomic rename of `key.json`; nothing else is
  re-encrypted, and a wrong current PIN counts toward the same delays as on the lock screen.
- **Sign out**: never discards work. It syncs first; while anything is still waiting (changes in the
  outbox, refused changes kept as drafts, photos not uploaded) it is refused with the counts. Then it ends
  the sign-in on the server (POST /api/auth/logout; an expired access token is refreshed first), and only
  then the lock wipes the data folder and starts over as a fresh install: another rep can sign in, and
  sets their own PIN. Without a network it is refused: the sign-in must end on the server too.

`AccountHandlers` is the app's part (handlers.py, built by the shell), like client.features.pipeline.service's handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from client.api import CALL_FAILED, LOGOUT_PATH, api_client, bearer, refresh_tokens
from client.features.photos.service import PhotoFiles, waiting_photos
from client.services import AppService
from client.storage.store import LocalStore
from shared.errors import ErrorCode

if TYPE_CHECKING:
    pass


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
        with api_client(base, transport=transport) as http:
            answer = http.post(LOGOUT_PATH, headers=bearer(token))
            if answer.status_code == 401 and _code(answer) == ErrorCode.TOKEN_EXPIRED and service.refresh_token:
                refreshed, pair = refresh_tokens(http, service.refresh_token)
                if pair is not None:
                    service.keep_tokens(*pair)  # durably, before it is used
                    answer = http.post(LOGOUT_PATH, headers=bearer(pair[0]))
                elif refreshed.status_code >= 500:
                    answer = refreshed
                else:  # the refresh token is refused: the sign-in has ended already
                    return
    except CALL_FAILED as error:  # unreachable, a malformed URL, or a body that is not JSON
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
    """What the PIN lock (client/shell/lock.py, PhoneLock) offers the settings screen."""

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
    phone_id: str = ""  # this phone's id, as the supervisor's /devices page and a visit's signature name it
    chain_seq: int = 0  # the number of this phone's last op (its signed chain's head)
    chain_hash: str | None = None  # that op's hash
    clock_correction_s: float = 0.0  # the server's time minus this phone's clock, when that is off (client/clock.py)
