"""The approvals the phone expects, offline (docs/approvals.md "What the phone decides offline").

The server sends the rules a phone can apply (shared/approvals.py `ApprovalRules.for_phones`: the credit-limit
rule, the discount threshold, new-customer approval) with the sign-in and every pull; the phone keeps them in its
store and runs the same pure rules (`order_need`, `new_customer_need`) on what the rep takes: before saving, the
order panel says it will wait for a supervisor's approval and why; after saving, the order (or the new customer)
shows 待审批 (expected, 待同步) and the order counts nowhere, as the server will hold it.

The server stays the truth: a record the server has sent back carries its `territory` (derived by the server,
never sent by a phone), and from then on only the server's word (its `approval_status` and its request) counts.
Without rules (a server from before them, a phone not synced since) the phone expects nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from shared.approvals import ApprovalKind, ApprovalRules, Need, counted, new_customer_need, order_need
from shared.enums import RecordKind
from shared.records import order_total

APPROVAL_RULES = "approval_rules"  # the store's meta key
EXPECTED = "expected"  # the status of an expected request: the rules say so, the server has not yet


class Reads(Protocol):
    def get(self, kind: RecordKind, record_id: str) -> dict[str, Any] | None: ...

    def all(self, kind: RecordKind) -> list[dict[str, Any]]: ...

    def get_meta(self, key: str, default: Any = None) -> Any: ...


def stored_rules(store: Reads) -> ApprovalRules | None:
    """The rules the server last sent (None: none sent, the phone expects nothing)."""
    return ApprovalRules.from_phones(store.get_meta(APPROVAL_RULES))


def list_prices(products: Iterable[Mapping[str, Any]]) -> dict[str, object]:
    """The catalogue's list price by product id (what a line's discount is measured against)."""
    return {str(p["id"]): p["unit_price"] for p in products if "id" in p and p.get("unit_price") is not None}


def from_server(record: Mapping[str, Any]) -> bool:
    """The server has stored this record and sent it back: its word replaces the phone's expectation."""
    return "territory" in record


def order_expectation(
    rules: ApprovalRules | None,
    customer: Mapping[str, Any] | None,
    products: Iterable[Mapping[str, Any]],
    lines: Sequence[Mapping[str, Any]],
) -> Need | None:
    """Whether an order of these lines, for this customer, will wait for approval (the order panel, as typed)."""
    if rules is None or not lines:
        return None
    credit_limit = (customer or {}).get("credit_limit")
    return order_need(order_total(lines), lines, list_prices(products), credit_limit, rules)


def request_like(kind: ApprovalKind, record: Mapping[str, Any], need: Need) -> dict[str, Any]:
    """An expected request, shaped like the server's (`approval` records) so that the same lines show it."""
    return {
        "kind": kind.value,
        "record_id": str(record.get("id")),
        "customer_id": str(record.get("customer_id") or record.get("id")),
        "status": EXPECTED,
        "reason": need.reason,
        "figures": dict(need.figures),
    }


class Expectations:
    """What the rules expect of the phone's own records, read from the store once per screen."""

    def __init__(self, store: Reads) -> None:
        self.store = store
        self.rules = stored_rules(store)
        self._products: list[dict[str, Any]] | None = None

    def order(self, order: Mapping[str, Any]) -> dict[str, Any] | None:
        """The expected request of an order taken on this phone and not yet back from the server."""
        if self.rules is None or from_server(order):
            return None
        if self._products is None:
            self._products = self.store.all(RecordKind.PRODUCT)
        customer = self.store.get(RecordKind.CUSTOMER, str(order.get("customer_id")))
        lines = [line for line in order.get("lines") or [] if isinstance(line, Mapping)]
        try:
            need = order_expectation(self.rules, customer, self._products, lines)
        except (KeyError, TypeError, ArithmeticError):  # a line the server will refuse anyway: nothing to expect
            return None
        return request_like(ApprovalKind.ORDER, order, need) if need is not None else None

    def customer(self, customer: Mapping[str, Any]) -> dict[str, Any] | None:
        """The expected request of a customer added on this phone and not yet back from the server."""
        if self.rules is None or from_server(customer):
            return None
        need = new_customer_need(self.rules)
        return request_like(ApprovalKind.NEW_CUSTOMER, customer, need) if need is not None else None

    def counts(self, order: Mapping[str, Any]) -> bool:
        """Whether the order counts in the phone's totals (targets, reports, Today): as the server counts it
        (`shared.approvals.counted`), and not while the rules expect it to wait."""
        return counted(order.get("approval_status")) and self.order(order) is None


def held_visit_ids(orders: Iterable[Mapping[str, Any]], expectations: Expectations) -> set[str]:
    """The visits with an order that does not count (waiting, expected or rejected): as on the server's board, a
    visit ticked 已进货 counts as ordered only through an order that counts (docs/approvals.md)."""
    return {str(order.get("visit_id")) for order in orders if not expectations.counts(order)}
