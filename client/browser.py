"""The app in a browser (the PWA at /app/, Pyodide in a web worker; docs/pwa.md): the seams that differ there.

Everything here is used only when `IN_BROWSER`; elsewhere (a phone build, browser mode, the tests) the app takes
its usual paths. The `js` and `pyodide` modules exist only inside Pyodide: they are imported in the functions.

- `FetchTransport`: httpx's transport over the browser's `fetch`, awaited with `pyodide.ffi.run_sync` (there are
  no sockets). While a request is in flight the Python stack that made it is suspended and the worker keeps
  answering the UI (taps, renders): a sync over a slow link no longer freezes the screen. Where `run_sync` is
  not available it falls back to `XhrTransport` (synchronous XMLHttpRequest, which blocks the worker). A request
  that cannot reach the server raises `httpx.ConnectError`, as offline on a phone.
- `start_background`: a coroutine on the page's event loop, since threads cannot start in Pyodide.
- `open_durable_folder` / `flush_durable_folder`: the store's folder on IndexedDB (Emscripten's IDBFS). Files
  there live in memory and reach IndexedDB only when flushed; `client.storage.files` flushes after each commit
  and each atomic write (`files.set_durability_hook`), so what the app showed as saved was flushed first.
- `await_promise`: a JS promise's value from synchronous code (`run_sync`), or `CannotWait`; the photo stamp's
  canvas (client/features/photos/canvas_stamp.py) waits with it.
- `page_origin`: the server the app came from (the sync API is on the same origin: /api/).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import httpx

logger = logging.getLogger(__name__)

IN_BROWSER = sys.platform == "emscripten"
DURABLE_FOLDER = Path("/routecrm")  # mounted on IndexedDB: the store, the key file, photos
_background: set[asyncio.Task[Any]] = set()  # strong references: a task nobody holds may be collected


def page_origin() -> str:
    """`https://crm.example.com`: where the app was loaded from (the worker's own location)."""
    import js

    return str(js.location.origin)


def start_background(work: Coroutine[Any, Any, None], name: str) -> None:
    """Run `work` on the event loop (the browser's stand-in for a daemon thread)."""
    task = asyncio.get_event_loop().create_task(work, name=name)
    _background.add(task)
    task.add_done_callback(_background.discard)


class CannotWait(RuntimeError):
    """This Python stack cannot be suspended (not entered through the event loop or a promise)."""


def yield_to_other_stacks(seconds: float = 0.005) -> None:
    """Suspend this stack for a moment and let the worker run the others (Pyodide's stack switching)."""
    from pyodide.ffi import can_run_sync, run_sync

    if not can_run_sync():
        raise CannotWait("another commit is under way and this stack cannot wait for it")
    run_sync(asyncio.sleep(seconds))


def await_promise(promise: Any) -> Any:
    """The promise's value, this stack suspended meanwhile (the worker goes on); CannotWait where it cannot be."""
    from pyodide.ffi import can_run_sync, run_sync

    if not can_run_sync():
        raise CannotWait("this stack cannot wait for the browser")
    return run_sync(promise)


def _await(promise: Any) -> Any:
    from pyodide.ffi import run_sync

    return run_sync(promise)


def _syncfs(populate: bool) -> None:
    """Emscripten's FS.syncfs as a promise, awaited: populate=True reads IndexedDB into memory, False writes."""
    import js
    from pyodide.ffi import create_once_callable
    from pyodide_js import FS

    def executor(resolve: Any, reject: Any) -> None:
        FS.syncfs(populate, create_once_callable(lambda error: reject(error) if error else resolve(None)))

    _await(js.Promise.new(executor))


def open_durable_folder(folder: Path = DURABLE_FOLDER) -> Path:
    """Mount `folder` on IndexedDB and load what was kept there; ask the browser to keep it (persistent)."""
    from pyodide_js import FS

    FS.mkdirTree(str(folder))
    FS.mount(FS.filesystems.IDBFS, {}, str(folder))
    _syncfs(True)
    try:
        import js

        if hasattr(js.navigator, "storage") and hasattr(js.navigator.storage, "persist"):
            _await(js.navigator.storage.persist())  # not evicted under storage pressure (when the browser agrees)
    except Exception:
        logger.warning("persistent storage not granted", exc_info=True)
    return folder


def flush_durable_folder(_folder: Path) -> None:
    """Write the in-memory files to IndexedDB now (all of the mount: IDBFS has no per-file flush)."""
    _syncfs(False)


_BROWSER_SETS = {"host", "content-length", "accept-encoding", "connection", "user-agent"}  # and refuses to be told
_DECODED = {"content-encoding", "content-length", "transfer-encoding"}  # the browser has already un-gzipped the body


class XhrTransport(httpx.BaseTransport):
    """httpx requests as synchronous XMLHttpRequests (allowed in a worker). Bytes in, bytes out."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        import js
        from pyodide.ffi import to_js

        xhr = js.XMLHttpRequest.new()
        xhr.open(request.method, str(request.url), False)
        xhr.responseType = "arraybuffer"
        for name, value in request.headers.multi_items():
            # The browser sets these itself (and refuses to be told): Host, Content-Length, Accept-Encoding...
            if name.lower() not in _BROWSER_SETS:
                xhr.setRequestHeader(name, value)
        body = request.read()
        try:
            xhr.send(to_js(body) if body else None)
        except Exception as error:  # NetworkError: offline, refused, DNS
            raise httpx.ConnectError(f"cannot reach {request.url.host}: {error}", request=request) from None
        if xhr.status == 0:
            raise httpx.ConnectError(f"cannot reach {request.url.host}", request=request)
        headers = []
        for line in str(xhr.getAllResponseHeaders()).strip().split("\r\n"):
            name, _, value = line.partition(":")
            # The browser has already decoded a gzipped answer: its Content-Encoding no longer applies.
            if name and name.lower() not in _DECODED:
                headers.append((name.strip(), value.strip()))
        content = bytes(js.Uint8Array.new(xhr.response).to_py()) if xhr.response else b""
        return httpx.Response(xhr.status, headers=headers, content=content, request=request)


class FetchTransport(httpx.BaseTransport):
    """httpx requests over `fetch`, awaited with `run_sync`: the request's caller waits, the worker does not.

    The event loop goes on while the caller's stack is suspended (Pyodide's stack switching keeps each stack's
    running asyncio task apart), so the sync runner's requests no longer block the app's handlers. Only a stack
    entered through the event loop or a JS promise can be suspended; elsewhere (`can_run_sync()` false) the
    request goes over synchronous XHR as before."""

    def __init__(self) -> None:
        self._blocking = XhrTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        import js
        from pyodide.ffi import can_run_sync, run_sync, to_js

        if not can_run_sync():
            return self._blocking.handle_request(request)
        headers = js.Headers.new()
        for name, value in request.headers.multi_items():
            if name.lower() not in _BROWSER_SETS:
                headers.append(name, value)
        body = request.read()
        options: dict[str, Any] = {"method": request.method, "headers": headers, "cache": "no-store"}
        if body:
            options["body"] = to_js(body)
        timeout = request.extensions.get("timeout", {})
        limit = max((s for s in (timeout.get("connect"), timeout.get("read")) if s), default=None)
        if limit:
            options["signal"] = js.AbortSignal.timeout(int(limit * 1000))
        init = to_js(options, dict_converter=js.Object.fromEntries)
        try:
            answer = run_sync(js.fetch(str(request.url), init))
            content = bytes(run_sync(answer.arrayBuffer()).to_bytes())
        except Exception as error:  # TypeError "Failed to fetch" (offline, refused); TimeoutError (the signal)
            if "TimeoutError" in str(error) or "AbortError" in str(error):
                raise httpx.ReadTimeout(f"{request.url.host} did not answer in time", request=request) from None
            raise httpx.ConnectError(f"cannot reach {request.url.host}: {error}", request=request) from None
        pairs = [(str(pair[0]), str(pair[1])) for pair in answer.headers.entries()]
        kept = [(name, value) for name, value in pairs if name.lower() not in _DECODED]
        return httpx.Response(int(answer.status), headers=kept, content=content, request=request)
