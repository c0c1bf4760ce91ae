"""Supervisor pages of customer ownership (docs/ownership.md): the territory's public pool (公海) with assignment
to a rep, a customer's release / assignment (from its page), and the handover of a rep's customers (all or a
filtered set) to one or several reps or to the pool: a preview with counts, then confirm. Deactivated reps who
still own customers are flagged on /handover (and on the admin users page)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.clock import local_time
from server.db import write_session
from server.dependencies import DatabaseEngine, ReadSession, api_dependencies
from server.domains.ownership.service import (
    POOL,
    HandoverFilter,
    assign,
    hand_over,
    owner_history,
    plan_handover,
    pool,
    release,
    reps_of_territory,
    reps_with_customers,
    unhanded_of_inactive,
)
from server.errors import DomainError
from server.settings import Settings
from server.web.pages import WebRequest, page, supervisors_only
from shared.enums import CustomerKind, ValueTier


def _back(target: str | None, default: str) -> str:
    """Only our own pages: a redirect never leaves the site."""
    return target if target and target.startswith("/") and not target.startswith("//") else default


class OwnershipPages(Controller):
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/pool", sync_to_thread=True)
    def pool_page(
        self, request: WebRequest, session: ReadSession, territory: FromQuery[str] = "", done: FromQuery[str] = ""
    ) -> Template:
        shown = pool(session, request.user, territory=territory)
        territories = sorted({c.territory for c in shown.customers} | {r.territory or "" for r in shown.reps} - {""})
        return page(
            request,
            "pool.html",
            customers=shown.customers,
            reps=shown.reps,
            last_activity=shown.last_activity,
            territory=territory,
            territories=territories,
            done=done,
        )

    @post("/customers/{customer_id:str}/assign", sync_to_thread=True)
    def assign_customer(
        self,
        request: WebRequest,
        engine: DatabaseEngine,
        customer_id: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        with write_session(engine) as session:
            assign(session, request.user, customer_id, data.get("rep_id", ""), data.get("reason") or None)
        return Redirect(_back(data.get("back"), f"/customers/{customer_id}#owner"), status_code=303)

    @post("/customers/{customer_id:str}/release", sync_to_thread=True)
    def release_customer(
        self,
        request: WebRequest,
        engine: DatabaseEngine,
        customer_id: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        with write_session(engine) as session:
            release(session, request.user, customer_id, data.get("reason") or None)
        return Redirect(_back(data.get("back"), f"/customers/{customer_id}#owner"), status_code=303)

    @get("/handover", sync_to_thread=True)
    def handover_page(
        self,
        request: WebRequest,
        session: ReadSession,
        from_rep: FromQuery[str] = "",
        to: FromQuery[list[str] | None] = None,
        tier: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        town: FromQuery[str] = "",
        done: FromQuery[int | None] = None,
    ) -> Template:
        wanted, targets = HandoverFilter(tier=tier, kind=kind, town=town), [t for t in (to or []) if t]
        preview, error = None, None
        reps = reps_with_customers(session, request.user)
        flagged = unhanded_of_inactive(session, request.user)
        if from_rep and targets:
            try:
                preview = plan_handover(session, request.user, from_rep, targets, wanted)
            except DomainError as refused:
                error = refused.message
        return page(
            request,
            "handover.html",
            reps=reps,
            flagged=flagged,
            from_rep=from_rep,
            targets=targets,
            wanted=wanted,
            preview=preview,
            error=error,
            done=done,
            pool=POOL,
            tiers=[tier_.value for tier_ in ValueTier],
            kinds=[kind_.value for kind_ in CustomerKind],
        )

    @post("/handover", sync_to_thread=True)
    def handover_confirm(
        self, request: WebRequest, engine: DatabaseEngine, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect:
        targets = [t for t in (data.get("targets") or "").split(",") if t]
        wanted = HandoverFilter(tier=data.get("tier", ""), kind=data.get("kind", ""), town=data.get("town", ""))
        with write_session(engine) as session:
            plan = hand_over(session, request.user, data.get("from_rep", ""), targets, wanted, data.get("reason"))
        return Redirect(f"/handover?{urlencode({'done': len(plan.customers)})}", status_code=303)


def owner_context(session: Session, request: WebRequest, settings: Settings, customer_id: str) -> dict[str, Any]:
    """What the customer page's ownership section shows: the history (newest first) and the reps to assign to."""
    history = owner_history(session, request.user, customer_id)
    return {
        "owner_history": [{"change": c, "at": local_time(c.recorded_at, settings.tz)} for c in history],
        "owner_reps": reps_of_territory(session, request.user, customer_id),
    }
