"""Visits as phones push them (server/changes/kinds.py): a new visit waits as a row, inserted with the
push's other new visits in one statement (`push_visit`)."""

from __future__ import annotations

from server.changes.kinds import Applying, KindHandler
from server.domains.visits.models import Visit
from server.domains.visits.service import VisitWriting, push_visit, visit_flag_rules


def put(applying: Applying) -> None:
    op, settings = applying.op, applying.settings
    writing = VisitWriting(
        tz=settings.tz,
        rules=visit_flag_rules(settings),
        device_id=op.device_id,
        made_at=op.made_at,  # when the phone saved it: told apart from when it reached the server
        clock_set_back=applying.clock_set_back,
    )
    push_visit(applying.session, applying.actor, op.record_id, op.fields, writing, path=applying.path)


VISIT = KindHandler(Visit, put=put)
