"""Complaints moved forward on the phone (客户投诉处理), offline: the rep records the solution proposed, marks
the complaint resolved, and on the follow-up visit confirms the customer is satisfied. Each move is a step
(record kind `complaint_step`, append-only) saved with its op in one durable step and synced later; the
status shown is derived from the complaint as last pulled and every step on the phone, the pulled ones and
the rep's own (AppService.complaint_progress, shared.complaints.derive_progress): the same status the
server and every phone derive once they hold the same steps.

`ComplaintHandlers` is the app's part (handlers.py, built by the shell): event handlers that call these functions
and put the result into view state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from client.services import AppService, FormProblems, iso
from shared.complaints import next_moves
from shared.enums import RecordKind
from shared.ids import new_id

if TYPE_CHECKING:
    pass


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
