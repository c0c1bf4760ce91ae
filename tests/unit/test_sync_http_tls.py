"""The phone makes an HTTP client per sync; the CA certificates behind it are loaded once per process."""

from __future__ import annotations

import ssl

import httpx
import pytest

from sync import http as sync_http
from sync.http import HttpSyncApi, tls_context


def test_clients_share_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[ssl.SSLContext] = []
    real = httpx.create_ssl_context

    def counting(*args: object, **kwargs: object) -> ssl.SSLContext:
        loads.append(real())
        return loads[-1]

    monkeypatch.setattr(sync_http.httpx, "create_ssl_context", counting)
    tls_context.cache_clear()
    try:
        apis = [HttpSyncApi("https://crm.example.test", "token") for _ in range(5)]
        for api in apis:
            api.close()
        assert len(loads) == 1 and tls_context() is loads[0]
    finally:
        tls_context.cache_clear()


def test_the_shared_context_verifies_servers() -> None:
    context = tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0  # certifi's certificates (or SSL_CERT_FILE's)
