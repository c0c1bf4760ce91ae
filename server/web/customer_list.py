"""The customer list (客户档案): filters by tier, class, lifecycle, owning rep, visit overdue and text, paged.

Plain GET forms: the filters are in the address, so a filtered page can be bookmarked or shared."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Response, get
from litestar.params import FromQuery, QueryParameter

from server.clock import today
from server.dependencies import AppSettings, DatabaseEngine, ReadSession, api_dependencies
from server.domains.customers.listing import NO_TIER, CustomerFilter, filter_customers, matching_customers
from server.domains.teams import team_of
from server.domains.users.service import list_reps, people_by_id
from server.errors import ValidationFailed
from server.web.exports import customer_columns, export_list
from server.web.pages import WebRequest, page, supervisors_only
from shared.enums import CustomerKind, CustomerStatus, ValueTier

OVERDUE_CHOICES = {"": None, "yes": True, "no": False}


class CustomerListPage(Controller):
    path = "/customers"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/", sync_to_thread=True)
    def customers(
        self,
        request: WebRequest,
        settings: AppSettings,
        engine: DatabaseEngine,
        session: ReadSession,
        q: FromQuery[str] = "",
        tier: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        status: FromQuery[str] = "",
        rep: FromQuery[str] = "",
        overdue: FromQuery[str] = "",
        page_number: Annotated[int, QueryParameter(name="page", ge=1)] = 1,
        tiers: FromQuery[bool] = False,
        a: FromQuery[int] = 0,
        b: FromQuery[int] = 0,
        c: FromQuery[int] = 0,
        format: FromQuery[str | None] = None,
    ) -> Response[Any]:
        if overdue not in OVERDUE_CHOICES:
            raise ValidationFailed("overdue must be yes or no", path="overdue", key="web.error.bad_overdue")
        team = team_of(request.user)
        reps = list_reps(session, team)
        owner = next((r for r in reps if r.username == rep), None)
        if rep and owner is None:
            raise ValidationFailed("no such rep", path="rep", key="web.error.no_rep")
        wanted = CustomerFilter(
            search=q,
            tier=tier,
            kind=kind,
            status=status,
            owner_rep_id=owner.id if owner else "",
            overdue=OVERDUE_CHOICES[overdue],
            territory=team,
        )
        found = filter_customers(session, wanted, today(settings.tz), page_number)
        owners = people_by_id(session)
        if format:  # ?format=csv|xlsx: the whole filtered list as a file (server/web/exports.py), one query
            rows = matching_customers(session, wanted, today(settings.tz))
        if format:
            return export_list(request, engine, settings, format, "customers", customer_columns(request, owners), rows)
        filters: dict[str, Any] = {"q": q, "tier": tier, "kind": kind, "status": status, "rep": rep, "overdue": overdue}
        kept = {name: value for name, value in filters.items() if value}
        recomputed = {"A": a, "B": b, "C": c} if tiers else None
        return page(
            request,
            "customers.html",
            customers=found.customers,
            last_visits=found.last_visits,
            total=found.total,
            page_number=found.page,
            pages=found.pages,
            owners=owners,
            reps=reps,
            filters=filters,
            filtered=bool(kept),
            page_query=lambda number: urlencode({**kept, "page": number}),
            tier_choices=[t.value for t in ValueTier] + [NO_TIER],
            kinds=[k.value for k in CustomerKind],
            statuses=[s.value for s in CustomerStatus],
            q=q,
            recomputed=recomputed,
        )
