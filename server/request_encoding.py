"""Gzipped request bodies for the sync API (issue #20): a phone on a village link sends its pushes compressed.

A plain ASGI middleware. On `/api/sync/push` and `/api/sync/pull`, a body sent with `Content-Encoding: gzip`
is decompressed before anything reads it (at most `MAX_DECODED_BYTES`: more is 413 `too_large`, whatever the
compressed size; a body that is not gzip is 400 `invalid_request`), and the handler sees the plain JSON body
with its real length, so its own size limit applies as to any body. Any other encoding there is 415 with
`Accept-Encoding: gzip`. Every answer of those two paths says `Accept-Encoding: gzip` (RFC 7694): a phone
compresses only for a server that said so, so an older server never receives a body it cannot read. Plain
bodies are read as before; other paths are not touched.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from shared.errors import ErrorCode
from sync.protocol import MAX_PUSH_BYTES

GZIP_PATHS = frozenset({"/api/sync/push", "/api/sync/pull"})
# The largest body a handler of those paths takes, plus one byte so that it is still refused by its own check.
MAX_DECODED_BYTES = MAX_PUSH_BYTES + 1
ACCEPT_ENCODING = (b"accept-encoding", b"gzip")


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def gzip_requests(app: ASGIApp) -> ASGIApp:
    """The middleware factory Litestar takes in `middleware=[...]`."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in GZIP_PATHS:
            await app(scope, receive, send)
            return

        async def advertising_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), ACCEPT_ENCODING]
            await send(message)

        headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
        encoding = b",".join(value for name, value in headers if name.lower() == b"content-encoding").strip().lower()
        if encoding in (b"", b"identity"):
            await app(scope, receive, advertising_send)
            return
        if encoding != b"gzip":
            await _answer(advertising_send, 415, ErrorCode.INVALID_REQUEST, "bodies are read plain or gzip-encoded")
            return
        compressed = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            part = message.get("body", b"")
            compressed += part if isinstance(part, bytes) else b""
            if len(compressed) > MAX_DECODED_BYTES:
                await _answer(advertising_send, 413, ErrorCode.TOO_LARGE, "the body is too large")
                return
            if not message.get("more_body", False):
                break
        try:
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip only
            body = inflater.decompress(bytes(compressed), MAX_DECODED_BYTES + 1)
            if len(body) > MAX_DECODED_BYTES or inflater.unconsumed_tail:
                await _answer(advertising_send, 413, ErrorCode.TOO_LARGE, "the decompressed body is too large")
                return
            if not inflater.eof or inflater.unused_data:
                raise zlib.error("truncated or trailing data")
        except zlib.error:
            await _answer(advertising_send, 400, ErrorCode.INVALID_REQUEST, "the body is not valid gzip")
            return
        plain = [
            (name, value) for name, value in headers if name.lower() not in (b"content-encoding", b"content-length")
        ]
        plain.append((b"content-length", str(len(body)).encode()))
        delivered = False

        async def plain_receive() -> ReceiveMessage:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await app({**scope, "headers": plain}, plain_receive, advertising_send)  # type: ignore[arg-type]

    return middleware


async def _answer(send: Any, status: int, code: str, message: str) -> None:
    body = _error(str(code), message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
