"""Order (订单 / 进货) taken during a visit: lines of catalogue products, the amount checked by the server."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, ColumnElement, Index, or_
from sqlmodel import Field, SQLModel, col


class OrderBase(SQLModel):
    customer_id: str = Field(max_length=36, index=True)
    visit_id: str = Field(max_length=36, index=True)
    # [{"product_id": uuid, "quantity": number, "unit_price": number}], as shared.records.order_lines checks
    lines: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    amount: float  # the lines' total (shared.records.order_total), to the fen
    ordered_at: str = Field(max_length=40)  # ISO 8601 with the device's UTC offset, kept as sent
    notes: str | None = Field(default=None, max_length=500)


class Order(OrderBase, table=True):
    __tablename__ = "orders"
    # New customers (first order per customer) and lifecycle reports read orders per customer by day.
    __table_args__ = (Index("ix_orders_customer_id_order_day", "customer_id", "order_day"),)

    id: str = Field(primary_key=True, max_length=36)
    # Derived by the server:
    rep_id: str = Field(max_length=36, index=True)
    territory: str = Field(max_length=60, index=True)
    order_day: dt.date = Field(index=True)  # the local day of ordered_at in settings.TIMEZONE
    created_at: str = Field(max_length=40)
    # None: no approval needed; else shared.approvals.ApprovalStatus. Only None and "approved" count in totals,
    # targets and tiers (server/domains/orders/service.py counted).
    approval_status: str | None = Field(default=None, max_length=10)


def counted_order() -> ColumnElement[bool]:
    """The orders that count in totals, targets, tiers and rates: those that needed no approval and those approved
    (an order waiting for approval or rejected is kept and shown, never counted: docs/approvals.md)."""
    return or_(col(Order.approval_status).is_(None), col(Order.approval_status) == "approved")


def is_counted(order: Order) -> bool:
    return order.approval_status in (None, "approved")
