"""How a visit's flags read (docs/visits.md): each flag's name and its reason with the figures, zh-CN and en."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.enums import VisitFlag
from shared.i18n import label, t


def _number(value: object) -> object:
    """12.0 reads 12; 12.5 stays 12.5; a thousand metres read 1,000."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value


def flag_reason(code: str, figures: Mapping[str, Any] | None, lang: str) -> str:
    """The reason of one flag with its figures; "" when the flag was stored without them (before 0021)."""
    if not figures and code not in (VisitFlag.NO_LOCATION, VisitFlag.MOCKED_LOCATION):
        return ""
    values = {name: _number(value) for name, value in (figures or {}).items()}
    key = f"visit.flag_reason.{code}"
    if code == VisitFlag.IMPOSSIBLE_TRAVEL and values.get("speed_kmh") is None:
        key = "visit.flag_reason.impossible_travel_at_once"
    elif code == VisitFlag.ENTERED_LATE and values.get("saved_hours") is not None:
        key = "visit.flag_reason.entered_late_saved"
    elif code == VisitFlag.PHOTO_MISSING:
        key = f"visit.flag_reason.photo_missing_{values.get('required')}"
    try:
        return t(key, lang, **values)
    except (KeyError, IndexError, ValueError):  # figures of another version: the name alone says enough
        return ""


def flag_texts(
    flags: list[str] | None, figures: Mapping[str, Mapping[str, Any]] | None, lang: str
) -> list[tuple[str, str, str]]:
    """(code, name, reason) of each flag, in the stored order."""
    texts = []
    for code in flags or []:
        try:
            name = label(VisitFlag(code), lang)
        except ValueError:
            name = code
        texts.append((code, name, flag_reason(code, (figures or {}).get(code), lang)))
    return texts
