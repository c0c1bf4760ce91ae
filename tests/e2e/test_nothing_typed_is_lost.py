"""Nothing typed is lost (issue 14): a rep checks in, types who was met and the purpose, and the app process is
killed (SIGKILL: no chance to save anything) before the visit is saved. Started again and unlocked, the app
opens the same visit with the same text. Going back from it asks first; 继续编辑 keeps the text, 放弃修改
leaves it knowingly."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, Service

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PERSON, REMARK = "王院长（药房）", "下周二送样品，带上新品资料"  # who was met, the purpose
AUTOSAVE_WAIT_MS = 2_000  # the form is kept 0.6 s after the last keystroke; the rest is slack


def typed_in(page: Page, label: str) -> str:
    """A text field's content: Flutter's semantics node carries only the label; the field's editing element,
    made when it takes focus, holds the text. The field is brought into easy reach first: 拜访目的 sits at the
    bottom edge under the key-person chips, and a tap there can land on the 签退 bar instead."""
    box = rep_app.field(page, label)
    rep_app.bring_to_middle(page, box)
    box.click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    return str(page.evaluate("document.activeElement && document.activeElement.value"))


def test_text_typed_on_a_visit_survives_a_kill_and_leaving_asks_first(page: Page, client_app: Service) -> None:
    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    position = rep_app.unvisited_stops(page)[0]
    name = rep_app.stop_name(page, position)
    rep_app.stop_button(page, position).click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    rep_app.tap(page, "开始拜访")
    rep_app.tap(page, "签到")
    rep_app.fill(page, "访问对象", PERSON)
    rep_app.fill(page, "拜访目的", REMARK)
    page.wait_for_timeout(AUTOSAVE_WAIT_MS)

    assert client_app.process is not None
    client_app.process.kill()  # SIGKILL: the app gets no chance to save anything more
    client_app.process.wait()
    client_app.start()
    rep_app.open_flet_app(page, client_app.ready_url)
    rep_app.unlock(page, expect_today=False)

    expect(page.get_by_text(f"拜访：{name}")).to_be_visible(timeout=30_000)
    assert typed_in(page, "访问对象") == PERSON
    assert typed_in(page, "拜访目的") == REMARK
    page.screenshot(path=ARTIFACTS / "phone-typed-text-back-after-kill.png")

    rep_app.tap(page, "返回")
    prompt = page.get_by_text("有未保存的修改：离开将丢弃它们")
    expect(prompt).to_be_visible()
    rep_app.tap(page, "继续编辑")
    expect(prompt).to_have_count(0)
    assert typed_in(page, "访问对象") == PERSON

    rep_app.tap(page, "返回")
    rep_app.tap(page, "放弃修改")
    expect(rep_app.today_heading(page)).to_be_visible()
