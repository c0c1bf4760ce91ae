"""The public pool's rules (shared/pool.py, docs/ownership.md): return days per tier at the boundary, the claim
limits, and the POOL_* settings (bad values refused with what is wrong)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from server.settings import Settings, SettingsError
from shared.pool import (
    DEFAULT_RETURN_DAYS,
    ClaimOutlook,
    ClaimStanding,
    PoolRules,
    claim_limit_problem,
    parse_return_days,
    return_due,
)

RULES = PoolRules({"A": 90, "B": 60, "C": 30}, claim_limit=3, owned_limit=5)
LAST = dt.date(2026, 1, 31)


@pytest.mark.parametrize(("tier", "days"), [("A", 90), ("B", 60), ("C", 30), (None, 30)])
def test_a_customer_returns_on_its_tiers_day_not_the_day_before(tier: str | None, days: int) -> None:
    assert not return_due(LAST, LAST + dt.timedelta(days=days - 1), tier, RULES)
    assert return_due(LAST, LAST + dt.timedelta(days=days), tier, RULES)


def test_the_return_counts_calendar_days_across_a_month_end_and_a_leap_day() -> None:
    rules = PoolRules({"A": 90, "B": 60, "C": 29})
    assert not return_due(dt.date(2028, 2, 1), dt.date(2028, 2, 29), "C", rules)  # 28 days
    assert return_due(dt.date(2028, 2, 1), dt.date(2028, 3, 1), "C", rules)  # 29 days (2028 is a leap year)


def test_claims_are_limited_by_owned_customers_then_by_the_months_claims() -> None:
    assert claim_limit_problem(claims_this_month=2, owned=4, rules=RULES) is None
    assert "POOL_OWNED_LIMIT 5" in (claim_limit_problem(0, 5, RULES) or "")
    assert "POOL_CLAIM_LIMIT 3" in (claim_limit_problem(3, 0, RULES) or "")
    assert claim_limit_problem(1000, 1000, PoolRules(DEFAULT_RETURN_DAYS)) is None  # 0: no limit


STANDING = ClaimStanding(claim_limit=3, owned_limit=5, over_limit_approval=False, month="2026-12", claimed=2)


def test_the_phones_outlook_counts_the_servers_claims_of_the_month_and_its_own_since() -> None:
    assert STANDING.outlook("2026-12", claimed_since=0, owned=4) is ClaimOutlook.LET_THROUGH  # the 3rd claim
    assert STANDING.outlook("2026-12", claimed_since=1, owned=4) is ClaimOutlook.OVER_MONTHLY_LIMIT  # a 4th
    assert STANDING.outlook("2027-01", claimed_since=1, owned=4) is ClaimOutlook.LET_THROUGH  # a new month
    assert STANDING.outlook("2026-12", claimed_since=0, owned=5) is ClaimOutlook.OVER_OWNED_LIMIT
    approving = ClaimStanding(3, 5, True, "2026-12", 3)
    assert approving.outlook("2026-12", 0, 4) is ClaimOutlook.NEEDS_APPROVAL
    assert approving.outlook("2026-12", 0, 5) is ClaimOutlook.OVER_OWNED_LIMIT  # approval does not lift this one
    assert ClaimStanding(0, 0, False, "2026-12", 1000).outlook("2026-12", 50, 5000) is ClaimOutlook.LET_THROUGH


def test_the_standing_travels_as_a_dict_and_anything_unreadable_is_no_standing() -> None:
    assert ClaimStanding.from_phones(STANDING.as_dict()) == STANDING
    for bad in (
        None,
        {},
        [],
        {**STANDING.as_dict(), "claimed": -1},
        {**STANDING.as_dict(), "claim_limit": "3"},
        {**STANDING.as_dict(), "owned_limit": True},
        {**STANDING.as_dict(), "over_limit_approval": 1},
        {**STANDING.as_dict(), "month": "2026-1"},
    ):
        assert ClaimStanding.from_phones(bad) is None, bad


def test_return_days_name_tiers_over_the_defaults_and_refuse_what_is_wrong() -> None:
    assert parse_return_days("") == {"A": 90, "B": 60, "C": 30}
    assert parse_return_days("A=120, C=45") == {"A": 120, "B": 60, "C": 45}
    for bad in ("D=10", "A=0", "A=ten", "A"):
        with pytest.raises(ValueError, match="tier A, B or C"):
            parse_return_days(bad)


def test_pool_settings_from_the_environment(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path), "SECRET_KEY": "k" * 40}
    settings = Settings.from_env({**env, "POOL_RETURN_DAYS": "B=45", "POOL_CLAIM_LIMIT": "10", "POOL_OWNED_LIMIT": "0"})
    assert (settings.pool_return_days["B"], settings.pool_claim_limit, settings.pool_owned_limit) == (45, 10, 0)
    defaults = Settings.from_env(env)
    assert (dict(defaults.pool_return_days), defaults.pool_claim_limit, defaults.pool_owned_limit) == (
        DEFAULT_RETURN_DAYS,
        30,
        200,
    )
    with pytest.raises(SettingsError, match="POOL_RETURN_DAYS"):
        Settings.from_env({**env, "POOL_RETURN_DAYS": "A=x"})
    with pytest.raises(SettingsError, match="POOL_CLAIM_LIMIT"):
        Settings.from_env({**env, "POOL_CLAIM_LIMIT": "-1"})
