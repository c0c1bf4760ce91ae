"""The customer development rules: lifecycle from order days (each rule at its boundary), A/B/C tiers."""

from __future__ import annotations

import datetime as dt

import pytest

from server.domains.development.rules import LifecycleRules, TierRules, lifecycle_status, value_tiers
from shared.enums import CustomerStatus, RecordKind, ValueTier
from shared.ids import new_id
from shared.records import amount_matches, order_total, validate_fields

TODAY = dt.date(2026, 11, 27)
RULES = LifecycleRules(active_days=60, dormant_days=60, lost_days=180)


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def status(days: list[int], current: str = "prospect") -> CustomerStatus | None:
    return lifecycle_status([ago(d) for d in days], TODAY, current, RULES)


def test_no_order_keeps_the_status() -> None:
    assert status([]) is None
    assert status([], "active") is None


def test_a_first_order_makes_a_prospect_new() -> None:
    assert status([0]) == CustomerStatus.NEW
    assert status([3, 3]) == CustomerStatus.NEW  # two orders on one day are one purchase


@pytest.mark.parametrize(("gap", "expected"), [(60, CustomerStatus.ACTIVE), (61, CustomerStatus.NEW)])
def test_a_second_order_within_the_active_days_makes_the_customer_active(gap: int, expected: str) -> None:
    assert status([0, gap], "new") == expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (60, CustomerStatus.ACTIVE),
        (61, CustomerStatus.DORMANT),
        (180, CustomerStatus.DORMANT),
        (181, CustomerStatus.LOST),
    ],
)
def test_no_order_for_more_than_the_dormant_then_the_lost_days(age: int, expected: str) -> None:
    assert status([age, age + 10], "active") == expected


def test_an_active_customer_stays_active_on_one_recorded_order_and_a_lapsed_one_comes_back_new() -> None:
    assert status([5], "active") == CustomerStatus.ACTIVE
    assert status([0, 200], "lost") == CustomerStatus.NEW  # won back: a first order after a long pause
    assert status([0, 40, 200], "new") == CustomerStatus.ACTIVE


def test_tiers_follow_the_cumulative_share_of_sales() -> None:
    sales = {"a1": 500.0, "a2": 300.0, "b1": 100.0, "b2": 50.0, "c1": 30.0, "c2": 20.0, "none": 0.0}
    tiers = value_tiers(sales, TierRules(a_share=0.8, b_share=0.95))
    # ranked above: a1 0%, a2 50%, b1 80% (not less than 80%: B), b2 90%, c1 95% (C), c2 98%
    assert tiers == {"a1": "A", "a2": "A", "b1": "B", "b2": "B", "c1": "C", "c2": "C", "none": "C"}


def test_equal_sales_get_the_same_tier_whatever_their_order() -> None:
    sales = {"x": 100.0, "y": 100.0, "z": 100.0, "w": 100.0, "v": 10.0}
    tiers = value_tiers(sales, TierRules(a_share=0.5, b_share=0.9))
    assert {tiers[c] for c in "xyzw"} == {ValueTier.A}  # the group starts at 0%: all four A
    assert tiers["v"] == ValueTier.C
    reversed_input = value_tiers(dict(reversed(list(sales.items()))), TierRules(a_share=0.5, b_share=0.9))
    assert reversed_input == tiers


def test_no_sales_anywhere_is_all_c_and_no_customers_is_nothing() -> None:
    assert value_tiers({"x": 0.0, "y": 0.0}, TierRules()) == {"x": "C", "y": "C"}
    assert value_tiers({}, TierRules()) == {}


def test_the_tier_window_counts_back_from_today() -> None:
    assert TierRules(window_days=365).window_start(TODAY) == dt.date(2025, 11, 28)


def test_order_lines_and_amount_are_checked_the_same_way_on_both_sides() -> None:
    product = new_id()
    lines = [
        {"product_id": product, "quantity": 3, "unit_price": 0.1},
        {"product_id": new_id(), "quantity": 2, "unit_price": 12.35},
    ]
    assert str(order_total(lines)) == "25.00"
    assert amount_matches(25, lines) and amount_matches(25.004, lines) and not amount_matches(25.01, lines)
    assert not amount_matches(True, lines)

    def problems(value: object) -> list[str]:
        return [error.problem for error in validate_fields(RecordKind.ORDER, {"lines": value}, creating=False)]

    assert problems(lines) == []
    assert problems([]) == ["must be a non-empty list of order lines"]
    assert problems([{"product_id": product, "quantity": 0, "unit_price": 1}]) == [
        "line 1: quantity must be more than 0 and at most 1000000"
    ]
    assert problems([{"product_id": product, "quantity": 1}]) == ["line 1: unit_price is required"]
    assert problems([{"product_id": "x", "quantity": 1, "unit_price": 1}]) == [
        "line 1: product_id must be a record id (UUID)"
    ]
    assert problems([{"product_id": product, "quantity": 1, "unit_price": 1, "discount": 2}]) == [
        "line 1: discount is not a field of an order line"
    ]
    twice = [{"product_id": product, "quantity": 1, "unit_price": 1}] * 2
    assert problems(twice)[0].startswith("line 2: product")
