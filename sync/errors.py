"""What can go wrong talking to the server, as the sync engine needs to tell it apart."""

from __future__ import annotations


class SyncError(Exception):
    """Base of the errors a sync transport raises."""


class Unreachable(SyncError):
    """No usable answer: no network, timeout, dropped connection, or a 5xx. Retry later, same ops."""


class ServerFailed(Unreachable):
    """A 5xx: the server failed on the request. Usually it passes (retry later, same ops); when the server
    answers other requests but fails on one op every time, that op is a poison op (the engine keeps it as
    a draft)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"server error {status}")
        self.status = status


class AuthRequired(SyncError):
    """The sign-in is missing, revoked or could not be refreshed (401): the rep must sign in again.
    Nothing is dropped."""


class Refused(SyncError):
    """The server refused the request itself (a 4xx other than 401): retrying it unchanged cannot help."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class ResyncRequired(Refused):
    """The pull cursor is older than the deletes the server still keeps: pull everything again from 0.
    The phone's own waiting ops and drafts are kept."""


class ClientTooOld(Refused):
    """The server no longer accepts this app's schema version: the app must be updated. Ops are kept."""


class DeviceRevoked(Refused):
    """This phone was revoked (403 device_revoked). On a push, the server kept the ops in quarantine and
    names them in `quarantined` ((seq, op_id) pairs): they are delivered, for an admin to accept or drop.
    Once the outbox is empty the app wipes its local data (client/wipe.py)."""

    def __init__(self, status: int, code: str, message: str, quarantined: tuple[tuple[int, str], ...] = ()) -> None:
        super().__init__(status, code, message)
        self.quarantined = quarantined
