"""The approval rules (shared/approvals.py) at their boundaries, and their settings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.settings import Settings, SettingsError
from shared.approvals import (
    ApprovalRules,
    claim_need,
    credit_change_need,
    line_discount_pct,
    new_customer_need,
    order_need,
    parse_claim_over_limit,
    parse_flag,
    parse_percent,
)

PRICES = {"p": 100.0, "q": 9.8}


def line(product: str, price: float, quantity: float = 1) -> dict[str, object]:
    return {"product_id": product, "quantity": quantity, "unit_price": price}


def test_an_order_at_its_credit_limit_passes_one_fen_above_needs_approval_with_the_figures() -> None:
    rules = ApprovalRules()
    assert order_need(10_000, [line("p", 100, 100)], PRICES, 10_000, rules) is None
    need = order_need("10000.01", [line("p", 100, 100)], PRICES, 10_000, rules)
    assert need is not None and need.reasons == ("credit_limit",)
    assert need.figures == {"amount": 10000.01, "credit_limit": 10000.0, "over_by": 0.01}


def test_no_credit_limit_or_the_rule_off_never_needs_approval() -> None:
    assert order_need(1e9, [line("p", 100)], PRICES, None, ApprovalRules()) is None
    assert order_need(20_000, [line("p", 100)], PRICES, 10_000, ApprovalRules(credit_limit=False)) is None
    assert order_need(20_000, [line("p", 100)], PRICES, 0, ApprovalRules()) is not None  # a limit of 0: every order


def test_a_discount_at_the_threshold_passes_above_it_needs_approval() -> None:
    rules = ApprovalRules(discount_pct=Decimal(15))
    assert order_need(85, [line("p", 85)], PRICES, None, rules) is None  # exactly 15 % off
    need = order_need(84.9, [line("p", 84.9)], PRICES, None, rules)
    assert need is not None and need.reasons == ("discount",)
    assert need.figures["discount_pct"] == 15.1 and need.figures["discount_limit_pct"] == 15.0


def test_the_discount_rule_off_above_list_price_and_unknown_products() -> None:
    assert order_need(1, [line("p", 1)], PRICES, None, ApprovalRules()) is None  # 0: off
    rules = ApprovalRules(discount_pct=Decimal(10))
    assert order_need(120, [line("p", 120)], PRICES, None, rules) is None  # above list: no discount
    assert order_need(1, [line("unknown", 1)], PRICES, None, rules) is None


def test_both_reasons_at_once() -> None:
    need = order_need(5000, [line("p", 50, 100)], PRICES, 1000, ApprovalRules(discount_pct=Decimal(20)))
    assert need is not None and need.reasons == ("credit_limit", "discount") and need.reason == "credit_limit,discount"


def test_line_discount_rounds_to_a_tenth_and_never_goes_negative() -> None:
    assert line_discount_pct(9.31, 9.8) == Decimal("5.0")
    assert line_discount_pct(200, 100) == 0
    assert line_discount_pct(1, 0) == 0


def test_new_customers_and_credit_changes() -> None:
    assert new_customer_need(ApprovalRules()) is None
    assert new_customer_need(ApprovalRules(new_customers=True)) is not None
    before = {"credit_rating": "good", "credit_limit": 1000.0}
    assert credit_change_need(before, {"credit_rating": "poor"}, ApprovalRules()) is None  # rule off
    rules = ApprovalRules(credit_change=True)
    assert credit_change_need(before, {"credit_rating": "good", "credit_limit": 1000.0}, rules) is None  # no change
    need = credit_change_need(before, {"credit_rating": "good", "credit_limit": 5000.0}, rules)
    assert need is not None and need.figures == {"credit_limit_before": 1000.0, "credit_limit": 5000.0}


def test_a_claim_beyond_the_monthly_limit_only_when_configured() -> None:
    rules = ApprovalRules(claim_over_limit=True)
    assert claim_need(29, 30, rules) is None  # the 30th claim is within the limit
    need = claim_need(30, 30, rules)
    assert need is not None and need.figures == {"claims_this_month": 30, "limit": 30}
    assert claim_need(30, 30, ApprovalRules()) is None  # refused as before
    assert claim_need(500, 0, rules) is None  # no limit


def test_settings_parse_and_refuse_bad_values_naming_the_variable() -> None:
    assert parse_flag("X", "", True) is True and parse_flag("X", "0", True) is False and parse_flag("X", "yes", False)
    assert parse_percent("P", "12.5") == Decimal("12.5") and parse_percent("P", "") == 0
    assert parse_claim_over_limit("APPROVE") is True and parse_claim_over_limit("") is False
    for bad in ("-1", "101", "abc", "nan"):
        with pytest.raises(ValueError, match="P"):
            parse_percent("P", bad)
    with pytest.raises(ValueError, match="POOL_CLAIM_OVER_LIMIT"):
        parse_claim_over_limit("maybe")


def test_settings_from_the_environment(tmp_path: object) -> None:
    env = {
        "DATA_DIR": str(tmp_path),
        "SECRET_KEY": "x" * 40,
        "APPROVE_NEW_CUSTOMERS": "1",
        "ORDER_DISCOUNT_APPROVAL_PCT": "15",
        "CREDIT_CHANGE_APPROVAL": "1",
        "POOL_CLAIM_OVER_LIMIT": "approve",
    }
    rules = Settings.from_env(env).approval_rules
    assert rules == ApprovalRules(True, True, Decimal(15), True, True)
    assert Settings.from_env({"DATA_DIR": str(tmp_path), "SECRET_KEY": "x" * 40}).approval_rules == ApprovalRules()
    with pytest.raises(SettingsError, match="APPROVE_NEW_CUSTOMERS"):
        Settings.from_env({**env, "APPROVE_NEW_CUSTOMERS": "perhaps"})
