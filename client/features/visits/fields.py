"""Each visit type's own fields on the phone's visit form (shared.records.VISIT_TYPE_FIELDS; docs/visits.md):
the form's values from a stored visit, and the record fields from the form's values. No I/O, no Flet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.enums import VisitType
from shared.records import ALL_VISIT_TYPE_FIELDS, MAX_CALL_MINUTES, VISIT_TYPE_FIELDS
from shared.visit_fields import BOOLEAN_FIELDS

LONG_TEXT_FIELDS = frozenset({"needs", "objections", "promises", "carried_through"})  # multiline on the form


def fields_of(visit_type: object) -> tuple[str, ...]:
    """The type fields the form shows for `visit_type` (none for an unknown type)."""
    try:
        return VISIT_TYPE_FIELDS[VisitType(str(visit_type))]
    except ValueError:
        return ()


def form_values(record: Mapping[str, Any] | None) -> dict[str, Any]:
    """The form's values of every type field from a stored visit: text as text, yes/no as bool."""
    record = record or {}
    values: dict[str, Any] = {}
    for name in ALL_VISIT_TYPE_FIELDS:
        value = record.get(name)
        if name in BOOLEAN_FIELDS:
            values[name] = bool(value)
        elif name in ("deal_outcome", "follows_visit_id"):
            values[name] = value
        elif name == "monthly_volume" and isinstance(value, int | float):
            values[name] = f"{value:.2f}".rstrip("0").rstrip(".")
        else:
            values[name] = "" if value is None else str(value)
    return values


def record_fields(values: Mapping[str, Any], stored: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """(fields, problems): the selected type's fields from the form, and None for another type's field the
    stored visit still has (the rep changed the type). Problems are i18n keys by field."""
    allowed = fields_of(values.get("visit_type"))
    fields: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name in ALL_VISIT_TYPE_FIELDS:
        if name not in allowed:
            if stored and stored.get(name) is not None:
                fields[name] = None
            continue
        value = values.get(name)
        if name in BOOLEAN_FIELDS:
            fields[name] = bool(value)
        elif name in ("deal_outcome", "follows_visit_id"):
            fields[name] = value or None
        elif name == "monthly_volume":
            typed = str(value or "").strip().replace(",", "")
            try:
                fields[name] = float(typed) if typed else None
            except ValueError:
                problems[name] = "visit.bad_volume"
        elif name == "call_minutes":
            typed = str(value or "").strip()
            if not typed:
                fields[name] = None
            elif typed.isdigit() and 1 <= int(typed) <= MAX_CALL_MINUTES:
                fields[name] = int(typed)
            else:
                problems[name] = "visit.bad_minutes"
        else:
            fields[name] = str(value or "").strip() or None
    return fields, problems
