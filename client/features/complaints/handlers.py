"""The complaints feature's handlers: what the app does on this feature's taps (reaching the shell through
the app it is mixed into)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from client.features.complaints.service import ComplaintStepForm, record_step
from client.services import AppService, FormProblems
from client.shell.state import AppState, Screen
from client.storage.store import InvalidRecord
from shared.complaints import next_moves
from shared.enums import RecordKind
from shared.i18n import t


class ComplaintHandlers:
    """Event handlers of the customer card's complaints, mixed into client.shell.app.App."""

    state: AppState
    service: AppService
    _ui: threading.RLock
    render: Callable[..., None]
    _show: Callable[..., None]

    def open_complaint_step(self, complaint_id: str) -> None:
        """Open the "move forward" form of a complaint, the next step chosen."""
        with self._ui:
            complaint = self.service.store.get(RecordKind.COMPLAINT, complaint_id)
            if complaint is None:
                return
            moves = next_moves(self.service.complaint_progress(complaint).status)
            first = moves[0].value if moves else None
            self.state.complaint_step = ComplaintStepForm(complaint_id=complaint_id, status=first)
            self.state.notice = None
            self.render()

    def choose_complaint_step(self, status: str) -> None:
        with self._ui:
            self.state.complaint_step.status = status or None
            self.render()

    def cancel_complaint_step(self) -> None:
        with self._ui:
            self.state.complaint_step = ComplaintStepForm()
            self.render()

    def save_complaint_step(self) -> None:

        with self._ui:
            form, lang, customer_id = self.state.complaint_step, self.state.lang, self.state.customer_id
            if form.complaint_id is None or not customer_id:
                return
            try:
                record_step(self.service, form.complaint_id, form.status, form.note)
            except FormProblems as problems:
                form.error = t(next(iter(problems.problems.values())), lang)
                self.render()
                return
            except InvalidRecord as error:
                form.error = str(error)
                self.render()
                return
            self.state.complaint_step = ComplaintStepForm()
            self._show(Screen.CUSTOMER, customer_id, notice=t("client.complaint.step_saved", lang))
