"""What every controller of the JSON API that takes a body shares: one request class decoding it.

Litestar decodes a `JSONBody` parameter through `Request.json`, where msgspec raises RecursionError on a body
nested thousands deep (`[[[[...`): a 500. The push and pull read their bodies themselves
(server/domains/sync/controller.py) and answer 400 the same way. tests/integration/test_api_fuzz.py checks
that every handler with a body uses this class.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request

from server.errors import ValidationFailed
from shared.errors import ErrorCode

NESTED_TOO_DEEPLY = "the body is nested too deeply"


class ApiRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise ValidationFailed(
                NESTED_TOO_DEEPLY, path="body", code=ErrorCode.INVALID_REQUEST, status_code=400
            ) from None


class ApiController(Controller):
    """A controller of the JSON API: its bodies are decoded by ApiRequest."""

    request_class = ApiRequest
