"""Approval rules (审批, issue #19), pure: whether an op needs a supervisor's approval, why, and with which figures.

The server applies them to what phones push and supervisors change (server/domains/approvals,
docs/approvals.md); nothing here does I/O. Each rule answers a `Need` (the rule's reason code and the figures a
supervisor decides on) or None. Amounts are in yuan, compared to the fen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any


class ApprovalKind(StrEnum):
    """What waits for approval."""

    ORDER = "order"  # an order above the customer's credit limit or with a discount above the threshold
    NEW_CUSTOMER = "new_customer"  # a customer a rep created on the phone (APPROVE_NEW_CUSTOMERS=1)
    CREDIT_CHANGE = "credit_change"  # a supervisor's change of a customer's credit limit or rating
    CLAIM = "claim"  # a 公海 claim above POOL_CLAIM_LIMIT (POOL_CLAIM_OVER_LIMIT=approve)


class ApprovalStatus(StrEnum):
    PENDING = "pending"  # 待审批
    APPROVED = "approved"  # 已批准
    REJECTED = "rejected"  # 已驳回


class ApprovalReason(StrEnum):
    """Why a request was made (one request may have several: an order above the limit with a big discount)."""

    CREDIT_LIMIT = "credit_limit"
    DISCOUNT = "discount"
    NEW_CUSTOMER = "new_customer"
    CREDIT_CHANGE = "credit_change"
    CLAIM_LIMIT = "claim_limit"


@dataclass(frozen=True)
class ApprovalRules:
    """The company's rules, from settings (server/settings.py reads the environment):

    - `new_customers` (APPROVE_NEW_CUSTOMERS=1): a customer created on a phone waits for approval;
    - `credit_limit` (ORDER_CREDIT_LIMIT_APPROVAL=1, on by default): an order whose amount is above its customer's
      credit limit (a customer without a limit has none);
    - `discount_pct` (ORDER_DISCOUNT_APPROVAL_PCT, 0 = off): an order with a line priced more than this many percent
      below the catalogue's list price;
    - `credit_change` (CREDIT_CHANGE_APPROVAL=1): a supervisor's change of a credit limit or rating is applied only
      once another supervisor or an admin approves it;
    - `claim_over_limit` (POOL_CLAIM_OVER_LIMIT=approve): a claim beyond POOL_CLAIM_LIMIT becomes a request
      instead of a refusal (POOL_OWNED_LIMIT still refuses)."""

    new_customers: bool = False
    credit_limit: bool = True
    discount_pct: Decimal = Decimal(0)
    credit_change: bool = False
    claim_over_limit: bool = False

    def for_phones(self) -> dict[str, Any]:
        """The rules a phone applies offline to what the rep is about to save (`approval_rules` of the pull and
        sign-in answers): orders and new customers. Credit changes are the supervisors', claims the server's."""
        return {
            "credit_limit": self.credit_limit,
            "discount_pct": float(self.discount_pct),
            "new_customers": self.new_customers,
        }

    @classmethod
    def from_phones(cls, value: object) -> ApprovalRules | None:
        """The rules as `for_phones` sent them; None when there are none (a server from before them, a phone not
        yet synced) or they are not readable: then the phone expects nothing and the server alone decides."""
        if not isinstance(value, Mapping) or not value:
            return None
        credit_limit, new_customers = value.get("credit_limit", True), value.get("new_customers", False)
        if not isinstance(credit_limit, bool) or not isinstance(new_customers, bool):
            return None
        try:
            discount = parse_percent("discount_pct", str(value.get("discount_pct", 0)))
        except ValueError:
            return None
        return cls(new_customers=new_customers, credit_limit=credit_limit, discount_pct=discount)


@dataclass(frozen=True)
class Need:
    """An op needs approval: the reasons (ApprovalReason values) and the figures shown to the supervisor."""

    reasons: tuple[str, ...]
    figures: Mapping[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return ",".join(self.reasons)


def _fen(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def line_discount_pct(unit_price: object, list_price: object) -> Decimal:
    """How far below the list price a line is sold, in percent to 0.1 (0 when at or above it, or no list price)."""
    listed = _fen(list_price)
    if listed <= 0:
        return Decimal(0)
    off = (listed - _fen(unit_price)) / listed * 100
    return max(Decimal(0), off.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def order_need(
    amount: object,
    lines: Iterable[Mapping[str, Any]],
    list_prices: Mapping[str, object],
    credit_limit: object | None,
    rules: ApprovalRules,
) -> Need | None:
    """Whether an order needs approval: its amount strictly above the customer's credit limit (equal is fine),
    or a line's discount strictly above `discount_pct` (exactly the threshold is fine)."""
    reasons: list[str] = []
    figures: dict[str, Any] = {"amount": float(_fen(amount))}
    if rules.credit_limit and credit_limit is not None and _fen(amount) > _fen(credit_limit):
        reasons.append(ApprovalReason.CREDIT_LIMIT.value)
        figures["credit_limit"] = float(_fen(credit_limit))
        figures["over_by"] = float(_fen(amount) - _fen(credit_limit))
    if rules.discount_pct > 0:
        worst = max(
            (
                line_discount_pct(line.get("unit_price", 0), list_prices[str(line.get("product_id"))])
                for line in lines
                if str(line.get("product_id")) in list_prices
            ),
            default=Decimal(0),
        )
        if worst > rules.discount_pct:
            reasons.append(ApprovalReason.DISCOUNT.value)
            figures["discount_pct"] = float(worst)
            figures["discount_limit_pct"] = float(rules.discount_pct)
    return Need(tuple(reasons), figures) if reasons else None


def counted(approval_status: object) -> bool:
    """Whether an order counts in totals and targets: it needed no approval (None) or was approved; pending and
    rejected ones count nowhere (the server's `orders.models.counted_order`, on the phone's records)."""
    return approval_status in (None, ApprovalStatus.APPROVED.value)


def new_customer_need(rules: ApprovalRules) -> Need | None:
    return Need((ApprovalReason.NEW_CUSTOMER.value,)) if rules.new_customers else None


def credit_change_need(before: Mapping[str, Any], after: Mapping[str, Any], rules: ApprovalRules) -> Need | None:
    """A change of `credit_limit` and/or `credit_rating` (a key missing from `after`: unchanged)."""
    if not rules.credit_change:
        return None
    changed = {name: value for name, value in after.items() if before.get(name) != value}
    if not changed:
        return None
    figures = {**{f"{name}_before": before.get(name) for name in changed}, **changed}
    return Need((ApprovalReason.CREDIT_CHANGE.value,), figures)


def claim_need(claims_this_month: int, claim_limit: int, rules: ApprovalRules) -> Need | None:
    """A claim beyond POOL_CLAIM_LIMIT (the limit-th claim is still fine) when such claims go to approval."""
    if not rules.claim_over_limit or not claim_limit or claims_this_month < claim_limit:
        return None
    return Need((ApprovalReason.CLAIM_LIMIT.value,), {"claims_this_month": claims_this_month, "limit": claim_limit})


def parse_flag(name: str, value: str, default: bool) -> bool:
    """APPROVE_NEW_CUSTOMERS and the like: 1/0, true/false, yes/no, on/off; empty: the default."""
    text = value.strip().lower()
    if not text:
        return default
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name}: {value!r} is not 1 or 0")


def parse_percent(name: str, value: str) -> Decimal:
    """ORDER_DISCOUNT_APPROVAL_PCT: a percentage from 0 (off) to 100, e.g. 15 or 12.5."""
    text = value.strip() or "0"
    try:
        number = Decimal(text)
    except ArithmeticError:
        raise ValueError(f"{name}: {value!r} is not a number of percent (0-100)") from None
    if not number.is_finite() or not 0 <= number <= 100:
        raise ValueError(f"{name}: {value!r} is not a number of percent (0-100)")
    return number


def parse_claim_over_limit(value: str) -> bool:
    """POOL_CLAIM_OVER_LIMIT: `refuse` (default) or `approve`."""
    text = value.strip().lower() or "refuse"
    if text not in {"refuse", "approve"}:
        raise ValueError(f"POOL_CLAIM_OVER_LIMIT: {value!r} is not refuse or approve")
    return text == "approve"
