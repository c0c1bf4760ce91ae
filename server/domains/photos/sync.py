"""Visit photos' records as phones push them (server/domains/sync/kinds.py): append-only; the bytes are
uploaded apart (server/domains/photos/service.py)."""

from __future__ import annotations

from server.domains.photos.models import VisitPhoto
from server.domains.photos.service import put_visit_photo
from server.domains.sync.kinds import KindHandler, put_fields

VISIT_PHOTO = KindHandler(VisitPhoto, put=put_fields(put_visit_photo))
