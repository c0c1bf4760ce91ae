"""A visit: check in (签到), the record form (保存), check out (签退) with the visit's duration; on the visit
an order (下单) from the catalogue, a competitor report (竞品信息) and a complaint (投诉)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import flet as ft

from client import clock
from client.features.approvals.expected import order_expectation
from client.features.approvals.view import notice_box, order_approval, order_notice
from client.features.campaigns.view import campaign_section
from client.features.drafts.banner import draft_banner
from client.features.orders.catalogue import find_products
from client.features.photos.view import photo_section
from client.features.visits.fields_view import type_chips, type_fields, type_notes
from client.services import FormProblems, VisitRecords, order_amount, order_lines_from_form, visit_duration_minutes
from client.shell.actions import Actions
from client.shell.state import AppState, VisitForm, VisitPanel
from client.widgets import (
    SMALL_TEXT,
    choice_chips,
    clock_time,
    date_field,
    enum_label,
    error_text,
    form_top,
    money,
    muted,
    product_name,
    screen,
    section,
    text_field,
    title,
    touch_height,
)
from shared.enums import Attitude, ComplaintCategory, KeyPersonRole, Severity, VisitType
from shared.i18n import label, t
from shared.visit_flags import flag_texts

logger = logging.getLogger(__name__)


def coordinate(value: Any) -> str:
    return f"{value:.5f}"  # about a metre; more digits than a phone's GPS knows would mislead


def where(visit: dict[str, Any], lang: str) -> str:
    """Where the rep checked in, or that the device gave no position (the visit is recorded all the same)."""
    lat, lng, accuracy = visit.get("check_in_lat"), visit.get("check_in_lng"), visit.get("check_in_accuracy")
    if lat is None or lng is None:
        return t("client.visit.no_location", lang)
    if accuracy is None:
        return t("client.visit.location", lang, lat=coordinate(lat), lng=coordinate(lng))
    return t("client.visit.location_accuracy", lang, lat=coordinate(lat), lng=coordinate(lng), metres=f"{accuracy:.0f}")


def build(state: AppState, actions: Actions) -> ft.Control:
    lang, form = state.lang, state.visit
    customer = form.customer or {}
    values = form.values

    def setter(key: str) -> Callable[[str], None]:
        def set_value(value: str) -> None:
            values[key] = value
            actions.typed()

        return set_value

    def field(key: str, *, multiline: bool = False, keyboard: ft.KeyboardType = ft.KeyboardType.TEXT) -> ft.Control:
        return text_field(
            t(f"client.visit.{key}", lang),
            str(values.get(key) or ""),
            setter(key),
            error=form.errors.get(key),
            multiline=multiline,
            keyboard=keyboard,
        )

    def set_ordered(checked: bool) -> None:
        values["ordered"] = checked
        actions.typed()

    controls: list[ft.Control] = [
        *form_top(lang, state.confirm_leave, actions.go_back, actions.discard_changes, actions.keep_editing),
        title(t("client.visit.title", lang, name=customer.get("name", ""))),
        *([finished_summary(form, lang)] if form.finished and form.visit is not None else []),
        *([draft_banner(form.draft, lang)] if form.draft is not None else []),
        muted(t("client.visit.planned" if form.planned else "client.visit.off_route", lang)),
        type_chips(form, lang, actions),  # client/features/visits/fields_view.py: the type's own fields below
        *type_notes(form, lang),
    ]
    visit = form.visit
    if visit is None:  # 签到 waits in the action bar under the form (`next_action`)
        controls.append(muted(t("client.visit.before_check_in", lang)))
        located = form.located  # found ahead of 签到 (client/shell/app.py `locate_ahead`)
        if located is not None and located.accuracy is not None and form.values.get("visit_type") != VisitType.PHONE:
            controls.append(muted(t("client.visit.located_ahead", lang, metres=f"{located.accuracy:.0f}")))
        return screen(controls, spacing=10)

    status_line = [t("client.visit.checked_in", lang, time=clock_time(visit.get("check_in_at"))), where(visit, lang)]
    if visit.get("check_out_at"):
        status_line.append(t("client.visit.checked_out", lang, time=clock_time(visit.get("check_out_at"))))
        if visit.get("check_out_lat") is not None and visit.get("check_out_lng") is not None:
            lat, lng = coordinate(visit["check_out_lat"]), coordinate(visit["check_out_lng"])
            status_line.append(t("client.visit.check_out_location", lang, lat=lat, lng=lng))
        status_line.append(t("client.visit.duration", lang, minutes=visit_duration_minutes(visit)))
    attitudes = [(member.value, label(member, lang)) for member in Attitude]
    controls += [
        ft.Text(" · ".join(status_line), weight=ft.FontWeight.W_600),
        *([flags_notice(form, lang)] if form.expected_flags and not form.finished else []),
        *([] if form.draft is not None else visit_extras(form, lang, actions)),
        *type_fields(form, lang, form.follows, on_typed=actions.typed),
        *person_met_field(values, form.key_persons, form.errors.get("person_met"), lang, actions),
        field("purpose"),
        choice_chips(t("client.visit.attitude", lang), attitudes, values.get("attitude"), setter("attitude")),
        field("progress", multiline=True),
        touch_height(
            ft.Checkbox(
                label=t("client.visit.ordered", lang),
                value=bool(values.get("ordered")),
                on_change=lambda e: set_ordered(bool(e.control.value)),
            )
        ),
        field("order_amount", keyboard=ft.KeyboardType.NUMBER),
        next_visit_field(values, form.errors.get("next_visit_date"), lang, setter("next_visit_date")),
        field("notes", multiline=True),
        error_text(form.message),
    ]
    if form.draft is not None:  # fixing a refused visit: one button sends it again
        controls.append(
            ft.Button(t("client.drafts.resend", lang), icon=ft.Icons.SEND, on_click=lambda e: actions.resend_draft())
        )
        return screen(controls, spacing=10)
    controls.append(  # 签退 waits in the action bar under the form (`next_action`)
        ft.OutlinedButton(t("client.visit.save", lang), icon=ft.Icons.SAVE, on_click=lambda e: actions.save_visit())
    )
    return screen(controls, spacing=10)


def people_to_meet(key_persons: list[dict[str, Any]], visits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The customer's key persons for the 访问对象 chips: the one met on the newest visit first, then by name."""
    newest = max(visits, key=lambda visit: str(visit.get("check_in_at") or ""), default={})
    last_met = str(newest.get("person_met") or "").strip()
    return sorted(key_persons, key=lambda person: (person.get("name") != last_met, str(person.get("name") or "")))


def person_met_field(
    values: dict[str, Any], key_persons: list[dict[str, Any]], error: str | None, lang: str, actions: Actions
) -> list[ft.Control]:
    """访问对象, typed, or one tap on a chip of the customer's key persons (name · role)."""

    def typed(value: str) -> None:
        values["person_met"] = value
        actions.typed()

    person_input = text_field(
        t("client.visit.person_met", lang), str(values.get("person_met") or ""), typed, error=error
    )
    if not key_persons:
        return [person_input]

    def choose(name: str) -> None:
        person_input.value = name
        typed(name)
        try:
            person_input.update()
        except Exception:  # not on a page (a test): the state holds it
            logger.debug("person field update failed", exc_info=True)

    chips: list[ft.Control] = []
    for person in key_persons[:MAX_PERSON_CHIPS]:
        name = str(person.get("name") or "")
        role = enum_label(KeyPersonRole, person.get("role"), lang)
        chips.append(
            ft.Chip(
                label=f"{name} · {role}" if role else name,
                on_click=lambda e, name=name: choose(name),
                leading=ft.Icon(ft.Icons.PERSON, size=18),
            )
        )
    return [person_input, ft.Row(chips, wrap=True, spacing=6, run_spacing=4)]


MAX_PERSON_CHIPS = 6  # a clinic's or a shop's people who matter; more would push the form down

# The next visit is agreed within these bounds; the picker opens a week ahead (the usual rhythm of a round).
NEXT_VISIT_AFTER_DAYS = 7
NEXT_VISIT_WITHIN_DAYS = 366


def next_visit_field(
    values: dict[str, Any], error: str | None, lang: str, on_change: Callable[[str], None]
) -> ft.Control:
    """下次拜访日期: typed, or picked in a calendar opening a week from the company's today."""
    today = clock.now().date()
    return date_field(
        t("client.visit.next_visit_date", lang),
        str(values.get("next_visit_date") or ""),
        on_change,
        suggested=today + dt.timedelta(days=NEXT_VISIT_AFTER_DAYS),
        first=today,
        last=today + dt.timedelta(days=NEXT_VISIT_WITHIN_DAYS),
        pick_label=t("client.date.pick", lang),
        lang=lang,
        error=error,
    )


def next_action(state: AppState, actions: Actions) -> ft.Control | None:
    """The visit's one next action, always in reach under the form: 签到, then 签退, then 下一站."""
    form, lang = state.visit, state.lang
    if form.draft is not None or form.customer is None:
        return None  # fixing a refused visit: its resend button is in the form
    if form.visit is None:
        text, icon, action = t("client.visit.check_in", lang), ft.Icons.LOGIN, actions.check_in
    elif not form.visit.get("check_out_at"):
        text, icon, action = t("client.visit.check_out", lang), ft.Icons.LOGOUT, actions.check_out
    elif form.finished and form.next_stop is not None:
        name = str(form.next_stop.get("name") or "")
        text, icon, action = t("client.visit.next_stop", lang, name=name), ft.Icons.ARROW_FORWARD, actions.go_next_stop
    elif form.finished:
        text, icon, action = t("client.visit.route_done", lang), ft.Icons.CHECK, actions.go_next_stop
    else:
        return None
    return ft.Row([ft.FilledButton(text, icon=icon, on_click=lambda e: action(), expand=True)])


def flag_lines(form: VisitForm, lang: str) -> list[ft.Control]:
    codes = list(form.expected_flags)
    return [
        ft.Text(f"· {name}" + (f"：{reason}" if reason else ""), size=SMALL_TEXT)
        for _, name, reason in flag_texts(codes, form.expected_flags, lang)
    ]


def flags_notice(form: VisitForm, lang: str) -> ft.Control:
    """Before 签退: what the supervisor will be shown about this visit, so the rep can say why in the remarks."""
    return ft.Container(
        ft.Column(
            [
                ft.Text(t("client.visit.will_be_flagged", lang), weight=ft.FontWeight.W_600),
                *flag_lines(form, lang),
                muted(t("client.visit.flag_explain", lang)),
            ],
            spacing=4,
        ),
        padding=10,
        border=ft.Border.all(1, ft.Colors.ORANGE_300),
        border_radius=8,
        bgcolor=ft.Colors.ORANGE_50,
    )


def finished_summary(form: VisitForm, lang: str) -> ft.Control:
    """After 签退, on top: how the visit went, and what it is flagged for."""
    visit = form.visit or {}
    parts = [t("client.visit.finished", lang)]
    minutes = visit_duration_minutes(visit)
    if minutes is not None:
        parts.append(t("client.visit.duration", lang, minutes=minutes))
    if form.records.orders:
        parts.append(t("client.visit.finished_orders", lang, amount=f"{form.records.order_total:,.2f}"))
        if form.records.held_total:  # waiting for approval: not the day's sales yet (docs/approvals.md)
            parts.append(t("client.approval.held_total", lang, amount=f"{form.records.held_total:,.2f}"))
    flagged = [muted(t("client.visit.flagged", lang)), *flag_lines(form, lang)] if form.expected_flags else []
    return ft.Container(  # the next action, 下一站, is in the action bar under the form (`next_action`)
        ft.Column([ft.Text(" · ".join(parts), weight=ft.FontWeight.W_600), *flagged], spacing=4),
        padding=10,
        border=ft.Border.all(1, ft.Colors.GREEN_300),
        border_radius=8,
        bgcolor=ft.Colors.GREEN_50,
    )


# ---- on the visit: order, competitor report, complaint ------------------------------------------


PANEL_BUTTONS = (
    (VisitPanel.ORDER, "client.order.open", ft.Icons.SHOPPING_CART),
    (VisitPanel.COMPETITOR, "client.competitor.open", ft.Icons.STORE),
    (VisitPanel.COMPLAINT, "client.complaint.open", ft.Icons.REPORT_PROBLEM),
)


def visit_extras(form: VisitForm, lang: str, actions: Actions) -> list[ft.Control]:
    """The three buttons, the open form, and what this visit recorded so far."""
    row = ft.Row(
        [
            (ft.Button if form.panel is panel else ft.OutlinedButton)(
                t(key, lang), icon=icon, on_click=lambda e, panel=panel: actions.open_panel(panel.value)
            )
            for panel, key, icon in PANEL_BUTTONS
        ],
        wrap=True,
    )
    controls: list[ft.Control] = [row]
    if form.panel is VisitPanel.ORDER:
        controls.append(panel_box(order_panel(form, lang, actions)))
    elif form.panel is VisitPanel.COMPETITOR:
        controls.append(panel_box(competitor_panel(form, lang, actions)))
    elif form.panel is VisitPanel.COMPLAINT:
        controls.append(panel_box(complaint_panel(form, lang, actions)))
    controls += recorded_on_visit(form.records, form.products, lang)
    controls += campaign_section(
        form.campaigns, form.records.orders, lang, actions
    )  # client/features/campaigns/view.py
    controls += photo_section(form, lang, actions)
    return controls


def panel_box(controls: list[ft.Control]) -> ft.Control:
    return ft.Container(
        ft.Column(controls, spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
        padding=10,
        border=ft.Border.all(1, ft.Colors.BLUE_200),
        border_radius=8,
    )


def refresh(control: ft.Control) -> None:
    """Update one control in place while the rep types (no re-render, so no typing is lost)."""
    try:
        control.update()
    except Exception:  # not on a page (a test builds the view alone) or the session went away
        logger.debug("in-place update skipped", exc_info=True)


def order_panel(form: VisitForm, lang: str, actions: Actions) -> list[ft.Control]:
    order, errors = form.order, form.panel_errors
    by_id = {str(product["id"]): product for product in form.products}

    def chips() -> list[ft.Control]:
        found = find_products(form.products, order.query, form.usual_products)
        if not found:
            return [muted(t("client.order.none_found", lang, query=order.query.strip()))]
        return [
            ft.Chip(
                label=f"{product_name(product)} {money(product.get('unit_price'), lang)}",
                selected=str(product["id"]) in order.picked(),
                show_checkmark=False,  # picked shows in colour: a checkmark widened the chip and moved the rows
                on_select=lambda e, product_id=str(product["id"]): actions.toggle_order_product(product_id),
            )
            for product in found
        ]

    chip_row = ft.Row(chips(), wrap=True, spacing=6, run_spacing=4)

    def set_query(value: str) -> None:  # the chips follow the typing in place: no re-render, no lost focus
        order.query = value
        chip_row.controls = chips()
        refresh(chip_row)

    def total_text() -> str:
        amount = order_amount(order.lines)
        return t("client.order.total", lang, amount=money(amount, lang) if amount is not None else "—")

    total = ft.Text(total_text(), size=16, weight=ft.FontWeight.BOLD)

    def notice_text() -> str:  # the company's approval rules on the order as typed (client/features/approvals)
        try:
            lines = order_lines_from_form(order.lines)
        except FormProblems:
            return ""
        return order_notice(order_expectation(form.approval_rules, form.customer, form.products, lines), lang)

    notice = ft.Text(notice_text(), color=ft.Colors.ORANGE_900, weight=ft.FontWeight.W_600)
    notice_row = notice_box(notice)

    def setter(index: int, name: str) -> Callable[[str], None]:
        def set_value(value: str) -> None:
            order.lines[index] = dataclasses.replace(order.lines[index], **{name: value})
            total.value = total_text()
            refresh(total)
            notice.value = notice_text()
            notice_row.visible = bool(notice.value)
            refresh(notice_row)

        return set_value

    controls: list[ft.Control] = [section(t("client.order.title", lang))]
    if not form.products:
        controls.append(muted(t("client.order.no_products", lang)))
    else:
        controls += [
            text_field(t("client.order.search", lang), order.query, set_query),
            muted(t("client.order.pick", lang)),
            chip_row,
        ]
    for index, line in enumerate(order.lines):
        product = by_id.get(line.product_id, {})
        unit = str(product.get("unit") or "")
        number = index + 1
        controls += [
            ft.Text(f"{number}. {product_name(product)}", weight=ft.FontWeight.W_600),
            ft.Row(
                [
                    ft.Container(
                        text_field(
                            t("client.order.quantity", lang, n=number, unit=unit or "—"),
                            line.quantity,
                            setter(index, "quantity"),
                            error=errors.get(f"quantity.{index}"),
                            keyboard=ft.KeyboardType.NUMBER,
                        ),
                        expand=True,
                    ),
                    ft.Container(
                        text_field(
                            t("client.order.unit_price", lang, n=number),
                            line.unit_price,
                            setter(index, "unit_price"),
                            error=errors.get(f"unit_price.{index}"),
                            keyboard=ft.KeyboardType.NUMBER,
                        ),
                        expand=True,
                    ),
                ],
                vertical_alignment=ft.CrossAxisAlignment.START,
            ),
        ]

    def set_notes(value: str) -> None:
        order.notes = value

    controls += [
        total,
        notice_row,
        text_field(t("client.order.notes", lang), order.notes, set_notes),
        error_text(errors.get("lines") or errors.get("visit") or other_problems(errors, ("quantity.", "unit_price."))),
        ft.Button(t("client.order.submit", lang), icon=ft.Icons.CHECK, on_click=lambda e: actions.take_order()),
    ]
    return controls


def other_problems(errors: dict[str, str], shown: tuple[str, ...]) -> str | None:
    """Problems no field shows (e.g. the store refused a field): said under the form, never dropped."""
    rest = [f"{name}: {problem}" for name, problem in errors.items() if not name.startswith(shown)]
    return "; ".join(rest) or None


def competitor_panel(form: VisitForm, lang: str, actions: Actions) -> list[ft.Control]:
    entry, errors = form.competitor, form.panel_errors

    def setter(name: str) -> Callable[[str], None]:
        def set_value(value: str) -> None:
            setattr(entry, name, value)

        return set_value

    def field(name: str, **options: Any) -> ft.Control:
        return text_field(
            t(f"client.competitor.{name}", lang), getattr(entry, name), setter(name), error=errors.get(name), **options
        )

    return [
        section(t("client.competitor.title", lang)),
        field("brand"),
        field("product"),
        field("price", keyboard=ft.KeyboardType.NUMBER),
        field("promotion", multiline=True),
        error_text(other_problems(errors, ("brand", "product", "price", "promotion"))),
        ft.Button(
            t("client.competitor.submit", lang), icon=ft.Icons.CHECK, on_click=lambda e: actions.record_competitor()
        ),
    ]


def complaint_panel(form: VisitForm, lang: str, actions: Actions) -> list[ft.Control]:
    entry, errors = form.complaint, form.panel_errors

    def set_category(value: str) -> None:
        entry.category = value

    def set_severity(value: str) -> None:
        entry.severity = value

    def set_description(value: str) -> None:
        entry.description = value

    categories = [(member.value, label(member, lang)) for member in ComplaintCategory]
    severities = [(member.value, label(member, lang)) for member in Severity]
    return [
        section(t("client.complaint.title", lang)),
        choice_chips(t("client.complaint.category", lang), categories, entry.category, set_category),
        error_text(errors.get("category")),
        choice_chips(t("client.complaint.severity", lang), severities, entry.severity, set_severity),
        error_text(errors.get("severity")),
        text_field(
            t("client.complaint.description", lang),
            entry.description,
            set_description,
            error=errors.get("description"),
            multiline=True,
        ),
        error_text(other_problems(errors, ("category", "severity", "description"))),
        ft.Button(
            t("client.complaint.submit", lang), icon=ft.Icons.CHECK, on_click=lambda e: actions.record_complaint()
        ),
    ]


def order_line_text(line: dict[str, Any], products: dict[str, dict[str, Any]], lang: str) -> str:
    product = products.get(str(line.get("product_id")), {})
    name = product_name(product) if product else t("client.order.unknown_product", lang)
    return t(
        "client.order.line",
        lang,
        product=name,
        quantity=f"{line.get('quantity')}",
        unit=str(product.get("unit") or ""),
        price=money(line.get("unit_price"), lang),
    )


def recorded_on_visit(records: VisitRecords, products: list[dict[str, Any]], lang: str) -> list[ft.Control]:
    """What this visit recorded besides itself, so the rep sees it was kept."""
    if not (records.orders or records.competitor_reports or records.complaints):
        return []
    by_id = {str(product["id"]): product for product in products}
    controls: list[ft.Control] = [muted(t("client.visit.recorded", lang))]
    for index, order in enumerate(records.orders, start=1):
        lines = order.get("lines") or []
        controls.append(
            ft.Text(
                t("client.order.summary", lang, n=index, count=len(lines), amount=money(order.get("amount"), lang)),
                weight=ft.FontWeight.W_600,
            )
        )
        controls += [ft.Text("  " + order_line_text(line, by_id, lang), size=SMALL_TEXT) for line in lines]
        controls += order_approval(order, lang)
    for report in records.competitor_reports:
        controls.append(ft.Text(competitor_text(report, lang)))
    for complaint in records.complaints:
        controls.append(ft.Text(complaint_text(complaint, lang)))
    return controls


def competitor_text(report: dict[str, Any], lang: str) -> str:
    parts = [str(report.get("brand") or ""), str(report.get("product") or "")]
    if report.get("price") is not None:
        parts.append(money(report.get("price"), lang))
    if report.get("promotion"):
        parts.append(str(report["promotion"]))
    return t("client.competitor.summary", lang, text=" · ".join(part for part in parts if part))


def complaint_text(complaint: dict[str, Any], lang: str) -> str:
    parts = [
        enum_label(ComplaintCategory, complaint.get("category"), lang),
        enum_label(Severity, complaint.get("severity"), lang),
        str(complaint.get("description") or ""),
    ]
    return t("client.complaint.summary", lang, text=" · ".join(part for part in parts if part))
