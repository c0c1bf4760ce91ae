"""GET /api/orders and /api/competitor-reports: what reps recorded on visits (written by sync push)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter
from msgspec import Struct

from server.changes.log import record_answer
from server.dependencies import CurrentActor, ReadSession, api_dependencies
from server.domains.access import ensure_territory
from server.domains.competitors.service import competitor_reports
from server.domains.guards import RecordIdPath, RecordIdQuery, known_query
from server.domains.orders.models import Order
from server.domains.orders.service import OrderFilter, list_orders
from server.domains.teams import team_of
from server.errors import NotFound, error_responses

Limit = Annotated[int, QueryParameter(ge=1, le=1000)]


class OrderAnswer(Struct):
    """An order as the API answers it: every column of `orders`, dates as ISO text."""

    customer_id: str
    visit_id: str
    lines: list[dict[str, Any]]
    amount: float
    ordered_at: str
    notes: str | None
    id: str
    rep_id: str
    territory: str
    order_day: str
    created_at: str
    approval_status: str | None


class CompetitorReportAnswer(Struct):
    """A competitor report as the API answers it: every column of `competitor_reports`, dates as ISO text."""

    customer_id: str
    visit_id: str | None
    brand: str
    product: str
    price: float | None
    promotion: str | None
    observed_at: str
    id: str
    reported_by: str
    territory: str
    created_at: str


class OrderController(Controller):
    path = "/api"
    tags = ("orders",)
    dependencies = api_dependencies()

    @get(
        "/orders",
        sync_to_thread=True,
        guards=[known_query("customer_id", "since", "until", "limit")],
        responses=error_responses(400, 401, 403),
    )
    def orders(
        self,
        actor: CurrentActor,
        session: ReadSession,
        customer_id: RecordIdQuery = None,
        since: FromQuery[dt.date | None] = None,
        until: FromQuery[dt.date | None] = None,
        limit: Limit = 200,
    ) -> list[OrderAnswer]:
        """Orders, newest first; a rep sees their territory's. Orders are taken on phones (sync kind "order")."""
        where = OrderFilter(
            customer_id=customer_id,
            territory=team_of(actor),
            since=since,
            until=until,
            limit=limit,
        )
        return [record_answer(OrderAnswer, order) for order in list_orders(session, where)]

    @get(
        "/orders/{order_id:str}",
        sync_to_thread=True,
        guards=[known_query()],
        responses=error_responses(400, 401, 403, 404),
    )
    def order(self, actor: CurrentActor, session: ReadSession, order_id: RecordIdPath) -> OrderAnswer:
        order = session.get(Order, order_id)
        if order is None:
            raise NotFound("no such order", path="order_id")
        ensure_territory(actor, order.territory, path="order_id", what="the order")
        return record_answer(OrderAnswer, order)

    @get(
        "/competitor-reports",
        sync_to_thread=True,
        guards=[known_query("customer_id")],
        responses=error_responses(400, 401, 403),
    )
    def competitor_reports(
        self, actor: CurrentActor, session: ReadSession, customer_id: RecordIdQuery = None
    ) -> list[CompetitorReportAnswer]:
        """Competitors' products, prices and promotions seen on visits, newest first."""
        rows = competitor_reports(session, customer_id=customer_id, territory=team_of(actor))
        return [record_answer(CompetitorReportAnswer, row) for row in rows]
