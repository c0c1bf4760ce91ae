"""Complaints moved forward on the phone (客户投诉处理), offline: the rep records the solution proposed, marks
the complaint resolved, and on the follow-up visit confirms the customer is satisfied. Each move is a step
(record kind `complaint_step`, append-only) saved with its op in one durable step and synced later; the
status shown is derived from the complaint as last pulled and every step on the phone, the pulled ones and
the rep's own (AppService.complaint_progress, shared.complaints.derive_progress): the same status the
server and every phone derive once they hold the same steps.

`ComplaintHandlers` is the app's part (mixed into client.app.App): event handlers that call these functions
and put the result into view state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from client.services import AppService, FormProblems, iso
from client.store import InvalidRecord
from shared.complaints import next_moves
from shared.enums import RecordKind
from shared.i18n import t
from shared.ids import new_id

if TYPE_CHECKING:
    from client.state import AppState


@dataclass
class ComplaintStepForm:
    """The customer card's "move forward" form of one complaint (None: no form open)."""

    complaint_id: str | None = None
    status: str | None = None
    note: str = ""
    error: str | None = None


def record_step(service: AppService, complaint_id: str, status: str | None, note: str = "") -> dict[str, Any]:
    """Move the complaint forward to `status` (any later step), with the rep's note. Raises FormProblems
    (nothing stored) when the complaint is unknown or the status is not ahead of where it is."""
    complaint = service.store.get(RecordKind.COMPLAINT, complaint_id)
    if complaint is None:
        raise FormProblems({"status": "client.complaint.step_required"})
    allowed = {move.value for move in next_moves(service.complaint_progress(complaint).status)}
    if status not in allowed:
        raise FormProblems({"status": "client.complaint.step_required"})
    fields: dict[str, Any] = {
        "complaint_id": complaint_id,
        "customer_id": complaint["customer_id"],
        "status": status,
        "at": iso(service.clock()),
    }
    if note.strip():
        fields["note"] = note.strip()
    return service._save(RecordKind.COMPLAINT_STEP, new_id(), fields)


class ComplaintHandlers:
    """Event handlers of the customer card's complaints, mixed into client.app.App."""

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
        from client.state import Screen  # the state module imports this one

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
