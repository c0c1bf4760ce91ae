"""The planner's 已逾期 tag is about today, whichever week is being planned (issue 16): on 7 December the
planner (opening on next week) marked a customer due on 10 December as overdue."""

from __future__ import annotations

import datetime as dt

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine

from server.domains.routes.planning import next_week
from tests.integration.conftest import World
from tests.integration.test_server_planner import push_visits, row_ids, set_tiers, signed_in_planner

Client = AsyncTestClient[Litestar]


async def test_overdue_means_due_before_today_not_before_the_planned_week(
    client: Client, seeded: World, engine: Engine
) -> None:
    late, due_today, due_soon = seeded.customers_a[:3]
    week = dt.timedelta(days=7)  # A customers: a visit a week
    await push_visits(
        client,
        [
            (late, seeded.today - week - dt.timedelta(days=1)),  # due yesterday
            (due_today, seeded.today - week),  # due today
            (due_soon, seeded.today - week + dt.timedelta(days=3)),  # due in 3 days
        ],
    )
    set_tiers(engine, {late: "A", due_today: "A", due_soon: "A"})
    page = await signed_in_planner(client)  # next week, as the planner opens
    assert f'data-testid="planner-week-range">{next_week(seeded.today).isoformat()}' in page
    assert set(row_ids(page, "suggestion")) >= {late, due_today, due_soon}
    assert set(row_ids(page, "overdue")) == {late}
