"""Issue #7 end to end, the rep's own controls: the app locks as soon as its browser tab is hidden (with
`--background-lock 0`); the rep changes the PIN on the settings screen (a wrong current PIN is refused);
after the app is restarted the old PIN is refused and the new one opens it; then the rep signs out, which
ends the sign-in and wipes the phone's data, leaving the sign-in screen.

Real processes (see conftest.py): the sync server, the rep's app in browser mode, headless Debian Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import Service, log_of, rep_app_process

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NEW_PIN = "1357"


@pytest.fixture
def phone_app(tmp_path: Path, server_url: str, artifacts: Path, request: pytest.FixtureRequest) -> Iterator[Service]:
    """The rep's app as conftest's `client_app`, locking as soon as it goes to the background."""
    log = log_of(artifacts, request, "client")
    with rep_app_process(tmp_path / "phone", server_url, log, "--background-lock", "0") as service:
        yield service


def set_tab_visibility(page: Page, state: str) -> None:
    """What the browser does when the rep switches tabs or apps: Flutter web turns `visibilitychange` into
    the app lifecycle (hidden / shown) that Flet hands to the app."""
    page.evaluate(
        """state => {
            Object.defineProperty(document, 'visibilityState', {value: state, configurable: true});
            Object.defineProperty(document, 'hidden', {value: state === 'hidden', configurable: true});
            document.dispatchEvent(new Event('visibilitychange'));
        }""",
        state,
    )


@pytest.mark.timeout(600)  # two app starts: about 30 s here, more on a loaded machine
def test_background_lock_change_pin_restart_and_sign_out(
    page: Page, phone_app: Service, tmp_path: Path, artifacts: Path
) -> None:
    rep_app.sign_in(page, phone_app.ready_url, "li.rep")  # the first sign-in sets PIN 2468

    # The tab is hidden: the app locks at once; shown again, the PIN opens it.
    set_tab_visibility(page, "hidden")
    set_tab_visibility(page, "visible")
    expect(rep_app.field(page, "PIN 码")).to_be_visible(timeout=30_000)
    expect(rep_app.today_heading(page)).to_have_count(0)
    rep_app.unlock(page)

    # Change the PIN: a wrong current PIN is refused, then the right one.
    rep_app.tap(page, "设置")
    rep_app.fill(page, "当前 PIN 码", "0000")
    rep_app.fill(page, "新 PIN 码", NEW_PIN)
    rep_app.fill(page, "再次输入新 PIN 码", NEW_PIN)
    rep_app.tap(page, "更改 PIN 码")
    expect(page.get_by_text("当前 PIN 码错误")).to_be_visible(timeout=30_000)
    rep_app.fill(page, "当前 PIN 码", rep_app.PIN)
    rep_app.tap(page, "更改 PIN 码")
    expect(page.get_by_text("PIN 码已更改")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(artifacts / "phone-settings.png"))
    # 本机: the id and chain head to compare with the supervisor's 手机 page, and how far the phone's clock is off.
    phone_id = page.get_by_text(re.compile(r"^手机编号：[0-9a-f]{8}$"))
    rep_app.bring_to_middle(page, phone_id)  # still there after the PIN change (it was blank once)
    expect(phone_id).to_be_visible()
    expect(page.get_by_text("手机时钟：准确（与服务器相差不到 30 秒）")).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "phone-settings-this-phone.png"))

    # Restarted: the old PIN no longer opens the app, the new one does.
    phone_app.stop()
    phone_app.start()
    rep_app.open_flet_app(page, phone_app.ready_url)
    rep_app.unlock(page, rep_app.PIN, expect_today=False)
    expect(page.get_by_text("PIN 码错误")).to_be_visible(timeout=30_000)
    rep_app.unlock(page, NEW_PIN)

    # Sign out: everything is synced, so it is confirmed, the sign-in ends and the phone's data is wiped.
    rep_app.tap(page, "设置")
    rep_app.tap(page, "退出登录")
    expect(page.get_by_text(re.compile("所有更改都已同步"))).to_be_visible(timeout=30_000)
    rep_app.tap(page, "确认退出登录")
    expect(rep_app.field(page, "用户名")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(artifacts / "phone-signed-out.png"))
    assert not (tmp_path / "phone" / "key.json").exists()
