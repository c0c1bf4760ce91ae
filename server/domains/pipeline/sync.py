"""Opportunities and their stage events as phones push them (server/changes/kinds.py): an opportunity's
fields merge by their clocks; a stage event is append-only."""

from __future__ import annotations

from server.changes.kinds import Applying, KindHandler, put_edit
from server.domains.pipeline.models import Opportunity, StageEvent
from server.domains.pipeline.service import put_opportunity, put_stage_event


def put_event(applying: Applying) -> None:
    op = applying.op
    clock = applying.clock()  # None: after the events there
    put_stage_event(applying.session, applying.actor, op.record_id, op.fields, clock=clock, path=applying.path)


OPPORTUNITY = KindHandler(Opportunity, put=put_edit(put_opportunity))
STAGE_EVENT = KindHandler(StageEvent, put=put_event)
