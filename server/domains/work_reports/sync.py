"""Work reports (日报 / 周报) as phones push them (server/domains/sync/kinds.py)."""

from __future__ import annotations

from server.clock import today
from server.domains.sync.kinds import Applying, KindHandler
from server.domains.work_reports.models import WorkReport
from server.domains.work_reports.service import put_work_report


def put(applying: Applying) -> None:
    op = applying.op
    put_work_report(
        applying.session,
        applying.actor,
        op.record_id,
        op.fields,
        today=today(applying.settings.tz),
        path=applying.path,
    )


WORK_REPORT = KindHandler(WorkReport, put=put)
