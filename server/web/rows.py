"""Rows of records prepared for the pages' tables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from server.clock import local_time, utc_now
from server.domains.complaints.service import ComplaintTimer
from server.domains.orders.models import Order
from server.domains.products.service import products_by_id
from server.settings import Settings


def order_rows(session: Session, orders: Iterable[Order], settings: Settings) -> list[dict[str, Any]]:
    """Orders with their lines' product names, for a table."""
    orders = list(orders)
    products = products_by_id(session, {line["product_id"] for order in orders for line in order.lines})
    rows = []
    for order in orders:
        lines = []
        for line in order.lines:
            product = products.get(line["product_id"])
            lines.append(
                {
                    "name": product.name if product else line["product_id"],
                    "spec": product.spec if product else None,
                    "unit": product.unit if product else None,
                    "quantity": line["quantity"],
                    "unit_price": line["unit_price"],
                }
            )
        rows.append({"order": order, "lines": lines, "at": local_time(order.ordered_at, settings.tz)})
    return rows


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
