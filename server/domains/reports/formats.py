"""Numbers, money, rates, dates and durations as the page's language writes them (zh-CN, en)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from server.domains.reports.period import Period, PeriodKind
from shared.i18n import t
from shared.numbers import format_count, format_money, format_number
from shared.rates import format_rate


@dataclass(frozen=True)
class Formats:
    """Numbers, money, rates, dates and durations as the page's language writes them."""

    lang: str

    @property
    def zh(self) -> bool:
        return self.lang == "zh-CN"

    def count(self, value: int | float) -> str:
        return format_count(value, self.lang)

    def money(self, value: float) -> str:
        return format_money(value, self.lang)

    def rate(self, value: float | None) -> str:
        return format_rate(value)

    def hours(self, value: float | None) -> str:
        if value is None:
            return "—"
        return f"{value:,.1f} 小时" if self.zh else f"{value:,.1f} h"

    def minutes(self, value: int | None) -> str:
        if value is None:
            return "—"
        hours, minutes = divmod(value, 60)
        if self.zh:
            return f"{hours} 小时 {minutes} 分" if hours else f"{minutes} 分钟"
        return f"{hours} h {minutes} min" if hours else f"{minutes} min"

    def date(self, day: dt.date, *, weekday: bool = False) -> str:
        name = t(f"web.reports.weekday.{day.weekday()}", self.lang)
        if self.zh:
            return f"{day.year}年{day.month}月{day.day}日" + (f" {name}" if weekday else "")
        month = t(f"web.reports.month.{day.month}", self.lang)
        return (f"{name} " if weekday else "") + f"{day.day} {month} {day.year}"

    def short_date(self, day: dt.date) -> str:
        return f"{day.month}/{day.day}" if self.zh else f"{day.day}/{day.month}"

    def time(self, moment: dt.datetime | None) -> str:
        return "—" if moment is None else moment.strftime("%H:%M")

    def period(self, period: Period) -> str:
        if period.kind == PeriodKind.DAY:
            return self.date(period.start, weekday=True)
        if period.kind == PeriodKind.MONTH:
            if self.zh:
                return f"{period.start.year}年{period.start.month}月"
            return f"{t(f'web.reports.month.{period.start.month}', self.lang)} {period.start.year}"
        return f"{self.date(period.start)} – {self.date(period.end)}"

    def axis(self, value: float, measure: str) -> str:
        """A tick of a trend chart's value axis (ticks are round: `charts.nice_axis`), grouped like every
        number on the page: ¥25,000 (not ¥25k or ¥2.5万, which read differently beside ¥5,000)."""
        if measure == "completion":
            return f"{value:.0f}%"
        text = format_number(value, self.lang, 0 if value == int(value) else 1)
        return "¥" + text if measure == "amount" else text
