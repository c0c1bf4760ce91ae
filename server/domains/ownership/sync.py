"""认领 / 释放到公海 as phones push them (server/changes/kinds.py): a `customer_claim` op. With
POOL_CLAIM_OVER_LIMIT=approve a claim beyond POOL_CLAIM_LIMIT becomes an approval request (docs/approvals.md)."""

from __future__ import annotations

from server.changes.kinds import Applying, KindHandler
from server.clock import today
from server.domains.approvals.service import claim_needs_approval
from server.domains.ownership.models import OwnerChange
from server.domains.ownership.service import apply_claim_op, pool_rules


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
        approval=settings.approval_rules,
        over_limit=claim_needs_approval(applying.session, applying.actor, op.record_id, op.fields),
    )


CUSTOMER_CLAIM = KindHandler(OwnerChange, put=put)
