"""The approvals the phone pulled (RecordKind.APPROVAL, made and decided on the server), read for the customer card
and the visit. Nothing here writes: a rejected order or customer stays on the phone as it was typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from shared.enums import RecordKind


class Finds(Protocol):
    def find(self, kind: RecordKind, /, **equals: Any) -> list[dict[str, Any]]: ...


def approvals_of_customer(store: Finds, customer_id: str) -> list[dict[str, Any]]:
    """The customer's requests, newest first (the card's 审批 lines)."""
    found = store.find(RecordKind.APPROVAL, customer_id=customer_id)
    return sorted(found, key=lambda approval: str(approval.get("requested_at") or ""), reverse=True)


def with_approvals(
    orders: list[dict[str, Any]],
    approvals: list[dict[str, Any]],
    expect: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
) -> list[dict[str, Any]]:
    """Each order with `approval`, its request if it has one (the server's order carries `approval_status` too,
    but the request brings the comment), else the request the phone's rules expect (`expected.Expectations`)."""
    by_record = {str(approval.get("record_id")): approval for approval in approvals}

    def approval(order: dict[str, Any]) -> dict[str, Any] | None:
        found = by_record.get(str(order.get("id")))
        return found if found is not None or expect is None else expect(order)

    return [{**order, "approval": approval(order)} for order in orders]


def approval_status(order: dict[str, Any]) -> str | None:
    """pending / approved / rejected, `expected` (the phone's rules say it will wait; not yet the server's word),
    or None for an order that needs no approval."""
    approval = order.get("approval")
    if isinstance(approval, dict) and approval.get("status"):
        return str(approval["status"])
    status = order.get("approval_status")
    return str(status) if status else None
