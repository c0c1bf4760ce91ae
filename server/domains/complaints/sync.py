"""Complaints and their steps as phones push them (server/changes/kinds.py): a complaint's fields merge
by their clocks; a step is append-only."""

from __future__ import annotations

from server.changes.kinds import Applying, KindHandler
from server.clock import today
from server.domains.complaints.models import Complaint, ComplaintStep
from server.domains.complaints.service import put_complaint, put_complaint_step


def put(applying: Applying) -> None:
    op = applying.op
    day = today(applying.settings.tz)
    put_complaint(
        applying.session, applying.actor, op.record_id, op.fields, today=day, path=applying.path, edit=applying.edit()
    )


def put_step(applying: Applying) -> None:
    op = applying.op
    clock = applying.clock()  # None: the server's clock
    put_complaint_step(
        applying.session,
        applying.actor,
        op.record_id,
        op.fields,
        today=today(applying.settings.tz),
        clock=clock,
        path=applying.path,
    )


COMPLAINT = KindHandler(Complaint, put=put)
COMPLAINT_STEP = KindHandler(ComplaintStep, put=put_step)
