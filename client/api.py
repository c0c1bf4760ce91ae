"""The phone's one API client for the calls outside the sync protocol: sign-in, sign-out and photo upload.

Every client here is built by `api_client`: the server's base URL, the rep's token when there is one, the
transport (injected in tests: `httpx.ASGITransport`, `httpx.MockTransport`), a timeout, and the TLS context
loaded once per process (`sync.http.tls_context`, which the sync's own client uses too). Trading a refresh
token for a new pair is `refresh_tokens`, on the same path as the sync's refresh (`sync.http.REFRESH_PATH`).
"""

from __future__ import annotations

import httpx

from sync.http import REFRESH_PATH, tls_context

LOGIN_TIMEOUT = httpx.Timeout(15.0, connect=5.0)  # sign-in and sign-out: the rep waits for the answer
UPLOAD_TIMEOUT = httpx.Timeout(30.0, connect=5.0)  # a photo's chunk over a slow link, after a sync

LOGIN_PATH = "/api/auth/login"
LOGOUT_PATH = "/api/auth/logout"

# What a call may raise when the server cannot be reached or its address is not one: ValueError covers a
# malformed URL and a body that is not JSON.
CALL_FAILED = (httpx.HTTPError, httpx.InvalidURL, ValueError)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api_client(
    server_url: str,
    *,
    token: str | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout = LOGIN_TIMEOUT,
) -> httpx.Client:
    """A client of the server at `server_url` (requests take paths), signed with `token` when given."""
    return httpx.Client(
        base_url=server_url.strip().rstrip("/"),
        headers=bearer(token) if token else None,
        transport=transport,
        timeout=timeout,
        verify=tls_context(),
    )


def refresh_tokens(http: httpx.Client, refresh_token: str) -> tuple[httpx.Response, tuple[str, str] | None]:
    """Trade `refresh_token` for a new (access, refresh) pair: the answer, and the pair when it came.

    The refresh token is used up by a successful answer: the caller keeps the pair durably before it uses it."""
    answer = http.post(REFRESH_PATH, json={"refresh_token": refresh_token})
    pair = answer.json() if answer.is_success else {}
    token, refresh = (pair.get("token"), pair.get("refresh_token")) if isinstance(pair, dict) else (None, None)
    if isinstance(token, str) and isinstance(refresh, str):
        return answer, (token, refresh)
    return answer, None
