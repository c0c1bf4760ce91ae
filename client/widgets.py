"""Small building blocks the screens share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import flet as ft

from client import clock
from client.services import parse_moment
from shared.enums import CustomerKind, CustomerStatus
from shared.i18n import label, t

ERROR_COLOR = ft.Colors.RED_700
MUTED_COLOR = ft.Colors.GREY_700


def title(text: str) -> ft.Control:
    return ft.Text(text, size=20, weight=ft.FontWeight.BOLD)


# Small print (details, times, statuses) is never under 14 sp: read at arm's length, in daylight.
SMALL_TEXT = 14


def section(text: str) -> ft.Control:
    return ft.Text(text, size=16, weight=ft.FontWeight.W_600)


def muted(text: str) -> ft.Text:
    return ft.Text(text, size=SMALL_TEXT, color=MUTED_COLOR)


def error_text(text: str | None) -> ft.Control:
    return ft.Text(text or "", color=ERROR_COLOR, visible=bool(text))


def text_field(
    label_text: str,
    value: str,
    on_change: Callable[[str], None],
    *,
    error: str | None = None,
    multiline: bool = False,
    password: bool = False,
    keyboard: ft.KeyboardType = ft.KeyboardType.TEXT,
    on_submit: Callable[[], None] | None = None,
) -> ft.TextField:
    """A text field whose label is also its accessible name (end-to-end tests find it by label)."""
    return ft.TextField(
        label=label_text,
        value=value,
        on_change=lambda e: on_change(e.control.value or ""),
        on_submit=(lambda e: on_submit()) if on_submit else None,
        error=error,
        multiline=multiline,
        min_lines=2 if multiline else None,
        max_lines=5 if multiline else None,
        password=password,
        can_reveal_password=password,
        keyboard_type=keyboard,
    )


def touch_height(control: ft.Control) -> ft.Control:
    """A check box (with its label) 48 px high: the web's compact density draws it 40 px."""
    return ft.Container(control, height=48)


def choice_chips(
    label_text: str, options: list[tuple[str, str]], value: str | None, on_change: Callable[[str], None]
) -> ft.Control:
    """One-of-many choice as a wrapping row of chips (compact on a phone; each findable by its text)."""
    chips: list[ft.Chip] = []
    row = ft.Row(wrap=True, spacing=6, run_spacing=4)

    def select(key: str) -> None:
        for chip, (option_key, _) in zip(chips, options, strict=True):
            chip.selected = option_key == key
        on_change(key)
        row.update()

    for key, text in options:
        chips.append(
            ft.Chip(
                label=text,
                selected=key == value,
                show_checkmark=False,
                on_select=lambda e, key=key: select(key),
            )
        )
    row.controls = list(chips)
    return ft.Column([muted(label_text), row], spacing=2)


def kind_label(customer: dict[str, Any], lang: str) -> str:
    try:
        return label(CustomerKind(str(customer.get("kind"))), lang)
    except ValueError:
        return str(customer.get("kind") or "")


def status_label(customer: dict[str, Any], lang: str) -> str:
    try:
        return label(CustomerStatus(str(customer.get("status"))), lang)
    except ValueError:
        return ""


def clock_time(value: object) -> str:
    """ "08:05" of an ISO date-time, in the company's time zone (whatever the phone's is)."""
    moment = parse_moment(value)
    return clock.local(moment).strftime("%H:%M") if moment else ""


def date_time(value: object) -> str:
    moment = parse_moment(value)
    return clock.local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def tappable(content: ft.Control, on_click: Callable[[], None], semantics_label: str, identifier: str) -> ft.Control:
    """A card-like tappable row, 48 px high at least (one line and its padding); its accessible name is
    `semantics_label` (e.g. "name 未拜访")."""
    return ft.Semantics(
        label=semantics_label,
        identifier=identifier,
        button=True,
        container=True,
        content=ft.Container(
            content=content,
            on_click=lambda e: on_click(),
            padding=ft.Padding.symmetric(horizontal=12, vertical=14),
            border=ft.Border.all(1, ft.Colors.GREY_300),
            border_radius=8,
        ),
    )


def today_text(day: dt.date) -> str:
    return day.isoformat()


def back_button(lang: str, on_click: Callable[[], None], key: str = "client.back") -> ft.Control:
    return ft.TextButton(t(key, lang), icon=ft.Icons.ARROW_BACK, on_click=lambda e: on_click())


def leave_prompt(lang: str, on_discard: Callable[[], None], on_keep: Callable[[], None]) -> ft.Control:
    """Asked when the rep goes back from a form holding unsaved typing: nothing typed goes without a word."""
    return ft.Container(
        ft.Column(
            [
                ft.Text(t("client.leave.title", lang), weight=ft.FontWeight.BOLD),
                ft.Row(
                    [
                        ft.FilledButton(t("client.leave.keep", lang), on_click=lambda e: on_keep(), height=48),
                        ft.OutlinedButton(t("client.leave.discard", lang), on_click=lambda e: on_discard(), height=48),
                    ],
                    wrap=True,
                ),
            ],
            spacing=6,
        ),
        padding=10,
        border=ft.Border.all(1, ft.Colors.ORANGE_300),
        border_radius=8,
        bgcolor=ft.Colors.ORANGE_50,
    )


def form_top(
    lang: str, confirm_leave: bool, go_back: Callable[[], None], discard: Callable[[], None], keep: Callable[[], None]
) -> list[ft.Control]:
    """A form's back button, with the leave prompt under it while it is asked."""
    return [back_button(lang, go_back), *([leave_prompt(lang, discard, keep)] if confirm_leave else [])]


def screen(controls: list[ft.Control], spacing: int = 8) -> ft.Column:
    """A screen's column: children take the full width (a phone's narrow screen)."""
    return ft.Column(controls, spacing=spacing, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


def enum_label(enum: type[StrEnum], value: object, lang: str) -> str:
    """The display name of a stored enum value; an unknown value is shown as it is."""
    try:
        return label(enum(str(value)), lang)
    except ValueError:
        return str(value or "")


def money(value: object, lang: str) -> str:
    """An amount in yuan, to the fen and without trailing zeros: "¥1,234.5"."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return t("client.money", lang, amount=text)


def product_name(product: dict[str, Any]) -> str:
    """A catalogue product as the rep knows it: name and spec (two products may share a name)."""
    return " ".join(str(part) for part in (product.get("name"), product.get("spec")) if part)


def badge(text: str, color: str = ft.Colors.BLUE_50) -> ft.Control:
    return ft.Container(
        ft.Text(text, size=SMALL_TEXT, weight=ft.FontWeight.W_600),
        bgcolor=color,
        border_radius=10,
        padding=ft.Padding.symmetric(horizontal=8, vertical=2),
    )


def typed_date(text: object) -> dt.date | None:
    """A typed YYYY-MM-DD date, or None (empty, or not a date)."""
    try:
        return dt.date.fromisoformat(str(text or "").strip())
    except ValueError:
        return None


def picked_date(value: object) -> dt.date | None:
    """The day a DatePicker reports (a datetime at its midnight, or a date)."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def date_field(
    label_text: str,
    value: str,
    on_change: Callable[[str], None],
    *,
    suggested: dt.date,
    first: dt.date,
    last: dt.date,
    pick_label: str,
    lang: str,
    error: str | None = None,
) -> ft.TextField:
    """A date typed as YYYY-MM-DD, or picked: the calendar button (48 px) opens a DatePicker on the typed date,
    else on `suggested`; the picked day is written into the field as if typed."""
    date_input = text_field(label_text, value, on_change, error=error, keyboard=ft.KeyboardType.DATETIME)
    date_input.hint_text = "YYYY-MM-DD"  # the label stays short: the calendar button shares its line
    today = clock.now().date()

    def picked(event: ft.Event[ft.DatePicker]) -> None:
        day = picked_date(event.control.value)
        if day is None:
            return
        date_input.value = day.isoformat()
        on_change(date_input.value)
        date_input.update()

    def open_picker(event: ft.Event[ft.IconButton]) -> None:
        shown = typed_date(date_input.value)
        initial = shown if shown is not None and first <= shown <= last else suggested
        event.page.show_dialog(
            ft.DatePicker(
                value=dt.datetime.combine(initial, dt.time()),
                first_date=dt.datetime.combine(first, dt.time()),
                last_date=dt.datetime.combine(last, dt.time()),
                current_date=dt.datetime.combine(today, dt.time()),
                locale=ft.Locale("zh", "CN") if lang.startswith("zh") else ft.Locale("en", "GB"),
                on_change=picked,
            )
        )

    date_input.suffix_icon = ft.IconButton(
        ft.Icon(ft.Icons.CALENDAR_MONTH, semantics_label=pick_label),
        tooltip=pick_label,
        on_click=open_picker,
        style=ft.ButtonStyle(padding=12),
    )
    return date_input
