"""Issue #7 end to end: the rep sets a PIN after the first sign-in; the app locks when idle and when it
starts again; a wrong PIN is refused, the right one shows the data; the files on the phone hold none of it
in plain text.

Real processes (see conftest.py): the sync server, the rep's app in browser mode with a short idle lock,
headless Debian Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import Service, log_of, rep_app_process

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

IDLE_LOCK_S = 8  # long enough for the test's own taps, short enough to wait for
NOTE = "院长说下周二再来谈新品"


@pytest.fixture
def locking_app(tmp_path: Path, server_url: str, artifacts: Path, request: pytest.FixtureRequest) -> Iterator[Service]:
    """The rep's app as conftest's `client_app`, but locking after a few idle seconds."""
    log = log_of(artifacts, request, "client")
    with rep_app_process(tmp_path / "phone", server_url, log, "--idle-lock", str(IDLE_LOCK_S)) as service:
        yield service


@pytest.mark.timeout(600)  # two app starts and an idle wait: 20-30 s here, once over 300 s on a loaded CI machine
def test_the_app_locks_and_only_the_right_pin_opens_it(
    page: Page, locking_app: Service, tmp_path: Path, artifacts: Path
) -> None:
    rep_app.sign_in(page, locking_app.ready_url, "li.rep")  # sets the PIN: this is the phone's first sign-in
    position = rep_app.unvisited_stops(page)[0]
    name = rep_app.add_note(page, position, NOTE)

    # Idle: the lock screen covers the customer card.
    expect(rep_app.field(page, "PIN 码")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(NOTE)).to_have_count(0)
    rep_app.unlock(page, "0000", expect_today=False)
    expect(page.get_by_text("PIN 码错误")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(NOTE)).to_have_count(0)
    page.screenshot(path=str(artifacts / "phone-pin-lock.png"))
    rep_app.unlock(page, expect_today=False)
    expect(page.get_by_text(NOTE).first).to_be_visible(timeout=30_000)  # back where the rep was

    # The app started again: locked from the start, the store unreadable until the PIN is entered.
    locking_app.stop()
    phone = tmp_path / "phone"
    for path in phone.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert NOTE.encode() not in data and name.encode() not in data, path.name
    locking_app.start()
    rep_app.open_flet_app(page, locking_app.ready_url)
    expect(rep_app.field(page, "用户名")).to_have_count(0)
    rep_app.unlock(page, "13579", expect_today=False)
    expect(page.get_by_text("PIN 码错误")).to_be_visible(timeout=30_000)
    rep_app.unlock(page)
    rep_app.stop_button(page, position).click()
    expect(page.get_by_text(NOTE).first).to_be_visible(timeout=30_000)
