"""考勤 punches as phones push them (server/changes/kinds.py): append-only."""

from __future__ import annotations

from server.changes.kinds import Applying, KindHandler
from server.domains.attendance.models import AttendancePunch
from server.domains.attendance.service import put_punch


def put(applying: Applying) -> None:
    op = applying.op
    put_punch(applying.session, applying.actor, op.record_id, op.fields, tz=applying.settings.tz, path=applying.path)


ATTENDANCE = KindHandler(AttendancePunch, put=put)
