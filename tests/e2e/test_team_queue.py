"""Issue #5 end to end: a supervisor whose account names a territory signs in to the web view, sees only their
team's complaints in the work queue (and in the nav's count), and resolves one from the queue with a note:
the complaint leaves the queue, the database has it resolved with the follow-up visit planned, the note is on
the customer for the rep's phone, and the audit log has the step. Real processes: `python -m server serve`
on the demo data, the supervisor account made with `python -m server create-user`, headless Chromium.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import ARTIFACTS, ROOT, Service
from tests.e2e.test_visit_with_order import rows

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TEAM = "望都东片"  # li.rep's territory in the demo county
NOTE = "已上门换货，院长认可"


def test_a_territory_supervisor_resolves_their_teams_complaint_from_the_queue(
    browser: Browser, server: Service, server_url: str
) -> None:
    command = [sys.executable, "-m", "server", "create-user", "--username", "east.manager", "--password", "demo1234"]
    command += ["--role", "supervisor", "--territory", TEAM, "--display-name", "东片主管"]
    subprocess.run(command, cwd=ROOT, env=server.env, check=True)
    database = ROOT / server.env["DATABASE_URL"].removeprefix("sqlite:///")
    waiting = "('received', 'investigating', 'solution_proposed')"
    own = rows(database, f"select id, customer_id from complaints where territory = ? and status in {waiting}", TEAM)
    others = rows(database, f"select id from complaints where territory != ? and status in {waiting}", TEAM)
    assert own and others, "the demo has open complaints in every territory"

    page = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{server_url}/login")
    page.get_by_label("用户名").fill("east.manager")
    page.get_by_label("密码").fill("demo1234")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("board-day")).to_be_visible()
    page.get_by_test_id("nav-queues").click()
    expect(page.get_by_test_id("queue-complaints")).to_have_text(str(len(own)))
    for complaint in own:
        expect(page.get_by_test_id(f"complaint-row-{complaint['id']}")).to_be_visible()
    for complaint in others:
        expect(page.get_by_test_id(f"complaint-row-{complaint['id']}")).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "team-queue.png", full_page=True)

    chosen = own[0]
    page.get_by_test_id(f"move-status-{chosen['id']}").select_option("resolved")
    page.get_by_test_id(f"move-note-{chosen['id']}").fill(NOTE)
    page.get_by_test_id(f"move-button-{chosen['id']}").click()
    expect(page.get_by_test_id("complaint-moved")).to_have_text("投诉已推进到“已解决”。")
    expect(page.get_by_test_id(f"complaint-row-{chosen['id']}")).to_have_count(0)
    expect(page.get_by_test_id("queue-complaints")).to_have_text(str(len(own) - 1))
    page.screenshot(path=ARTIFACTS / "team-queue-complaint-resolved.png", full_page=True)
    page.context.close()

    (stored,) = rows(database, "select status, resolved_at from complaints where id = ?", chosen["id"])
    assert stored["status"] == "resolved" and stored["resolved_at"]
    steps = rows(database, "select status, note from complaint_steps where complaint_id = ?", chosen["id"])
    assert [(step["status"], step["note"]) for step in steps] == [("resolved", NOTE)]  # synced to the rep's phone
    (event,) = rows(database, "select actor_name, details from audit_log where action = 'complaint_status_changed'")
    assert event["actor_name"] == "east.manager"
    assert json.loads(event["details"])["to"] == "resolved"
