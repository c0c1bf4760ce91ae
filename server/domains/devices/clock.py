"""A phone's clock as it last said it (the server's time minus the phone's, seconds: sync/protocol.py
CLOCK_OFFSET_HEADER), in words for a supervisor: /devices, and a visit's signature (server/domains/chain/service.py).
"""

from __future__ import annotations

from typing import Literal

from shared.clock import TRUSTED_SKEW
from shared.i18n import t

ClockState = Literal["unknown", "right", "behind", "ahead"]


def clock_state(offset_s: int | None) -> ClockState:
    """A phone's clock from its offset (the server's time minus the phone's): behind when the server is ahead."""
    if offset_s is None:
        return "unknown"
    if abs(offset_s) <= TRUSTED_SKEW.total_seconds():
        return "right"
    return "behind" if offset_s > 0 else "ahead"


def clock_words(offset_s: int | None, lang: str) -> str:
    """How far a phone's clock is off, as a supervisor reads it: "时钟慢 3 小时 12 分", "clock 2 d 4 h ahead",
    "时钟准确" (within TRUSTED_SKEW), "尚未测得" (the phone never said). Seconds under a minute, minutes under an
    hour, hours and minutes under a day, then days and hours, each rounded to its smallest unit."""
    state = clock_state(offset_s)
    if state == "unknown" or offset_s is None:
        return t("web.devices.clock_unknown", lang)
    if state == "right":
        return t("web.devices.clock_right", lang)
    off = abs(offset_s)
    minutes = int(off / 60 + 0.5)  # halves up (round() would take 150 s to 2 min and 210 s to 4)
    if off < 60:
        amount = t("web.devices.clock_seconds", lang, seconds=off)
    elif minutes < 60:
        amount = t("web.devices.clock_minutes", lang, minutes=minutes)
    elif minutes < 24 * 60:
        amount = t("web.devices.clock_hours", lang, hours=minutes // 60, minutes=minutes % 60)
    else:
        days, hours = divmod(int(off / 3600 + 0.5), 24)
        amount = t("web.devices.clock_days", lang, days=days, hours=hours)
    return t("web.devices.clock_behind" if state == "behind" else "web.devices.clock_ahead", lang, amount=amount)
