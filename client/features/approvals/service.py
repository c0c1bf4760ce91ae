"""The approvals the phone pulled (RecordKind.APPROVAL, made and decided on the server), read for the customer card
and the visit. Nothing here writes: a rejected order or customer stays on the phone as it was typed."""

from __future__ import annotations

from typing import Any, Protocol

from shared.enums import RecordKind


class Finds(Protocol):
    def find(self, kind: RecordKind, /, **equals: Any) -> list[dict[str, Any]]: ...


def approvals_of_customer(store: Finds, customer_id: str) -> list[dict[str, Any]]:
    """The customer's requests, newest first (the card's 审批 lines)."""
    found = store.find(RecordKind.APPROVAL, customer_id=customer_id)
    return sorted(found, key=lambda approval: str(approval.get("requested_at") or ""), reverse=True)


def with_approvals(orders: list[dict[str, Any]], approvals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each order with `approval`, its request if it has one (the server's order carries `approval_status` too,
    but the request brings the comment)."""
    by_record = {str(approval.get("record_id")): approval for approval in approvals}
    return [{**order, "approval": by_record.get(str(order.get("id")))} for order in orders]


def approval_status(order: dict[str, Any]) -> str | None:
    """pending / approved / rejected, or None for an order that needed no approval (or not synced yet)."""
    approval = order.get("approval")
    if isinstance(approval, dict) and approval.get("status"):
        return str(approval["status"])
    status = order.get("approval_status")
    return str(status) if status else None
