"""Work reports (日报 / 周报) as phones push them (server/changes/kinds.py)."""

from __future__ import annotations

from server.changes.kinds import Applying, KindHandler
from server.clock import today, utc_now
from server.domains.work_reports.models import WorkReport
from server.domains.work_reports.service import publish_leaderboards, put_work_report


def put(applying: Applying) -> None:
    op = applying.op
    report = put_work_report(
        applying.session,
        applying.actor,
        op.record_id,
        op.fields,
        today=today(applying.settings.tz),
        path=applying.path,
    )
    if applying.settings.leaderboard_on_phone:  # a report closes a day: the team's rankings go out with it
        publish_leaderboards(applying.session, report.territory, applying.settings.tz, utc_now())


WORK_REPORT = KindHandler(WorkReport, put=put)
