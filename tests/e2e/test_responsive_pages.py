"""Issue 16, the supervisor's desk on a phone and at a desk: every supervisor page, in zh-CN and in en, at
390×844 (a phone) and 1280×800 (a desk), in headless Chromium against the real server on the demo county.

A page fails when it scrolls sideways (document.documentElement.scrollWidth > window.innerWidth), with the
navigation's groups and the page's own drop-downs closed and then each one open; or when a label of the bar
(a group, a page, the language switch, the user, sign-out) wraps onto a second line; or when the work queue's
count is not in sight without opening anything. At a desk the whole bar is one line; on a phone the groups
sit behind the menu button.

The pages come from the app's route table as in tests/integration/test_web_languages.py (a new page is
covered without editing this file; a path parameter takes a value from the demo data: SAMPLES). One server
process and one browser serve the whole module. Screenshots of the board, the dashboard and a rep's day at
both sizes go to docs/screenshots/ with ROUTECRM_SCREENSHOTS=1, to test-artifacts/ otherwise.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import ARTIFACTS, ROOT, SESSION_OFFSET, Service, free_port, process_clock_env
from tests.integration.test_web_languages import NOT_PAGES, PAGES

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PHONE, DESK = (390, 844), (1280, 800)
SIZES = {"phone": PHONE, "desk": DESK}
LANGS = ("zh-CN", "en")
ADMIN, ADMIN_PASSWORD = "layout.admin", "layout-pass-1234"  # an admin opens every page, the admin ones too
REP = "li.rep"
# A value for each path parameter, from the demo database: (table, column) or a fixed value.
SAMPLES: dict[str, tuple[str, str] | str] = {
    "customer_id": ("customers", "id"),
    "campaign_id": ("campaigns", "id"),
    "opportunity_id": ("opportunities", "id"),
    "rep": REP,
}
SHOTS = {
    "board": "/board",
    "dashboard": "/dashboard",
    "rep-day": f"/reps/{REP}/day",
    "work-reports": "/reports",
    "leaderboard": "/reports/leaderboard",
}
SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("ROUTECRM_SCREENSHOTS") == "1" else ARTIFACTS

# Every label of the bar that is shown: its text, whether it wraps (a range over its text is taller than one
# over its first character, i.e. one line), and its height.
BAR_LABELS = """() => [...document.querySelectorAll('.topbar a, .topbar summary, .topbar button, .topbar .who')]
  .filter(el => el.getClientRects().length && el.textContent.trim())
  .map(el => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, n => n.data.trim() ? 1 : 3);
    const first = walker.nextNode();
    const start = first.data.search(/\\S/);
    const one = document.createRange(); one.setStart(first, start); one.setEnd(first, start + 1);
    const all = document.createRange(); all.selectNodeContents(el);
    const line = one.getBoundingClientRect().height, height = all.getBoundingClientRect().height;
    return {text: el.textContent.trim().replace(/\\s+/g, ' '), wraps: height > line * 1.5, height: Math.round(height)};
  })"""
WIDE = "() => document.documentElement.scrollWidth"
# The widest the page gets with each <details> of the page opened in turn (a group opens alone: <details name>).
WIDEST_WITH_DETAILS_OPEN = """() => {
  let widest = document.documentElement.scrollWidth;
  for (const details of document.querySelectorAll('details')) {
    const was = details.open; details.open = true;
    widest = Math.max(widest, document.documentElement.scrollWidth); details.open = was;
  }
  return widest;
}"""
# The labels inside each navigation group, the group opened (its links are hidden while it is closed).
GROUP_LABELS = (
    "() => { const labels = "
    + BAR_LABELS
    + """; const found = [];
  for (const group of document.querySelectorAll('.nav-group')) {
    group.open = true; found.push(...labels()); group.open = false;
  }
  return found;
}"""
)
# At a desk the bar is one line: every part of it centred on the same row.
BAR_ROWS = """() => new Set([...document.querySelector('.topbar').children]
  .filter(el => el.getClientRects().length)
  .map(el => { const r = el.getBoundingClientRect(); return Math.round((r.top + r.bottom) / 8); })).size"""


def page_paths(db: Path) -> list[str]:
    """Every supervisor page with its parameters filled from the demo data."""
    with sqlite3.connect(db) as con:

        def sample(match: re.Match[str]) -> str:
            name = match.group(1)
            assert name in SAMPLES, f"add a value for {{{name}}} to SAMPLES"
            source = SAMPLES[name]
            if isinstance(source, str):
                return source
            table, column = source
            row = con.execute(f"SELECT {column} FROM {table} ORDER BY {column} LIMIT 1").fetchone()
            assert row, f"the demo has no {table}"
            return str(row[0])

        return [re.sub(r"\{(\w+):\w+\}", sample, path) for path in PAGES if path not in NOT_PAGES]


@dataclass
class Desk:
    url: str
    paths: list[str]
    contexts: dict[str, BrowserContext]

    def page(self, size: str) -> Page:
        return self.contexts[size].pages[0]


@pytest.fixture(scope="module")
def desk(browser: Browser, tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[Desk]:
    """One server on the demo county and one signed-in browser context per size, for the whole module."""
    folder = tmp_path_factory.mktemp("responsive")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'server.db'}",
        "DATA_DIR": str(folder / "server-data"),
        "PYTHONUNBUFFERED": "1",
        **process_clock_env(SESSION_OFFSET),
    }
    subprocess.run([sys.executable, "-m", "server", "seed-demo"], cwd=ROOT, env=env, check=True)
    command = ["create-user", "--username", ADMIN, "--password", ADMIN_PASSWORD, "--role", "admin"]
    subprocess.run(
        [sys.executable, "-m", "server", *command, "--display-name", "版式管理员"], cwd=ROOT, env=env, check=True
    )
    server = Service(
        "server",
        ["-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env,
        f"http://127.0.0.1:{port}/health",
        artifacts / "test_responsive_pages-server.log",
    )
    server.start()
    url = server.ready_url.removesuffix("/health")
    contexts = {}
    try:
        for size, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
            page = context.new_page()
            page.goto(f"{url}/login")
            page.get_by_label("用户名").fill(ADMIN)
            page.get_by_label("密码").fill(ADMIN_PASSWORD)
            page.get_by_test_id("login-submit").click()
            expect(page.get_by_test_id("board-day")).to_be_visible()
            contexts[size] = context
        yield Desk(url, page_paths(folder / "server.db"), contexts)
    finally:
        for context in contexts.values():
            context.close()
        server.stop()


def with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def layout_problems(page: Page, size: str) -> list[str]:
    """What is wrong with the open page's layout at `size`."""
    width = page.evaluate("() => window.innerWidth")
    found = []
    if (wide := page.evaluate(WIDE)) > width:
        found.append(f"{wide} px wide in a {width} px window")
    if not page.get_by_test_id("nav").count():  # the sign-in page: no navigation
        return found + [f"the label {label['text']!r} wraps" for label in page.evaluate(BAR_LABELS) if label["wraps"]]
    if not page.get_by_test_id("nav-queues").is_visible():
        found.append("the work queue's count is not in sight")
    if size == "phone":
        page.get_by_test_id("nav-menu").click()  # the groups sit behind the menu
        expect(page.get_by_test_id("nav")).to_be_visible()
    elif (rows := page.evaluate(BAR_ROWS)) > 1:
        found.append(f"the bar takes {rows} lines")
    labels = page.evaluate(BAR_LABELS) + page.evaluate(GROUP_LABELS)
    found += dict.fromkeys(
        f"the label {label['text']!r} wraps ({label['height']} px high)" for label in labels if label["wraps"]
    )
    if (widest := page.evaluate(WIDEST_WITH_DETAILS_OPEN)) > width:
        found.append(f"{widest} px wide with a drop-down or a form opened")
    if size == "phone":
        page.keyboard.press("Escape")  # the menu closes (a popover)
        expect(page.get_by_test_id("nav")).to_be_hidden()
    return found


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES)
def test_every_supervisor_page_fits_the_window_and_its_labels_stay_on_one_line(
    desk: Desk, size: str, lang: str
) -> None:
    page = desk.page(size)
    assert len(desk.paths) > 20, desk.paths  # the route table gave the pages
    failures = []
    for path in desk.paths:
        answer = page.goto(f"{desk.url}{with_lang(path, lang)}")
        assert answer is not None
        if answer.status != 200 or page.locator("html").get_attribute("lang") != lang:
            failures.append(f"{path}: {answer.status}, lang {page.locator('html').get_attribute('lang')}")
            continue
        failures += [f"{path} ({size}, {lang}): {problem}" for problem in layout_problems(page, size)]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("size", SIZES)
def test_screenshots_of_the_board_the_dashboard_and_a_reps_day(desk: Desk, size: str) -> None:
    page = desk.page(size)
    width = SIZES[size][0]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in SHOTS.items():
        page.goto(f"{desk.url}{with_lang(path, 'zh-CN')}")
        assert page.evaluate(WIDE) <= width
        page.screenshot(path=SCREENSHOTS / f"web-{name}-{width}.png", full_page=True)
    if size == "phone":  # the menu, opened on the board with the current group unfolded
        page.goto(f"{desk.url}{with_lang('/board', 'zh-CN')}")
        page.get_by_test_id("nav-menu").click()
        page.get_by_test_id("nav-group-today").locator("summary").click()
        expect(page.get_by_test_id("nav-board")).to_be_visible()
        page.screenshot(path=SCREENSHOTS / f"web-menu-{width}.png")


def test_a_visits_signature_shows_on_a_reps_day_on_a_phone(desk: Desk) -> None:
    """Issue #17: each demo visit is its phone's signed op; the rep's day shows it as 签名：手机 X，链完整, inside
    the 390 px card of the visit."""
    page = desk.page("phone")
    page.goto(f"{desk.url}{with_lang(f'/reps/{REP}/day', 'zh-CN')}")
    tags = page.locator('[data-testid^="visit-chain-"]')
    expect(tags.first).to_be_visible()
    assert tags.count() >= 2
    for index in range(tags.count()):
        tag = tags.nth(index)
        assert tag.get_attribute("data-chain") == "intact"
        assert tag.inner_text() == "签名：手机 红米 Note 12，链完整"
    assert page.evaluate(WIDE) <= PHONE[0]
    row = page.get_by_test_id("day-visit-2")
    row.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    row.screenshot(path=SCREENSHOTS / "supervisor-visit-signed-390.png")


def test_each_phones_clock_shows_in_its_card_on_a_phone(desk: Desk) -> None:
    """Issue #17: /devices says how far each phone's clock is off (the demo's phones: right, 3 h 12 min slow, never
    said); at 390 px the table is one card a phone, the clock in sight without scrolling sideways."""
    page = desk.page("phone")
    for lang, words in (("zh-CN", ("时钟准确", "时钟慢 3 小时 12 分", "尚未测得")), ("en", ("clock right",))):
        page.goto(f"{desk.url}{with_lang('/devices', lang)}")
        cells = page.locator('[data-testid^="device-clock-"]')
        expect(cells.first).to_be_visible()
        shown = {cell.get_attribute("data-clock"): cell.inner_text() for cell in cells.all()}
        assert {"right", "behind", "unknown"} <= set(shown), shown
        for word in words:
            assert any(text.startswith(word) for text in shown.values()), (word, shown)
        assert page.evaluate(WIDE) <= PHONE[0]
    page.goto(f"{desk.url}{with_lang('/devices', 'zh-CN')}")
    slow = page.locator('[data-clock="behind"]').first
    slow.scroll_into_view_if_needed()
    box = slow.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "supervisor-devices-clock-390.png", full_page=True)


def test_a_visit_of_a_phone_with_a_wrong_clock_says_so_on_a_reps_day_on_a_phone(desk: Desk) -> None:
    """Issue #17: wang.rep's demo phone uploaded his visits with its clock 3 h 12 min slow; each of them says so
    beside its signature, inside the 390 px card."""
    page = desk.page("phone")
    said = {"zh-CN": "上传时手机时钟慢 3 小时 12 分", "en": "phone's clock 3 h 12 min behind at upload"}
    for lang, text in said.items():
        page.goto(f"{desk.url}{with_lang('/reps/wang.rep/day', lang)}")
        tags = page.locator('[data-testid^="visit-clock-"]')
        expect(tags.first).to_be_visible()
        assert {tags.nth(i).inner_text() for i in range(tags.count())} == {text}
        assert page.evaluate(WIDE) <= PHONE[0]
        box = tags.first.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE[0]
    tags.first.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "supervisor-visit-phone-clock-390.png")
