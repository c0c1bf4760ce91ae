"""Domain errors raised by services, and the one handler that turns any error into an HTTP answer.

API answers are JSON: {"error": {"code": <shared.errors.ErrorCode>, "message": ..., "path": ..., "details": ...}}.
Web pages get an HTML error page, or a redirect to /login when the visitor is not signed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from shared.errors import ErrorCode


class DomainError(Exception):
    status_code = 400
    code = ErrorCode.INVALID_REQUEST

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        details: Any = None,
        code: ErrorCode | None = None,
        status_code: int | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.message = message
        self.path = path
        self.details = details
        self.key = key  # shared/i18n key of the message: a web page shows it in the page's language
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code


class NotFound(DomainError):
    status_code = 404
    code = ErrorCode.NOT_FOUND


class Conflict(DomainError):
    status_code = 409
    code = ErrorCode.CONFLICT


class Forbidden(DomainError):
    status_code = 403
    code = ErrorCode.FORBIDDEN


class ValidationFailed(DomainError):
    """A request or record breaks a rule: 422 invalid_record by default, 400 invalid_request for malformed input."""

    status_code = 422
    code = ErrorCode.INVALID_RECORD


class Unauthorized(DomainError):
    status_code = 401
    code = ErrorCode.UNAUTHORIZED


class TooLarge(DomainError):
    status_code = 413
    code = ErrorCode.TOO_LARGE


class TooManyAttempts(DomainError):
    status_code = 429
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.headers = {"Retry-After": str(retry_after)}


class ResyncRequired(DomainError):
    status_code = 410
    code = ErrorCode.RESYNC_REQUIRED


class ClientTooOld(DomainError):
    status_code = 426
    code = ErrorCode.CLIENT_TOO_OLD


_CODE_OF_STATUS = {
    400: ErrorCode.INVALID_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.TOO_LARGE,
    429: ErrorCode.RATE_LIMITED,
}

API_PREFIXES = ("/api", "/health", "/schema")


@dataclass
class ErrorDetail:
    """What went wrong: a stable `code` (shared.errors.ErrorCode), a message, where (`path`), and any details."""

    code: str
    message: str
    path: str | None = None
    details: Any = None


@dataclass
class ErrorBody:
    """Every API error answer (documented in the OpenAPI schema under each status an endpoint can answer)."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The OpenAPI declarations of the error answers an endpoint gives, all in our error format."""
    return {
        status: ResponseSpec(data_container=ErrorBody, description=HTTPStatus(status).phrase, generate_examples=False)
        for status in statuses
    }


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def error_body(code: str, message: str, path: str | None = None, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if path is not None:
        error["path"] = path
    if details is not None:
        error["details"] = details
    return {"error": error}


# The error page of a web request: (request, status, code, message, i18n key of the message or None) -> response.
# The web layer gives it (server/web/pages.py `error_page`), so this module needs nothing above it.
ErrorPage = Callable[[Request[Any, Any, Any], int, str, str, str | None], Response[Any]]


def error_handler(error_page: ErrorPage) -> Callable[[Request[Any, Any, Any], Exception], Response[Any]]:
    """The one exception handler (registered for DomainError and Litestar's HTTPException)."""

    def handle_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if isinstance(exc, DomainError):
            status, code, message = exc.status_code, str(exc.code), exc.message
            path, details = exc.path, exc.details
        elif isinstance(exc, HTTPException):
            status = exc.status_code
            code = str(_CODE_OF_STATUS.get(status, ErrorCode.INVALID_REQUEST))
            message, path = exc.detail, None
            details = exc.extra if exc.extra else None
        else:  # pragma: no cover - only the two types above are registered
            status, code, message, path, details = HTTP_500_INTERNAL_SERVER_ERROR, "internal", str(exc), None, None
        headers = getattr(exc, "headers", None) or {}
        if is_api_path(request.url.path):
            return Response(
                error_body(code, message, path, details), status_code=status, media_type=MediaType.JSON, headers=headers
            )
        if status == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return Redirect(f"/login?next={quote(target, safe='')}")
        return error_page(request, status, code, message, exc.key if isinstance(exc, DomainError) else None)

    return handle_error
