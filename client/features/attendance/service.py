"""考勤 on the phone, offline: 上班打卡 / 下班打卡 from Today. Each tap is a new `attendance` record (a punch) with
the phone's clock in the company's zone and, when the device gives one, its position (as a visit's check-in
does: client.location.locate); it is saved with its op in one durable journal line before the app says
"已保存", and synced later. Today shows the day read from the punches on this phone with the company's working
hours it received (shared/attendance.py), so it is right offline, and the same on a second phone once synced."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from client import clock
from client.location import Location, valid_location
from client.services import AppService, iso
from shared.attendance import AttendanceDay, attendance_day
from shared.enums import AttendanceAction, RecordKind
from shared.ids import new_id


@dataclass(frozen=True)
class TodayAttendance:
    """What Today's attendance row shows."""

    day: AttendanceDay
    waiting: bool  # a punch of today not yet synced

    @property
    def next_action(self) -> AttendanceAction:
        """The button's: start until the day is started, then end (again: the last end counts)."""
        return AttendanceAction.START if self.day.started_at is None else AttendanceAction.END


def _rep_id(service: AppService) -> str:
    return str((service.user or {}).get("id") or "")


def _mine(record: dict[str, Any], rep_id: str) -> bool:
    """A punch of this rep: pulled ones carry the server's rep_id; one made here and not yet pulled has none."""
    owner = record.get("rep_id")
    return owner is None or owner == rep_id


def today_attendance(service: AppService) -> TodayAttendance:
    now = service.clock()
    today, rep_id = now.date(), _rep_id(service)
    punches = [punch for punch in service.store.all(RecordKind.ATTENDANCE) if _mine(punch, rep_id)]
    visits = [visit for visit in service.store.all(RecordKind.VISIT) if _mine(visit, rep_id)]
    rules = service.visit_rules()
    day = attendance_day(today, punches, visits, clock.company_zone(), (rules.work_start, rules.work_end), today=today)
    pending = service.store.pending_record_ids()
    waiting = any(str(punch.get("id")) in pending for punch in punches if _punch_day(punch) == today)
    return TodayAttendance(day=day, waiting=waiting)


def _punch_day(punch: dict[str, Any]) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(str(punch.get("at"))).astimezone(clock.company_zone()).date()
    except ValueError:
        return None


def day_started(service: AppService) -> bool:
    return today_attendance(service).day.started_at is not None


def punch(service: AppService, action: AttendanceAction, location: Location | None) -> dict[str, Any]:
    """Record a punch now, where the device is when it said (durable before this returns)."""
    fields: dict[str, Any] = {"action": action.value, "at": iso(service.clock())}
    place = valid_location(location)
    if place is not None:
        fields["lat"], fields["lng"] = place.lat, place.lng
        if place.accuracy is not None:
            fields["accuracy"] = place.accuracy
    return service._save(RecordKind.ATTENDANCE, new_id(), fields)
