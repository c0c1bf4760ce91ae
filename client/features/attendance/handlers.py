"""The attendance feature's handlers: 上班打卡 / 下班打卡 on Today (mixed into client.shell.app.App), and the gentle
hint when a visit starts on a day not started yet (never a block)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from client.features.attendance.service import day_started, punch, today_attendance
from client.services import AppService, Location
from client.shell.state import AppState, Screen
from client.storage.store import InvalidRecord
from shared.enums import AttendanceAction
from shared.i18n import t


class AttendanceHandlers:
    """Event handlers of Today's attendance row, mixed into client.shell.app.App."""

    state: AppState
    service: AppService
    _ui: threading.RLock
    _locating: bool
    render: Callable[..., None]
    _show: Callable[..., None]
    _then_located: Callable[[Callable[[Location | None], None]], None]

    def load_attendance(self) -> None:
        self.state.attendance = today_attendance(self.service)

    def punch_attendance(self, action: str) -> None:
        with self._ui:
            if self._locating:
                return
            chosen = AttendanceAction(action)

            def finish(location: Location | None) -> None:
                lang = self.state.lang
                try:
                    record = punch(self.service, chosen, location)  # durable before the notice says saved
                except InvalidRecord as error:
                    self.state.notice = str(error)
                    self.render()
                    return
                notice = t(f"client.attendance.saved_{chosen.value}", lang, time=str(record["at"])[11:16])
                if location is None:
                    notice += t("client.attendance.no_location", lang)
                if self.state.screen is Screen.TODAY:
                    self._show(Screen.TODAY, notice=notice)
                else:
                    self.state.notice = notice
                    self.render()

            self._then_located(finish)

    def attendance_hint(self) -> str | None:
        """The hint for a visit started before the day: a line under the notice, the visit goes on."""
        if day_started(self.service):
            return None
        return t("client.attendance.hint_start_day", self.state.lang)
