"""Complaints: captured offline by reps or by supervisors, moved forward through their steps, timed.

A complaint's status only moves forward (shared.enums.ComplaintStatus, in order). Reps and supervisors move
it by recording steps (`complaint_step`, append-only): its status is the furthest step reached and each
timer the earliest time its step was reached, whatever order the steps arrive in (shared/complaints.py).
An older edit of the `status` field itself that would move it back is kept as a conflict, not applied.
When a complaint is resolved, a follow-up visit to the customer is put on the owner rep's route for the
next day ("every complaint gets an answer and a follow-up visit").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session, col, select

from server.actor import Actor
from server.changes.conflicts import record_conflict
from server.changes.log import record_change, record_data
from server.changes.merging import Edit, apply_edit
from server.clock import now_iso, server_clock
from server.domains.access import (
    check_fields,
    check_named_visit,
    customer_in_reach,
    customers_record,
    ensure_territory,
    lookup,
    refuse_problems,
    remember,
    store_territory_record,
)
from server.domains.append_only import AppendOnly
from server.domains.complaints.models import Complaint, ComplaintStep
from server.domains.customers.models import Customer
from server.domains.routes.service import add_follow_up
from server.domains.users.models import User
from server.errors import Conflict
from shared.complaints import TIMED_STEPS, derive_progress, earliest, furthest, moment, step_index, step_problems
from shared.enums import ComplaintStatus, RecordKind, Severity
from shared.ids import new_id
from shared.records import COMPLAINT_RESPONSE_HOURS
from sync.merge import FieldMerge

STEP_FIELDS = ("complaint_id", "customer_id", "status", "note", "at")
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


def put_complaint(
    session: Session,
    actor: Actor,
    complaint_id: str,
    fields: Mapping[str, Any],
    *,
    today: dt.date,
    path: str = "complaint",
    edit: Edit | None = None,
    note: str | None = None,
) -> Complaint:
    """Create a complaint or change its fields. A `status` on an existing complaint (an app from before
    steps, the demo, a supervisor's edit) is taken as a step: forward it is recorded as one, with `note` (else
    the `solution` given with it) as the step's note; backwards it is kept as a conflict and not applied."""
    edit = edit or Edit(clock=server_clock())
    complaint = lookup(session, Complaint, complaint_id)
    check_fields(RecordKind.COMPLAINT, fields, creating=complaint is None, path=path)
    moved_to: str | None = None
    created = complaint is None
    if complaint is None:
        customer = customer_in_reach(session, actor, fields.get("customer_id"), path=path)
        check_named_visit(session, actor, customer, fields, path=path, doing="records a complaint on it")
        complaint = Complaint(
            id=complaint_id,
            territory=customer.territory,
            reported_by=actor.id,
            updated_at=now_iso(),
            field_clocks=dict.fromkeys(fields, edit.clock),
            **fields,
        )
        _stamp_steps(complaint)
    else:
        ensure_territory(actor, complaint.territory, path=path, what="the complaint")
        if "customer_id" in fields and fields["customer_id"] != complaint.customer_id:
            raise Conflict("a complaint stays with its customer", path=f"{path}.fields.customer_id")
        if fields.get("visit_id") not in (None, complaint.visit_id):
            customer = customer_in_reach(session, actor, complaint.customer_id, path=path)
            check_named_visit(session, actor, customer, fields, path=path, doing="records a complaint on it")
        fields = dict(fields)
        wanted = fields.pop("status", None)
        if wanted is not None and step_index(wanted) < step_index(complaint.status):
            backwards = FieldMerge("status", False, edit.clock, True, complaint.status, wanted, edit.clock)
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
        elif wanted is not None and step_index(wanted) > step_index(complaint.status):
            moved_to = wanted
        if fields:
            apply_edit(session, actor, RecordKind.COMPLAINT, complaint, fields, edit)
        complaint.updated_at = now_iso()
    session.add(complaint)
    remember(session, complaint)
    if moved_to is not None:
        text = note or fields.get("solution")
        step = _new_step(session, actor, complaint, status=moved_to, note=text, at=now_iso(), clock=edit.clock)
        _advance(session, actor, complaint, step, today)
    _log(session, complaint)
    if created and step_index(complaint.status) >= step_index(ComplaintStatus.RESOLVED):
        _schedule_follow_up(session, complaint, actor, today)
    return complaint


STEPS = AppendOnly(
    RecordKind.COMPLAINT_STEP,
    ComplaintStep,
    message="a complaint's step never changes once made: record a new one instead",
    reason="step_is_final",
)


def put_complaint_step(
    session: Session,
    actor: Actor,
    step_id: str,
    fields: Mapping[str, Any],
    *,
    today: dt.date,
    clock: str | None,
    path: str = "complaint_step",
) -> ComplaintStep:
    """Store a step of a complaint (append-only) and move the complaint to the furthest step reached.
    `clock` is the device's edit clock; None (an app from before clocks) takes the server's."""
    existing = STEPS.existing(session, step_id, fields, path=path)
    if existing is not None:
        return existing
    refuse_problems(step_problems(fields), f"{path}.fields")
    customer = customer_in_reach(session, actor, fields["customer_id"], path=path)
    complaint = customers_record(session, Complaint, fields["complaint_id"], customer, path=path, noun="complaint")
    ensure_territory(actor, complaint.territory, path=path, what="the complaint")
    step = _new_step(
        session,
        actor,
        complaint,
        status=fields["status"],
        note=fields.get("note"),
        at=fields["at"],
        clock=clock or server_clock(),
        step_id=step_id,
    )
    _advance(session, actor, complaint, step, today)
    complaint.updated_at = now_iso()
    session.add(complaint)
    _log(session, complaint)
    return step


def _new_step(
    session: Session,
    actor: Actor,
    complaint: Complaint,
    *,
    status: str,
    note: str | None,
    at: str,
    clock: str,
    step_id: str | None = None,
) -> ComplaintStep:
    step = ComplaintStep(
        id=step_id or new_id(),
        complaint_id=complaint.id,
        customer_id=complaint.customer_id,
        status=status,
        note=note,
        at=at,
        clock=clock,
        author_id=actor.id,
        territory=complaint.territory,
        created_at=now_iso(),
    )
    store_territory_record(session, RecordKind.COMPLAINT_STEP, step, step_data(step))
    return step


def _advance(session: Session, actor: Actor, complaint: Complaint, step: ComplaintStep, today: dt.date) -> None:
    """The merge rule (shared/complaints.py): the status is the furthest step reached; each timer the earliest
    time its step was reached. Both are order-free (max, min), so steps may arrive in any order. A step's time
    counts between the complaint's receipt and the server's clock: a phone's clock cannot move it outside."""
    before = complaint.status
    complaint.status = furthest(complaint.status, step.status).value
    reached_at = _within(step.at, complaint.received_at)
    for name, timed in TIMED_STEPS.items():
        if step_index(step.status) >= step_index(timed):
            setattr(complaint, name, earliest(getattr(complaint, name), reached_at))
    if step_index(before) < step_index(ComplaintStatus.RESOLVED) <= step_index(complaint.status):
        _schedule_follow_up(session, complaint, actor, today)


def _within(at: str, received_at: str) -> str:
    now = now_iso()
    when, received, latest = moment(at), moment(received_at), moment(now)
    if when is None or latest is None or when > latest:
        return now
    if received is not None and when < received:
        return received_at
    return at


def _stamp_steps(complaint: Complaint) -> None:
    """A complaint created past received (the demo, an app from before steps): its timers start now."""
    step, now = step_index(complaint.status), now_iso()
    for name, timed in TIMED_STEPS.items():
        if step >= step_index(timed) and getattr(complaint, name) is None:
            setattr(complaint, name, now)


def _schedule_follow_up(session: Session, complaint: Complaint, actor: Actor, today: dt.date) -> None:
    """The customer's owner rep visits tomorrow; without one, the rep who took the complaint."""
    customer = lookup(session, Customer, complaint.customer_id)  # also one made earlier in the same push
    for rep_id in (customer.owner_rep_id if customer else None, complaint.reported_by, actor.id):
        if rep_id and add_follow_up(session, rep_id, today + dt.timedelta(days=1), complaint.customer_id):
            return


def step_data(step: ComplaintStep) -> dict[str, Any]:
    """As devices receive it: its clock also as every field's clock, so a phone orders it like its own."""
    data = record_data(step)
    data["field_clocks"] = {name: step.clock for name in STEP_FIELDS}
    return data


def steps_of(session: Session, complaint_id: str) -> list[ComplaintStep]:
    """Stored steps and those of this session not yet flushed (a push applies its ops without flushing)."""
    stored = session.exec(select(ComplaintStep).where(ComplaintStep.complaint_id == complaint_id)).all()
    found = {step.id: step for step in stored}
    for pending in session.new:
        if isinstance(pending, ComplaintStep) and pending.complaint_id == complaint_id:
            found[pending.id] = pending
    return list(found.values())


def histories(session: Session, complaint_ids: Iterable[str]) -> dict[str, list[tuple[ComplaintStep, bool]]]:
    """Each complaint's steps in clock order (oldest first), each with whether it moved the complaint on."""
    wanted = sorted(set(complaint_ids))
    if not wanted:
        return {}
    rows = session.exec(select(ComplaintStep).where(col(ComplaintStep.complaint_id).in_(wanted))).all()
    by_complaint: dict[str, dict[str, ComplaintStep]] = {}
    for row in rows:
        by_complaint.setdefault(row.complaint_id, {})[row.id] = row
    found: dict[str, list[tuple[ComplaintStep, bool]]] = {}
    for complaint_id, steps in by_complaint.items():
        progress = derive_progress({}, (record_data(step) for step in steps.values()))
        found[complaint_id] = [(steps[str(item.step["id"])], item.applied) for item in progress.history]
    return found


@dataclass(frozen=True)
class StepView:
    """One step of a complaint's history as pages show it."""

    step: ComplaintStep
    applied: bool  # False: it did not move the complaint on (a step as far or further came before it)
    author: str


@dataclass(frozen=True)
class ComplaintTimer:
    complaint: Complaint
    due_at: dt.datetime  # the first answer is due by then
    answered_at: dt.datetime | None
    history: tuple[StepView, ...] = ()  # oldest first (clock order)

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
    return sorted(with_history(session, session.exec(query).all()), key=lambda item: item.due_at)


def with_history(session: Session, complaints: Iterable[Complaint]) -> list[ComplaintTimer]:
    """Each complaint's timer with its steps (one query for the steps, one for their authors' names)."""
    rows = list(complaints)
    found = histories(session, [row.id for row in rows])
    authors = {step.author_id for steps in found.values() for step, _ in steps}
    names = {}
    if authors:
        users = session.exec(select(User).where(col(User.id).in_(sorted(authors)))).all()
        names = {user.id: user.display_name or user.username for user in users}
    return [
        replace(
            timer(row),
            history=tuple(
                StepView(step, applied, names.get(step.author_id, "")) for step, applied in found.get(row.id, [])
            ),
        )
        for row in rows
    ]


def complaints_of_customer(session: Session, customer_id: str) -> list[Complaint]:
    query = select(Complaint).where(Complaint.customer_id == customer_id)
    return sorted(session.exec(query).all(), key=lambda item: item.received_at, reverse=True)


def find_complaint(session: Session, complaint_id: str) -> Complaint | None:
    """The complaint with this id (of any territory: the caller checks who sees it), or None."""
    return session.get(Complaint, complaint_id)
