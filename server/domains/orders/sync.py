"""Orders as phones push them (server/domains/sync/kinds.py): append-only; a customer's first order also
wins its open development (server/domains/pipeline), a later one is 重复购买."""

from __future__ import annotations

from server.domains.access import lookup
from server.domains.development.service import lifecycle_rules
from server.domains.orders.models import Order
from server.domains.orders.service import put_order
from server.domains.pipeline.service import after_order
from server.domains.sync.kinds import Applying, KindHandler


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
    )
    if is_new:  # a first order wins the customer's open development; a later one is 重复购买
        after_order(session, order)


ORDER = KindHandler(Order, put=put)
