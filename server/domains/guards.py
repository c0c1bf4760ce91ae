"""What the JSON API's endpoints share: the supervisors' guard and the bounds of path and query values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import PathParameter, QueryParameter

from server.actor import Actor
from server.errors import Forbidden, ValidationFailed
from shared.enums import Role
from shared.errors import ErrorCode

# PostgreSQL text cannot hold NUL: a value with one is refused (400) before it reaches the database.
NO_NUL = r"^[^\x00]*$"
RecordIdPath = Annotated[str, PathParameter(max_length=36, pattern=NO_NUL)]
# A record id to filter by: the UUID text every id is (shared/ids.py); anything else is a 400, not an empty list.
RECORD_ID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
RecordIdQuery = Annotated[str | None, QueryParameter(min_length=36, max_length=36, pattern=RECORD_ID)]


def supervisors(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if not isinstance(user, Actor) or user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("only supervisors may do this")


def known_query(*names: str) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard refusing query parameters the endpoint does not take (400), as unknown body fields are."""
    allowed = frozenset(names)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        unknown = sorted(set(connection.query_params) - allowed)
        if unknown:
            raise ValidationFailed(
                f"unknown query parameter {unknown[0]!r}"
                + (f" (known: {', '.join(sorted(allowed))})" if allowed else ""),
                path="query",
                code=ErrorCode.INVALID_REQUEST,
                status_code=400,
            )
        # Every parameter these endpoints take is one value: a repeated one is a mistake, not a list.
        repeated = sorted(name for name in allowed if len(connection.query_params.getall(name, [])) > 1)
        if repeated:
            raise ValidationFailed(
                f"query parameter {repeated[0]!r} given more than once",
                path=f"query.{repeated[0]}",
                code=ErrorCode.INVALID_REQUEST,
                status_code=400,
            )

    return guard
