"""POST /api/sync/push and /api/sync/pull: bodies parsed by sync.protocol, so errors name the exact path.

Both read the phone's measured clock offset (`RouteCRM-Clock-Offset`, sync/protocol.py) and keep it for /devices;
a value that is not whole seconds within ten years is logged and not kept, and the sync goes on: it says nothing
of the ops, and a phone must never stop syncing over it (its offline work waits in its outbox until it syncs).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, cast

import anyio.to_thread
from litestar import Controller, MediaType, Request, Response, post
from litestar.datastructures import State
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, RequestBody, Schema
from litestar.params import HeaderParameter
from litestar.security.jwt import Token
from msgspec.json import encode

from server.actor import Actor
from server.db import read_session
from server.dependencies import AppSettings, CurrentActor, DatabaseEngine, api_dependencies
from server.domains.devices.service import heard_clock, receiving_phone
from server.domains.ownership.service import claim_standing
from server.domains.routes.ordering import route_rules
from server.domains.sync import service
from server.domains.sync.quarantine import quarantine_push
from server.domains.visits.flags import visit_flag_rules
from server.errors import DomainError, TooLarge, ValidationFailed, error_responses
from shared.errors import ErrorCode
from sync.protocol import (
    CLOCK_OFFSET_HEADER,
    MAX_PUSH_BYTES,
    PULL_REQUEST_SCHEMA,
    PULL_RESPONSE_SCHEMA,
    PUSH_REQUEST_SCHEMA,
    PUSH_RESPONSE_SCHEMA,
    ProtocolError,
    parse_pull_request,
    parse_push_request,
    parse_schema_version,
)

MAX_PULL_BYTES = 4096
Parsed = TypeVar("Parsed")
ClockOffsetHeader = Annotated[
    str | None,
    HeaderParameter(
        name=CLOCK_OFFSET_HEADER,
        required=False,
        description=(
            "The phone's clock as its last pull measured it: the server's time minus the phone's, whole seconds "
            "(e.g. 11520: the phone is 3 h 12 min slow). Kept per phone for /devices; a value that is not whole "
            "seconds within ten years is ignored (the sync goes on)."
        ),
    ),
]


async def read_json(request: Request[Any, Any, Any], max_bytes: int) -> Any:
    try:
        raw = await request.body()
    except RequestEntityTooLarge:
        raise TooLarge(f"the body is larger than {max_bytes} bytes", path="body") from None
    if len(raw) > max_bytes:
        raise TooLarge(f"the body is larger than {max_bytes} bytes", path="body")
    try:
        return json.loads(raw)
    except RecursionError:  # e.g. [[[[...]]]] a million deep: refused, not a 500
        raise ValidationFailed(
            "the body is nested too deeply", path="body", code=ErrorCode.INVALID_REQUEST, status_code=400
        ) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationFailed(
            f"the body is not valid JSON: {error}", path="body", code=ErrorCode.INVALID_REQUEST, status_code=400
        ) from None


def protocol_failure(error: ProtocolError) -> Exception:
    if error.code == ErrorCode.TOO_LARGE:
        return TooLarge(error.problem, path=error.path)
    return ValidationFailed(error.problem, path=error.path, code=ErrorCode(error.code), status_code=400)


def check_version_early(body: Any) -> None:
    """An old app may send a shape this server no longer parses: answer 426 before the shape is checked."""
    if isinstance(body, dict):
        try:
            version = parse_schema_version(body)
        except ProtocolError:
            return
        service.check_schema_version(version)


async def read_request(request: Request[Any, Any, Any], max_bytes: int, parse: Callable[[Any], Parsed]) -> Parsed:
    """The body as a protocol message, or the error naming what is wrong with it (426 first for old apps)."""
    body = await read_json(request, max_bytes)
    check_version_early(body)
    try:
        return parse(body)
    except ProtocolError as error:
        raise protocol_failure(error) from None


def json_response(body: bytes) -> Response[bytes]:
    """The answer, encoded in the worker thread: a large page never holds up the event loop."""
    return Response(content=body, media_type=MediaType.JSON, status_code=200)


def documented(request_schema: dict[str, Any], response_schema: dict[str, Any]) -> type[Operation]:
    """The OpenAPI operation of a handler that parses its own body (sync.protocol): its body and answer schemas."""

    def json_content(schema: dict[str, Any]) -> dict[str, OpenAPIMediaType]:
        return {MediaType.JSON: OpenAPIMediaType(schema=cast("Schema", schema))}

    @dataclass
    class DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(content=json_content(request_schema), required=True)
            responses = dict(self.responses or {})
            responses["200"] = OpenAPIResponse(description="OK", content=json_content(response_schema))
            self.responses = responses

    return DocumentedOperation


class SyncController(Controller):
    path = "/api/sync"
    tags = ("sync",)
    dependencies = api_dependencies()

    @post(
        "/push",
        status_code=200,
        request_max_body_size=MAX_PUSH_BYTES,
        operation_class=documented(PUSH_REQUEST_SCHEMA, PUSH_RESPONSE_SCHEMA),
        responses=error_responses(400, 401, 403, 409, 413, 422, 426),
    )
    async def push(
        self,
        request: Request[Actor, Token, Any],
        state: State,
        actor: CurrentActor,
        engine: DatabaseEngine,
        settings: AppSettings,
        clock_offset: ClockOffsetHeader = None,
    ) -> Response[bytes]:
        """Apply a device's ops: all of them, or none and a 4xx naming the first problem (at most 500 ops, 2 MiB)."""
        push_request = await read_request(request, MAX_PUSH_BYTES, parse_push_request)
        sync_kinds = state.sync_kinds

        def received() -> bytes | DomainError:
            # Only the phone the sign-in is bound to (read with the token) may push: 403 for any other.
            phone, offset = receiving_phone(engine, actor, push_request.device_id, clock_offset)
            if phone.device_revoked:
                # A revoked phone: its ops are kept in quarantine (not applied), and the 403 names them all.
                return quarantine_push(engine, phone, push_request)
            answer = service.push(engine, settings, phone, push_request, sync_kinds, clock_offset_s=offset)
            return encode(answer.as_dict())

        outcome = await anyio.to_thread.run_sync(received)  # one trip to a worker thread
        if isinstance(outcome, DomainError):
            raise outcome
        return json_response(outcome)

    @post(
        "/pull",
        status_code=200,
        request_max_body_size=MAX_PULL_BYTES,
        operation_class=documented(PULL_REQUEST_SCHEMA, PULL_RESPONSE_SCHEMA),
        responses=error_responses(400, 401, 403, 410, 413, 426),
    )
    async def pull(
        self,
        request: Request[Actor, Token, Any],
        actor: CurrentActor,
        engine: DatabaseEngine,
        settings: AppSettings,
        clock_offset: ClockOffsetHeader = None,
    ) -> Response[bytes]:
        """Records changed after `cursor`, oldest change first; a rep gets their territory and own plans."""
        pull_request = await read_request(request, MAX_PULL_BYTES, parse_pull_request)

        def answer() -> bytes:
            # The phone the sign-in is bound to (a sign-in without one, e.g. a script's, has no clock to keep).
            heard_clock(engine, actor.device_id, clock_offset)
            with read_session(engine) as session:
                rules = route_rules(session, settings, actor.id, actor.territory).as_dict()
                claims = claim_standing(session, settings, actor)
            visits = visit_flag_rules(settings).as_dict()
            approvals = settings.approval_rules.for_phones()
            return service.pull_json(engine, actor, pull_request, settings.timezone, visits, rules, approvals, claims)

        body = await anyio.to_thread.run_sync(answer)  # one trip to a worker thread
        return json_response(body)
