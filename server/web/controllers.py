"""The supervisor web view: sign-in, the day board, customers, route planning. Server-rendered, no scripts."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import anyio.to_thread
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, State
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.security.jwt import JWTCookieAuth, Token
from sqlmodel import select

from server.auth import TOKEN_COOKIE, sign_out_web
from server.clock import local_time, today, utc_now
from server.db import read_session, write_session
from server.domains.audit.service import recent_events
from server.domains.competitors.service import competitor_reports
from server.domains.complaints.service import ComplaintTimer, complaints_of_customer, open_complaints, with_history
from server.domains.customers.service import customers_by_id
from server.domains.development.service import credit_history
from server.domains.key_persons.service import key_persons_of_customer
from server.domains.notes.service import notes_of_customer
from server.domains.orders.service import OrderFilter, list_orders
from server.domains.photos.service import photos_of_customer
from server.domains.pipeline.service import customer_pipeline
from server.domains.sync.conflicts import open_conflicts, rejected_ops
from server.domains.teams import team_of, visible_customer, visible_only
from server.domains.users.models import Actor, User
from server.domains.users.sessions import WEB_SESSION, SessionGrant, open_session
from server.domains.users.signin import client_address, hashing_limiter, sign_in
from server.domains.visits.board import day_board
from server.domains.visits.service import visits_of_customer
from server.errors import DomainError, Forbidden
from server.settings import Settings
from server.web.customer_form import CustomerEditForm, form_of
from server.web.exports import audit_columns, complaint_columns, export_list
from server.web.i18n import LANG_COOKIE, lang_of, page_context
from server.web.rows import order_rows
from shared.enums import CreditRating, Role
from shared.i18n import LANGUAGES, t
from shared.rates import visit_ordered

WebRequest = Request[Actor, Token, Any]


def supervisors_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if not isinstance(user, Actor) or user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden(t("web.error.reps_use_app", lang_of(connection)))


def admins_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if not isinstance(user, Actor) or user.role != Role.ADMIN:
        raise Forbidden(t("web.error.admins_only", lang_of(connection)))


def page(request: Request[Any, Any, Any], template: str, status_code: int = 200, **context: Any) -> Template:
    """A rendered page; `?lang=xx` on any page is remembered in a cookie for the next ones."""
    asked = request.query_params.get("lang")
    cookies = [Cookie(key=LANG_COOKIE, value=asked, path="/", samesite="lax", max_age=365 * 86400)]
    return Template(
        template_name=template,
        context={**page_context(request), **context},
        status_code=status_code,
        media_type=MediaType.HTML,
        cookies=cookies if asked in LANGUAGES else None,
    )


def complaint_rows(timers: list[ComplaintTimer], settings: Settings) -> list[dict[str, Any]]:
    now = utc_now()
    return [
        {
            "complaint": item.complaint,
            "received": local_time(item.complaint.received_at, settings.tz),
            "due": item.due_at.astimezone(settings.tz),
            "overdue": item.overdue(now) and item.complaint.status != "confirmed",
            "history": [{"view": view, "at": local_time(view.step.at, settings.tz)} for view in item.history],
        }
        for item in timers
    ]


def parse_day(value: str | None, settings: Settings) -> dt.date:
    if not value:
        return today(settings.tz)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError("day must look like 2026-11-27", path="day", key="web.error.bad_day") from None


# A path on this site only: browsers read "//host" and "/\\host" as another site (an open redirect after sign-in).
SAFE_NEXT = re.compile(r"/(?![/\\])[^\\\x00-\x1f\x7f]*")


def safe_next(target: str | None) -> str:
    return target if target and SAFE_NEXT.fullmatch(target) else "/board"


def customer_page(
    request: WebRequest,
    state: State,
    customer_id: str,
    *,
    status_code: int = 200,
    edit_form: CustomerEditForm | None = None,
    notices: list[tuple[str, str]] | None = None,
) -> Template:
    """The customer's page: archive, edit form (as posted when it is shown again with errors), visits, orders..."""
    settings: Settings = state.settings
    with read_session(state.engine) as session:
        customer = visible_customer(session, request.user, customer_id)  # another team's: 404
        visits = visits_of_customer(session, customer_id)
        notes = notes_of_customer(session, customer_id)
        key_persons = key_persons_of_customer(session, customer_id)
        complaints = with_history(session, complaints_of_customer(session, customer_id))
        people = {user.id: user for user in session.exec(select(User)).all()}
        orders = order_rows(session, list_orders(session, OrderFilter(customer_id=customer_id)), settings)
        competitors = competitor_reports(session, customer_id=customer_id)
        credit = credit_history(session, customer_id)
        pipeline = customer_pipeline(session, customer_id)
        photos = photos_of_customer(session, request.user, customer_id)
    visit_orders: dict[str, float] = {}
    for row in orders:
        visit_id = row["order"].visit_id
        visit_orders[visit_id] = round(visit_orders.get(visit_id, 0.0) + row["order"].amount, 2)
    visit_rows: list[dict[str, Any]] = []
    for visit in visits:
        start, end = local_time(visit.check_in_at, settings.tz), local_time(visit.check_out_at, settings.tz)
        duration = round((end - start).total_seconds() / 60) if start and end else None
        visit_rows.append(
            {
                "visit": visit,
                "check_in": start,
                "check_out": end,
                "duration": duration,
                "ordered": visit_ordered(visit.ordered, 1 if visit.id in visit_orders else 0),
                "amount": visit_orders.get(visit.id, visit.order_amount),
            }
        )
    return page(
        request,
        "customer.html",
        status_code,
        customer=customer,
        edit_form=edit_form or form_of(customer),
        notices=notices or [],
        key_persons=key_persons,
        complaints=complaint_rows(complaints, settings),
        show_customer=False,
        visits=visit_rows,
        notes=[{"note": note, "created": local_time(note.created_at, settings.tz)} for note in notes],
        people=people,
        orders=orders,
        order_total=round(sum(row["order"].amount for row in orders), 2),
        competitors=[{"report": r, "at": local_time(r.observed_at, settings.tz)} for r in competitors],
        photos=photos,
        credit_history=[{"change": c, "at": local_time(c.changed_at, settings.tz)} for c in credit],
        credit_ratings=[rating.value for rating in CreditRating],
        pipeline=pipeline,
    )


class LoginController(Controller):
    path = "/"
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Template:
        return page(request, "login.html", next=safe_next(next), error=None, username="")

    @post("/login")
    async def login(
        self,
        request: Request[Any, Any, Any],
        state: State,
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        username, password = str(data.get("username", "")), str(data.get("password", ""))
        target = safe_next(data.get("next"))
        lang = lang_of(request)
        outcome = await sign_in(state.engine, username, password, client_address(request), hashing_limiter(state))
        if outcome.locked_for is not None:
            error = t("web.login.locked", lang, minutes=math.ceil(outcome.locked_for / 60))
            return page(request, "login.html", 429, next=target, error=error, username=username)
        actor = outcome.actor
        if actor is None:
            return page(request, "login.html", 401, next=target, error=t("web.login.failed", lang), username=username)
        if actor.role == Role.REP:
            return page(
                request, "error.html", 403, status=403, code="forbidden", message=t("web.error.reps_use_app", lang)
            )
        settings: Settings = state.settings

        def open_web_session() -> SessionGrant:
            with write_session(state.engine) as session:  # a session in the database: /logout ends it at once
                return open_session(session, actor, kind=WEB_SESSION, lifetime=settings.web_session_lifetime)

        grant = await anyio.to_thread.run_sync(open_web_session)
        jwt_auth: JWTCookieAuth[Actor, Token] = state.jwt_auth
        token = jwt_auth.create_token(
            identifier=actor.id,
            token_expiration=settings.web_session_lifetime,
            token_extras={"sid": grant.session_id},
        )
        return Redirect(
            target,
            status_code=303,
            cookies=[
                Cookie(
                    key=TOKEN_COOKIE,
                    value=token,
                    httponly=True,
                    samesite="lax",
                    secure=settings.secure_cookies,
                    path="/",
                    max_age=int(settings.web_session_lifetime.total_seconds()),
                )
            ],
        )

    @post("/logout", exclude_from_auth=True, sync_to_thread=True)
    def logout(self, request: Request[Any, Any, Any], state: State) -> Redirect:
        # The session ends in the database: a copy of the cookie stops working too.
        sign_out_web(request, state.engine, state.settings.secret_key)
        response = Redirect("/login", status_code=303)
        response.delete_cookie(TOKEN_COOKIE, path="/")
        return response


class BoardController(Controller):
    path = "/"
    guards = (supervisors_only,)
    include_in_schema = False

    @get("/")
    async def home(self, request: WebRequest) -> Redirect:
        asked = request.query_params.get("lang")  # `/?lang=en` keeps its language on the board
        return Redirect(f"/board?lang={asked}" if asked in LANGUAGES else "/board")

    @get("/board", sync_to_thread=True)
    def board(self, request: WebRequest, state: State, day: FromQuery[str | None] = None) -> Template:
        settings: Settings = state.settings
        chosen = parse_day(day, settings)
        with read_session(state.engine) as session:
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
    def review(self, request: WebRequest, state: State) -> Template:
        """What sync kept instead of dropping: conflict losers and refused ops."""
        settings: Settings = state.settings
        with read_session(state.engine) as session:
            conflicts = open_conflicts(session, team_of(request.user))
            refused = rejected_ops(session, team_of(request.user))
            customers = visible_only(
                request.user,
                customers_by_id(session, {c.record_id for c in conflicts} | {r.op["record_id"] for r in refused}),
            )
            people = {user.id: user for user in session.exec(select(User)).all()}
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
    def audit_log(self, request: WebRequest, state: State, format: FromQuery[str | None] = None) -> Response[Any]:
        settings: Settings = state.settings
        with read_session(state.engine) as session:
            events = recent_events(session)
        rows = [{"event": event, "at": local_time(event.at, settings.tz)} for event in events]
        if format:  # ?format=csv|xlsx: the list as a file (server/web/exports.py)
            return export_list(request, state, format, "audit", audit_columns(request), rows)
        return page(request, "audit.html", events=rows)

    @get("/complaints", sync_to_thread=True)
    def complaints(self, request: WebRequest, state: State, format: FromQuery[str | None] = None) -> Response[Any]:
        """Open complaints, the most urgent first; overdue answers stand out."""
        settings: Settings = state.settings
        with read_session(state.engine) as session:
            timers = open_complaints(session, team_of(request.user))
            customers = customers_by_id(session, {item.complaint.customer_id for item in timers})
        rows = complaint_rows(timers, settings)
        if format:
            return export_list(request, state, format, "complaints", complaint_columns(request, customers), rows)
        return page(request, "complaints.html", complaints=rows, customers=customers, show_customer=True)


def _web_controllers() -> list[type[Controller]]:
    from server.web.admin import AdminPages
    from server.web.campaigns import CampaignPages
    from server.web.customer_edit import CustomerPages  # they import this module's helpers
    from server.web.customer_list import CustomerListPage
    from server.web.dashboard import DashboardPages
    from server.web.development import DevelopmentPages
    from server.web.devices import DevicePages
    from server.web.holidays import HolidayPages
    from server.web.import_sample import ImportSamplePage
    from server.web.imports import ImportPages
    from server.web.manifest import WebAppManifest
    from server.web.photos import PhotoPages
    from server.web.pipeline import PipelinePages
    from server.web.planner import PlannerPages
    from server.web.queues import QueuePages
    from server.web.targets import TargetPages

    return [
        LoginController,
        BoardController,
        CustomerPages,
        DevelopmentPages,
        DashboardPages,
        PlannerPages,
        CustomerListPage,
        QueuePages,
        DevicePages,
        CampaignPages,
        TargetPages,
        PhotoPages,
        ImportPages,
        ImportSamplePage,
        AdminPages,
        HolidayPages,
        PipelinePages,
        WebAppManifest,
    ]


WEB_CONTROLLERS = _web_controllers()
