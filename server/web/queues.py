"""Work queues (待办): what waits for a supervisor, in one place, the most urgent and oldest first.

Complaints by their answer timer, conflicts kept by sync (marked reviewed from the row), ops refused in
the last two weeks, check-ins flagged in the last two weeks. Every page's nav shows how many wait
(`queue_counts`, a template global): count queries only, so pages stay cheap with 200,000 visits.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import col, select

from server.clock import local_time
from server.db import read_session, write_session
from server.domains.complaints.service import open_complaints
from server.domains.customers.service import customers_by_id
from server.domains.sync.models import FieldConflict, RejectedOp
from server.domains.sync.review import mark_conflict_reviewed
from server.domains.users.models import User
from server.domains.visits.models import Visit
from server.settings import Settings
from server.web.controllers import WebRequest, complaint_rows, page, supervisors_only
from server.web.queue_counts import queue_counts, recent_flagged, recent_refused, unreviewed

ROWS_PER_QUEUE = 20


class QueuePages(Controller):
    path = "/queues"
    guards = (supervisors_only,)
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def queues(self, request: WebRequest, state: State, reviewed: FromQuery[str | None] = None) -> Template:
        settings: Settings = state.settings
        with read_session(state.engine) as session:
            counts = queue_counts(session, settings)
            complaints = open_complaints(session)[:ROWS_PER_QUEUE]  # the earliest answer due first
            conflicts = session.exec(
                select(FieldConflict).where(unreviewed()).order_by(col(FieldConflict.created_at)).limit(ROWS_PER_QUEUE)
            ).all()
            refused = session.exec(
                select(RejectedOp)
                .where(recent_refused(settings))
                .order_by(col(RejectedOp.rejected_at))
                .limit(ROWS_PER_QUEUE)
            ).all()
            flagged = session.exec(
                select(Visit)
                .where(*recent_flagged(settings))
                .order_by(col(Visit.visit_day), col(Visit.check_in_at))
                .limit(ROWS_PER_QUEUE)
            ).all()
            customer_ids = (
                {item.complaint.customer_id for item in complaints}
                | {c.record_id for c in conflicts}
                | {str(r.op.get("record_id")) for r in refused}
                | {str((r.op.get("fields") or {}).get("customer_id")) for r in refused}
                | {v.customer_id for v in flagged}
            )
            customers = customers_by_id(session, customer_ids)
            people = {user.id: user for user in session.exec(select(User)).all()}
        return page(
            request,
            "queues.html",
            counts=counts,
            complaints=complaint_rows(complaints, settings),
            conflicts=[{"conflict": c, "at": local_time(c.created_at, settings.tz)} for c in conflicts],
            refused=[{"op": r, "at": local_time(r.rejected_at, settings.tz)} for r in refused],
            flagged=[{"visit": v, "check_in": local_time(v.check_in_at, settings.tz)} for v in flagged],
            customers=customers,
            people=people,
            show_customer=True,
            reviewed=reviewed,
            per_queue=ROWS_PER_QUEUE,
        )

    @post("/conflicts/{conflict_id:str}/reviewed", sync_to_thread=True)
    def review_conflict(self, request: WebRequest, state: State, conflict_id: FromPath[str]) -> Redirect:
        with write_session(state.engine) as session:
            mark_conflict_reviewed(session, request.user, conflict_id)
        return Redirect(f"/queues?reviewed={conflict_id}#conflicts", status_code=303)
