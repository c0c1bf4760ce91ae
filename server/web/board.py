"""The supervisor's day board, the review of what sync kept, the audit log and the open complaints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Response, get
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from server.changes.conflicts import open_conflicts, rejected_ops
from server.clock import local_time, today
from server.dependencies import AppSettings, DatabaseEngine, ReadSession, api_dependencies
from server.domains.audit.service import recent_events
from server.domains.complaints.service import open_complaints
from server.domains.customers.service import customers_by_id
from server.domains.teams import team_of, visible_only
from server.domains.users.service import people_by_id
from server.domains.visits.board import day_board
from server.web.exports import audit_columns, complaint_columns, export_list
from server.web.pages import WebRequest, admins_only, page, parse_day, supervisors_only
from server.web.rows import complaint_rows
from shared.i18n import LANGUAGES


class BoardController(Controller):
    path = "/"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/")
    async def home(self, request: WebRequest) -> Redirect:
        asked = request.query_params.get("lang")  # `/?lang=en` keeps its language on the board
        return Redirect(f"/board?lang={asked}" if asked in LANGUAGES else "/board")

    @get("/board", sync_to_thread=True)
    def board(
        self, request: WebRequest, settings: AppSettings, session: ReadSession, day: FromQuery[str | None] = None
    ) -> Template:
        chosen = parse_day(day, settings)
        board = day_board(session, chosen, settings.tz, team_of(request.user))
        return page(
            request,
            "board.html",
            board=board,
            day=chosen,
            previous_day=chosen - dt.timedelta(days=1),
            next_day=chosen + dt.timedelta(days=1),
            is_today=chosen == today(settings.tz),
        )

    @get("/review", sync_to_thread=True)
    def review(self, request: WebRequest, settings: AppSettings, session: ReadSession) -> Template:
        """What sync kept instead of dropping: conflict losers and refused ops."""
        conflicts = open_conflicts(session, team_of(request.user))
        refused = rejected_ops(session, team_of(request.user))
        customers = visible_only(
            request.user,
            customers_by_id(session, {c.record_id for c in conflicts} | {r.op["record_id"] for r in refused}),
        )
        people = people_by_id(session)
        return page(
            request,
            "review.html",
            conflicts=[{"conflict": c, "at": local_time(c.created_at, settings.tz)} for c in conflicts],
            refused=[
                {
                    "op": r,
                    "at": local_time(r.rejected_at, settings.tz),
                    "reviewed": local_time(r.reviewed_at, settings.tz),
                }
                for r in refused
            ],
            customers=customers,
            people=people,
        )

    @get("/audit", sync_to_thread=True, guards=[admins_only])
    def audit_log(
        self,
        request: WebRequest,
        settings: AppSettings,
        engine: DatabaseEngine,
        session: ReadSession,
        format: FromQuery[str | None] = None,
    ) -> Response[Any]:
        events = recent_events(session)
        rows = [{"event": event, "at": local_time(event.at, settings.tz)} for event in events]
        if format:  # ?format=csv|xlsx: the list as a file (server/web/exports.py)
            return export_list(request, engine, settings, format, "audit", audit_columns(request), rows)
        return page(request, "audit.html", events=rows)

    @get("/complaints", sync_to_thread=True)
    def complaints(
        self,
        request: WebRequest,
        settings: AppSettings,
        engine: DatabaseEngine,
        session: ReadSession,
        format: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """Open complaints, the most urgent first; overdue answers stand out."""
        timers = open_complaints(session, team_of(request.user))
        customers = customers_by_id(session, {item.complaint.customer_id for item in timers})
        rows = complaint_rows(timers, settings)
        if format:
            return export_list(
                request, engine, settings, format, "complaints", complaint_columns(request, customers), rows
            )
        return page(request, "complaints.html", complaints=rows, customers=customers, show_customer=True)
