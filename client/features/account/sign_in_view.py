"""Sign-in: server address, username, password (labels: 服务器地址, 用户名, 密码; button 登录)."""

from __future__ import annotations

import flet as ft

from client.shell.actions import Actions
from client.shell.state import AppState
from client.widgets import error_text, muted, screen, text_field, title
from shared.i18n import t


def build(state: AppState, actions: Actions) -> ft.Control:
    form, lang = state.sign_in, state.lang

    def set_server(value: str) -> None:
        form.server_url = value

    def set_username(value: str) -> None:
        form.username = value

    def set_password(value: str) -> None:
        form.password = value

    return screen(
        [
            title(t("client.signin.title", lang)),
            muted(t("client.signin.hint", lang)),
            text_field(t("client.signin.server", lang), form.server_url, set_server, keyboard=ft.KeyboardType.URL),
            text_field(t("client.signin.username", lang), form.username, set_username),
            text_field(
                t("client.signin.password", lang), form.password, set_password, password=True, on_submit=actions.sign_in
            ),
            error_text(form.error),
            ft.Button(
                t("client.signin.busy" if form.busy else "client.signin.submit", lang),
                icon=ft.Icons.LOGIN,
                disabled=form.busy,
                on_click=lambda e: actions.sign_in(),
            ),
        ],
        spacing=12,
    )
