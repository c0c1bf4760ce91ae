"""设置: change the PIN (current, new, new again) and sign out (a confirmation that says what is not synced
yet). The handlers are client.features.account.service.AccountHandlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import flet as ft

from client.features.account.service import SettingsForm
from client.shell.state import AppState
from client.widgets import ERROR_COLOR, back_button, error_text, muted, screen, section, text_field, title
from shared.i18n import t


class SettingsActions(Protocol):
    def go_back(self) -> None: ...
    def change_pin(self) -> None: ...
    def ask_sign_out(self) -> None: ...
    def cancel_sign_out(self) -> None: ...
    def sign_out(self) -> None: ...


def pin_fields(form: SettingsForm, lang: str, actions: SettingsActions) -> list[ft.Control]:
    def setter(name: str) -> Callable[[str], None]:
        def set_value(value: str) -> None:
            setattr(form, name, value)

        return set_value

    fields = [
        ("client.settings.current_pin", "current_pin", form.current_pin),
        ("client.settings.new_pin", "new_pin", form.new_pin),
        ("client.settings.repeat_pin", "repeat_pin", form.repeat_pin),
    ]
    controls: list[ft.Control] = [
        text_field(
            t(key, lang),
            value,
            setter(name),
            password=True,
            keyboard=ft.KeyboardType.NUMBER,
            on_submit=actions.change_pin if name == "repeat_pin" else None,
        )
        for key, name, value in fields
    ]
    busy = form.pin_busy
    controls += [
        error_text(form.pin_error),
        ft.Button(
            t("client.pin.busy" if busy else "client.settings.change_pin", lang),
            icon=ft.Icons.PASSWORD,
            disabled=busy,
            on_click=lambda e: actions.change_pin(),
        ),
    ]
    return controls


def sign_out_controls(form: SettingsForm, lang: str, actions: SettingsActions) -> list[ft.Control]:
    if not form.confirming:
        return [
            ft.OutlinedButton(
                t("client.settings.sign_out", lang), icon=ft.Icons.LOGOUT, on_click=lambda e: actions.ask_sign_out()
            )
        ]
    pending = form.pending
    if pending is not None and pending.total:
        question = t(
            "client.settings.confirm_pending",
            lang,
            changes=pending.changes,
            drafts=pending.drafts,
            photos=pending.photos,
        )
    else:
        question = t("client.settings.confirm_nothing", lang)
    busy = form.signing_out
    return [
        ft.Text(question, color=ERROR_COLOR),
        error_text(form.sign_out_error),
        ft.Row(
            [
                ft.Button(
                    t("client.settings.signing_out" if busy else "client.settings.confirm", lang),
                    icon=ft.Icons.LOGOUT,
                    bgcolor=ft.Colors.RED_700,
                    color=ft.Colors.WHITE,
                    disabled=busy,
                    on_click=lambda e: actions.sign_out(),
                ),
                ft.TextButton(
                    t("client.settings.cancel", lang), disabled=busy, on_click=lambda e: actions.cancel_sign_out()
                ),
            ],
            wrap=True,
        ),
    ]


def phone_controls(form: SettingsForm, lang: str) -> list[ft.Control]:
    """This phone's id and the head of its signed chain, to compare with the supervisor's 手机 page."""
    chain = (
        t("client.settings.chain", lang, seq=form.chain_seq, hash=form.chain_hash[:12])
        if form.chain_hash
        else t("client.settings.chain_none", lang)
    )
    return [
        ft.Text(t("client.settings.phone_id", lang, id=form.phone_id[:8])),
        ft.Text(chain),
        muted(t("client.settings.chain_hint", lang)),
        ft.Text(clock_line(form.clock_correction_s, lang)),
    ]


def clock_line(correction_s: float, lang: str) -> str:
    """How far this phone's own clock is from the server's (a positive correction: the phone is slow)."""
    if not correction_s:
        return t("client.settings.clock_right", lang)
    minutes = max(1, round(abs(correction_s) / 60))
    hours, minutes = divmod(minutes, 60)
    amount = (
        t("client.settings.clock_hours", lang, hours=hours, minutes=minutes)
        if hours
        else t("client.settings.clock_minutes", lang, minutes=minutes)
    )
    return t("client.settings.clock_slow" if correction_s > 0 else "client.settings.clock_fast", lang, amount=amount)


def build(state: AppState, actions: SettingsActions) -> ft.Control:
    lang, form = state.lang, state.settings
    return screen(
        [
            back_button(lang, actions.go_back),
            title(t("client.settings.title", lang)),
            section(t("client.settings.pin_section", lang)),
            muted(t("client.settings.pin_hint", lang)),
            *pin_fields(form, lang, actions),
            ft.Divider(),
            section(t("client.settings.sign_out_section", lang)),
            muted(t("client.settings.sign_out_hint", lang)),
            *sign_out_controls(form, lang, actions),
            ft.Divider(),
            section(t("client.settings.phone_section", lang)),
            *phone_controls(form, lang),
        ],
        spacing=10,
    )
