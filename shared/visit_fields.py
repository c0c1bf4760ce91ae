"""How a visit's type fields (shared.records.VISIT_TYPE_FIELDS) read, for the phone and the supervisor's pages."""

from __future__ import annotations

from collections.abc import Mapping

from shared.enums import DealOutcome
from shared.i18n import label, t
from shared.records import ALL_VISIT_TYPE_FIELDS

BOOLEAN_FIELDS = frozenset(
    {"next_visit_agreed", "appointment_booked", "materials_delivered", "prescription_reminded", "satisfied"}
)
NUMBER_FIELDS = frozenset({"monthly_volume", "call_minutes"})


def type_field_text(name: str, value: object, lang: str) -> str:
    """One type field's value as the rep and the supervisor read it."""
    if name in BOOLEAN_FIELDS:
        return t("visit.value.yes" if value else "visit.value.no", lang)
    if name == "deal_outcome":
        try:
            return label(DealOutcome(str(value)), lang)
        except ValueError:
            return str(value)
    if name == "monthly_volume" and isinstance(value, int | float):
        return t("visit.value.yuan_per_month", lang, amount=f"{value:,.0f}")
    if name == "call_minutes":
        return t("visit.value.minutes", lang, minutes=value)
    if name == "follows_visit_id":
        return t("visit.value.follows", lang)
    return str(value)


def type_field_texts(visit: Mapping[str, object], lang: str) -> list[tuple[str, str, str]]:
    """The type fields the visit has (a value), as (name, label, text), in the order of the form."""
    return [
        (name, t(f"visit.field.{name}", lang), type_field_text(name, visit[name], lang))
        for name in ALL_VISIT_TYPE_FIELDS
        if visit.get(name) is not None
    ]
