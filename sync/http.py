"""The one module of `sync/` that does I/O: the sync API over HTTP with httpx.

The transport is injected, so tests run this against the real server in-process
(`httpx.ASGITransport`) or through a transport that injects faults.

Access tokens are short. When the server answers 401 `token_expired`, the API trades the refresh token
for a new pair (POST /api/auth/refresh) once, hands both to `on_tokens` (the app stores them before
anything else happens) and sends the request again. If the refresh is refused, `AuthRequired`: the rep
signs in again, and nothing on the phone is dropped.

Every push and pull says how far the phone's clock is from the server's, as the phone last measured it
(`clock_offset`, in the `RouteCRM-Clock-Offset` header; none before the first measurement).
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import ssl
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx

from shared.errors import ErrorCode
from sync.errors import AuthRequired, ClientTooOld, DeviceRevoked, Refused, ResyncRequired, ServerFailed, Unreachable
from sync.protocol import (
    CLOCK_OFFSET_HEADER,
    COLUMNS_ENCODING,
    MAX_PULL_LIMIT,
    ProtocolError,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    clock_offset_header,
    parse_pull_response,
    parse_push_response,
)

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# An idle connection is dropped after 2 s, before the server closes it (uvicorn: after 5 s idle): a request
# sent on a connection the server is closing would fail with a read error and wait for the next sync.
KEEPALIVE_EXPIRY_S = 2.0
REFRESH_PATH = "/api/auth/refresh"
TokensListener = Callable[[str, str], None]  # (access token, refresh token): store them durably
ClockOffset = Callable[[], float | None]  # the phone's measured clock correction in seconds; None: not measured yet
# Sync bodies from this size on are sent gzipped (a push of a day's work is about 30 KB of JSON, 2 s up a village
# link's 128 kbit/s), unless the server showed it does not read them: it answered a plain sync request without
# `Accept-Encoding: gzip` (RFC 7694), or a gzipped one with 400 or 415 (then the body goes again, plain, at once).
GZIP_MIN_BYTES = 1_024
GZIP_LEVEL = 6
SYNC_PATHS = ("/api/sync/",)
# Per server (base URL), for this process (the app makes a client per sync): True reads gzip, False does not.
_GZIP_SERVERS: dict[str, bool] = {}
# Servers (base URL) that refused a pull asking for the `columns` encoding (400: an older server does not know the
# field): this process asks them for plain pages from then on.
_PLAIN_PULL_SERVERS: set[str] = set()


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The CA certificates httpx trusts (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), loaded once per process.

    The app makes a client per sync; loading the certificates costs about 30 ms of CPU each time here, more on
    a phone, and a phone syncs every 30 seconds and after each save."""
    return httpx.create_ssl_context()


class TokenExpired(AuthRequired):
    """401 `token_expired`: the access token is too old; a refresh token can get a new one."""


class HttpSyncApi:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        refresh_token: str | None = None,
        on_tokens: TokensListener | None = None,
        clock_offset: ClockOffset | None = None,
    ) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
            timeout=timeout,
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY_S),
            verify=tls_context(),
        )
        self._refresh_token = refresh_token
        self._on_tokens = on_tokens
        self._clock_offset = clock_offset

    def close(self) -> None:
        self._client.close()

    def push(self, request: PushRequest) -> PushResponse:
        return parse_push_response(self._post("/api/sync/push", request.as_dict()))

    def pull(self, request: PullRequest) -> PullResponse:
        """A pull page, asked for in the `columns` encoding (about 0.6x the bytes) unless the server is known not to
        read it: an older server answers 400 to the unknown field, and the page is asked for again, plain."""
        base = str(self._client.base_url)
        if request.encoding is None and base not in _PLAIN_PULL_SERVERS:
            try:
                return parse_pull_response(
                    self._post("/api/sync/pull", replace(request, encoding=COLUMNS_ENCODING).as_dict())
                )
            except Refused as refusal:
                if refusal.status != 400:
                    raise
                _PLAIN_PULL_SERVERS.add(base)
        if request.encoding is None and request.limit > MAX_PULL_LIMIT:  # the larger pages are for columns only
            request = replace(request, limit=MAX_PULL_LIMIT)
        return parse_pull_response(self._post("/api/sync/pull", request.as_dict()))

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        try:
            return read_answer(self._send(path, body))
        except TokenExpired:
            if not self._refresh_token:
                raise
        self._refresh()
        return read_answer(self._send(path, body))  # once: a second 401 means sign in again

    def _send(self, path: str, body: dict[str, Any], *, auth: bool = True) -> httpx.Response:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        headers = {"Content-Type": "application/json"} | ({} if auth else {"Authorization": ""})
        base = str(self._client.base_url)
        sync_path = path.startswith(SYNC_PATHS)
        offset = self._clock_offset() if sync_path and self._clock_offset is not None else None
        if offset is not None and math.isfinite(offset):
            headers[CLOCK_OFFSET_HEADER] = clock_offset_header(offset)
        gzipped = sync_path and _GZIP_SERVERS.get(base) is not False and len(content) >= GZIP_MIN_BYTES
        try:
            if gzipped:
                compressed = gzip.compress(content, GZIP_LEVEL, mtime=0)
                response = self._client.post(path, content=compressed, headers=headers | {"Content-Encoding": "gzip"})
                if response.status_code not in (400, 415):
                    return self._learn(response, base, sync_path)
                # Perhaps not read (an older server, or one behind the same address): once more, plain, and
                # plain from now on unless it says otherwise. A body it did read and refused is refused plain too.
                _GZIP_SERVERS[base] = False
            return self._learn(self._client.post(path, content=content, headers=headers), base, sync_path)
        except httpx.HTTPError as error:  # connect errors, timeouts, dropped connections
            raise Unreachable(f"{type(error).__name__}: {error}") from error

    @staticmethod
    def _learn(response: httpx.Response, base: str, sync_path: bool) -> httpx.Response:
        """Note whether the server reads gzipped bodies: every sync answer of a server that does says so."""
        if not sync_path:
            return response
        accepted = response.headers.get("accept-encoding", "")
        if "gzip" in (part.strip().split(";")[0].lower() for part in accepted.split(",")):
            _GZIP_SERVERS[base] = True
        elif response.is_success:  # the server itself answered (not a proxy's 429 or 503), and did not say so
            _GZIP_SERVERS[base] = False
        return response

    def _refresh(self) -> None:
        """Trade the refresh token for a new pair. Refused (reused, signed out, expired): `AuthRequired`."""
        answer = read_answer(self._send(REFRESH_PATH, {"refresh_token": self._refresh_token}, auth=False))
        token, refresh_token = answer.get("token"), answer.get("refresh_token")
        if not isinstance(token, str) or not isinstance(refresh_token, str):
            raise Unreachable("the refresh answer carries no tokens")
        self._refresh_token = refresh_token
        self._client.headers["Authorization"] = f"Bearer {token}"
        if self._on_tokens is not None:
            self._on_tokens(token, refresh_token)  # the old refresh token is used up: keep the new one now


def read_answer(response: httpx.Response) -> Any:
    """The JSON body of a 2xx answer; otherwise the matching `sync.errors` exception."""
    if response.status_code >= 500:
        raise ServerFailed(response.status_code)
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
        if code == ErrorCode.TOKEN_EXPIRED:
            raise TokenExpired(message or "the access token has expired")
        raise AuthRequired(message or "sign in again")
    if code == ErrorCode.DEVICE_REVOKED:
        details = error.get("details") if isinstance(error, dict) else None
        raise DeviceRevoked(response.status_code, code, message, _quarantined(details))
    if code == ErrorCode.CLIENT_TOO_OLD:
        raise ClientTooOld(response.status_code, code, message)
    if code == ErrorCode.RESYNC_REQUIRED:
        raise ResyncRequired(response.status_code, code, message)
    if response.status_code in (408, 429):
        raise Unreachable(f"{response.status_code}: try later")
    raise Refused(response.status_code, code or "refused", message)


def _quarantined(details: object) -> tuple[tuple[int, str], ...]:
    """The (seq, op_id) pairs a revoked phone's push was received as (details.quarantined)."""
    items = details.get("quarantined") if isinstance(details, dict) else None
    if not isinstance(items, list):
        return ()
    return tuple(
        (item["seq"], item["op_id"])
        for item in items
        if isinstance(item, dict) and isinstance(item.get("seq"), int) and isinstance(item.get("op_id"), str)
    )


__all__ = ["HttpSyncApi", "ProtocolError", "TokenExpired", "read_answer"]
