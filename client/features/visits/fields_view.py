"""The visit form's part that depends on the visit type (docs/visits.md): the type's own fields, the early
visit's window, the home visit a follow-up carries through. Values live in the form (client.features.visits.fields)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import flet as ft

from client import clock
from client.features.today.reminders import parse_moment
from client.features.visits.fields import LONG_TEXT_FIELDS, fields_of
from client.shell.state import VisitForm
from client.widgets import choice_chips, clock_time, date_time, error_text, muted, section, text_field, touch_height
from shared.enums import DealOutcome, VisitType
from shared.i18n import label, t
from shared.records import outside_early_window
from shared.visit_fields import BOOLEAN_FIELDS


class VisitTypeActions(Protocol):
    def choose_visit_type(self, visit_type: str) -> None: ...  # the form shows the new type's fields


def type_chips(form: VisitForm, lang: str, actions: VisitTypeActions) -> ft.Control:
    """The visit types as chips; picking one re-renders the form with that type's fields."""
    chosen = form.values.get("visit_type")
    chips: list[ft.Control] = [
        ft.Chip(
            label=label(member, lang),
            selected=member.value == chosen,
            show_checkmark=False,
            on_select=lambda e, value=member.value: actions.choose_visit_type(value),
        )
        for member in VisitType
    ]
    return ft.Column(
        [muted(t("client.visit.type", lang)), ft.Row(chips, wrap=True, spacing=6, run_spacing=4)], spacing=2
    )


def type_notes(form: VisitForm, lang: str) -> list[ft.Control]:
    """What the type means for this visit: no location for a call, an early visit outside its window."""
    visit, visit_type = form.visit or {}, form.values.get("visit_type")
    notes: list[ft.Control] = []
    if visit_type == VisitType.PHONE.value:
        notes.append(muted(t("visit.phone_no_location", lang)))
    moment = parse_moment(visit.get("check_in_at"))
    if visit_type == VisitType.EARLY.value and moment is not None and outside_early_window(clock.local(moment)):
        notes.append(error_text(t("visit.early_window", lang, time=clock_time(visit.get("check_in_at")))))
    return notes


def type_fields(
    form: VisitForm, lang: str, follows: dict[str, Any] | None = None, on_typed: Callable[[], None] | None = None
) -> list[ft.Control]:
    """The selected type's own fields. `follows`: the home visit a follow-up is linked to, if any; `on_typed`
    hears every change (the form is kept as the rep types: client/shell/autosave.py)."""
    values, names = form.values, fields_of(form.values.get("visit_type"))
    if not names:
        return []

    def setter(name: str) -> Callable[[Any], None]:
        def set_value(value: Any) -> None:
            values[name] = value
            if on_typed is not None:
                on_typed()

        return set_value

    controls: list[ft.Control] = [section(t("visit.type_fields", lang))]
    for name in names:
        caption = t(f"visit.field.{name}", lang)
        if name in BOOLEAN_FIELDS:
            controls.append(
                touch_height(
                    ft.Checkbox(
                        label=caption,
                        value=bool(values.get(name)),
                        on_change=lambda e, name=name: setter(name)(bool(e.control.value)),
                    )
                )
            )
        elif name == "deal_outcome":
            outcomes = [(member.value, label(member, lang)) for member in DealOutcome]
            controls.append(choice_chips(caption, outcomes, values.get(name), setter(name)))
        elif name == "follows_visit_id":
            if values.get(name) and follows is not None:
                day = date_time(follows.get("check_in_at"))
                controls.append(muted(t("visit.follows_home", lang, day=day)))
        else:
            numeric = name in ("monthly_volume", "call_minutes")
            controls.append(
                text_field(
                    caption,
                    str(values.get(name) or ""),
                    setter(name),
                    error=form.errors.get(name),
                    multiline=name in LONG_TEXT_FIELDS,
                    keyboard=ft.KeyboardType.NUMBER if numeric else ft.KeyboardType.TEXT,
                )
            )
    return controls
