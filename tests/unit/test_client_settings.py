"""Issue #7, the settings screen's handlers (client/features/account/service.py) over a real local store, with a
fake lock:
the new PIN is checked before the lock is asked, a wrong current PIN is said plainly, and the sign-out
confirmation and refusal say what is not synced yet."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from client.features.account.service import PendingWork, SignOutRefused
from client.services import AppService
from client.shell.app import SCREENS, App, ClientCore
from client.shell.state import Screen
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher, WrongPin
from shared.enums import CustomerKind
from tests.unit.helpers import Runner, buttons, texts


class InlinePage:
    """Runs the app's worker threads and loop tasks at once (no Flet, no threads)."""

    def __init__(self) -> None:
        self.title, self.web = "", True

    def update(self) -> None: ...

    def run_thread(self, function: Callable[..., None], *args: Any) -> None:
        function(*args)

    def run_task(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        asyncio.run(job())


class FakeLock:
    def __init__(self) -> None:
        self.pins: list[tuple[str, str]] = []
        self.refuse_pin: Exception | None = None
        self.refuse_sign_out: Exception | None = None
        self.signed_out = False

    def change_pin(self, current: str, new: str) -> None:
        self.pins.append((current, new))
        if self.refuse_pin is not None:
            raise self.refuse_pin

    def sign_out(self) -> None:
        if self.refuse_sign_out is not None:
            raise self.refuse_sign_out
        self.signed_out = True


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    service = AppService(store, clock=lambda: dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC))
    core = ClientCore(SimpleNamespace(lang="zh-CN"), store, service, Runner())  # type: ignore[arg-type]
    yield App(InlinePage(), core)  # type: ignore[arg-type]
    store.close()


@pytest.fixture
def settings_app(app: App) -> Iterator[tuple[App, FakeLock]]:
    lock = FakeLock()
    app.account = lock
    app.actions.open_settings()
    assert app.state.screen is Screen.SETTINGS
    yield app, lock


def screen_texts(app: App) -> list[str]:
    return texts(SCREENS[app.state.screen](app.state, app.actions))


def test_the_new_pin_is_checked_before_the_lock_is_asked(settings_app: tuple[App, FakeLock]) -> None:
    app, lock = settings_app
    form = app.state.settings
    form.current_pin, form.new_pin, form.repeat_pin = "2468", "12", "12"
    app.actions.change_pin()
    assert form.pin_error == "PIN 码须为 4 到 8 位数字" and lock.pins == []
    form.new_pin, form.repeat_pin = "1357", "1375"
    app.actions.change_pin()
    assert form.pin_error == "两次输入的 PIN 码不一致" and lock.pins == []


def test_a_wrong_current_pin_is_said_with_its_wait_and_a_right_one_changes_it(
    settings_app: tuple[App, FakeLock],
) -> None:
    app, lock = settings_app
    form = app.state.settings
    form.current_pin, form.new_pin, form.repeat_pin = "0000", "1357", "1357"
    lock.refuse_pin = WrongPin(5, 30.0)
    app.actions.change_pin()
    form = app.state.settings
    assert form.pin_error == "当前 PIN 码错误，请 30 秒后再试" and not form.pin_busy and form.current_pin == ""
    lock.refuse_pin = None
    form.current_pin = "2468"
    app.actions.change_pin()
    assert lock.pins[-1] == ("2468", "1357")
    assert app.state.notice == "PIN 码已更改" and app.state.settings.new_pin == ""  # the form is cleared
    assert app.state.settings.phone_id == app.service.store.device_id  # 本机 still shows (it went blank once)


def test_the_sign_out_confirmation_counts_what_is_not_synced_and_a_refusal_says_it(
    settings_app: tuple[App, FakeLock],
) -> None:
    app, lock = settings_app
    customer_id = app.service.create_prospect("乙药店", CustomerKind.PHARMACY, "", "", "")["id"]
    app.service.add_note(str(customer_id), "下周再来")
    synced: list[bool] = []
    app.core.runner.request_sync = lambda: synced.append(True)  # type: ignore[attr-defined]
    app.actions.ask_sign_out()
    assert app.state.settings.pending == PendingWork(changes=2) and synced  # a sync starts at once
    assert any("还有 2 条更改、0 条待修改的草稿、0 张照片未同步" in text for text in screen_texts(app))
    assert "确认退出登录" in buttons(SCREENS[Screen.SETTINGS](app.state, app.actions))

    lock.refuse_sign_out = SignOutRefused("work is waiting", PendingWork(changes=1, drafts=1))
    app.actions.sign_out()
    error = app.state.settings.sign_out_error or ""
    assert "还有 1 条更改、1 条待修改的草稿" in error and not app.state.settings.signing_out
    lock.refuse_sign_out = SignOutRefused("ConnectError: no network", unreachable=True)
    app.actions.sign_out()
    assert "无法连接服务器" in (app.state.settings.sign_out_error or "")
    lock.refuse_sign_out = None
    app.actions.sign_out()
    assert lock.signed_out


def test_with_nothing_waiting_the_confirmation_says_the_data_is_erased(settings_app: tuple[App, FakeLock]) -> None:
    app, _ = settings_app
    app.actions.ask_sign_out()
    assert app.state.settings.pending == PendingWork()
    assert "所有更改都已同步。确定退出登录并清除本机数据吗？" in screen_texts(app)
    app.actions.cancel_sign_out()
    assert not app.state.settings.confirming and "退出登录" in buttons(SCREENS[Screen.SETTINGS](app.state, app.actions))


def test_today_leads_to_the_settings(app: App) -> None:
    app.actions.go_today()
    today_buttons = buttons(SCREENS[Screen.TODAY](app.state, app.actions))
    today_buttons["设置"].on_click(None)
    assert app.state.screen is Screen.SETTINGS


def test_settings_show_this_phones_id_and_the_head_of_its_signed_chain(app: App) -> None:
    """What the supervisor's /devices page shows for this phone once every op has reached the server (#17)."""
    app.actions.open_settings()
    assert "签名链：还没有记录" in screen_texts(app)
    app.service.create_prospect("新诊所", CustomerKind.CLINIC, "", "", "")
    app.actions.open_settings()
    seq, head = app.service.store.chain_head()
    assert seq == 1 and head == app.service.store.get_meta("chain_head") and head is not None
    shown = screen_texts(app)
    assert f"签名链：第 1 条 · {head[:12]}" in shown
    assert f"手机编号：{app.service.store.device_id[:8]}" in shown


def test_signing_out_and_changing_the_pin_show_they_are_busy_before_the_work_starts(
    settings_app: tuple[App, FakeLock], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the PWA `run_thread` runs the worker at once on the handler's stack (InlinePage does the same): the busy
    state must be on the screen before it starts, or the button looks dead while the sign-out waits for a sync."""
    app, lock = settings_app
    shown: list[tuple[bool, bool]] = []
    render = app.render
    monkeypatch.setattr(app, "render", lambda *args, **kw: (shown.append(busy()), render(*args, **kw))[1])

    def busy() -> tuple[bool, bool]:
        return app.state.settings.signing_out, app.state.settings.pin_busy

    seen_by_worker: list[list[tuple[bool, bool]]] = []
    lock.sign_out = lambda: seen_by_worker.append(list(shown))  # type: ignore[method-assign]
    app.actions.sign_out()
    assert any(signing_out for signing_out, _ in seen_by_worker[0])  # 正在退出… was rendered before it ran
    shown.clear()

    def change_pin(current: str, new: str) -> None:
        seen_by_worker.append(list(shown))

    lock.change_pin = change_pin  # type: ignore[method-assign]
    form = app.state.settings
    form.current_pin, form.new_pin, form.repeat_pin = "2468", "1357", "1357"
    app.actions.change_pin()
    assert any(pin_busy for _, pin_busy in seen_by_worker[1])  # the PIN's busy label likewise
