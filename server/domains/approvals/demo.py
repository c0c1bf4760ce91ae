"""Demo approvals (server/demo.py calls this last, once orders and credit ratings exist): credit limits that follow
the customers' credit ratings, and in each territory one order above its customer's limit, taken on a recent visit:
the first territory's waits on /approvals, the others' were decided (one approved, one rejected with a comment)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, col, select

from server.actor import Actor
from server.domains.approvals.service import Deciding, decide, find_request, order_needs_approval
from server.domains.customers.models import Customer
from server.domains.customers.service import set_computed
from server.domains.development.rules import LifecycleRules
from server.domains.orders.service import put_order
from server.domains.products.models import Product
from server.domains.visits.models import Visit
from server.settings import Settings
from shared.approvals import ApprovalKind, ApprovalRules
from shared.ids import new_id
from shared.records import order_total

# 信用额度 by credit rating, in yuan: what a county distributor lets a clinic owe.
LIMITS = {"excellent": 50_000.0, "good": 20_000.0, "fair": 8_000.0, "poor": 2_000.0}
DECISIONS = (None, ("approved", "老客户，回款及时，同意本次超额"), ("rejected", "上月货款未结清，请先回款再下单"))


def seed_approvals(
    session: Session,
    supervisor: Actor,
    reps: Mapping[str, Actor],
    settings: Settings,
    lifecycle: LifecycleRules,
) -> int:
    """Returns how many approval requests were made."""
    session.flush()
    rated = session.exec(select(Customer).where(col(Customer.credit_rating).is_not(None))).all()
    for customer in rated:
        set_computed(session, customer, {"credit_limit": LIMITS.get(str(customer.credit_rating), 8_000.0)})
    products = sorted(session.exec(select(Product)).all(), key=lambda product: -product.unit_price)
    if not products:
        return 0
    made = 0
    for (territory, rep), decision in zip(sorted(reps.items()), DECISIONS, strict=False):
        visit = session.exec(
            select(Visit)
            .where(Visit.rep_id == rep.id, Visit.territory == territory, col(Visit.check_out_at).is_not(None))
            .order_by(col(Visit.check_in_at).desc())
        ).first()
        buyer = session.get(Customer, visit.customer_id) if visit else None
        if visit is None or buyer is None:
            continue
        customer = buyer
        set_computed(session, customer, {"credit_limit": 2_000.0})
        lines: list[dict[str, object]] = [
            {"product_id": products[0].id, "quantity": 60, "unit_price": products[0].unit_price}
        ]
        ordered_at = str(visit.check_out_at)  # taken as the visit ended: never after the demo's "now"
        fields = {
            "customer_id": customer.id,
            "visit_id": visit.id,
            "lines": lines,
            "amount": float(order_total(lines)),
            "ordered_at": ordered_at,
        }
        order_id = new_id()
        put_order(
            session,
            rep,
            order_id,
            fields,
            tz=settings.tz,
            lifecycle=lifecycle,
            approval=ApprovalRules(),
            on_need=order_needs_approval(session, rep),
        )
        made += 1
        if decision is not None:
            session.flush()
            request = find_request(session, ApprovalKind.ORDER, order_id)
            if request is not None:
                decide(session, supervisor, request.id, decision[0], decision[1], Deciding(lifecycle, settings.tz))
    return made
