"""The PWA's HTTP transport (client/browser.py `FetchTransport`) against stand-ins for the browser's `fetch` and
Pyodide's `run_sync`: what it sends, what it returns, how a failure reads, and that it falls back to the blocking
XHR where a stack cannot be suspended. That the screen answers while a request is in flight is shown in a real
browser (tests/e2e/test_pwa.py, the slow link)."""

from __future__ import annotations

import sys
from types import ModuleType, SimpleNamespace
from typing import Any

import httpx
import pytest

from client import browser


class FakeHeaders:
    def __init__(self, pairs: list[tuple[str, str]] | None = None) -> None:
        self.pairs = list(pairs or [])

    def append(self, name: str, value: str) -> None:
        self.pairs.append((name, value))

    def entries(self) -> list[list[str]]:
        return [[name, value] for name, value in self.pairs]


class FakeBuffer:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def to_bytes(self) -> bytes:
        return self.data


class Browser:
    """`js` and `pyodide.ffi` as far as the transport uses them; `answer` is what fetch resolves to (or raises)."""

    def __init__(self, answer: Any, can_run_sync: bool = True) -> None:
        self.answer, self.suspendable = answer, can_run_sync
        self.fetched: list[tuple[str, dict[str, Any]]] = []
        self.js = ModuleType("js")
        self.js.Headers = SimpleNamespace(new=FakeHeaders)  # type: ignore[attr-defined]
        self.js.AbortSignal = SimpleNamespace(timeout=lambda ms: f"abort after {ms} ms")  # type: ignore[attr-defined]
        self.js.Object = SimpleNamespace(fromEntries=dict)  # type: ignore[attr-defined]
        self.js.fetch = self.fetch  # type: ignore[attr-defined]
        self.ffi = ModuleType("pyodide.ffi")
        self.ffi.can_run_sync = lambda: self.suspendable  # type: ignore[attr-defined]
        self.ffi.run_sync = self.run_sync  # type: ignore[attr-defined]
        self.ffi.to_js = lambda value, dict_converter=None: value  # type: ignore[attr-defined]

    def fetch(self, url: str, init: dict[str, Any]) -> str:
        self.fetched.append((url, init))
        return "fetch-promise"

    def run_sync(self, promise: Any) -> Any:
        if promise == "fetch-promise":
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer
        return promise  # arrayBuffer()'s promise: the buffer itself here


@pytest.fixture
def in_browser(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(answer: Any, can_run_sync: bool = True) -> Browser:
        fake = Browser(answer, can_run_sync)
        monkeypatch.setitem(sys.modules, "js", fake.js)
        monkeypatch.setitem(sys.modules, "pyodide", ModuleType("pyodide"))
        monkeypatch.setitem(sys.modules, "pyodide.ffi", fake.ffi)
        return fake

    return install


def answer(status: int, body: bytes, headers: list[tuple[str, str]]) -> SimpleNamespace:
    return SimpleNamespace(status=status, headers=FakeHeaders(headers), arrayBuffer=lambda: FakeBuffer(body))


def test_a_request_goes_over_fetch_and_its_answer_comes_back(in_browser: Any) -> None:
    fake = in_browser(answer(200, b'{"ok":true}', [("content-type", "application/json"), ("content-encoding", "gzip")]))
    with httpx.Client(transport=browser.FetchTransport(), timeout=httpx.Timeout(15.0, connect=5.0)) as client:
        response = client.post("https://crm.example.com/api/sync/push", json={"ops": []}, headers={"X-Device": "d1"})
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert "content-encoding" not in response.headers  # the browser had already decoded the body
    ((url, init),) = fake.fetched
    assert url == "https://crm.example.com/api/sync/push" and init["method"] == "POST"
    assert init["body"] == b'{"ops":[]}' and init["cache"] == "no-store"
    assert init["signal"] == "abort after 15000 ms"  # the longer of httpx's connect and read limits
    sent = dict(init["headers"].pairs)
    assert sent["x-device"] == "d1" and sent["content-type"] == "application/json"
    assert not {"host", "content-length", "accept-encoding", "connection", "user-agent"} & set(sent)


def test_an_unreachable_server_is_a_connect_error_and_a_slow_one_a_timeout(in_browser: Any) -> None:
    in_browser(RuntimeError("TypeError: Failed to fetch"))
    with pytest.raises(httpx.ConnectError), httpx.Client(transport=browser.FetchTransport()) as client:
        client.get("https://crm.example.com/api/auth/me")
    in_browser(RuntimeError("TimeoutError: signal timed out"))
    with pytest.raises(httpx.ReadTimeout), httpx.Client(transport=browser.FetchTransport()) as client:
        client.get("https://crm.example.com/api/auth/me")


def test_where_a_stack_cannot_be_suspended_it_falls_back_to_xhr(
    in_browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = in_browser(answer(200, b"", []), can_run_sync=False)
    monkeypatch.setattr(
        browser.XhrTransport, "handle_request", lambda self, request: httpx.Response(204, request=request)
    )
    with httpx.Client(transport=browser.FetchTransport()) as client:
        assert client.get("https://crm.example.com/api/auth/me").status_code == 204
    assert fake.fetched == []
