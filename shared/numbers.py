"""Amounts and counts as a reader's language writes them: one definition for every page.

zh-CN and en both group thousands with a comma and use a point for decimals (¥53,448.66; 1,204 visits), so
the language changes nothing today; it is a parameter so that a language that writes numbers otherwise
changes one table here, not the pages. A negative amount puts its sign before the currency: -¥12.50.
"""

from __future__ import annotations

import math
from typing import NamedTuple


class NumberStyle(NamedTuple):
    group: str  # between groups of three digits
    decimal: str  # before the decimals
    currency: str  # before an amount


NUMBER_STYLES: dict[str, NumberStyle] = {
    "zh-CN": NumberStyle(",", ".", "¥"),
    "en": NumberStyle(",", ".", "¥"),
}
DEFAULT_STYLE = NUMBER_STYLES["zh-CN"]
MISSING = "—"


def format_number(value: float | int | None, lang: str, places: int = 0) -> str:
    """`value` rounded to `places` decimals, thousands grouped: 12345.678 -> "12,345.68" (places=2)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    style = NUMBER_STYLES.get(lang, DEFAULT_STYLE)
    text = f"{abs(value):,.{places}f}"
    negative = value < 0 and float(f"{value:.{places}f}") != 0  # no "-0" or "-0.00"
    whole, _, decimals = text.partition(".")
    text = whole.replace(",", style.group) + (style.decimal + decimals if decimals else "")
    return ("-" if negative else "") + text


def format_count(value: float | int | None, lang: str) -> str:
    """A count (visits, customers, orders): a whole number, grouped: 1204 -> "1,204"."""
    return format_number(value, lang, 0)


def format_money(value: float | int | None, lang: str) -> str:
    """An amount in yuan with two decimals, grouped: 53448.66 -> "¥53,448.66", -12.5 -> "-¥12.50"."""
    text = format_number(value, lang, 2)
    if text == MISSING:
        return text
    currency = NUMBER_STYLES.get(lang, DEFAULT_STYLE).currency
    return f"-{currency}{text[1:]}" if text.startswith("-") else f"{currency}{text}"
