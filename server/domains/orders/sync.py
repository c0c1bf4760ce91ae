"""Orders as phones push them (server/changes/kinds.py): append-only; a customer's first order also
wins its open development (server/domains/pipeline), a later one is 重复购买. An order a rule of
shared/approvals.py catches is stored pending with its approval request (server/domains/approvals) and
counts, and moves the pipeline, only once approved."""

from __future__ import annotations

from server.changes.kinds import Applying, KindHandler
from server.domains.access import lookup
from server.domains.approvals.service import order_needs_approval
from server.domains.development.service import lifecycle_rules
from server.domains.orders.models import Order
from server.domains.orders.service import put_order
from server.domains.pipeline.service import after_order


def put(applying: Applying) -> None:
    session, op, settings = applying.session, applying.op, applying.settings
    is_new = lookup(session, Order, op.record_id) is None
    order = put_order(
        session,
        applying.actor,
        op.record_id,
        op.fields,
        tz=settings.tz,
        lifecycle=lifecycle_rules(settings),
        path=applying.path,
        approval=settings.approval_rules,
        on_need=order_needs_approval(session, applying.actor),
    )
    if is_new and order.approval_status is None:  # a first order wins the open development; a later one 重复购买
        after_order(session, order)


ORDER = KindHandler(Order, put=put)
