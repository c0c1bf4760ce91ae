"""Amounts and counts as the reader's language writes them (shared/numbers.py), and the Jinja filters every
page uses to show them (server/web/number_filters.py)."""

from __future__ import annotations

import pytest
from jinja2 import Environment

from server.web.number_filters import register_number_filters
from shared.numbers import format_count, format_money, format_number


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize(
    ("value", "money"),
    [
        (53448.66, "¥53,448.66"),  # /targets wrote ¥53448.66
        (0, "¥0.00"),
        (0.005, "¥0.01"),
        (999.999, "¥1,000.00"),
        (1234567.8, "¥1,234,567.80"),
        (-12.5, "-¥12.50"),
        (-0.001, "¥0.00"),  # no "-¥0.00"
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_money_groups_thousands_in_both_languages(lang: str, value: float | None, money: str) -> None:
    assert format_money(value, lang) == money


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [(1204, 0, "1,204"), (999, 0, "999"), (1_000_000, 0, "1,000,000"), (2.5, 1, "2.5"), (-1234.567, 2, "-1,234.57")],
)
def test_numbers_group_thousands(value: float, places: int, text: str) -> None:
    assert format_number(value, "zh-CN", places) == format_number(value, "en", places) == text


def test_a_count_is_whole() -> None:
    assert format_count(1204.4, "en") == "1,204" and format_count(None, "zh-CN") == "—"


class FakeEngine:
    def __init__(self) -> None:
        self.engine = Environment(autoescape=True)


def test_the_page_filters_use_the_pages_language() -> None:
    engine = FakeEngine()
    register_number_filters(engine)
    template = engine.engine.from_string("{{ amount|money }} · {{ visits|num }} · {{ ratio|num(2) }}")
    for lang in ("zh-CN", "en"):
        assert template.render(lang=lang, amount=53448.66, visits=1204, ratio=1.5) == "¥53,448.66 · 1,204 · 1.50"
    assert template.render(amount=None, visits=None, ratio=None) == "— · — · —"  # no language: the default
