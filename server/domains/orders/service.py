"""Orders taken during a visit: checked line by line against the catalogue, the amount recomputed here.

An order is append-only and never changes once stored: a put of a stored order's id must repeat it (a
phone re-sending what it sent), anything else is a 409. A refused order stores nothing (the push is
one transaction) and stays on the phone as a draft with the reason. Each order moves its customer along
the lifecycle at once (development.service.refresh_lifecycle).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from server.actor import Actor
from server.changes.log import record_data
from server.clock import local_day, now_iso, today
from server.domains.access import customer_in_reach, store_territory_record, visit_of
from server.domains.append_only import AppendOnly
from server.domains.development.rules import LifecycleRules
from server.domains.development.service import refresh_lifecycle
from server.domains.orders.models import Order, counted_order
from server.domains.products.service import products_by_id
from server.errors import ValidationFailed
from shared.approvals import ApprovalRules, ApprovalStatus, Need, order_need
from shared.enums import RecordKind
from shared.records import amount_matches, order_total


def _refuse(message: str, path: str, reason: str, **details: Any) -> ValidationFailed:
    """422 invalid_record; `details.reason` says which order rule failed, for the phone to show."""
    return ValidationFailed(message, path=path, details={"reason": reason, **details})


def _differs(order: Order, name: str, value: Any) -> bool:
    """What sets orders apart from other append-only records: an amount sent again is compared with the
    order's lines' total to the fen (`amount_matches`: a phone may send 12.3 or 12.30), not with equality."""
    same = amount_matches(value, order.lines) if name == "amount" else getattr(order, name) == value
    return not same


ORDERS = AppendOnly(
    RecordKind.ORDER,
    Order,
    message="an order never changes once taken: record a new order instead",
    reason="order_is_final",
    differs=_differs,
)


def put_order(
    session: Session,
    actor: Actor,
    order_id: str,
    fields: Mapping[str, Any],
    *,
    tz: ZoneInfo,
    lifecycle: LifecycleRules,
    path: str = "order",
    approval: ApprovalRules | None = None,
    on_need: Callable[[Order, Need], object] | None = None,
) -> Order:
    """Store a new order (or find the one sent before). With `approval` rules, an order a rule catches (above
    the customer's credit limit, a discount above the threshold) is stored as pending, counts nowhere, and
    `on_need` makes its approval request (server/domains/approvals): the order is never refused for it."""
    existing = ORDERS.existing(session, order_id, fields, path=path)
    if existing is not None:
        return existing
    customer = customer_in_reach(session, actor, fields["customer_id"], path=path)
    visit = visit_of(session, actor, customer, fields["visit_id"], path=path, doing="takes its orders")
    lines = [dict(line) for line in fields["lines"]]
    known = products_by_id(session, (line["product_id"] for line in lines))
    for index, line in enumerate(lines):
        if line["product_id"] not in known:
            raise _refuse(
                f"line {index + 1}: no product with this id in the catalogue",
                f"{path}.fields.lines[{index}].product_id",
                "unknown_product",
                product_id=line["product_id"],
            )
    total = order_total(lines)
    if not amount_matches(fields["amount"], lines):
        raise _refuse(
            f"amount {fields['amount']} is not the lines' total {total}",
            f"{path}.fields.amount",
            "amount_mismatch",
            expected=float(total),
            got=fields["amount"],
        )
    need = None
    if approval is not None:
        list_prices = {product_id: product.unit_price for product_id, product in known.items()}
        need = order_need(total, lines, list_prices, customer.credit_limit, approval)
    order = Order(
        approval_status=ApprovalStatus.PENDING.value if need is not None else None,
        id=order_id,
        customer_id=customer.id,
        visit_id=visit.id,
        lines=lines,
        amount=float(total),
        ordered_at=fields["ordered_at"],
        notes=fields.get("notes"),
        rep_id=visit.rep_id,
        territory=customer.territory,
        order_day=local_day(fields["ordered_at"], tz),
        created_at=now_iso(),
    )
    store_territory_record(session, RecordKind.ORDER, order, order_data(order))
    if need is not None:
        if on_need is not None:
            on_need(order, need)
        return order  # counts (lifecycle, pipeline) once approved
    refresh_lifecycle(session, [customer], today(tz), lifecycle)
    return order


def order_data(order: Order) -> dict[str, Any]:
    return record_data(order)


@dataclass(frozen=True)
class OrderFilter:
    customer_id: str | None = None
    territory: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    limit: int = 500


def _conditions(where: OrderFilter, *, counted_only: bool = False) -> list[Any]:
    conditions: list[Any] = [counted_order()] if counted_only else []
    if where.customer_id:
        conditions.append(Order.customer_id == where.customer_id)
    if where.territory:
        conditions.append(Order.territory == where.territory)
    if where.since:
        conditions.append(col(Order.order_day) >= where.since)
    if where.until:
        conditions.append(col(Order.order_day) <= where.until)
    return conditions


def list_orders(session: Session, where: OrderFilter) -> list[Order]:
    """Newest first, at most `where.limit`."""
    query = select(Order).where(*_conditions(where))
    query = query.order_by(col(Order.order_day).desc(), col(Order.ordered_at).desc()).limit(where.limit)
    return list(session.exec(query).all())


def order_summary(session: Session, where: OrderFilter) -> tuple[int, float]:
    """How many orders match and their total amount, all of them (the limit does not apply): one aggregate.
    Orders waiting for approval or rejected are not counted (docs/approvals.md)."""
    count, total = session.exec(
        select(func.count(), func.coalesce(func.sum(Order.amount), 0.0)).where(*_conditions(where, counted_only=True))
    ).one()
    return int(count), round(float(total), 2)


def ordered_visit_ids(session: Session, visit_ids: set[str]) -> set[str]:
    """Which of these visits have an order record (the success rate counts them as ordered)."""
    if not visit_ids:
        return set()
    query = select(Order.visit_id).where(col(Order.visit_id).in_(sorted(visit_ids)), counted_order())
    return set(session.exec(query).all())


def order_amounts_by_visit(session: Session, visit_ids: set[str]) -> dict[str, float]:
    if not visit_ids:
        return {}
    amounts: dict[str, float] = {}
    query = select(Order).where(col(Order.visit_id).in_(sorted(visit_ids)), counted_order())
    for order in session.exec(query).all():
        amounts[order.visit_id] = round(amounts.get(order.visit_id, 0.0) + order.amount, 2)
    return amounts


def held_visit_ids(session: Session, visit_ids: set[str]) -> set[str]:
    """Which of these visits have an order waiting for approval or rejected: the phone ticked them 已进货, but
    they count as ordered only once an order of theirs counts (docs/approvals.md)."""
    if not visit_ids:
        return set()
    query = select(Order.visit_id).where(col(Order.visit_id).in_(sorted(visit_ids)), ~counted_order())
    return set(session.exec(query).all())
