"""The reports feature's handlers: what the app does on the report screen's taps (reaching the shell only through
client/shell/protocol.py's `Shell`)."""

from __future__ import annotations

import contextlib
import datetime as dt

from client.features.reports.service import ReportForm, open_form, report_view, save_report
from client.services import FormProblems
from client.shell.protocol import Shell
from client.shell.state import Screen
from client.storage.store import InvalidRecord
from shared.enums import ReportPeriod
from shared.i18n import t
from shared.work_reports import period_days


def report_arg(form: ReportForm) -> str:
    """The screen's argument in the navigation history: which report (period and first day)."""
    return f"{form.period}:{form.starts_on}"


class ReportHandlers:
    """Event handlers of the report screen (a plain class; it reaches the shell through `Shell`)."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.service = shell.service

    def load_report(self, arg: str | None) -> None:
        """Read the report named by `arg` ("day:2026-12-07"; None: today's day report) into view state."""
        period, day = ReportPeriod.DAY.value, self.service.clock().date()
        if arg and ":" in arg:
            period_text, day_text = arg.split(":", 1)
            with contextlib.suppress(ValueError):  # a bad argument opens today's day report
                period, day = ReportPeriod(period_text).value, dt.date.fromisoformat(day_text)
        self.shell.state.report = open_form(self.service, period, min(day, self.service.clock().date()))
        self.shell.state.report_view = report_view(self.service, self.shell.state.report)

    def refresh_report_view(self) -> None:
        """After a sync: the figures and the comment again, the typing kept."""
        if self.shell.state.report.starts_on:
            self.shell.state.report_view = report_view(self.service, self.shell.state.report)

    def open_report(self) -> None:
        self.shell.go(Screen.REPORT)

    def choose_report_period(self, period: str) -> None:
        with self.shell.ui:
            if self.shell.leaving_typing():
                return
            start, today = dt.date.fromisoformat(self.shell.state.report.starts_on), self.service.clock().date()
            day = start
            if period == ReportPeriod.DAY.value and self.shell.state.report.period == ReportPeriod.WEEK.value:
                day = min(period_days(ReportPeriod.WEEK, start)[1], today)  # the week's last day so far
            self.shell.show(Screen.REPORT, f"{ReportPeriod(period).value}:{day.isoformat()}")

    def step_report(self, direction: int) -> None:
        with self.shell.ui:
            if self.shell.leaving_typing():
                return
            form = self.shell.state.report
            days = 7 if form.period == ReportPeriod.WEEK.value else 1
            day = dt.date.fromisoformat(form.starts_on) + dt.timedelta(days=days * (1 if direction > 0 else -1))
            if day > self.service.clock().date():
                return
            self.shell.show(Screen.REPORT, f"{form.period}:{day.isoformat()}")

    def toggle_leaderboard(self) -> None:
        with self.shell.ui:
            self.shell.state.report.show_leaderboard = not self.shell.state.report.show_leaderboard
            self.shell.render()

    def save_report(self) -> None:
        with self.shell.ui:
            form, lang = self.shell.state.report, self.shell.state.lang
            try:
                save_report(self.service, form)
            except FormProblems as problems:
                form.error = t(next(iter(problems.problems.values())), lang)
                self.shell.render()
                return
            except InvalidRecord as error:
                form.error = str(error)
                self.shell.render()
                return
            self.shell.show(Screen.REPORT, report_arg(form), notice=t("client.report.saved", lang))
