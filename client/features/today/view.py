"""Today: the day's route in order, each stop with its status, then today's off-route visits, then the
care reminders (birthdays of key persons, customers overdue by their tier, follow-ups due)."""

from __future__ import annotations

import datetime as dt
import functools

import flet as ft

from client.features.attendance.view import attendance_row
from client.features.campaigns.targets_view import targets_section
from client.features.today.directions import customer_point
from client.features.today.reminders import BirthdayReminder, CareReminders, FollowUp, FollowUpKind, OverdueVisit
from client.services import Stop, StopStatus, TodayRoute
from client.shell.actions import Actions
from client.shell.state import AppState
from client.widgets import ERROR_COLOR, SMALL_TEXT, enum_label, kind_label, muted, screen, section, tappable, title
from shared.door_hours import Window, appointment_on, window_text
from shared.enums import ComplaintCategory, KeyPersonRole
from shared.holidays import Holiday
from shared.i18n import label, t
from shared.route_order import Arrival, Missed

MAX_REMINDERS = 10  # of each kind on the screen; the rest are counted

STATUS_COLORS = {
    StopStatus.NOT_VISITED: ft.Colors.GREY_700,
    StopStatus.VISITED: ft.Colors.BLUE_700,
    StopStatus.ORDERED: ft.Colors.GREEN_700,
}


def stop_status_text(stop: Stop, lang: str) -> str:
    return t(f"client.stop.{stop.status.value}", lang)


def expected_text(arrival: Arrival, lang: str) -> str:
    """ "预计 10:40" and, when the stop will be missed, why ("错过接待时间", "今天不接待"...)."""
    minute = round(arrival.start)
    text = t("client.today.expected", lang, time=f"{minute // 60 % 24:02d}:{minute % 60:02d}")
    if arrival.missed is not None and arrival.missed is not Missed.NO_POSITION:
        text += " · " + t(f"client.today.missed.{arrival.missed.value}", lang)
    return text


def stop_row(
    stop: Stop,
    position: int | None,
    lang: str,
    actions: Actions,
    identifier: str,
    expected: Arrival | None = None,
    appointment: Window | None = None,
) -> ft.Control:
    customer = stop.customer
    name = str(customer.get("name")) if customer else t("client.today.unknown_customer", lang)
    status = stop_status_text(stop, lang)
    details = (
        " · ".join(part for part in (kind_label(customer, lang), str(customer.get("address") or "")) if part)
        if customer
        else ""
    )
    prefix = f"{position}. " if position is not None else ""
    extra = f" · {t('client.stop.in_progress', lang)}" if stop.visit_in_progress else ""
    lines: list[ft.Control] = [
        ft.Text(f"{prefix}{name}", weight=ft.FontWeight.W_600),
        ft.Text(details, size=SMALL_TEXT),
    ]
    when = ""  # read out too: "… 未拜访 · 预约 15:00-15:30 · 预计 10:40"
    if appointment is not None:
        booked = t("client.today.appointment", lang, window=window_text(appointment))
        when += f" · {booked}"
        lines.append(ft.Text(booked, size=SMALL_TEXT, weight=ft.FontWeight.W_600))
    if expected is not None and expected.missed is not Missed.NO_POSITION:
        late = expected.missed is not None
        when += f" · {expected_text(expected, lang)}"
        lines.append(ft.Text(expected_text(expected, lang), size=SMALL_TEXT, color=ERROR_COLOR if late else None))
    content = ft.Row(
        [
            ft.Column(lines, spacing=2, expand=True),
            ft.Text(status + extra, color=STATUS_COLORS[stop.status], weight=ft.FontWeight.BOLD),
        ],
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
    )
    if customer is None:
        return ft.Container(content=content, padding=8)
    row = tappable(
        content,
        lambda: actions.open_customer(stop.customer_id),
        f"{prefix}{name} {status}{extra}{when}",
        identifier,
    )
    if customer_point(customer) is None:
        return row
    return ft.Row(  # getting there in one tap: the map app (Android) or a web map
        [ft.Container(row, expand=True), navigate_icon(stop.customer_id, name, lang, actions)],
        spacing=4,
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
    )


def navigate_icon(customer_id: str, name: str, lang: str, actions: Actions) -> ft.Control:
    spoken = t("client.map.navigate_to", lang, name=name)
    return ft.IconButton(
        ft.Icon(ft.Icons.NAVIGATION, color=ft.Colors.BLUE_700, semantics_label=spoken),  # the button's name
        tooltip=spoken,
        on_click=lambda e: actions.navigate_to(customer_id),
        width=48,
        height=48,
    )


def build(state: AppState, actions: Actions) -> ft.Control:
    lang, route = state.lang, state.today
    controls: list[ft.Control] = []
    if state.user:
        name = state.user.get("display_name") or state.user.get("username") or ""
        controls.append(muted(t("client.today.hello", lang, name=name)))
    if route is None:
        return ft.Column(controls)
    controls.append(title(t("client.today.title", lang, day=route.day.isoformat())))
    controls.append(attendance_row(state.attendance, lang, actions))  # 上班 / 下班 (client/features/attendance)
    controls.append(
        ft.Row(
            [
                ft.Button(
                    t("client.today.new_prospect", lang),
                    icon=ft.Icons.PERSON_ADD,
                    on_click=lambda e: actions.open_prospect(),
                ),
                ft.OutlinedButton(
                    t("client.today.search", lang), icon=ft.Icons.SEARCH, on_click=lambda e: actions.open_search()
                ),
                ft.OutlinedButton(  # change the PIN, sign out (client/features/account/service.py)
                    t("client.settings.open", lang), icon=ft.Icons.SETTINGS, on_click=lambda e: actions.open_settings()
                ),
                ft.OutlinedButton(
                    t("client.today.conflicts", lang, count=state.open_conflicts),
                    icon=ft.Icons.WARNING_AMBER,
                    icon_color=ft.Colors.ORANGE_800,
                    on_click=lambda e: actions.open_conflicts(),
                    visible=state.open_conflicts > 0,
                ),
            ],
            wrap=True,
        )
    )
    if route.stops:
        controls.append(
            muted(
                t("client.today.progress", lang, visited=route.visited, planned=len(route.stops), ordered=route.ordered)
            )
        )
        controls += reorder_buttons(route, lang, actions)
        for position, stop in enumerate(route.stops, start=1):
            expected = route.expected.get(stop.customer_id)
            booked = appointment_on(stop.customer.get("door_hours"), route.day) if stop.customer else None
            controls.append(stop_row(stop, position, lang, actions, f"stop-{position}", expected, booked))
    else:
        controls.append(muted(t("client.today.no_plan", lang)))
    if route.off_route:
        controls.append(section(t("client.today.off_route", lang)))
        for index, stop in enumerate(route.off_route, start=1):
            controls.append(stop_row(stop, None, lang, actions, f"off-route-{index}"))
    controls += targets_section(state.targets, lang)  # client/features/campaigns/targets_view.py: offline estimate
    if state.care is not None:
        controls += care_section(state.care, lang, actions)
    return screen(controls, spacing=8)


def reorder_buttons(route: TodayRoute, lang: str, actions: Actions) -> list[ft.Control]:
    """Re-order the stops not yet visited from here and now; back to the supervisor's order."""
    buttons: list[ft.Control] = [  # the day drawn, with 导航 to each stop (client/features/today/route_map.py)
        ft.OutlinedButton(t("client.map.open", lang), icon=ft.Icons.MAP, on_click=lambda e: actions.open_route_map())
    ]
    if len(route.remaining) >= 2:
        buttons.append(
            ft.OutlinedButton(
                t("client.today.reorder", lang), icon=ft.Icons.ALT_ROUTE, on_click=lambda e: actions.reorder_route()
            )
        )
    if route.own_order:
        buttons.append(
            ft.TextButton(
                t("client.today.planned_order", lang),
                icon=ft.Icons.UNDO,
                on_click=lambda e: actions.restore_route_order(),
            )
        )
    return [ft.Row(buttons, wrap=True)] if buttons else []


def birthday_text(item: BirthdayReminder, customer: str, lang: str) -> str:
    when = (
        t("client.care.today", lang)
        if item.days_until == 0
        else t("client.care.in_days", lang, days=item.days_until, day=f"{item.day.month:02d}-{item.day.day:02d}")
    )
    role = enum_label(KeyPersonRole, item.person.get("role"), lang)
    return t("client.care.birthday", lang, name=item.person.get("name") or "", role=role, customer=customer, when=when)


def holiday_text(holiday: Holiday, today: dt.date, lang: str) -> str:
    days = (holiday.day - today).days
    day = f"{holiday.day.month:02d}-{holiday.day.day:02d}"
    when = t("client.care.today", lang) if days == 0 else t("client.care.in_days", lang, days=days, day=day)
    text = t("client.care.holiday", lang, name=holiday.name, when=when)
    return f"{text} · {holiday.note}" if holiday.note else text  # the company's note: what to prepare


def overdue_text(item: OverdueVisit, lang: str) -> str:
    name, tier = str(item.customer.get("name") or ""), label(item.tier, lang)
    if item.last_visit is None:
        return t("client.care.never_visited", lang, customer=name, tier=tier)
    return t(
        "client.care.overdue",
        lang,
        customer=name,
        tier=tier,
        last=item.last_visit.isoformat(),
        days=item.days_overdue,
    )


def follow_up_text(item: FollowUp, customer: str, lang: str) -> str:
    if item.kind is FollowUpKind.NEXT_VISIT:
        return t("client.care.next_visit", lang, customer=customer, day=item.due.isoformat())
    if item.kind is FollowUpKind.HOME_VISIT:  # 家访 → 回访 within 1-2 days
        key = "client.reminders.home_follow_up_overdue" if item.overdue else "client.reminders.home_follow_up"
        return t(key, lang, name=customer, day=item.due.isoformat())
    category = enum_label(ComplaintCategory, item.record.get("category"), lang)
    if item.kind is FollowUpKind.COMPLAINT_ANSWER:
        key = "client.care.complaint_late" if item.overdue else "client.care.complaint_open"
        return t(key, lang, customer=customer, category=category)
    return t("client.care.complaint_confirm", lang, customer=customer, category=category)


def care_section(care: CareReminders, lang: str, actions: Actions) -> list[ft.Control]:
    """Reminders to care for customers, each opening the customer's card."""
    controls: list[ft.Control] = [section(t("client.care.title", lang))]
    if care.empty:
        return [*controls, muted(t("client.care.none", lang))]

    def rows(kind: str, items: list[tuple[str, str, bool]]) -> list[ft.Control]:
        found: list[ft.Control] = []
        for index, (customer_id, text, late) in enumerate(items[:MAX_REMINDERS], start=1):
            content = ft.Text(text, color=ERROR_COLOR if late else None)
            found.append(
                tappable(content, functools.partial(actions.open_customer, customer_id), text, f"{kind}-{index}")
            )
        if len(items) > MAX_REMINDERS:
            found.append(muted(t("client.care.more", lang, count=len(items) - MAX_REMINDERS)))
        return found

    names = care.customer_names
    if care.birthdays:
        controls.append(muted(t("client.care.birthdays", lang)))
        controls += rows(
            "birthday",
            [
                (item.customer_id, birthday_text(item, names.get(item.customer_id, ""), lang), False)
                for item in care.birthdays
            ],
        )
    if care.holidays:
        controls.append(muted(t("client.care.holidays", lang)))
        controls += [ft.Text(holiday_text(holiday, care.day, lang)) for holiday in care.holidays[:MAX_REMINDERS]]
    if care.follow_ups:
        controls.append(muted(t("client.care.follow_ups", lang)))
        controls += rows(
            "follow-up",
            [
                (item.customer_id, follow_up_text(item, names.get(item.customer_id, ""), lang), item.overdue)
                for item in care.follow_ups
            ],
        )
    if care.overdue:
        controls.append(muted(t("client.care.overdue_title", lang)))
        controls += rows(
            "overdue", [(str(item.customer.get("id")), overdue_text(item, lang), True) for item in care.overdue]
        )
    return controls
