"""The reports feature's handlers: what the app does on the report screen's taps (reaching the shell through the
app it is mixed into)."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable

from client.features.reports.service import ReportForm, open_form, report_view, save_report
from client.services import AppService, FormProblems
from client.shell.state import AppState, Screen
from client.storage.store import InvalidRecord
from shared.enums import ReportPeriod
from shared.i18n import t
from shared.work_reports import period_days


def report_arg(form: ReportForm) -> str:
    """The screen's argument in the navigation history: which report (period and first day)."""
    return f"{form.period}:{form.starts_on}"


class ReportHandlers:
    """Event handlers of the report screen, mixed into client.shell.app.App."""

    state: AppState
    service: AppService
    _ui: threading.RLock
    render: Callable[..., None]
    _show: Callable[..., None]
    _go: Callable[..., None]
    _leaving_typing: Callable[[], bool]
    _form_loaded: Callable[[], None]

    def load_report(self, arg: str | None) -> None:
        """Read the report named by `arg` ("day:2026-12-07"; None: today's day report) into view state."""
        period, day = ReportPeriod.DAY.value, self.service.clock().date()
        if arg and ":" in arg:
            period_text, day_text = arg.split(":", 1)
            with contextlib.suppress(ValueError):  # a bad argument opens today's day report
                period, day = ReportPeriod(period_text).value, dt.date.fromisoformat(day_text)
        self.state.report = open_form(self.service, period, min(day, self.service.clock().date()))
        self.state.report_view = report_view(self.service, self.state.report)

    def refresh_report_view(self) -> None:
        """After a sync: the figures and the comment again, the typing kept."""
        if self.state.report.starts_on:
            self.state.report_view = report_view(self.service, self.state.report)

    def open_report(self) -> None:
        self._go(Screen.REPORT)

    def choose_report_period(self, period: str) -> None:
        with self._ui:
            if self._leaving_typing():
                return
            start, today = dt.date.fromisoformat(self.state.report.starts_on), self.service.clock().date()
            day = start
            if period == ReportPeriod.DAY.value and self.state.report.period == ReportPeriod.WEEK.value:
                day = min(period_days(ReportPeriod.WEEK, start)[1], today)  # the week's last day so far
            self._show(Screen.REPORT, f"{ReportPeriod(period).value}:{day.isoformat()}")

    def step_report(self, direction: int) -> None:
        with self._ui:
            if self._leaving_typing():
                return
            form = self.state.report
            days = 7 if form.period == ReportPeriod.WEEK.value else 1
            day = dt.date.fromisoformat(form.starts_on) + dt.timedelta(days=days * (1 if direction > 0 else -1))
            if day > self.service.clock().date():
                return
            self._show(Screen.REPORT, f"{form.period}:{day.isoformat()}")

    def toggle_leaderboard(self) -> None:
        with self._ui:
            self.state.report.show_leaderboard = not self.state.report.show_leaderboard
            self.render()

    def save_report(self) -> None:
        with self._ui:
            form, lang = self.state.report, self.state.lang
            try:
                save_report(self.service, form)
            except FormProblems as problems:
                form.error = t(next(iter(problems.problems.values())), lang)
                self.render()
                return
            except InvalidRecord as error:
                form.error = str(error)
                self.render()
                return
            self._show(Screen.REPORT, report_arg(form), notice=t("client.report.saved", lang))
