"""/api/photos: the resumable upload of a visit photo's bytes (the phone, Bearer token).

GET  /api/photos/{photo_id}/upload          how many bytes the server holds (`received`), and whether complete
PUT  /api/photos/{photo_id}/chunks/{start}  one chunk (application/octet-stream) starting at byte `start`

The photo's record (kind visit_photo) must have been pushed first. See docs/sync-protocol.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, cast

import anyio.to_thread
from litestar import Controller, Request, get, put
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.params import PathParameter
from litestar.security.jwt import Token

from server.actor import Actor
from server.dependencies import CurrentActor, DatabaseEngine, ReadSession, api_dependencies
from server.domains.guards import RecordIdPath, known_query
from server.domains.photos import service
from server.errors import TooLarge, error_responses
from shared.photos import CHUNK_BYTES, MAX_PHOTO_BYTES

# A chunk may be larger than the phone's (CHUNK_BYTES), up to the app's body limit (server.app.MAX_BODY_BYTES).
MAX_CHUNK_BYTES = 256 * 1024
assert CHUNK_BYTES <= MAX_CHUNK_BYTES
ChunkStart = Annotated[int, PathParameter(ge=0, le=MAX_PHOTO_BYTES)]


@dataclass
class UploadStatusBody:
    """How far the upload of a photo has come: `received` of `size` bytes are on the server."""

    photo_id: str
    size: int
    received: int
    complete: bool

    @classmethod
    def of(cls, status: service.UploadStatus) -> UploadStatusBody:
        return cls(status.photo_id, status.size, status.received, status.complete)


@dataclass
class ChunkOperation(Operation):
    """The chunk's body in the OpenAPI schema: raw bytes (the handler reads the body itself)."""

    def __post_init__(self) -> None:
        schema = cast("Schema", {"type": "string", "format": "binary", "minLength": 1, "maxLength": MAX_CHUNK_BYTES})
        self.request_body = RequestBody(
            content={"application/octet-stream": OpenAPIMediaType(schema=schema)}, required=True
        )


class PhotoController(Controller):
    path = "/api/photos"
    tags = ("photos",)
    dependencies = api_dependencies()

    @get(
        "/{photo_id:str}/upload",
        sync_to_thread=True,
        guards=[known_query()],
        responses=error_responses(400, 401, 403, 404),
    )
    def upload_status(self, actor: CurrentActor, session: ReadSession, photo_id: RecordIdPath) -> UploadStatusBody:
        """How many bytes of the photo the server holds: the phone sends the rest from there."""
        return UploadStatusBody.of(service.upload_status(session, actor, photo_id))

    @put(
        "/{photo_id:str}/chunks/{start:int}",
        status_code=200,
        request_max_body_size=MAX_CHUNK_BYTES,
        operation_class=ChunkOperation,
        guards=[known_query()],
        responses=error_responses(400, 401, 403, 404, 409, 413, 422),
    )
    async def put_chunk(
        self,
        request: Request[Actor, Token, Any],
        actor: CurrentActor,
        engine: DatabaseEngine,
        photo_id: RecordIdPath,
        start: ChunkStart,
    ) -> UploadStatusBody:
        """Store the bytes starting at `start`; sending a chunk again is harmless. The last chunk completes
        the photo when the bytes match its SHA-256 (else 422 and the upload starts again from 0)."""
        try:
            data = await request.body()
        except RequestEntityTooLarge:
            raise TooLarge(f"a chunk is at most {MAX_CHUNK_BYTES} bytes", path="body") from None
        status = await anyio.to_thread.run_sync(service.receive_chunk, engine, actor, photo_id, start, data)
        return UploadStatusBody.of(status)
