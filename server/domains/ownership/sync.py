"""认领 / 释放到公海 as phones push them (server/domains/sync/kinds.py): a `customer_claim` op."""

from __future__ import annotations

from server.clock import today
from server.domains.ownership.models import OwnerChange
from server.domains.ownership.service import apply_claim_op, pool_rules
from server.domains.sync.kinds import Applying, KindHandler


def put(applying: Applying) -> None:
    settings, op = applying.settings, applying.op
    apply_claim_op(
        applying.session,
        applying.actor,
        op.record_id,
        op.fields,
        path=applying.path,
        rules=pool_rules(settings),
        day=today(settings.tz),
        tz=settings.tz,
    )


CUSTOMER_CLAIM = KindHandler(OwnerChange, put=put)
