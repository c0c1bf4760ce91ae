"""The public pool's rules (公海), pure: when a customer returns to the pool, whether a claim is let through.

Both sides may use them; the server applies them (server/domains/ownership, docs/ownership.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeGuard

from shared.enums import ValueTier

DEFAULT_RETURN_DAYS: dict[str, int] = {ValueTier.A.value: 90, ValueTier.B.value: 60, ValueTier.C.value: 30}


@dataclass(frozen=True)
class PoolRules:
    """POOL_RETURN_DAYS (days without a visit or order, per tier; a customer without a tier counts as C),
    POOL_CLAIM_LIMIT (claims per rep per calendar month), POOL_OWNED_LIMIT (customers a rep may own).
    A limit of 0 means no limit."""

    return_days: Mapping[str, int]
    claim_limit: int = 0
    owned_limit: int = 0

    def days_for(self, tier: str | None) -> int:
        return self.return_days.get(tier or ValueTier.C.value) or self.return_days[ValueTier.C.value]


def return_due(last_activity: dt.date, today: dt.date, tier: str | None, rules: PoolRules) -> bool:
    """Whether an owned customer whose last visit, order or change of owner was on `last_activity` goes back
    to the pool on `today`: after `days_for(tier)` whole days without any (30 days for C: the 30th day after)."""
    return (today - last_activity).days >= rules.days_for(tier)


def claim_limit_problem(claims_this_month: int, owned: int, rules: PoolRules) -> str | None:
    """Why a rep may not claim one more customer now, or None."""
    if rules.owned_limit and owned >= rules.owned_limit:
        return f"you already own {owned} customers, the most a rep may own (POOL_OWNED_LIMIT {rules.owned_limit})"
    if rules.claim_limit and claims_this_month >= rules.claim_limit:
        limit = rules.claim_limit
        return f"you have claimed {claims_this_month} customers this month, the limit (POOL_CLAIM_LIMIT {limit})"
    return None


def parse_return_days(value: str) -> dict[str, int]:
    """POOL_RETURN_DAYS, e.g. "A=90,B=60,C=30": named tiers override the defaults; ValueError names what is wrong."""
    days = dict(DEFAULT_RETURN_DAYS)
    for item in filter(None, (part.strip() for part in value.split(","))):
        tier, _, number = (piece.strip() for piece in item.partition("="))
        if tier not in days or not number.isdigit() or int(number) <= 0:
            raise ValueError(f"{item!r} is not <tier A, B or C>=<whole days above 0>")
        days[tier] = int(number)
    return days


def _count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class ClaimOutlook(StrEnum):
    """What the server will make of one more 认领, as far as the phone can tell offline."""

    LET_THROUGH = "let_through"
    NEEDS_APPROVAL = "needs_approval"  # beyond POOL_CLAIM_LIMIT with POOL_CLAIM_OVER_LIMIT=approve
    OVER_MONTHLY_LIMIT = "over_monthly_limit"  # beyond POOL_CLAIM_LIMIT: refused
    OVER_OWNED_LIMIT = "over_owned_limit"  # at POOL_OWNED_LIMIT: refused, approval or not


@dataclass(frozen=True)
class ClaimStanding:
    """A rep's claim limits and standing as the server last said (`pool_rules` of the sign-in and pull answers),
    so the phone can say before 认领, offline, that a claim will be refused or wait for approval. The server
    still decides when the claim arrives (server/domains/ownership/service.py apply_claim_op)."""

    claim_limit: int  # claims per calendar month, 0: none
    owned_limit: int  # customers a rep may own, 0: none
    over_limit_approval: bool  # a claim beyond claim_limit becomes an approval request instead of a refusal
    month: str  # the company's month the count is for, "YYYY-MM"
    claimed: int  # the rep's claims the server holds in `month`

    def as_dict(self) -> dict[str, Any]:
        return {
            "claim_limit": self.claim_limit,
            "owned_limit": self.owned_limit,
            "over_limit_approval": self.over_limit_approval,
            "month": self.month,
            "claimed": self.claimed,
        }

    @classmethod
    def from_phones(cls, value: object) -> ClaimStanding | None:
        """The standing as `as_dict` sent it; None when absent (an older server, a supervisor) or unreadable."""
        if not isinstance(value, Mapping) or not value:
            return None
        claim_limit, owned_limit, claimed = (value.get(key) for key in ("claim_limit", "owned_limit", "claimed"))
        approval, month = value.get("over_limit_approval"), value.get("month")
        if not isinstance(approval, bool) or not isinstance(month, str) or len(month) != len("YYYY-MM"):
            return None
        if _count(claim_limit) and _count(owned_limit) and _count(claimed):
            return cls(claim_limit, owned_limit, approval, month, claimed)
        return None

    def outlook(self, month: str, claimed_since: int, owned: int) -> ClaimOutlook:
        """One more claim in `month` (the phone's current month), after `claimed_since` claims the server has not
        counted yet (made on the phone and not yet pushed), by a rep who owns `owned` customers (pending claims
        and releases included)."""
        claimed = (self.claimed if month == self.month else 0) + claimed_since
        limits = PoolRules(DEFAULT_RETURN_DAYS, self.claim_limit, self.owned_limit)
        problem = claim_limit_problem(claimed, owned, limits)
        if problem is None:
            return ClaimOutlook.LET_THROUGH
        if self.owned_limit and owned >= self.owned_limit:
            return ClaimOutlook.OVER_OWNED_LIMIT
        return ClaimOutlook.NEEDS_APPROVAL if self.over_limit_approval else ClaimOutlook.OVER_MONTHLY_LIMIT
