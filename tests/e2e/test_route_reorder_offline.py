"""Issue #18 end to end: a rep, offline, sees when each stop still to visit is expected, re-orders the rest of
the day on the phone and goes back to the supervisor's order.

Real processes: the sync server on a SQLite file with the demo data (li.rep's route today, visited so far up
to 09:30), the rep's app in browser mode, headless Debian Chromium. "Offline" is the server stopped.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, Service
from tests.e2e.test_offline_visit_reaches_supervisor import SYNC_WAIT_MS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
EXPECTED = re.compile(r" 未拜访 · 预计 (\d\d):(\d\d)")


def remaining_names(page: Page) -> list[str]:
    return [rep_app.stop_name(page, position) for position in rep_app.unvisited_stops(page)]


def expected_minutes(page: Page) -> list[int]:
    """When each stop still to visit is expected, in the route's order (the stops' accessible names say it)."""
    stops = page.get_by_role("button", name=re.compile(r"^\d+\. "))
    names = [rep_app.accessible_name(stops.nth(index)) for index in range(stops.count())]
    return [int(match.group(1)) * 60 + int(match.group(2)) for name in names if (match := EXPECTED.search(name))]


def test_a_rep_offline_reorders_the_rest_of_the_day_sees_the_arrivals_and_goes_back(
    page: Page, server: Service, client_app: Service
) -> None:
    page.set_viewport_size({"width": 420, "height": 1600})  # the whole route on one screen
    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    expect(page.get_by_text(re.compile(r"^上次同步 \d"))).to_be_visible(timeout=SYNC_WAIT_MS)
    server.stop()
    rep_app.wait_offline(page)

    planned = remaining_names(page)
    assert len(planned) >= 2, planned
    arrivals = expected_minutes(page)
    assert arrivals and arrivals == sorted(arrivals) and arrivals[0] >= 9 * 60 + 30  # from now on, in order

    rep_app.tap(page, "重排剩余路线")
    expect(page.get_by_text(re.compile(r"重排剩余路线（约 \d+ 公里）"))).to_be_visible(timeout=10_000)
    reordered = remaining_names(page)
    assert sorted(reordered) == sorted(planned)
    assert expected_minutes(page) == sorted(expected_minutes(page))
    page.screenshot(path=ARTIFACTS / "rep-route-reordered.png")

    rep_app.tap(page, "恢复计划顺序")
    expect(page.get_by_text("已恢复主管的计划顺序")).to_be_visible(timeout=10_000)
    assert remaining_names(page) == planned
    expect(page.get_by_role("button", name="恢复计划顺序")).to_have_count(0)
