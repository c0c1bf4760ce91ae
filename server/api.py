"""What every controller of the JSON API that takes a body shares: one request class decoding it.

Litestar decodes a `JSONBody` parameter through `Request.json`, where msgspec raises RecursionError on a body
nested thousands deep (`[[[[...`): a 500. And Litestar converts a body to its type leniently (0 for false):
the body is first checked against its type strictly. The push and pull read their bodies themselves
(server/domains/sync/controller.py) and answer 400 the same way. tests/integration/test_api_fuzz.py checks
that every handler with a body uses this class.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Controller, Request

from server.errors import ValidationFailed
from shared.errors import ErrorCode

NESTED_TOO_DEEPLY = "the body is nested too deeply"


_WHERE = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")


class ApiRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        try:
            body = await super().json()
        except RecursionError:
            raise ValidationFailed(
                NESTED_TOO_DEEPLY, path="body", code=ErrorCode.INVALID_REQUEST, status_code=400
            ) from None
        self._check_strictly(body)
        return body

    def _check_strictly(self, body: Any) -> None:
        """The body against its handler's type, strictly: Litestar converts leniently (0 to false, "1.5" to
        1.5, 1.0 to 1), so a body the schema refuses would be taken; the push checks its body as strictly."""
        data = getattr(self.route_handler, "parsed_data_field", None)
        if data is None or body is None:
            return
        try:
            msgspec.convert(body, type=data.annotation, strict=True)
        except msgspec.ValidationError as error:
            message = str(error)
            where = _WHERE.search(message)
            raise ValidationFailed(
                message[: where.start()] if where else message,
                path=(where.group("path") or "body") if where else "body",
                code=ErrorCode.INVALID_REQUEST,
                status_code=400,
            ) from None


class ApiController(Controller):
    """A controller of the JSON API: its bodies are decoded by ApiRequest."""

    request_class = ApiRequest
