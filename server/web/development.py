"""Supervisor pages of customer development: orders, the product catalogue, flagged check-ins, tiers, credit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from server.clock import local_time, today
from server.db import read_session, write_session
from server.dependencies import AppSettings, DatabaseEngine, ReadSession, api_dependencies
from server.domains.approvals.service import change_credit
from server.domains.chain.service import upload_clocks
from server.domains.customers.service import customers_by_id
from server.domains.development.service import recompute_tiers_now, tier_counts
from server.domains.orders.service import OrderFilter, list_orders, order_summary
from server.domains.products.service import get_product, list_products, put_product
from server.domains.teams import team_of, visible_customer
from server.domains.users.service import people_by_id
from server.domains.visits.service import flagged_visits
from server.errors import DomainError, ValidationFailed
from server.web.exports import export_list, flagged_columns, order_columns
from server.web.pages import WebRequest, page, parse_day, supervisors_only
from server.web.rows import order_rows
from shared.ids import new_id

ORDER_DAYS = 30  # the orders page shows a month by default
# The page lists the newest orders of the period (count and total are the whole period's, by one aggregate);
# a month of 40 reps is about 8,000 orders, too many rows for a page. The file takes the whole period.
PAGE_ORDERS, EXPORT_ORDERS = 300, 50_000
FLAGGED_DAYS = 14


def parse_price(value: str, path: str) -> float:
    try:
        price = float(value)
    except ValueError:
        raise ValidationFailed("unit price must be a number, e.g. 12.50", path=path) from None
    return price


class DevelopmentPages(Controller):
    path = "/"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/orders", sync_to_thread=True)
    def orders(
        self,
        request: WebRequest,
        settings: AppSettings,
        engine: DatabaseEngine,
        session: ReadSession,
        since: FromQuery[str | None] = None,
        until: FromQuery[str | None] = None,
        format: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """Orders of a period (the last 30 days by default), newest first, with the period's total."""
        last = parse_day(until, settings)
        first = parse_day(since, settings) if since else last - dt.timedelta(days=ORDER_DAYS - 1)
        team = team_of(request.user)
        wanted = OrderFilter(territory=team, since=first, until=last, limit=EXPORT_ORDERS if format else PAGE_ORDERS)
        orders = list_orders(session, wanted)
        count, total = order_summary(session, wanted)  # the whole period's, not only the rows shown
        rows = order_rows(session, orders, settings)
        customers = customers_by_id(session, {order.customer_id for order in orders})
        people = people_by_id(session)
        if format:  # ?format=csv|xlsx: the list as a file (server/web/exports.py)
            return export_list(request, engine, settings, format, "orders", order_columns(customers, people), rows)
        return page(
            request,
            "orders.html",
            orders=rows,
            customers=customers,
            people=people,
            since=first,
            until=last,
            total=total,
            count=count,
            show_customer=True,
        )

    @get("/products", sync_to_thread=True)
    def products(self, request: WebRequest, session: ReadSession, saved: FromQuery[bool] = False) -> Template:
        rows = list_products(session)
        return page(request, "products.html", products=rows, saved=saved, error=None)

    @post("/products", sync_to_thread=True)
    def add_product(self, request: WebRequest, engine: DatabaseEngine, data: URLEncodedBody[dict[str, str]]) -> Any:
        """Add a product to the catalogue; phones receive it with their next pull."""
        fields: dict[str, Any] = {
            "name": data.get("name", "").strip(),
            "spec": data.get("spec", "").strip() or None,
            "unit": data.get("unit", "").strip() or None,
            "active": True,
        }
        try:
            fields["unit_price"] = parse_price(data.get("unit_price", "").strip(), "unit_price")
            with write_session(engine) as session:
                put_product(session, request.user, new_id(), fields)
        except DomainError as error:
            with read_session(engine) as session:
                rows = list_products(session)
            return page(request, "products.html", 422, products=rows, saved=False, error=error.message)
        return Redirect("/products?saved=1", status_code=303)

    @post("/products/{product_id:str}", sync_to_thread=True)
    def change_product(
        self,
        request: WebRequest,
        engine: DatabaseEngine,
        product_id: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        """Change a product's list price, or stop / start offering it."""
        fields: dict[str, Any] = {}
        if data.get("unit_price", "").strip():
            fields["unit_price"] = parse_price(data["unit_price"].strip(), "unit_price")
        if "active" in data:
            fields["active"] = data["active"] == "1"
        with write_session(engine) as session:
            get_product(session, product_id)  # an unknown product: 404
            put_product(session, request.user, product_id, fields)
        return Redirect("/products?saved=1", status_code=303)

    @get("/visits/flagged", sync_to_thread=True)
    def flagged(
        self,
        request: WebRequest,
        settings: AppSettings,
        engine: DatabaseEngine,
        session: ReadSession,
        format: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """Check-ins far from the customer, imprecise or from a mock location: for a look, never refused."""
        since = today(settings.tz) - dt.timedelta(days=FLAGGED_DAYS - 1)
        visits = flagged_visits(session, since, team_of(request.user))
        customers = customers_by_id(session, {visit.customer_id for visit in visits})
        people = people_by_id(session)
        rows = [{"visit": v, "check_in": local_time(v.check_in_at, settings.tz)} for v in visits]
        if format:
            clocks = upload_clocks(session, [visit.id for visit in visits])
            columns = flagged_columns(request, customers, people, clocks)
            return export_list(request, engine, settings, format, "flagged-visits", columns, rows)
        return page(
            request,
            "flagged.html",
            visits=rows,
            customers=customers,
            people=people,
            since=since,
            radius=settings.visit_flag_radius_m,
            accuracy=settings.visit_flag_accuracy_m,
        )

    @post("/customers/tiers", sync_to_thread=True)
    def recompute_tiers(
        self, request: WebRequest, settings: AppSettings, engine: DatabaseEngine, session: ReadSession
    ) -> Redirect:
        """The supervisor's "recompute A/B/C now" button (the tiers are also recomputed daily). The tiers are
        the company's (20% of its customers make 80% of its sales); a territory supervisor reads their team's
        counts."""
        counts = recompute_tiers_now(engine, settings).counts
        team = team_of(request.user)
        if team is not None:
            counts = tier_counts(session, team)
        return Redirect(
            f"/customers?tiers=1&a={counts.get('A', 0)}&b={counts.get('B', 0)}&c={counts.get('C', 0)}",
            status_code=303,
        )

    @post("/customers/{customer_id:str}/credit", sync_to_thread=True)
    def rate_credit(
        self,
        request: WebRequest,
        settings: AppSettings,
        engine: DatabaseEngine,
        customer_id: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        with write_session(engine) as session:
            visible_customer(session, request.user, customer_id)  # another team's customer: 404
            # With CREDIT_CHANGE_APPROVAL on, the change waits for another supervisor (docs/approvals.md).
            requested = change_credit(
                session,
                request.user,
                customer_id,
                rating=data.get("rating") or None,
                limit=data.get("limit") if "limit" in data else None,
                reason=data.get("reason") or None,
                rules=settings.approval_rules,
            )
        target = f"/approvals?record={customer_id}" if requested is not None else f"/customers/{customer_id}"
        return Redirect(target, status_code=303)
