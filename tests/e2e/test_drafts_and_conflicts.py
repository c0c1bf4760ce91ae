"""What sync could not take as it was reaches the rep: a refused visit is fixed and sent again, and an
edit that lost to a supervisor's concurrent edit shows on the phone.

Real processes as in the other end-to-end tests. The supervisor's side acts on the server's database
through the server's own services (as its web view would): it moves a customer to another territory
for a while, so the rep's visit there is refused (403), and it changes a customer's phone number while
the rep's change of it is still on the phone, so one value loses and is kept as a conflict.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from server.actor import Actor
from server.db import make_engine, read_session, write_session
from server.domains.customers.service import put_customer
from server.models import Customer, FieldConflict, User, Visit
from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, ROOT, Service, on_clock_of

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SYNC_WAIT_MS = 90_000  # the app retries with backoff capped at 30 s
HOME, ELSEWHERE = "望都东片", "望都西片"  # li.rep's territory, and another
SCREENSHOT = ROOT / "docs" / "screenshots" / "phone-drafts-conflicts.png"


@contextmanager
def server_database(server: Service) -> Iterator[Engine]:
    """The server's database, the services run here on the server's clock (later than the phone's edit)."""
    engine = make_engine(server.env["DATABASE_URL"])
    try:
        with on_clock_of(server):
            yield engine
    finally:
        engine.dispose()


def as_supervisor(engine: Engine, change: Callable[[Session, Actor], None]) -> None:
    with write_session(engine) as session:
        user = session.exec(select(User).where(User.username == "zhang.manager")).one()
        change(session, Actor.of(user))


def customer_id_of(engine: Engine, name: str) -> str:
    with read_session(engine) as session:
        return session.exec(select(Customer).where(Customer.name == name, Customer.territory == HOME)).one().id


def move_customer(engine: Engine, customer_id: str, territory: str) -> None:
    as_supervisor(
        engine,
        lambda session, actor: put_customer(session, actor, customer_id, {}, server_fields={"territory": territory}),
    )


def side_by_side(page: Page, shots: list[bytes], target: Path) -> None:
    """One image of several phone screens (the browser lays them out; no imaging library needed)."""
    images = "".join(
        f'<img src="data:image/png;base64,{base64.b64encode(shot).decode()}" style="width:420px;margin:0 6px">'
        for shot in shots
    )
    page.set_viewport_size({"width": 440 * len(shots), "height": 900})
    page.set_content(f'<body style="margin:0;background:#888;display:flex;padding:6px 0">{images}</body>')
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)


def test_a_refused_visit_is_fixed_and_resent_and_a_lost_edit_shows_as_a_conflict(
    page: Page, browser: Browser, server: Service, client_app: Service
) -> None:
    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    stops = rep_app.unvisited_stops(page)
    assert len(stops) >= 2, "the demo plan leaves the afternoon's stops unvisited"
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)

    # Offline, the rep visits one customer and corrects another one's phone number.
    server.stop()
    rep_app.wait_offline(page)
    visited = rep_app.record_visit(page, stops[0], person="刘药师")
    rep_app.back_to_today(page)
    edited = rep_app.stop_name(page, stops[1])
    rep_app.stop_button(page, stops[1]).click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    rep_app.tap(page, "编辑客户")
    rep_app.fill(page, "电话", "0312-5550001")
    rep_app.tap(page, "保存客户")
    expect(page.get_by_text("已保存（待同步）")).to_be_visible(timeout=10_000)
    rep_app.back_to_today(page)

    # Meanwhile the supervisor moves the visited customer to another territory (by mistake) and, later
    # than the rep, changes the other customer's phone number.
    with server_database(server) as engine:
        visited_id, edited_id = customer_id_of(engine, visited), customer_id_of(engine, edited)
        move_customer(engine, visited_id, ELSEWHERE)
        as_supervisor(engine, lambda session, actor: put_customer(session, actor, edited_id, {"phone": "0312-6660002"}))

    # Back online: the visit's ops are refused (403) and become drafts; the phone edit merges and loses.
    server.start()
    expect(page.get_by_role("button", name="被拒绝 3")).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    conflicts_button = page.get_by_role("button", name="修改冲突 1")
    expect(conflicts_button).to_be_visible(timeout=SYNC_WAIT_MS)

    # The conflict, read-only: the rep's value lost to the supervisor's.
    conflicts_button.click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    lost = "你的修改 电话=“0312-5550001” 被 “0312-6660002” 取代"
    expect(page.get_by_text(lost).first).to_be_visible()
    expect(page.get_by_text(edited).first).to_be_visible()
    page.wait_for_timeout(500)
    conflicts_shot = page.screenshot()
    rep_app.tap(page, re.compile(f"^{re.escape(edited)} "))
    expect(page.get_by_text("修改冲突", exact=True)).to_be_visible()  # the customer card's section
    expect(page.get_by_text(lost)).to_be_visible()
    rep_app.back_to_today(page)

    # The supervisor puts the customer back; the rep opens the drafts.
    with server_database(server) as engine:
        move_customer(engine, visited_id, HOME)
    rep_app.tap(page, "被拒绝 3")
    expect(page.get_by_text("被服务器拒绝的记录")).to_be_visible()
    # Each card is one node whose label holds its texts: check-in, save and check-out were refused.
    expect(page.get_by_label(re.compile("^拜访："))).to_have_count(3)
    expect(page.get_by_label(re.compile("^拜访：无权操作.*outside your territory", re.S))).to_have_count(1)
    page.wait_for_timeout(500)
    drafts_shot = page.screenshot()
    sheet = browser.new_page()
    side_by_side(sheet, [drafts_shot, conflicts_shot], SCREENSHOT)
    sheet.context.close()

    # Discarding asks first; the rep changes their mind.
    page.get_by_role("button", name="丢弃").first.click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    expect(page.get_by_label(re.compile("丢弃后这条修改将永久丢失"))).to_have_count(1)
    expect(page.get_by_role("button", name="确定丢弃")).to_be_visible()
    rep_app.tap(page, "取消")
    expect(page.get_by_role("button", name="确定丢弃")).to_have_count(0)
    expect(page.get_by_label(re.compile("^拜访："))).to_have_count(3)  # nothing was discarded

    # Fix: the visit's form, prefilled as the rep wrote it; one new op replaces the three drafts.
    rep_app.tap(page, "修改并重新提交")
    expect(page.get_by_text(re.compile("^正在修改被服务器拒绝的拜访"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "rep-draft-visit-form.png"))  # the form shows what the rep wrote
    rep_app.fill(page, "访问对象", "赵主任")
    rep_app.tap(page, "重新提交")
    expect(page.get_by_text("已重新提交（待同步）")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("没有被拒绝的记录。")).to_be_visible()
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(page.get_by_role("button", name=re.compile("^被拒绝"))).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "rep-draft-resent.png"))

    # It reached the server, whole (it was never stored there before), as fixed; the purpose typed before
    # the refusal and left alone in the prefilled form travelled too.
    with server_database(server) as engine, read_session(engine) as session:
        (visit,) = session.exec(
            select(Visit).where(Visit.customer_id == visited_id, Visit.person_met == "赵主任")
        ).all()
        assert visit.check_in_at and visit.check_out_at and visit.purpose == "了解库存，介绍新品"
        (conflict,) = session.exec(select(FieldConflict).where(FieldConflict.record_id == edited_id)).all()
        assert (conflict.kept_value, conflict.lost_value) == ("0312-6660002", "0312-5550001")
