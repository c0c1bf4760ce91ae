"""Work queues (待办): what waits for a supervisor, in one place, the most urgent and oldest first.

Complaints by their answer timer (moved forward from the row, with a note), conflicts kept by sync (marked
reviewed from the row), ops refused in the last two weeks (marked reviewed from the row, with a comment),
check-ins flagged in the last two weeks. A supervisor whose account names a territory sees and acts on that
team's items only (server/domains/teams.py); another team's item is unknown (404). Every page's nav shows
how many wait (`queue_counts`, a template global): count queries only, so pages stay cheap with 200,000
visits. Every action is a CSRF-protected form post, audited in the same transaction.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.clock import local_time, today
from server.db import write_session
from server.dependencies import AppSettings, DatabaseEngine, ReadSession, api_dependencies
from server.domains.audit.service import audit
from server.domains.complaints.service import find_complaint, open_complaints, put_complaint
from server.domains.customers.service import customers_by_id
from server.domains.queues.service import queue_counts, waiting_conflicts, waiting_flagged, waiting_refused
from server.domains.sync.review import MAX_COMMENT, mark_conflict_reviewed, mark_refused_reviewed
from server.domains.teams import sees, team_of, visible_only
from server.domains.users.service import people_by_id
from server.domains.users.signin import client_address
from server.errors import NotFound, ValidationFailed
from server.web.i18n import lang_of
from server.web.pages import WebRequest, page, supervisors_only
from server.web.rows import complaint_rows
from shared.enums import ComplaintStatus
from shared.i18n import label, t
from shared.records import COMPLAINT_ORDER

ROWS_PER_QUEUE = 20
MAX_NOTE = 500


def later_steps(status: str) -> list[str]:
    """The steps a complaint may move to from `status` (forward only, shared.enums.ComplaintStatus)."""
    return [step.value for step in COMPLAINT_ORDER[COMPLAINT_ORDER.index(ComplaintStatus(status)) + 1 :]]


def _audit(request: WebRequest, session: Session, action: str, details: dict[str, Any]) -> None:
    actor = request.user
    audit(session, action, actor_id=actor.id, actor_name=actor.username, ip=client_address(request), details=details)


def _note(value: str | None, lang: str, required_key: str) -> str:
    """A note or comment from a form: required, at most 500 characters (NUL dropped: PostgreSQL refuses it)."""
    text = (value or "").replace("\x00", "").strip()
    if not text:
        raise ValidationFailed(t(required_key, lang), path="note")
    if len(text) > MAX_NOTE:
        raise ValidationFailed(t("web.queues.error.too_long", lang, max=MAX_NOTE), path="note")
    return text


class QueuePages(Controller):
    path = "/queues"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/", sync_to_thread=True)
    def queues(
        self,
        request: WebRequest,
        settings: AppSettings,
        session: ReadSession,
        reviewed: FromQuery[str | None] = None,
        moved: FromQuery[str | None] = None,
        refused_reviewed: FromQuery[str | None] = None,
    ) -> Template:
        team = team_of(request.user)
        counts = queue_counts(session, settings, team)
        complaints = open_complaints(session, team)[:ROWS_PER_QUEUE]  # the earliest answer due first
        conflicts = waiting_conflicts(session, team, ROWS_PER_QUEUE)
        refused = waiting_refused(session, settings, team, ROWS_PER_QUEUE)
        flagged = waiting_flagged(session, settings, team, ROWS_PER_QUEUE)
        customer_ids = (
            {item.complaint.customer_id for item in complaints}
            | {c.record_id for c in conflicts}
            | {str(r.op.get("record_id")) for r in refused}
            | {str((r.op.get("fields") or {}).get("customer_id")) for r in refused}
            | {v.customer_id for v in flagged}
        )
        # A refused op may name another team's customer (the reason it was refused): not shown here.
        customers = visible_only(request.user, customers_by_id(session, customer_ids))
        people = people_by_id(session)
        moved_status = None
        if moved:
            moved_complaint = find_complaint(session, moved)
            if moved_complaint is not None and sees(request.user, moved_complaint.territory):
                moved_status = moved_complaint.status
        return page(
            request,
            "queues.html",
            counts=counts,
            complaints=complaint_rows(complaints, settings),
            complaint_actions=True,
            later_steps=later_steps,
            conflicts=[{"conflict": c, "at": local_time(c.created_at, settings.tz)} for c in conflicts],
            refused=[{"op": r, "at": local_time(r.rejected_at, settings.tz)} for r in refused],
            flagged=[{"visit": v, "check_in": local_time(v.check_in_at, settings.tz)} for v in flagged],
            customers=customers,
            people=people,
            show_customer=True,
            reviewed=reviewed,
            moved_status=moved_status,
            refused_reviewed=refused_reviewed,
            per_queue=ROWS_PER_QUEUE,
            max_note=MAX_NOTE,
        )

    @post("/conflicts/{conflict_id:str}/reviewed", sync_to_thread=True)
    def review_conflict(self, request: WebRequest, engine: DatabaseEngine, conflict_id: FromPath[str]) -> Redirect:
        with write_session(engine) as session:
            conflict = mark_conflict_reviewed(session, request.user, conflict_id)
            _audit(request, session, "conflict_reviewed", {"conflict_id": conflict.id, "record_id": conflict.record_id})
        return Redirect(f"/queues?reviewed={conflict_id}#conflicts", status_code=303)

    @post("/complaints/{complaint_id:str}/status", sync_to_thread=True)
    def move_complaint(
        self,
        request: WebRequest,
        settings: AppSettings,
        engine: DatabaseEngine,
        complaint_id: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        """Move a complaint forward (受理 → 调查 → 提出方案 → 解决 → 回访确认) with a note saying what was done.

        The status changes through the complaints service as any edit does (the phones receive it; reaching
        "resolved" puts a follow-up visit on the owner rep's route); the note becomes a note on the customer
        (the rep sees it on the phone) and, with the step, an audit event."""
        lang, actor, settings = lang_of(request), request.user, settings
        with write_session(engine) as session:
            complaint = find_complaint(session, complaint_id)
            if complaint is None or not sees(actor, complaint.territory):  # another team's: unknown here
                raise NotFound(t("web.queues.error.no_complaint", lang), path="complaint_id")
            before = complaint.status
            target = data.get("status", "")
            if target not in {step.value for step in ComplaintStatus}:
                raise ValidationFailed(t("web.queues.error.bad_status", lang), path="status")
            if target not in later_steps(before):
                current = label(ComplaintStatus(before), lang)
                raise ValidationFailed(t("web.queues.error.not_forward", lang, current=current), path="status")
            note = _note(data.get("note"), lang, "web.queues.error.note_required")
            # The note is kept on the complaint's step (synced to the rep's phone, erased with the customer);
            # the audit entry says who moved what, without the note's text.
            moved = put_complaint(session, actor, complaint_id, {"status": target}, today=today(settings.tz), note=note)
            details = {"complaint_id": complaint_id, "from": before, "to": moved.status}
            _audit(request, session, "complaint_status_changed", details)
        return Redirect(f"/queues?moved={complaint_id}#complaints", status_code=303)

    @post("/refused/{op_id:str}/reviewed", sync_to_thread=True)
    def review_refused(
        self, request: WebRequest, engine: DatabaseEngine, op_id: FromPath[str], data: URLEncodedBody[dict[str, str]]
    ) -> Redirect:
        """Mark a refused op reviewed with a comment: it leaves the open queue, /review keeps it with the
        comment. The rep's phone still holds it as a draft to fix or discard."""
        lang = lang_of(request)
        with write_session(engine) as session:
            try:
                refused = mark_refused_reviewed(session, request.user, op_id, data.get("comment", ""))
            except ValidationFailed as error:
                reason = (error.details or {}).get("reason")
                if reason == "comment_required":
                    error.message = t("web.queues.error.comment_required", lang)
                elif reason == "comment_too_long":
                    error.message = t("web.queues.error.too_long", lang, max=MAX_COMMENT)
                raise
            details = {"op_id": op_id, "kind": refused.op.get("kind"), "user_id": refused.user_id}
            _audit(request, session, "refused_op_reviewed", details)  # the comment stays on the op (erasable)
        return Redirect(f"/queues?refused_reviewed={op_id}#refused", status_code=303)
