"""What a rep does in the app, as a real user would: by the visible (Chinese) labels, in Chromium.

Flet renders to a canvas; the tests read Flutter's semantics tree (roles and labels). A text field
only takes typing once it has focus, so each fill first clicks the field and lets Flutter settle.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import open_flet_app

SETTLE_MS = 300


def field(page: Page, label: str) -> Locator:
    return page.get_by_role("textbox", name=label, exact=True)


def bring_to_middle(page: Page, element: Locator) -> None:
    """Scroll the screen (as a thumb would) until `element` sits in the middle band of the viewport. A field at
    the bottom edge, half under the action bar, moves when Flutter scrolls it into view on focus, and a fill
    aimed at it then lands nowhere (a CI run lost 拜访目的 so, below three key-person chips)."""
    viewport = page.viewport_size
    box = element.bounding_box()
    if viewport is None or box is None:
        return
    height = viewport["height"]
    middle = box["y"] + box["height"] / 2
    if height * 0.25 <= middle <= height * 0.65:
        return
    page.mouse.move(viewport["width"] / 2, height / 2)
    page.mouse.wheel(0, middle - height / 2)
    page.wait_for_timeout(SETTLE_MS)


def fill(page: Page, label: str, value: str) -> None:
    """Type `value` into the field labelled `label`, as the rep would: bring it into easy reach, tap it, type.
    Flutter mirrors a focused field's text in the page's input, so the typed value is checked there."""
    box = field(page, label)
    bring_to_middle(page, box)
    box.click()
    page.wait_for_timeout(SETTLE_MS)
    box.fill(value)
    page.wait_for_timeout(SETTLE_MS)
    expect(box).to_have_value(value)


def tap(page: Page, name: str | re.Pattern[str], role: str = "button") -> None:
    page.get_by_role(role, name=name).first.click()  # type: ignore[arg-type]
    page.wait_for_timeout(SETTLE_MS)


def pick_product(page: Page, name: str) -> None:
    """On the order form, find a product by typing its name and tap its chip. The form shows a few products at
    once, this customer's usual ones first, so which ones show depends on the demo's order history: a product
    is found by search, as a rep with 200 products does."""
    search = page.get_by_role("textbox", name="查找产品（名称或规格）")
    search.click()
    page.wait_for_timeout(SETTLE_MS)
    search.fill(name)
    page.wait_for_timeout(SETTLE_MS)
    tap(page, re.compile(f"^{re.escape(name)}"), role="checkbox")


PIN = "2468"  # the PIN sign_in sets on a first sign-in (issue #7); unlock() enters it


def wait_offline(page: Page) -> None:
    """After the server stops: wait until the sync bar says 离线 (its hint line moves the screen down), so that
    no tap lands where something was a moment before."""
    expect(page.get_by_text("离线", exact=True)).to_be_visible(timeout=90_000)
    page.wait_for_timeout(SETTLE_MS)


def today_heading(page: Page) -> Locator:
    return page.get_by_text(re.compile(r"^今日路线 \d{4}-\d{2}-\d{2}$"))


def sign_in(page: Page, url: str, username: str, password: str = "demo1234", pin: str = PIN) -> None:
    """Sign in; on the first sign-in on this phone the app then asks for a PIN, which is set to `pin`."""
    open_flet_app(page, url)
    expect(field(page, "用户名")).to_be_visible(timeout=30_000)
    signs_in(page, username, password, pin)


def signs_in(page: Page, username: str, password: str = "demo1234", pin: str = PIN, *, new_phone: bool = False) -> None:
    """On the sign-in screen: sign in, set the PIN when the app asks for one (always, with `new_phone`), and
    wait for Today."""
    fill(page, "用户名", username)
    fill(page, "密码", password)
    tap(page, "登录")
    repeat_pin = field(page, "再次输入 PIN 码")
    expect(repeat_pin if new_phone else today_heading(page).or_(repeat_pin)).to_be_visible(timeout=30_000)
    if repeat_pin.is_visible():
        fill(page, "PIN 码", pin)
        fill(page, "再次输入 PIN 码", pin)
        tap(page, "设置 PIN 码")
    expect(today_heading(page)).to_be_visible(timeout=30_000)


def unlock(page: Page, pin: str = PIN, *, expect_today: bool = True) -> None:
    """Enter the PIN on the lock screen (shown when the app starts, and after it was idle)."""
    expect(field(page, "PIN 码")).to_be_visible(timeout=30_000)
    fill(page, "PIN 码", pin)
    tap(page, "解锁")
    if expect_today:
        expect(today_heading(page)).to_be_visible(timeout=30_000)


def stop_button(page: Page, position: int) -> Locator:
    return page.get_by_role("button", name=re.compile(rf"^{position}\. "))


def accessible_name(element: Locator) -> str:
    """Flutter puts a node's label in aria-label or in its text, depending on the node."""
    return (element.get_attribute("aria-label") or element.inner_text()).strip()


def unvisited_stops(page: Page) -> list[int]:
    """Positions on today's route still marked 未拜访."""
    stops = page.get_by_role("button", name=re.compile(r"^\d+\. .+ 未拜访( · .+)?$"))  # then when it is expected
    stops.first.wait_for(timeout=30_000)
    labels = [accessible_name(stops.nth(index)) for index in range(stops.count())]
    return [int(label.split(".", 1)[0]) for label in labels]


def stop_name(page: Page, position: int) -> str:
    """The customer's name at a stop of today's route ("3. 望都县康宁诊所 未拜访" gives the name)."""
    label = accessible_name(stop_button(page, position))
    match = re.match(rf"^{position}\. (.+?) (未拜访|已拜访|已进货)", label.strip())
    assert match, f"unexpected stop label {label!r}"
    return match.group(1)


def record_visit(
    page: Page,
    position: int,
    *,
    person: str,
    ordered_amount: str | None = None,
    before_check_out: Callable[[], None] | None = None,
    located: str | None = None,
) -> str:
    """Visit the planned stop at `position`: check in, fill the record, save, (`before_check_out`), check out.
    `located`: the text the form shows once the device's position was found (e.g. "已取得位置（±15 米）"),
    waited for before 签到 so that the check-in takes it. Returns the name."""
    name = stop_name(page, position)
    stop_button(page, position).click()
    page.wait_for_timeout(SETTLE_MS)
    tap(page, "开始拜访")
    if located is not None:
        expect(page.get_by_text(located)).to_be_visible(timeout=60_000)
    tap(page, "签到")
    fill(page, "访问对象", person)
    fill(page, "拜访目的", "了解库存，介绍新品")
    tap(page, "积极", role="checkbox")
    if ordered_amount is not None:
        page.get_by_role("checkbox", name="已进货").click()
        page.wait_for_timeout(SETTLE_MS)
        fill(page, "进货金额（元）", ordered_amount)
    tap(page, "保存")
    expect(page.get_by_text("已保存（待同步）")).to_be_visible(timeout=10_000)
    if before_check_out is not None:
        before_check_out()
    tap(page, "签退")
    return name


def back_to_today(page: Page) -> None:
    """Back until today's route shows (the back button's label is "返回")."""
    heading = page.get_by_text(re.compile(r"^今日路线 "))
    for _ in range(4):
        if heading.is_visible():
            return
        tap(page, re.compile("^返回"))
    expect(heading).to_be_visible()


def add_note(page: Page, position: int, text: str) -> str:
    name = stop_name(page, position)
    stop_button(page, position).click()
    page.wait_for_timeout(SETTLE_MS)
    fill(page, "新备注", text)
    tap(page, "保存备注")
    expect(page.get_by_text(text).first).to_be_visible(timeout=10_000)
    return name


def add_prospect(page: Page, name: str, address: str, phone: str) -> None:
    tap(page, "新增潜在客户")
    fill(page, "客户名称", name)
    tap(page, "药店", role="checkbox")
    fill(page, "地址", address)
    fill(page, "电话", phone)
    tap(page, "保存客户")
    expect(page.get_by_text("已保存（待同步）")).to_be_visible(timeout=10_000)


def pending_count(page: Page) -> Locator:
    return page.get_by_text(re.compile(r"^待同步 \d+$"))
