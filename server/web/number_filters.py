"""Jinja filters writing amounts and counts in the page's language (`shared.numbers`), on every page:

    {{ order.amount|money }}   ¥53,448.66
    {{ visits|num }}           1,204
    {{ ratio|num(2) }}         1.25

The page's language is the template context's `lang` (server/web/i18n.py `page_context`).
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from shared.i18n import DEFAULT_LANGUAGE
from shared.numbers import format_money, format_number


def _lang(context: Context) -> str:
    return str(context.get("lang") or DEFAULT_LANGUAGE)


@pass_context
def money_filter(context: Context, value: float | int | None) -> str:
    return format_money(value, _lang(context))


@pass_context
def num_filter(context: Context, value: float | int | None, places: int = 0) -> str:
    """A count (places=0) or a figure with decimals; not named `count`, which is Jinja's `length`."""
    return format_number(value, _lang(context), places)


def register_number_filters(engine: Any) -> None:
    """TemplateConfig.engine_callback (with the template globals): add `money` and `num`."""
    engine.engine.filters.update(money=money_filter, num=num_filter)
