"""The customer development rules, pure: lifecycle status from order days, A/B/C tiers from sales.

Lifecycle (潜在客户 → 新客户 → 活跃客户 → 休眠客户 → 流失客户), from the days a customer ordered on (distinct
days, so two orders on one day are one purchase) and today:

- no order ever: the status stays as it is (a prospect stays a prospect; nothing is known to change it);
- the last order more than `lost_days` ago: lost; more than `dormant_days` ago: dormant;
- otherwise active when the last order came within `active_days` of the one before; an active customer
  with one recent order stays active (their earlier buying may predate the orders on record); anyone
  else is new (a first order, or the first after a long pause: the customer is being developed again).

Value tiers (ABC, the seeds' 80/20): customers ranked by sales, largest first; a customer is A while the
sales ranked above them make less than `a_share` of the total, B while less than `b_share`, else C.
Customers with equal sales get the same tier (the tier of the first of them), so a tie never splits by
name or id; no sales (or no sales anywhere) is C.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.enums import CustomerStatus, ValueTier

SHARE_TOLERANCE = 1e-9  # float shares: 0.8 of the total is "not less than 0.8"


@dataclass(frozen=True)
class LifecycleRules:
    active_days: int = 60
    dormant_days: int = 60
    lost_days: int = 180


@dataclass(frozen=True)
class TierRules:
    window_days: int = 365
    a_share: float = 0.80
    b_share: float = 0.95

    def window_start(self, today: dt.date) -> dt.date:
        """The first day whose orders count: the last `window_days` days, today included."""
        return today - dt.timedelta(days=self.window_days - 1)


def lifecycle_status(
    order_days: Iterable[dt.date], today: dt.date, current: str, rules: LifecycleRules
) -> CustomerStatus | None:
    """The status the rules give; None when they say nothing (no order ever: keep `current`)."""
    days = sorted(set(order_days), reverse=True)
    if not days:
        return None
    age = (today - days[0]).days
    if age > rules.lost_days:
        return CustomerStatus.LOST
    if age > rules.dormant_days:
        return CustomerStatus.DORMANT
    if len(days) > 1 and (days[0] - days[1]).days <= rules.active_days:
        return CustomerStatus.ACTIVE
    return CustomerStatus.ACTIVE if current == CustomerStatus.ACTIVE else CustomerStatus.NEW


def value_tiers(sales: Mapping[str, float], rules: TierRules) -> dict[str, ValueTier]:
    """The tier of every customer in `sales` (customer id -> sales in the window; 0 for none)."""
    total = sum(amount for amount in sales.values() if amount > 0)
    tiers = dict.fromkeys(sales, ValueTier.C)
    if total <= 0:
        return tiers
    by_amount: dict[float, list[str]] = {}
    for customer_id, amount in sales.items():
        if amount > 0:
            by_amount.setdefault(amount, []).append(customer_id)
    ranked_above = 0.0
    for amount in sorted(by_amount, reverse=True):
        share_above = ranked_above / total
        if share_above < rules.a_share - SHARE_TOLERANCE:
            tier = ValueTier.A
        elif share_above < rules.b_share - SHARE_TOLERANCE:
            tier = ValueTier.B
        else:
            tier = ValueTier.C
        for customer_id in by_amount[amount]:
            tiers[customer_id] = tier
        ranked_above += amount * len(by_amount[amount])
    return tiers
