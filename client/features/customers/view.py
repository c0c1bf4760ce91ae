"""The customer card: details and lifecycle/tier badges, key persons (add, edit), start/continue a visit,
notes, complaints with their response timers, purchase record, competitor reports, recent visits."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import flet as ft

from client import clock
from client.features.approvals.view import approvals_section, order_approval
from client.features.complaints.service import ComplaintStepForm
from client.features.complaints.view import complaint_handling
from client.features.drafts.conflicts_view import conflict_rows
from client.features.pipeline.view import pipeline_section
from client.features.pool.view import ownership_section
from client.features.today.directions import customer_point
from client.features.today.reminders import complaint_timer, parse_date
from client.features.visits.view import competitor_text, order_line_text
from client.services import CustomerCard, visit_duration_minutes
from client.shell.actions import Actions
from client.shell.state import AppState, KeyPersonForm
from client.widgets import (
    ERROR_COLOR,
    SMALL_TEXT,
    back_button,
    badge,
    choice_chips,
    date_field,
    date_time,
    enum_label,
    error_text,
    form_top,
    kind_label,
    money,
    muted,
    screen,
    section,
    status_label,
    tappable,
    text_field,
    title,
)
from shared.door_hours import stored_as_text
from shared.enums import (
    Attitude,
    ComplaintCategory,
    ComplaintStatus,
    CreditRating,
    CustomerStatus,
    Importance,
    KeyPersonRole,
    Severity,
    ValueTier,
    VisitType,
)
from shared.i18n import label, t
from shared.visit_fields import type_field_texts

MAX_SHOWN = 20  # of each history list on the card (newest first)


def door_hours_shown(value: object, lang: str) -> str:
    """A customer's door hours as the supervisor typed them ("1-5 08:30-11:30 14:30-17:00"), or 全天."""
    return stored_as_text(value) or t("client.customer.all_day", lang)


def visit_summary(visit: dict[str, Any], lang: str) -> str:
    try:
        kind = label(VisitType(str(visit.get("visit_type"))), lang)
    except ValueError:
        kind = ""
    amount = visit.get("order_amount")
    if visit.get("ordered") and isinstance(amount, int | float) and not isinstance(amount, bool):
        outcome = t("client.visit.outcome_amount", lang, amount=f"{amount:g}")
    else:
        outcome = t("client.visit.outcome_ordered" if visit.get("ordered") else "client.visit.outcome_none", lang)
    text = t("client.visit.summary", lang, time=date_time(visit.get("check_in_at")), type=kind, outcome=outcome)
    minutes = visit_duration_minutes(visit)
    if minutes is not None:
        text += " · " + t("client.visit.duration", lang, minutes=minutes)
    for _name, caption, value in type_field_texts(visit, lang):  # the visit type's own fields (docs/visits.md)
        text += f" · {caption}: {value}"
    return text


def navigate_button(customer: dict[str, Any], lang: str, actions: Actions) -> list[ft.Control]:
    """导航: the map app (Android) or a web map, when the customer's position is known."""
    if customer_point(customer) is None:
        return []
    return [
        ft.OutlinedButton(
            t("client.map.navigate", lang),
            icon=ft.Icons.NAVIGATION,
            on_click=lambda e: actions.navigate_to(str(customer["id"])),
        )
    ]


def build(state: AppState, actions: Actions) -> ft.Control:
    lang, card = state.lang, state.customer
    if card is None:
        return ft.Column([back_button(lang, actions.go_back), muted(t("client.customer.missing", lang))])
    customer = card.customer

    def detail(key: str, value: object) -> ft.Control:
        return ft.Text(f"{t(key, lang)}：{value or '—'}")

    def set_note(value: str) -> None:
        state.note_draft = value
        actions.typed()

    controls: list[ft.Control] = [
        *form_top(lang, state.confirm_leave, actions.go_back, actions.discard_changes, actions.keep_editing),
        title(str(customer.get("name", ""))),
        *badges(customer, lang),
        *ownership_section(str(customer["id"]), state.ownership, lang, actions),  # 我的客户 / 公海, 认领 / 释放
        muted(t("client.customer.on_plan" if card.on_plan_today else "client.customer.off_plan", lang)),
        detail("client.customer.kind", kind_label(customer, lang)),
        detail("client.customer.status", status_label(customer, lang)),
        detail("client.customer.address", customer.get("address")),
        detail("client.customer.phone", customer.get("phone")),
        detail("client.customer.contact", customer.get("contact_person")),
        detail("client.customer.door_hours", door_hours_shown(customer.get("door_hours"), lang)),
        ft.OutlinedButton(
            t("client.customer.edit", lang),
            icon=ft.Icons.EDIT,
            on_click=lambda e: actions.edit_customer(str(customer["id"])),
        ),
    ]
    if card.conflicts:
        controls += [
            section(t("client.customer.conflicts", lang)),
            *conflict_rows(card.conflicts, lang, with_customer=False),
        ]
    controls += [
        ft.Button(
            t("client.customer.continue_visit" if card.open_visit else "client.customer.start_visit", lang),
            icon=ft.Icons.PLACE,
            on_click=lambda e: actions.start_visit(str(customer["id"])),
        ),
        *navigate_button(customer, lang, actions),
        section(t("client.customer.notes", lang)),
        text_field(t("client.customer.note_field", lang), state.note_draft, set_note, multiline=True),
        error_text(state.note_error),
        ft.OutlinedButton(
            t("client.customer.add_note", lang), icon=ft.Icons.NOTE_ADD, on_click=lambda e: actions.add_note()
        ),
    ]
    if card.notes:
        controls += [ft.Text(f"{date_time(note.get('created_at'))}  {note.get('text', '')}") for note in card.notes]
    else:
        controls.append(muted(t("client.customer.no_notes", lang)))
    # After the note field (a rep on the move adds a note in a tap), the customer's records.
    controls += [
        *pipeline_section(state.pipeline, lang, actions),
        *key_persons(card, state.key_person, lang, actions),
        *complaints(card, state.complaint_step, lang, actions),
        *approvals_section(card.approvals, lang),
        *purchase_record(card, lang),
        *competitor_reports(card, lang),
    ]
    controls.append(section(t("client.customer.visits", lang)))
    if not card.visits:
        controls.append(muted(t("client.customer.no_visits", lang)))
    for index, visit in enumerate(card.visits[:MAX_SHOWN], start=1):
        summary = visit_summary(visit, lang)
        visit_id = str(visit["id"])
        controls.append(
            tappable(ft.Text(summary), functools.partial(actions.open_visit, visit_id), summary, f"visit-{index}")
        )
    return screen(controls, spacing=8)


def badges(customer: dict[str, Any], lang: str) -> list[ft.Control]:
    """Lifecycle status, value tier, importance and credit rating, read-only (the server keeps them)."""
    found = []
    if customer.get("status"):
        found.append(badge(enum_label(CustomerStatus, customer["status"], lang), ft.Colors.GREEN_50))
    if customer.get("tier"):
        found.append(badge(enum_label(ValueTier, customer["tier"], lang), ft.Colors.AMBER_100))
    if customer.get("importance"):
        importance = enum_label(Importance, customer["importance"], lang)
        found.append(badge(t("client.customer.importance", lang, value=importance), ft.Colors.BLUE_50))
    if customer.get("credit_rating"):
        rating = enum_label(CreditRating, customer["credit_rating"], lang)
        found.append(badge(t("client.customer.credit", lang, value=rating), ft.Colors.GREY_200))
    return [ft.Row(found, wrap=True, spacing=6, run_spacing=4)] if found else []


def person_text(person: dict[str, Any], lang: str) -> str:
    parts = [str(person.get("name") or ""), enum_label(KeyPersonRole, person.get("role"), lang)]
    if person.get("phone"):
        parts.append(t("client.key_person.phone_short", lang, value=person["phone"]))
    birthday = parse_date(person.get("birthday"))
    if birthday is not None:
        parts.append(t("client.key_person.birthday_short", lang, value=f"{birthday.month:02d}-{birthday.day:02d}"))
    if person.get("hobbies"):
        parts.append(t("client.key_person.hobbies_short", lang, value=person["hobbies"]))
    if person.get("attitude"):
        parts.append(t("client.key_person.attitude_short", lang, value=enum_label(Attitude, person["attitude"], lang)))
    return " · ".join(part for part in parts if part)


def key_persons(card: CustomerCard, form: KeyPersonForm, lang: str, actions: Actions) -> list[ft.Control]:
    controls: list[ft.Control] = [section(t("client.key_person.title", lang))]
    if not card.key_persons:
        controls.append(muted(t("client.key_person.none", lang)))
    for index, person in enumerate(card.key_persons, start=1):
        text = person_text(person, lang)
        extra = [muted(str(person["family_notes"]))] if person.get("family_notes") else []
        controls.append(
            tappable(
                ft.Column([ft.Text(text), *extra], spacing=2),
                functools.partial(actions.open_key_person, str(person["id"])),
                text,
                f"key-person-{index}",
            )
        )
    if form.open:
        controls.append(key_person_form(form, lang, actions))
    else:
        controls.append(
            ft.OutlinedButton(
                t("client.key_person.add", lang),
                icon=ft.Icons.PERSON_ADD,
                on_click=lambda e: actions.open_key_person(None),
            )
        )
    return controls


def key_person_form(form: KeyPersonForm, lang: str, actions: Actions) -> ft.Control:
    values, errors = form.values, form.errors

    def setter(name: str) -> Callable[[str], None]:
        def set_value(value: str) -> None:
            values[name] = value

        return set_value

    def field(name: str, **options: Any) -> ft.Control:
        return text_field(
            t(f"client.key_person.{name}", lang),
            str(values.get(name) or ""),
            setter(name),
            error=errors.get(name),
            **options,
        )

    roles = [(member.value, label(member, lang)) for member in KeyPersonRole]
    attitudes = [(member.value, label(member, lang)) for member in Attitude]
    shown = {"name", "role", "phone", "birthday", "hobbies", "family_notes", "attitude"}
    rest = "; ".join(f"{name}: {problem}" for name, problem in errors.items() if name not in shown) or None
    return ft.Container(
        ft.Column(
            [
                section(t("client.key_person.edit" if form.person_id else "client.key_person.new", lang)),
                field("name"),
                choice_chips(t("client.key_person.role", lang), roles, values.get("role"), setter("role")),
                error_text(errors.get("role")),
                field("phone", keyboard=ft.KeyboardType.PHONE),
                birthday_field(values, errors.get("birthday"), lang, setter("birthday")),
                field("hobbies"),
                field("family_notes", multiline=True),
                choice_chips(
                    t("client.key_person.attitude", lang), attitudes, values.get("attitude"), setter("attitude")
                ),
                error_text(rest),
                ft.Row(
                    [
                        ft.Button(
                            t("client.key_person.save", lang),
                            icon=ft.Icons.SAVE,
                            on_click=lambda e: actions.save_key_person(),
                        ),
                        ft.TextButton(
                            t("client.key_person.cancel", lang), on_click=lambda e: actions.cancel_key_person()
                        ),
                    ],
                    wrap=True,
                ),
                *key_person_delete(form, lang, actions),
            ],
            spacing=8,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        ),
        padding=10,
        border=ft.Border.all(1, ft.Colors.BLUE_200),
        border_radius=8,
    )


def birthday_field(
    values: dict[str, Any], error: str | None, lang: str, on_change: Callable[[str], None]
) -> ft.Control:
    """生日: typed, or picked in a calendar (the last 100 years; one of 40 years ago when none is known yet)."""
    today = clock.now().date()
    return date_field(
        t("client.key_person.birthday", lang),
        str(values.get("birthday") or ""),
        on_change,
        suggested=today.replace(year=today.year - 40, day=1),
        first=today.replace(year=today.year - 100, day=1),
        last=today,
        pick_label=t("client.date.pick", lang),
        lang=lang,
        error=error,
    )


def key_person_delete(form: KeyPersonForm, lang: str, actions: Actions) -> list[ft.Control]:
    """Deleting the key person being edited: a button, then a confirmation naming them."""
    if form.person_id is None:
        return []
    if not form.confirm_delete:
        return [
            ft.TextButton(
                t("client.key_person.delete", lang),
                icon=ft.Icons.DELETE_OUTLINE,
                on_click=lambda e: actions.ask_delete_key_person(),
            )
        ]
    name = str(form.values.get("name") or "")
    return [
        ft.Text(t("client.key_person.delete_confirm", lang, name=name), color=ERROR_COLOR),
        ft.Row(
            [
                ft.Button(
                    t("client.key_person.delete_yes", lang),
                    icon=ft.Icons.DELETE_FOREVER,
                    bgcolor=ft.Colors.RED_700,
                    color=ft.Colors.WHITE,
                    on_click=lambda e: actions.delete_key_person(),
                ),
                ft.TextButton(
                    t("client.key_person.delete_no", lang), on_click=lambda e: actions.cancel_delete_key_person()
                ),
            ],
            wrap=True,
        ),
    ]


def hours(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")


def timer_text(complaint: dict[str, Any], now: dt.datetime | None, lang: str) -> tuple[str, bool]:
    """The complaint's response timer in words, and whether it is late."""
    timer = complaint_timer(complaint)
    if timer is None or now is None:
        return "", False
    if timer.answered_at is not None:
        late = timer.overdue(now)
        return t("client.complaint.answered_late" if late else "client.complaint.answered", lang), late
    if str(complaint.get("status") or "received") != ComplaintStatus.RECEIVED.value:
        return "", False  # moved on; the server stamps when (responded_at) with its next answer
    left = timer.hours_left(now)
    if left < 0:
        return t("client.complaint.overdue", lang, hours=hours(-left)), True
    return t("client.complaint.due", lang, time=date_time(timer.due_at.isoformat()), hours=hours(left)), False


def complaints(card: CustomerCard, form: ComplaintStepForm, lang: str, actions: Actions) -> list[ft.Control]:
    controls: list[ft.Control] = [section(t("client.complaint.list", lang))]
    if not card.complaints:
        controls.append(muted(t("client.complaint.none", lang)))
    for complaint in card.complaints[:MAX_SHOWN]:
        head = " · ".join(
            part
            for part in (
                date_time(complaint.get("received_at")),
                enum_label(ComplaintCategory, complaint.get("category"), lang),
                enum_label(Severity, complaint.get("severity"), lang),
                enum_label(ComplaintStatus, complaint.get("status") or "received", lang),
            )
            if part
        )
        timer, late = timer_text(complaint, card.as_of, lang)
        rows: list[ft.Control] = [
            ft.Text(head, weight=ft.FontWeight.W_600),
            ft.Text(str(complaint.get("description") or "")),
        ]
        if timer:
            rows.append(ft.Text(timer, color=ERROR_COLOR if late else None, size=SMALL_TEXT))
        if complaint.get("solution"):
            rows.append(muted(t("client.complaint.solution", lang, text=complaint["solution"])))
        rows += complaint_handling(complaint, form, lang, actions)
        controls.append(ft.Column(rows, spacing=2))
    return controls


def purchase_record(card: CustomerCard, lang: str) -> list[ft.Control]:
    controls: list[ft.Control] = [section(t("client.order.history", lang))]
    if not card.orders:
        controls.append(muted(t("client.order.none", lang)))
    for order in card.orders[:MAX_SHOWN]:
        lines = order.get("lines") or []
        controls.append(
            ft.Text(
                t(
                    "client.order.history_item",
                    lang,
                    time=date_time(order.get("ordered_at")),
                    amount=money(order.get("amount"), lang),
                    count=len(lines),
                ),
                weight=ft.FontWeight.W_600,
            )
        )
        controls += [ft.Text("  " + order_line_text(line, card.products, lang), size=SMALL_TEXT) for line in lines]
        controls += order_approval(order, lang)  # 待审批 / 已批准 / 已驳回 and the supervisor's comment
    return controls


def competitor_reports(card: CustomerCard, lang: str) -> list[ft.Control]:
    controls: list[ft.Control] = [section(t("client.competitor.history", lang))]
    if not card.competitor_reports:
        controls.append(muted(t("client.competitor.none", lang)))
    for report in card.competitor_reports[:MAX_SHOWN]:
        controls.append(ft.Text(f"{date_time(report.get('observed_at'))}  {competitor_text(report, lang)}"))
    return controls
