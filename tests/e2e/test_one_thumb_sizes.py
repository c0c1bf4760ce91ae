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


SMALL_PHONE = {"width": 320, "height": 640}


def outside_sideways(page: Page, width: int) -> list[str]:
    """Nodes of Flutter's semantics tree (what a screen reader and a thumb find) that stick out left or right
    of a `width` px screen, with the page's own sideways scroll: a screen must fit, never scroll sideways."""
    found: list[str] = page.evaluate(
        """(width) => {
            const wide = document.documentElement.scrollWidth > innerWidth ? ['page scrolls sideways'] : [];
            return wide.concat([...document.querySelectorAll('flt-semantics')]
                .map(node => [node.getAttribute('aria-label') || node.innerText || node.tagName,
                              node.getBoundingClientRect()])
                .filter(([_, box]) => box.width > 0 && box.height > 0)
                .filter(([_, box]) => box.left < -0.5 || box.right > width + 0.5)
                .map(([name, box]) => `${name.trim().slice(0, 40)}: ${box.left.toFixed(0)}..${box.right.toFixed(0)}`));
        }""",
        width,
    )
    return found


def small_targets_at(page: Page, height: int, action_bar: Locator | None = None, body_top: float = 1) -> list[str]:
    """As `small_targets`, both ways, and leaving out a node cut by the scrolling body's top (`body_top`, under
    the sync bar) or its bottom (the action bar)."""
    bar = action_bar.bounding_box() if action_bar is not None else None
    edge = (bar["y"] if bar else height) - 16
    found: list[str] = page.evaluate(
        """([selector, minimum, edge, top]) => [...document.querySelectorAll(selector)]
            .map(node => [node.getAttribute('aria-label') || node.innerText || node.tagName,
                          node.getBoundingClientRect()])
            .filter(([_, box]) => box.width > 0 && box.height > 0)
            .filter(([_, box]) => box.top > top + 1 && box.bottom <= innerHeight)
            // A node in the last touch target's height above the action bar may be cut by the scrolling body:
            // it is measured whole at another scroll position.
            .filter(([_, box]) => box.bottom < edge - minimum || box.top > edge + 8)
            .filter(([_, box]) => box.height < minimum - 0.5 || box.width < minimum - 0.5)
            .map(([name, box]) => `${name.trim()}: ${box.width.toFixed(1)} x ${box.height.toFixed(1)} px`
                + ` at ${box.top.toFixed(0)}..${box.bottom.toFixed(0)}`
                + ` (body ${top.toFixed(0)}..${edge.toFixed(0)})`)""",
        [TAPPABLE, TOUCH_TARGET, edge, body_top],
    )
    return found


def test_today_the_map_and_the_visit_form_fit_a_320_px_phone(browser: Browser, client_app: Service) -> None:
    """At 320×640 (a small Android phone): Today, the route map and the visit form fit the width (nothing cut,
    no sideways scroll), and what the thumb taps is at least 48 px both ways."""
    context = browser.new_context(viewport=SMALL_PHONE, locale="zh-CN")
    page = context.new_page()
    try:
        try:
            rep_app.sign_in(page, client_app.ready_url, "li.rep")
        finally:
            page.screenshot(path=ARTIFACTS / "phone-sign-in-320.png")
        page.wait_for_timeout(3000)  # the CJK font (5 MB) is drawn once loaded
        page.screenshot(path=ARTIFACTS / "phone-today-320.png")
        problems = outside_sideways(page, SMALL_PHONE["width"]) + small_targets_at(page, SMALL_PHONE["height"])

        position = rep_app.unvisited_stops(page)[0]
        rep_app.tap(page, "地图")
        expect(page.get_by_text(re.compile(r"^路线图 "))).to_be_visible()
        page.wait_for_timeout(500)
        page.screenshot(path=ARTIFACTS / "phone-route-map-320.png")
        problems += outside_sideways(page, SMALL_PHONE["width"]) + small_targets_at(page, SMALL_PHONE["height"])
        rep_app.tap(page, re.compile("^返回"))

        rep_app.stop_button(page, position).click()
        page.wait_for_timeout(rep_app.SETTLE_MS)
        rep_app.tap(page, "开始拜访")
        rep_app.tap(page, "签到")
        page.wait_for_timeout(1000)
        check_out = page.get_by_role("button", name="签退")
        assert on_screen(check_out) if SMALL_PHONE["height"] == PHONE["height"] else check_out.is_visible()
        page.screenshot(path=ARTIFACTS / "phone-visit-320.png")
        back = page.get_by_role("button", name=re.compile("^返回")).bounding_box()
        assert back is not None
        body_top = back["y"]  # the scrolling column's top: its first control, before any scrolling
        problems += outside_sideways(page, SMALL_PHONE["width"])
        problems += small_targets_at(page, SMALL_PHONE["height"], action_bar=check_out)
        page.mouse.move(SMALL_PHONE["width"] / 2, SMALL_PHONE["height"] / 2)  # over the scrolling form
        for index in range(4):  # down the form: the type's fields, 访问对象 and its chips, the date, 保存
            page.mouse.wheel(0, 400)
            page.wait_for_timeout(500)
            problems += outside_sideways(page, SMALL_PHONE["width"])
            problems += small_targets_at(page, SMALL_PHONE["height"], action_bar=check_out, body_top=body_top)
            page.screenshot(path=ARTIFACTS / f"phone-visit-320-{index + 1}.png")
        assert not problems, "\n".join(sorted(set(problems)))
    finally:
        context.close()
