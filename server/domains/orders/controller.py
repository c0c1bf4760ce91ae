"""GET /api/orders and /api/competitor-reports: what reps recorded on visits (written by sync push)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from server.changes.log import record_data
from server.dependencies import CurrentActor, ReadSession, api_dependencies
from server.domains.access import ensure_territory
from server.domains.competitors.service import competitor_reports
from server.domains.guards import RecordIdPath, RecordIdQuery, known_query
from server.domains.orders.models import Order
from server.domains.orders.service import OrderFilter, list_orders, order_data
from server.domains.teams import team_of
from server.errors import NotFound, error_responses

Limit = Annotated[int, QueryParameter(ge=1, le=1000)]


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
    ) -> list[dict[str, Any]]:
        """Orders, newest first; a rep sees their territory's. Orders are taken on phones (sync kind "order")."""
        where = OrderFilter(
            customer_id=customer_id,
            territory=team_of(actor),
            since=since,
            until=until,
            limit=limit,
        )
        return [order_data(order) for order in list_orders(session, where)]

    @get(
        "/orders/{order_id:str}",
        sync_to_thread=True,
        guards=[known_query()],
        responses=error_responses(400, 401, 403, 404),
    )
    def order(self, actor: CurrentActor, session: ReadSession, order_id: RecordIdPath) -> dict[str, Any]:
        order = session.get(Order, order_id)
        if order is None:
            raise NotFound("no such order", path="order_id")
        ensure_territory(actor, order.territory, path="order_id", what="the order")
        return order_data(order)

    @get(
        "/competitor-reports",
        sync_to_thread=True,
        guards=[known_query("customer_id")],
        responses=error_responses(400, 401, 403),
    )
    def competitor_reports(
        self, actor: CurrentActor, session: ReadSession, customer_id: RecordIdQuery = None
    ) -> list[dict[str, Any]]:
        """Competitors' products, prices and promotions seen on visits, newest first."""
        rows = competitor_reports(session, customer_id=customer_id, territory=team_of(actor))
        return [record_data(row) for row in rows]
