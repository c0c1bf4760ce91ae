"""The PIN screens: set a PIN after the first sign-in (entered twice), and the lock screen that asks for it
on start and after the app was idle (labels: PIN 码, 再次输入 PIN 码; buttons 设置 PIN 码, 解锁).

Like the other screens, a function of view state; the PIN form's state lives here because only the
lock (client/shell/lock.py) uses it, outside the app's own screens.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import flet as ft

from client.widgets import error_text, muted, screen, text_field, title
from shared.i18n import t


class PinMode(StrEnum):
    UNLOCK = "unlock"
    SET = "set"


@dataclass
class PinForm:
    mode: PinMode = PinMode.UNLOCK
    pin: str = ""
    repeat: str = ""
    error: str | None = None
    busy: bool = False  # the key derivation runs (about half a second)


class PinActions(Protocol):
    def submit_pin(self) -> None: ...


def build(form: PinForm, lang: str, actions: PinActions) -> ft.Control:
    setting = form.mode is PinMode.SET

    def set_pin(value: str) -> None:
        form.pin = value

    def set_repeat(value: str) -> None:
        form.repeat = value

    fields = [
        text_field(
            t("client.pin.pin", lang),
            form.pin,
            set_pin,
            password=True,
            keyboard=ft.KeyboardType.NUMBER,
            on_submit=None if setting else actions.submit_pin,
        )
    ]
    if setting:
        fields.append(
            text_field(
                t("client.pin.repeat", lang),
                form.repeat,
                set_repeat,
                password=True,
                keyboard=ft.KeyboardType.NUMBER,
                on_submit=actions.submit_pin,
            )
        )
    button = "client.pin.busy" if form.busy else ("client.pin.set" if setting else "client.pin.unlock")
    return screen(
        [
            title(t("client.pin.set_title" if setting else "client.pin.unlock_title", lang)),
            muted(t("client.pin.set_hint" if setting else "client.pin.unlock_hint", lang)),
            *fields,
            error_text(form.error),
            ft.Button(
                t(button, lang),
                icon=ft.Icons.LOCK_OPEN if not setting else ft.Icons.LOCK,
                disabled=form.busy,
                on_click=lambda e: actions.submit_pin(),
            ),
        ],
        spacing=12,
    )
