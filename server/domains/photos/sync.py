"""Visit photos' records as phones push them (server/changes/kinds.py): append-only; the bytes are
uploaded apart (server/domains/photos/service.py). The company's flag rules go along: a photo can flag its
visit (docs/photos.md)."""

from __future__ import annotations

from server.changes.kinds import Applying, KindHandler
from server.domains.photos.models import VisitPhoto
from server.domains.photos.service import put_visit_photo
from server.domains.visits.flags import visit_flag_rules


def put(applying: Applying) -> None:
    op, settings = applying.op, applying.settings
    put_visit_photo(
        applying.session,
        applying.actor,
        op.record_id,
        op.fields,
        path=applying.path,
        flag_rules=visit_flag_rules(settings),
        tz=settings.tz,
    )


VISIT_PHOTO = KindHandler(VisitPhoto, put=put)
