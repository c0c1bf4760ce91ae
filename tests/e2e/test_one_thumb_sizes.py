"""The rep's app for one thumb (issue 14): at 360×740, every button, chip and check box on Today and on a visit
is at least 48 px high, and every text field too; the visit's next action (签到, 签退, then 下一站) is always on
screen under the form, without scrolling, and 下一站 opens the next unvisited stop. Screenshots are kept."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, Service
from tests.e2e.rep_app import accessible_name

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOUCH_TARGET = 48
PHONE = {"width": 360, "height": 740}
TAPPABLE = "flt-semantics[role=button], flt-semantics[role=checkbox], input, textarea, [role=button], [role=checkbox]"


def small_targets(page: Page, action_bar: Locator | None = None) -> list[str]:
    """The tappable nodes wholly in view that are lower than a touch target, with their names and heights. A row
    cut by the scrolling body's lower edge (the screen's, or the action bar's top) is clipped: left out."""
    bar = action_bar.bounding_box() if action_bar is not None else None
    edge = (bar["y"] if bar else PHONE["height"]) - 16
    found: list[str] = page.evaluate(
        """([selector, minimum, edge]) => [...document.querySelectorAll(selector)]
            .map(node => [node.getAttribute('aria-label') || node.innerText || node.tagName,
                          node.getBoundingClientRect()])
            .filter(([_, box]) => box.width > 0 && box.height > 0)
            .filter(([_, box]) => box.top > 1 && box.bottom <= innerHeight && (box.bottom < edge || box.top > edge + 8))
            .filter(([_, box]) => box.height < minimum - 0.5)
            .map(([name, box]) => `${name.trim()}: ${box.height.toFixed(1)} px`)""",
        [TAPPABLE, TOUCH_TARGET, edge],
    )
    return found


def on_screen(element: Locator) -> bool:
    """Wholly in view at the phone's size: reachable without scrolling."""
    box = element.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def test_buttons_chips_and_fields_are_touch_targets_at_360_wide(browser: Browser, client_app: Service) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    try:
        rep_app.sign_in(page, client_app.ready_url, "li.rep")
        page.wait_for_timeout(3000)  # the CJK font (5 MB) is drawn once loaded
        page.screenshot(path=ARTIFACTS / "phone-today-360.png")
        small = small_targets(page)
        assert not small, "\n".join(small)

        position = rep_app.unvisited_stops(page)[0]
        rep_app.stop_button(page, position).click()
        page.wait_for_timeout(rep_app.SETTLE_MS)
        rep_app.tap(page, "开始拜访")
        assert on_screen(page.get_by_role("button", name="签到"))
        rep_app.tap(page, "签到")
        page.wait_for_timeout(3000)  # the CJK font (5 MB) is drawn once loaded
        page.screenshot(path=ARTIFACTS / "phone-visit-360.png")
        small = small_targets(page, action_bar=page.get_by_role("button", name="签退"))
        assert not small, "\n".join(small)

        rep_app.fill(page, "访问对象", "王院长")
        assert on_screen(page.get_by_role("button", name="签退"))
        rep_app.tap(page, "签退")
        next_stop = page.get_by_role("button", name=re.compile("^下一站："))
        expect(next_stop).to_be_visible()
        assert on_screen(next_stop)
        page.screenshot(path=ARTIFACTS / "phone-visit-done-360.png")
        following = accessible_name(next_stop).removeprefix("下一站：")
        next_stop.click()
        expect(page.get_by_role("button", name="开始拜访")).to_be_visible()
        expect(page.get_by_text(following, exact=True).first).to_be_visible()
    finally:
        context.close()
