"""The complaints feature's handlers: what the app does on this feature's taps (reaching the shell only through
client/shell/protocol.py's `Shell`)."""

from __future__ import annotations

from client.features.complaints.service import ComplaintStepForm, record_step
from client.features.visits.panels import after_visit_record, refuse_panel
from client.services import FormProblems
from client.shell.protocol import Shell
from client.shell.state import ComplaintForm, Screen
from client.storage.store import InvalidRecord
from shared.complaints import next_moves
from shared.enums import RecordKind
from shared.i18n import t


class ComplaintHandlers:
    """Event handlers of the customer card's complaints (a plain class; it reaches the shell through `Shell`)."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.service = shell.service

    def open_complaint_step(self, complaint_id: str) -> None:
        """Open the "move forward" form of a complaint, the next step chosen."""
        with self.shell.ui:
            complaint = self.service.store.get(RecordKind.COMPLAINT, complaint_id)
            if complaint is None:
                return
            moves = next_moves(self.service.complaint_progress(complaint).status)
            first = moves[0].value if moves else None
            self.shell.state.complaint_step = ComplaintStepForm(complaint_id=complaint_id, status=first)
            self.shell.state.notice = None
            self.shell.render()

    def choose_complaint_step(self, status: str) -> None:
        with self.shell.ui:
            self.shell.state.complaint_step.status = status or None
            self.shell.render()

    def cancel_complaint_step(self) -> None:
        with self.shell.ui:
            self.shell.state.complaint_step = ComplaintStepForm()
            self.shell.render()

    def save_complaint_step(self) -> None:

        with self.shell.ui:
            form, lang, customer_id = (
                self.shell.state.complaint_step,
                self.shell.state.lang,
                self.shell.state.customer_id,
            )
            if form.complaint_id is None or not customer_id:
                return
            try:
                record_step(self.service, form.complaint_id, form.status, form.note)
            except FormProblems as problems:
                form.error = t(next(iter(problems.problems.values())), lang)
                self.shell.render()
                return
            except InvalidRecord as error:
                form.error = str(error)
                self.shell.render()
                return
            self.shell.state.complaint_step = ComplaintStepForm()
            self.shell.show(Screen.CUSTOMER, customer_id, notice=t("client.complaint.step_saved", lang))

    # ---- on a visit: the complaint panel (client/features/visits/panels.py) ----

    def record_complaint(self) -> None:
        with self.shell.ui:
            form, lang = self.shell.state.visit, self.shell.state.lang
            if form.visit is None:
                return
            entry = form.complaint
            try:
                self.service.record_complaint(
                    str(form.visit["id"]), entry.category or "", entry.severity or "", entry.description
                )
            except (FormProblems, InvalidRecord) as error:
                refuse_panel(self.shell, error)
                return
            form.complaint = ComplaintForm()
            after_visit_record(self.shell, t("client.complaint.saved", lang))
