"""Issue #4 end to end: an admin adds a company holiday on the web (/admin/holidays), the rep's phone syncs
and its Today screen reminds of it with the company's note. Real server and client processes, headless
Debian Chromium."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, ROOT, Service, company_today
from tests.e2e.test_import_export_admin import sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HOLIDAY = "公司年会"
NOTE = "给关键人发邀请函"


def test_a_holiday_added_by_an_admin_shows_in_the_phones_care_reminders(
    page: Page, browser: Browser, server: Service, server_url: str, client_app: Service
) -> None:
    command = [sys.executable, "-m", "server", "create-user", "--username", "admin.e2e"]
    command += ["--password", "admin-pass-42", "--role", "admin"]
    subprocess.run(command, cwd=ROOT, env=server.env, check=True)
    admin = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}).new_page()
    sign_in_as(admin, server_url, "admin.e2e", "admin-pass-42")
    admin.goto(f"{server_url}/admin/holidays")
    expect(admin.get_by_test_id("holidays-built-in")).to_be_visible()
    in_three_days = company_today() + dt.timedelta(days=3)
    admin.get_by_test_id("holiday-name").fill(HOLIDAY)
    admin.get_by_test_id("holiday-day").fill(in_three_days.isoformat())
    admin.get_by_test_id("holiday-note").fill(NOTE)
    admin.get_by_test_id("save-holiday").click()
    expect(admin.get_by_test_id("holidays-done")).to_be_visible()
    expect(admin.get_by_test_id("holidays-table")).to_contain_text(HOLIDAY)
    admin.screenshot(path=ARTIFACTS / "web-company-holidays.png", full_page=True)
    admin.context.close()

    rep_app.sign_in(page, client_app.ready_url, "li.rep")  # the first sync pulls the company's list
    when = f"{in_three_days.month:02d}-{in_three_days.day:02d}"
    reminder = page.get_by_text(f"{HOLIDAY}：3 天后（{when}） · {NOTE}")
    expect(page.get_by_text(re.compile(r"^上次同步 "))).to_be_visible(timeout=60_000)  # the first sync is over
    expect(reminder).to_be_visible(timeout=30_000)
    page.wait_for_timeout(rep_app.SETTLE_MS)  # let Flutter paint what its semantics tree already shows
    page.screenshot(path=ARTIFACTS / "phone-company-holiday.png")
