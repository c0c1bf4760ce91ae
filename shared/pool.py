"""The public pool's rules (公海), pure: when a customer returns to the pool, whether a claim is let through.

Both sides may use them; the server applies them (server/domains/ownership, docs/ownership.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

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
