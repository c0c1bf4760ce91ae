"""Supervisor pages of approvals (审批, docs/approvals.md): the team's queue (pending oldest first, or decided
newest first), each request with its reason and figures, approved or rejected with a comment; usable at 390 px."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.engine import Engine

from server.clock import local_time
from server.db import read_session, write_session
from server.dependencies import AppSettings, DatabaseEngine, api_dependencies
from server.domains.approvals.models import ApprovalRequest
from server.domains.approvals.service import Deciding, decide, list_requests
from server.domains.development.service import lifecycle_rules
from server.errors import DomainError
from server.settings import Settings
from server.web.i18n import lang_of
from server.web.pages import WebRequest, page, supervisors_only
from shared.approvals import ApprovalKind
from shared.i18n import t


def _rows(requests: list[ApprovalRequest], settings: Settings) -> list[dict[str, Any]]:
    return [
        {
            "request": r,
            "requested": local_time(r.requested_at, settings.tz),
            "decided": local_time(r.decided_at, settings.tz) if r.decided_at else None,
            "reasons": [reason for reason in r.reason.split(",") if reason],
        }
        for r in requests
    ]


class ApprovalPages(Controller):
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    def _page(
        self,
        request: WebRequest,
        settings: Settings,
        engine: Engine,
        *,
        show: str,
        kind: str,
        record: str,
        error: str | None = None,
        failed: str = "",
        status_code: int = 200,
        done: str = "",
    ) -> Template:
        decided = show == "decided"
        kind = kind if kind in {k.value for k in ApprovalKind} else ""
        with read_session(engine) as session:
            shown = list_requests(session, request.user, decided=decided, kind=kind)
            if record:  # a link from an order or a customer: that record's requests, pending or decided
                shown = [
                    r
                    for r in list_requests(session, request.user, decided=not decided, kind=kind) + shown
                    if record in (r.record_id, r.customer_id)
                ]
        return page(
            request,
            "approvals.html",
            status_code,
            rows=_rows(shown, settings),
            show="decided" if decided else "pending",
            kind=kind,
            kinds=[k.value for k in ApprovalKind],
            record=record,
            error=error,
            failed=failed,
            done=done,
        )

    @get("/approvals", sync_to_thread=True)
    def approvals_page(
        self,
        request: WebRequest,
        settings: AppSettings,
        engine: DatabaseEngine,
        show: FromQuery[str] = "pending",
        kind: FromQuery[str] = "",
        record: FromQuery[str] = "",
        done: FromQuery[str] = "",
    ) -> Template:
        return self._page(request, settings, engine, show=show, kind=kind, record=record[:36], done=done)

    @post("/approvals/{request_id:str}/decide", sync_to_thread=True)
    def decide_request(
        self,
        request: WebRequest,
        settings: AppSettings,
        engine: DatabaseEngine,
        request_id: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect | Template:
        deciding = Deciding(lifecycle=lifecycle_rules(settings), tz=settings.tz)
        try:
            with write_session(engine) as session:
                decided = decide(
                    session, request.user, request_id, data.get("decision", ""), data.get("comment"), deciding
                )
                status = decided.status
        except DomainError as refused:
            if refused.status_code == 404:
                raise
            message = t(refused.key, lang_of(request)) if refused.key else refused.message
            return self._page(
                request,
                settings,
                engine,
                show=data.get("show", "pending"),
                kind=data.get("kind", ""),
                record=data.get("record", "")[:36],
                error=message,
                failed=request_id,
                status_code=refused.status_code,
            )
        query = {"show": data.get("show", "pending"), "done": status}
        if data.get("kind"):
            query["kind"] = data["kind"]
        return Redirect(f"/approvals?{urlencode(query)}", status_code=303)
