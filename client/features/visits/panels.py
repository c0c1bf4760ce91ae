"""The visit screen's folded panels (order, competitor report, complaint): what every panel's save does after
it stored its record, or when the record was refused. Used by the visits, orders and complaints handlers."""

from __future__ import annotations

from client.services import FormProblems
from client.shell.forms import problems
from client.shell.protocol import Shell
from client.storage.store import InvalidRecord


def after_visit_record(shell: Shell, notice: str) -> None:
    """A panel's record is stored: the visit's list of records again, the panel folded, the notice shown."""
    form = shell.state.visit
    if form.visit is not None:
        form.records = shell.service.visit_records(str(form.visit["id"]))
    form.panel, form.panel_errors = None, {}
    shell.state.notice = notice
    shell.render()


def refuse_panel(shell: Shell, error: FormProblems | InvalidRecord) -> None:
    shell.state.visit.panel_errors = problems(error, shell.state.lang)
    shell.state.notice = None
    shell.render()
