"""A loopback proxy in front of the server that the test can slow down: a phone on a crawling link.

Everything passes through unchanged (bytes, status, headers; redirects are not followed) except that, between
`hold()` and `release()`, a request whose path starts with one of `slow_paths` is held (at most `max_hold_s`)
before it is forwarded. `held` counts the requests being held right now, so a test can act while one is in
flight, then release it without waiting out a fixed delay."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class SlowLink:
    def __init__(self, upstream: str, slow_paths: tuple[str, ...] = ("/api/sync/",)) -> None:
        self.upstream, self.slow_paths = upstream.rstrip("/"), slow_paths
        self.max_hold_s = 12.0  # below the sync's 15 s read limit: the link is slow, the request does not fail
        self._holding = False
        self._released = threading.Event()
        self.held = 0
        self.slowed = 0  # requests held since the start
        self._count = threading.Lock()
        self.url = ""

    def hold(self) -> None:
        self._released.clear()
        self._holding = True

    def release(self) -> None:
        self._holding = False
        self._released.set()

    def _hold(self, path: str) -> None:
        if not self._holding or not path.startswith(self.slow_paths):
            return
        with self._count:
            self.held += 1
            self.slowed += 1
        try:
            self._released.wait(self.max_hold_s)
        finally:
            with self._count:
                self.held -= 1

    @contextmanager
    def serving(self) -> Iterator[SlowLink]:
        link = self
        client = httpx.Client(base_url=self.upstream, timeout=120, follow_redirects=False)

        class Forward(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet: the server logs requests
                pass

            def _forward(self) -> None:
                link._hold(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
                request = client.build_request(self.command, self.path, headers=headers, content=body)
                response = client.send(request, stream=True)
                try:
                    content = b"".join(response.iter_raw())  # as sent: still gzipped if it was
                finally:
                    response.close()
                self.send_response(response.status_code)
                for name, value in response.headers.multi_items():
                    if name.lower() in HOP_BY_HOP:
                        continue
                    if name.lower() == "location":
                        value = value.replace(link.upstream, link.url)
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

        server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, name="slow-link", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            client.close()
