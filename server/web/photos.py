"""Visit photos in the supervisor web view: a photo's thumbnail and the photo itself, for the pages' <img>.

Signed in by the web view's cookie; a supervisor of a territory sees that territory's photos only
(server.domains.photos.service.may_see), a company-wide supervisor or an admin every photo.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get

from server.dependencies import ReadSession, api_dependencies
from server.domains.guards import RecordIdPath
from server.domains.photos.service import photo_content
from server.web.pages import WebRequest, supervisors_only

# Photos never change once complete: the browser may keep them, but only for the signed-in user.
CACHE_CONTROL = "private, max-age=86400"


def _image(content: bytes, content_type: str) -> Response[Any]:
    return Response(content=content, media_type=content_type, headers={"Cache-Control": CACHE_CONTROL})


class PhotoPages(Controller):
    path = "/photos"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/{photo_id:str}", sync_to_thread=True)
    def photo(self, request: WebRequest, session: ReadSession, photo_id: RecordIdPath) -> Response[Any]:
        """The photo as the phone took it, with its own content type."""
        return _image(*photo_content(session, request.user, photo_id))

    @get("/{photo_id:str}/thumbnail", sync_to_thread=True)
    def thumbnail(self, request: WebRequest, session: ReadSession, photo_id: RecordIdPath) -> Response[Any]:
        """A small JPEG of the photo, without its EXIF (no GPS position)."""
        return _image(*photo_content(session, request.user, photo_id, thumbnail=True))
