"""The phone's one API client (client/api.py): sign-in, sign-out and photo upload build their clients in one
place, over the TLS context the sync loads once per process, with their timeouts; the refresh of an expired
token on sign-out is `refresh_tokens`."""

from __future__ import annotations

import json
import ssl

import httpx
import pytest

from client import api
from client.api import LOGIN_TIMEOUT, UPLOAD_TIMEOUT, api_client, refresh_tokens
from sync import http as sync_http
from sync.http import tls_context


def test_every_client_shares_the_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[ssl.SSLContext] = []
    real = httpx.create_ssl_context

    def counting(*args: object, **kwargs: object) -> ssl.SSLContext:
        loads.append(real())
        return loads[-1]

    monkeypatch.setattr(sync_http.httpx, "create_ssl_context", counting)
    tls_context.cache_clear()
    try:
        clients = [api_client("https://crm.example.test/") for _ in range(3)]
        clients.append(api_client("https://crm.example.test", token="t", timeout=UPLOAD_TIMEOUT))
        for client in clients:
            client.close()
        sync_http.HttpSyncApi("https://crm.example.test", "t").close()  # the sync's own client: the same context
        assert len(loads) == 1
    finally:
        tls_context.cache_clear()


def test_a_client_takes_paths_with_its_token_and_timeout() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with api_client(" https://crm.example.test/ ", token="abc", transport=httpx.MockTransport(answer)) as http:
        assert http.timeout == LOGIN_TIMEOUT
        http.post(api.LOGOUT_PATH)
    assert str(seen[0].url) == "https://crm.example.test/api/auth/logout"
    assert seen[0].headers["Authorization"] == "Bearer abc"
    with api_client("https://crm.example.test", transport=httpx.MockTransport(answer)) as http:
        http.get("/x")
    assert "Authorization" not in seen[1].headers


@pytest.mark.parametrize(
    ("status", "body", "pair"),
    [
        (200, {"token": "new", "refresh_token": "next"}, ("new", "next")),
        (200, {"token": "new"}, None),  # half a pair is no pair
        (401, {"error": {"code": "refresh_invalid"}}, None),
        (503, {}, None),
    ],
)
def test_refresh_tokens(status: int, body: dict[str, object], pair: tuple[str, str] | None) -> None:
    asked: list[dict[str, object]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == sync_http.REFRESH_PATH  # the sync's refresh path
        asked.append(json.loads(request.content))
        return httpx.Response(status, json=body)

    with api_client("https://crm.example.test", transport=httpx.MockTransport(answer)) as http:
        answered, got = refresh_tokens(http, "old")
    assert asked == [{"refresh_token": "old"}] and answered.status_code == status and got == pair
