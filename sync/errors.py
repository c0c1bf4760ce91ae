"""What can go wrong talking to the server, as the sync engine needs to tell it apart."""

from __future__ import annotations


class SyncError(Exception):
    """Base of the errors a sync transport raises."""


class Unreachable(SyncError):
    """No usable answer: no network, timeout, dropped connection, or a 5xx. Retry later, same ops."""


class AuthRequired(SyncError):
    """The token is missing, expired or revoked (401): the rep must sign in again. Nothing is dropped."""


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
