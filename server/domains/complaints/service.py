"""Complaints: captured offline by reps or by supervisors, moved forward through their steps, timed.

A complaint's status only moves forward (shared.enums.ComplaintStatus, in order); an edit that would move
it back is kept as a conflict, not applied. When a complaint is resolved, a follow-up visit to the customer
is put on the owner rep's route for the next day ("every complaint gets an answer and a follow-up visit").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from server.clock import now_iso, server_clock
from server.domains.access import check_fields, customer_in_reach, ensure_territory, lookup, remember
from server.domains.complaints.models import Complaint
from server.domains.customers.models import Customer
from server.domains.routes.service import add_follow_up
from server.domains.sync.changelog import record_change, record_data
from server.domains.sync.conflicts import record_conflict
from server.domains.sync.merging import Edit, apply_edit
from server.domains.users.models import Actor
from server.errors import Conflict
from shared.enums import ComplaintStatus, RecordKind, Severity
from shared.records import COMPLAINT_ORDER, COMPLAINT_RESPONSE_HOURS
from sync.merge import FieldMerge

OPEN_STATUSES = (ComplaintStatus.RECEIVED, ComplaintStatus.INVESTIGATING, ComplaintStatus.SOLUTION_PROPOSED)


def _log(session: Session, complaint: Complaint) -> None:
    record_change(
        session,
        RecordKind.COMPLAINT,
        complaint.id,
        audience=complaint.territory,
        territory=complaint.territory,
        data=record_data(complaint),
    )


def _step(status: str | None) -> int:
    return COMPLAINT_ORDER.index(ComplaintStatus(status or ComplaintStatus.RECEIVED))


def put_complaint(
    session: Session,
    actor: Actor,
    complaint_id: str,
    fields: Mapping[str, Any],
    *,
    today: dt.date,
    path: str = "complaint",
    edit: Edit | None = None,
) -> Complaint:
    edit = edit or Edit(clock=server_clock())
    complaint = lookup(session, Complaint, complaint_id)
    check_fields(RecordKind.COMPLAINT, fields, creating=complaint is None, path=path)
    if complaint is None:
        customer = customer_in_reach(session, actor, fields.get("customer_id"), path=path)
        complaint = Complaint(
            id=complaint_id,
            territory=customer.territory,
            reported_by=actor.id,
            updated_at=now_iso(),
            field_clocks=dict.fromkeys(fields, edit.clock),
            **fields,
        )
        before = ComplaintStatus.RECEIVED.value
    else:
        ensure_territory(actor, complaint.territory, path=path, what="the complaint")
        if "customer_id" in fields and fields["customer_id"] != complaint.customer_id:
            raise Conflict("a complaint stays with its customer", path=f"{path}.fields.customer_id")
        before = complaint.status
        fields = dict(fields)
        if "status" in fields and _step(fields["status"]) < _step(complaint.status):
            backwards = FieldMerge(
                "status", False, edit.clock, True, complaint.status, fields.pop("status"), edit.clock
            )
            record_conflict(
                session,
                RecordKind.COMPLAINT,
                complaint.id,
                complaint.territory,
                backwards,
                actor,
                op_id=edit.op_id,
                device_id=edit.device_id,
            )
        apply_edit(session, actor, RecordKind.COMPLAINT, complaint, fields, edit)
        complaint.updated_at = now_iso()
    _stamp_steps(complaint)
    session.add(complaint)
    remember(session, complaint)
    _log(session, complaint)
    if _step(before) < _step(ComplaintStatus.RESOLVED) <= _step(complaint.status):
        _schedule_follow_up(session, complaint, actor, today)
    return complaint


def _stamp_steps(complaint: Complaint) -> None:
    """The first time the complaint reached each step, for the response and resolution timers."""
    step, now = _step(complaint.status), now_iso()
    if step >= _step(ComplaintStatus.INVESTIGATING) and complaint.responded_at is None:
        complaint.responded_at = now
    if step >= _step(ComplaintStatus.RESOLVED) and complaint.resolved_at is None:
        complaint.resolved_at = now
    if step >= _step(ComplaintStatus.CONFIRMED) and complaint.confirmed_at is None:
        complaint.confirmed_at = now


def _schedule_follow_up(session: Session, complaint: Complaint, actor: Actor, today: dt.date) -> None:
    """The customer's owner rep visits tomorrow; without one, the rep who took the complaint."""
    customer = session.get(Customer, complaint.customer_id)
    for rep_id in (customer.owner_rep_id if customer else None, complaint.reported_by, actor.id):
        if rep_id and add_follow_up(session, rep_id, today + dt.timedelta(days=1), complaint.customer_id):
            return


@dataclass(frozen=True)
class ComplaintTimer:
    complaint: Complaint
    due_at: dt.datetime  # the first answer is due by then
    answered_at: dt.datetime | None

    def overdue(self, now: dt.datetime) -> bool:
        return (self.answered_at or now) > self.due_at


def timer(complaint: Complaint) -> ComplaintTimer:
    received = dt.datetime.fromisoformat(complaint.received_at)
    hours = COMPLAINT_RESPONSE_HOURS[Severity(complaint.severity)]
    answered = dt.datetime.fromisoformat(complaint.responded_at) if complaint.responded_at else None
    return ComplaintTimer(complaint, received + dt.timedelta(hours=hours), answered)


def open_complaints(session: Session, territory: str | None = None) -> list[ComplaintTimer]:
    """Complaints not yet resolved, the most urgent (earliest due) first."""
    query = select(Complaint).where(col(Complaint.status).in_([status.value for status in OPEN_STATUSES]))
    if territory:
        query = query.where(Complaint.territory == territory)
    return sorted((timer(row) for row in session.exec(query).all()), key=lambda item: item.due_at)


def complaints_of_customer(session: Session, customer_id: str) -> list[Complaint]:
    query = select(Complaint).where(Complaint.customer_id == customer_id)
    return sorted(session.exec(query).all(), key=lambda item: item.received_at, reverse=True)
