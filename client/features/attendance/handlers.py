"""The attendance feature's handlers: 上班打卡 / 下班打卡 on Today, and the gentle
hint when a visit starts on a day not started yet (never a block)."""

from __future__ import annotations

from client.features.attendance.service import day_started, punch, today_attendance
from client.location import Location
from client.shell.protocol import Shell
from client.shell.state import Screen
from client.storage.store import InvalidRecord
from shared.enums import AttendanceAction
from shared.i18n import t


class AttendanceHandlers:
    """Event handlers of Today's attendance row (a plain class; it reaches the shell through `Shell`)."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.service = shell.service

    def load_attendance(self) -> None:
        self.shell.state.attendance = today_attendance(self.service)

    def punch_attendance(self, action: str) -> None:
        with self.shell.ui:
            if self.shell.locating:
                return
            chosen = AttendanceAction(action)

            def finish(location: Location | None) -> None:
                lang = self.shell.state.lang
                try:
                    record = punch(self.service, chosen, location)  # durable before the notice says saved
                except InvalidRecord as error:
                    self.shell.state.notice = str(error)
                    self.shell.render()
                    return
                notice = t(f"client.attendance.saved_{chosen.value}", lang, time=str(record["at"])[11:16])
                if location is None:
                    notice += t("client.attendance.no_location", lang)
                if self.shell.state.screen is Screen.TODAY:
                    self.shell.show(Screen.TODAY, notice=notice)
                else:
                    self.shell.state.notice = notice
                    self.shell.render()

            self.shell.then_located(finish)

    def attendance_hint(self) -> str | None:
        """The hint for a visit started before the day: a line under the notice, the visit goes on."""
        if day_started(self.service):
            return None
        return t("client.attendance.hint_start_day", self.shell.state.lang)
