"""The one module of `sync/` that does I/O: the sync API over HTTP with httpx.

The transport is injected, so tests run this against the real server in-process
(`httpx.ASGITransport`) or through a transport that injects faults.
"""

from __future__ import annotations

from typing import Any

import httpx

from shared.errors import ErrorCode
from sync.errors import AuthRequired, ClientTooOld, Refused, ResyncRequired, Unreachable
from sync.protocol import (
    ProtocolError,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    parse_pull_response,
    parse_push_response,
)

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class HttpSyncApi:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
            timeout=timeout,
        )

    def close(self) -> None:
        self._client.close()

    def push(self, request: PushRequest) -> PushResponse:
        return parse_push_response(self._post("/api/sync/push", request.as_dict()))

    def pull(self, request: PullRequest) -> PullResponse:
        return parse_pull_response(self._post("/api/sync/pull", request.as_dict()))

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        try:
            response = self._client.post(path, json=body)
        except httpx.HTTPError as error:  # connect errors, timeouts, dropped connections
            raise Unreachable(f"{type(error).__name__}: {error}") from error
        return read_answer(response)


def read_answer(response: httpx.Response) -> Any:
    """The JSON body of a 2xx answer; otherwise the matching `sync.errors` exception."""
    if response.status_code >= 500:
        raise Unreachable(f"server error {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        if response.is_success:
            raise Unreachable("the answer is not JSON (a proxy or a captive portal?)") from None
        body = {}
    if response.is_success:
        return body
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = str(error.get("code", "")) if isinstance(error, dict) else ""
    message = str(error.get("message", response.reason_phrase)) if isinstance(error, dict) else ""
    if response.status_code == 401:
        raise AuthRequired(message or "sign in again")
    if code == ErrorCode.CLIENT_TOO_OLD:
        raise ClientTooOld(response.status_code, code, message)
    if code == ErrorCode.RESYNC_REQUIRED:
        raise ResyncRequired(response.status_code, code, message)
    if response.status_code in (408, 429):
        raise Unreachable(f"{response.status_code}: try later")
    raise Refused(response.status_code, code or "refused", message)


__all__ = ["HttpSyncApi", "ProtocolError", "read_answer"]
