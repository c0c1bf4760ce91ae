"""The supervisor's edit form of a customer's archive: what it shows, what it sends, how its input is checked.

Beside each field the form carries the value it was rendered with (`seen_<field>`) and that value's clock
(`clock_<field>`, the customer's `field_clocks`). Only the fields the supervisor changed are sent, with the
clocks they replaced as the edit's `base`: a phone's edit that reached the server after the page was rendered
then merges by the sync rules (sync.merge; the loser is kept as a conflict record) instead of being
overwritten silently, and a field the supervisor left alone is never written back with the stale value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.door_hours import DoorHoursError, stored_as_text, typed_to_stored
from shared.enums import CustomerKind, CustomerStatus, Importance, RecordKind
from shared.hlc import is_hlc
from shared.i18n import t
from shared.records import SCHEMAS, validate_fields

# In the order the form shows them; all are device-writable fields of shared.records.SCHEMAS[customer].
EDITABLE_FIELDS = ("name", "kind", "status", "importance", "address", "phone", "contact_person", "door_hours")
CHOICES: dict[str, type[StrEnum]] = {"kind": CustomerKind, "status": CustomerStatus, "importance": Importance}
# The schema's text lengths (shared.records), to say the limit in the supervisor's language;
# validate_fields checks them again before anything is stored.
MAX_LENGTHS = {"name": 100, "address": 200, "phone": 40, "contact_person": 60}
# What the form takes: the schema's limits, and door hours as typed (stored as their dict: shared/door_hours.py).
FORM_LIMITS = {**MAX_LENGTHS, "door_hours": 300}
LABEL_KEYS = {
    "name": "web.customer.name",
    "kind": "web.customer.kind",
    "status": "web.customer.status",
    "importance": "web.customer.importance",
    "address": "web.customer.address",
    "phone": "web.customer.phone",
    "contact_person": "web.customer.contact",
    "door_hours": "web.customer.door_hours",
}
ENUM_NAMES = {"kind": "CustomerKind", "status": "CustomerStatus", "importance": "Importance"}


@dataclass
class CustomerEditForm:
    """The form's state: the inputs' values, the values and clocks the page was rendered with, and errors."""

    values: dict[str, str]
    seen: dict[str, str]
    clocks: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return EDITABLE_FIELDS

    @property
    def choices(self) -> dict[str, list[str]]:
        return {name: [member.value for member in enum] for name, enum in CHOICES.items()}

    @property
    def enum_names(self) -> dict[str, str]:
        return ENUM_NAMES

    @property
    def label_keys(self) -> dict[str, str]:
        return LABEL_KEYS

    @property
    def max_lengths(self) -> dict[str, int]:
        return FORM_LIMITS


@dataclass(frozen=True)
class CustomerChanges:
    """What the form sends: the changed fields, and for each the clock of the value it replaced."""

    fields: dict[str, Any]
    base: dict[str, str]


def _shown(value: object) -> str:
    return "" if value is None else str(value)


def _field_text(customer: Any, name: str) -> str:
    value = getattr(customer, name)
    return stored_as_text(value) if name == "door_hours" else _shown(value)


def _stored(name: str, text: str | None) -> Any:
    """What a field's typed text is stored as: door hours as their dict (None: all day), the rest as typed."""
    return typed_to_stored(text) if name == "door_hours" and text is not None else text


def form_of(customer: Any) -> CustomerEditForm:
    """The form for the customer as it is now (a `Customer` row)."""
    clocks = customer.field_clocks or {}
    values = {name: _field_text(customer, name) for name in EDITABLE_FIELDS}
    return CustomerEditForm(
        values=values,
        seen=dict(values),
        clocks={name: _shown(clocks.get(name)) for name in EDITABLE_FIELDS},
    )


def read_form(data: Mapping[str, str]) -> CustomerEditForm:
    """The form as posted; a field missing from the post counts as left alone."""
    seen = {name: str(data.get(f"seen_{name}", "")) for name in EDITABLE_FIELDS}
    return CustomerEditForm(
        values={name: str(data.get(name, seen[name])) for name in EDITABLE_FIELDS},
        seen=seen,
        clocks={name: str(data.get(f"clock_{name}", "")) for name in EDITABLE_FIELDS},
    )


def _normal(text: str) -> str | None:
    stripped = text.strip()
    return stripped or None


def _label(name: str, lang: str) -> str:
    return t(LABEL_KEYS[name], lang)


def _problem(name: str, value: str | None, lang: str) -> str | None:
    if value is None:
        if not SCHEMAS[RecordKind.CUSTOMER][name].nullable:
            return t("web.customer_edit.error.required", lang, field=_label(name, lang))
        return None
    enum = CHOICES.get(name)
    if enum is not None and value not in {member.value for member in enum}:
        return t("web.customer_edit.error.choice", lang, field=_label(name, lang))
    limit = FORM_LIMITS.get(name)
    if limit is not None and len(value) > limit:
        return t("web.customer_edit.error.too_long", lang, field=_label(name, lang), max=limit)
    return None


def changes_of(form: CustomerEditForm, lang: str) -> CustomerChanges:
    """The changed fields and their base clocks; problems go to `form.errors` (then nothing may be stored).

    A field counts as changed when its input differs from the value the page was rendered with, not from
    the value stored now: what a phone changed meanwhile is not the supervisor's change. A clock that is not
    a clock (a damaged form) is left out of the base, which makes the edit concurrent rather than informed.
    """
    fields: dict[str, Any] = {}
    base: dict[str, str] = {}
    for name in EDITABLE_FIELDS:
        value = _normal(form.values[name])
        if value == _normal(form.seen[name]):
            continue
        problem = _problem(name, value, lang)
        if problem:
            form.errors[name] = problem
            continue
        try:
            fields[name] = _stored(name, value)
        except DoorHoursError as unreadable:
            problem = str(unreadable)
            form.errors[name] = t("web.customer_edit.error.invalid", lang, field=_label(name, lang), problem=problem)
            continue
        if is_hlc(form.clocks[name]):
            base[name] = form.clocks[name]
    for error in validate_fields(RecordKind.CUSTOMER, fields, creating=False):  # the schema has the last word
        if error.field in LABEL_KEYS:
            message = t("web.customer_edit.error.invalid", lang, field=_label(error.field, lang), problem=error.problem)
            form.errors.setdefault(error.field, message)
    return CustomerChanges(fields=fields, base=base)


def field_list(names: str, lang: str) -> str:
    """The fields' labels, e.g. 电话、地址 for "phone,address" (a redirect's query); unknown names left out."""
    wanted = [name for name in names.split(",") if name in LABEL_KEYS]
    return t("web.customer_edit.separator", lang).join(_label(name, lang) for name in wanted)


def edit_notices(query: Mapping[str, str], lang: str) -> list[tuple[str, str]]:
    """What the page says after a save (post/redirect/get): saved or unchanged, and any concurrent edits."""
    notices: list[tuple[str, str]] = []
    if query.get("saved") == "1":
        notices.append(("saved", t("web.customer_edit.saved", lang)))
    elif query.get("saved") == "0":
        notices.append(("unchanged", t("web.customer_edit.unchanged", lang)))
    for kind in ("overrode", "lost"):
        names = field_list(query.get(kind, ""), lang)
        if names:
            notices.append((kind, t(f"web.customer_edit.{kind}", lang, fields=names)))
    return notices
