"""The route planner (a rep's week, suggestions by tier cadence, add/move/remove that sync to the phone) and
the customer list's filters and paging (issue #5)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from server.changes.log import record_change, record_data
from server.changes.models import FieldConflict
from server.db import read_session, write_session
from server.domains.customers.listing import CustomerFilter, matching_customers
from server.domains.customers.models import Customer
from server.domains.customers.service import put_customer, set_computed
from server.domains.routes.planning import next_week, week_start
from server.domains.routes.service import get_route_plan, set_route_plan
from server.domains.users.models import User
from shared.enums import RecordKind
from shared.ids import new_id
from tests.integration.conftest import (
    TERRITORY_A,
    World,
    customer_fields,
    login,
    make_op,
    pull_all,
    push_body,
    visit_fields,
)
from tests.integration.test_server_web import by_testid, csrf_token, web_login

Client = AsyncTestClient[Litestar]


def set_tiers(engine: Engine, tiers: dict[str, str]) -> None:
    with write_session(engine) as session:
        for customer_id, tier in tiers.items():
            customer = session.get(Customer, customer_id)
            assert customer is not None
            set_computed(session, customer, {"tier": tier})


async def push_visits(client: Client, visits: list[tuple[str, dt.date]]) -> None:
    ops = [make_op(seq, "visit", new_id(), visit_fields(cid, day, 9)) for seq, (cid, day) in enumerate(visits, 1)]
    pushed = await client.post("/api/sync/push", json=push_body(ops), headers=await login(client, "rep.a"))
    assert pushed.status_code == 200, pushed.text
    assert all(result["status"] == "applied" for result in pushed.json()["results"]), pushed.text


def row_ids(page: str, prefix: str) -> list[str]:
    return re.findall(rf'data-testid="{prefix}-([0-9a-f-]{{36}})"', page)


async def signed_in_planner(client: Client, query: str = "rep=rep.a") -> str:
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    planner = await client.get(f"/plans?{query}")
    assert planner.status_code == 200, planner.text
    return planner.text


async def edit(client: Client, token: str, day: dt.date, **fields: str) -> object:
    return await client.post(
        "/plans/stops",
        data={"rep": "rep.a", "day": day.isoformat(), "_csrf_token": token, **fields},
        follow_redirects=False,
    )


def stored_plan(engine: Engine, world: World, day: dt.date) -> list[str]:
    with read_session(engine) as session:
        plan = get_route_plan(session, world.rep_a.id, day)
        return list(plan.customer_ids) if plan else []


async def test_the_planner_opens_next_week_and_suggests_customers_due_by_tier(
    client: Client, seeded: World, engine: Engine
) -> None:
    c = seeded.customers_a
    monday = next_week(seeded.today)
    await push_visits(client, [(c[0], monday - dt.timedelta(days=8)), (c[2], seeded.today)])
    # A last visited 8 days before Monday: overdue; B never visited; C visited today: due in a month; no tier.
    set_tiers(engine, {c[0]: "A", c[1]: "B", c[2]: "C"})
    with write_session(engine) as session:  # a plan this week already: the customer is marked
        set_route_plan(session, seeded.supervisor, seeded.rep_a.id, monday + dt.timedelta(days=2), [c[1]])
    page = await signed_in_planner(client)
    assert (
        by_testid(page, "planner-week-range")
        == f"{monday.isoformat()} 至 {(monday + dt.timedelta(days=6)).isoformat()}"
    )
    assert row_ids(page, "suggestion") == [c[0], c[1]]  # A before B; C not due yet; untiered never
    assert by_testid(page, "planned-" + c[1]) == "已计划：周三"
    assert f'data-testid="planned-{c[0]}"' not in page
    assert by_testid(page, "suggestion-count") == "共 2 家"
    assert 'data-testid="stop-' + (monday + dt.timedelta(days=2)).isoformat() + "-" + c[1] in page
    english = await client.get("/plans?rep=rep.a&lang=en")
    assert by_testid(english.text, "planned-" + c[1]) == "Planned: Wed"
    other_week = await client.get(f"/plans?rep=rep.a&week={(monday + dt.timedelta(days=10)).isoformat()}")
    assert by_testid(other_week.text, "planner-week-range").startswith((monday + dt.timedelta(days=7)).isoformat())


async def test_add_move_and_remove_stops_reach_the_reps_phone_in_order(
    client: Client, seeded: World, engine: Engine
) -> None:
    c = seeded.customers_a
    tuesday = next_week(seeded.today) + dt.timedelta(days=1)
    page = await signed_in_planner(client)
    token = csrf_token(page)
    headers = await login(client, "rep.a")
    _, cursor = await pull_all(client, headers)
    for customer_id in (c[0], c[1], c[2]):
        response = await edit(client, token, tuesday, action="add", customer_id=customer_id)
        assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"].endswith(f"#day-{tuesday.isoformat()}")  # type: ignore[attr-defined]
    assert stored_plan(engine, seeded, tuesday) == [c[0], c[1], c[2]]
    await edit(client, token, tuesday, edit=f"up:{c[2]}")
    assert stored_plan(engine, seeded, tuesday) == [c[0], c[2], c[1]]
    await edit(client, token, tuesday, edit=f"down:{c[0]}")
    assert stored_plan(engine, seeded, tuesday) == [c[2], c[0], c[1]]
    await edit(client, token, tuesday, edit=f"remove:{c[0]}")
    await edit(client, token, tuesday, action="add", customer_id=c[1])  # already planned: stays once
    assert stored_plan(engine, seeded, tuesday) == [c[2], c[1]]
    shown = await client.get(f"/plans?rep=rep.a&week={tuesday.isoformat()}&saved={tuesday.isoformat()}")
    assert re.findall(rf'data-testid="stop-{tuesday.isoformat()}-([0-9a-f-]{{36}})"', shown.text) == [c[2], c[1]]
    assert 'data-testid="plan-saved"' in shown.text
    changes, _ = await pull_all(client, headers, cursor)
    plans = [change for change in changes if change["kind"] == "route_plan"]
    assert len(plans) == 1  # the log keeps a record's latest change only
    assert plans[0]["data"]["day"] == tuesday.isoformat() and plans[0]["data"]["customer_ids"] == [c[2], c[1]]


async def test_bad_plan_edits_are_refused_and_leave_the_plan_as_it_was(
    client: Client, seeded: World, engine: Engine
) -> None:
    c = seeded.customers_a
    day = seeded.today
    token = csrf_token(await signed_in_planner(client))
    before = stored_plan(engine, seeded, day)
    refused = {
        "another territory's customer": {"action": "add", "customer_id": seeded.customers_b[0]},
        "an unknown customer": {"action": "add", "customer_id": new_id()},
        "an unknown action": {"action": "swap", "customer_id": c[0]},
        "moving a customer not on the plan": {"edit": f"up:{c[3]}"},
        "no customer": {"action": "add"},
    }
    for reason, fields in refused.items():
        response = await edit(client, token, day, **fields)
        assert 400 <= response.status_code < 500, reason  # type: ignore[attr-defined]
    bad_day = await client.post(
        "/plans/stops",
        data={"rep": "rep.a", "day": "2026-13-01", "action": "add", "customer_id": c[3], "_csrf_token": token},
    )
    assert bad_day.status_code == 400 and "2026-11-27" in bad_day.text
    no_rep = await client.post(
        "/plans/stops", data={"rep": "boss", "day": day.isoformat(), "customer_id": c[3], "_csrf_token": token}
    )
    assert no_rep.status_code == 404
    assert stored_plan(engine, seeded, day) == before
    assert (await client.get("/plans?rep=rep.a&week=2026-02-30")).status_code == 400
    shown = await client.get("/plans?rep=rep.a&saved=<script>alert(1)</script>")
    assert shown.status_code == 200 and "<script>alert(1)" not in shown.text  # escaped, never markup


# ---- the customer list: filters and paging, in SQL ----


@pytest.fixture
def customer_mix(seeded: World, engine: Engine) -> dict[str, str]:
    """Besides the seeded ones: customers of every filter's kind, owned by rep A or rep B."""
    made: dict[str, str] = {}
    with write_session(engine) as session:
        rep_b = session.exec(select(User).where(User.username == "rep.b")).one()
        rows = [
            ("a-overdue", "pharmacy", "active", "A", seeded.rep_a.id),
            ("a-fresh", "pharmacy", "active", "A", seeded.rep_a.id),
            ("b-never", "clinic", "dormant", "B", rep_b.id),
            ("c-fresh", "dealer", "lost", "C", rep_b.id),
        ]
        for name, kind, status, tier, owner in rows:
            customer = put_customer(
                session,
                seeded.supervisor,
                new_id(),
                customer_fields(f"筛选{name}", kind=kind, status=status),
                server_fields={"territory": TERRITORY_A, "owner_rep_id": owner},
            )
            set_computed(session, customer, {"tier": tier})
            made[name] = customer.id
    return made


async def listed(client: Client, query: str) -> list[str]:
    response = await client.get(f"/customers?{query}")
    assert response.status_code == 200, response.text
    return row_ids(response.text, "customer-row")


async def test_customer_filters(client: Client, seeded: World, customer_mix: dict[str, str]) -> None:
    m = customer_mix
    await push_visits(
        client,
        [
            (m["a-overdue"], seeded.today - dt.timedelta(days=8)),
            (m["a-overdue"], seeded.today - dt.timedelta(days=20)),  # an older one: the latest counts
            (m["a-fresh"], seeded.today - dt.timedelta(days=7)),  # due today: not overdue yet
            (m["c-fresh"], seeded.today - dt.timedelta(days=3)),
        ],
    )
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    assert len(await listed(client, "")) == 10
    assert set(await listed(client, "q=筛选")) == set(m.values())
    assert set(await listed(client, "tier=A")) == {m["a-overdue"], m["a-fresh"]}
    assert set(await listed(client, "tier=none")) == set(seeded.customers_a + seeded.customers_b)
    assert await listed(client, "kind=dealer") == [m["c-fresh"]]
    assert await listed(client, "status=dormant") == [m["b-never"]]
    assert set(await listed(client, "rep=rep.b")) == {m["b-never"], m["c-fresh"]}
    assert set(await listed(client, "overdue=yes")) == {m["a-overdue"], m["b-never"]}
    assert set(await listed(client, "overdue=no")) == set(m.values()) - {m["a-overdue"], m["b-never"]} | set(
        seeded.customers_a + seeded.customers_b
    )
    assert await listed(client, "overdue=yes&rep=rep.a&q=筛选&kind=pharmacy&status=active&tier=A") == [m["a-overdue"]]
    page = await client.get("/customers?overdue=yes&lang=en")
    assert by_testid(page.text, "customer-count") == "2 customers"
    assert (
        by_testid(page.text, "customer-last-visit-" + m["a-overdue"])
        == (seeded.today - dt.timedelta(days=8)).isoformat()
    )
    for bad in ("tier=D", "kind=castle", "status=zombie", "overdue=maybe", "rep=nobody", "page=0"):
        response = await client.get(f"/customers?{bad}")
        assert response.status_code in (400, 422), bad


@pytest.fixture
def oddly_named(seeded: World, engine: Engine) -> dict[str, str]:
    """Customers whose names hold what LIKE treats as special: %, _, the escape characters / and \\."""
    names = {"%": "五折%药店", "_": "东_西诊所", "\\": "反斜杠\\诊所", "/": "南/北卫生院"}
    made: dict[str, str] = {}
    with write_session(engine) as session:
        for typed, name in names.items():
            customer_id = new_id()
            put_customer(
                session,
                seeded.supervisor,
                customer_id,
                customer_fields(name),
                server_fields={"territory": TERRITORY_A, "owner_rep_id": seeded.rep_a.id},
            )
            made[typed] = customer_id
    return made


@pytest.mark.parametrize("typed", ["%", "_", "\\", "/"])
async def test_search_takes_what_was_typed_literally(
    client: Client, seeded: World, oddly_named: dict[str, str], typed: str
) -> None:
    """Issue 15, item 11: `q=%` listed every customer (LIKE wildcards), `q=\\` found nothing on PostgreSQL.
    The customer list and the planner's search find exactly the customer whose name holds the character."""
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    assert await listed(client, urlencode({"q": typed})) == [oddly_named[typed]]
    planner = await client.get("/plans?" + urlencode({"rep": "rep.a", "q": typed}))
    assert planner.status_code == 200, planner.text
    assert set(row_ids(planner.text, "found")) == {oddly_named[typed]}
    wanted = CustomerFilter(search=typed, territory=TERRITORY_A)
    with read_session(client.app.state.engine) as session:
        assert [c.id for c in matching_customers(session, wanted, seeded.today)] == [oddly_named[typed]]


async def test_a_nul_in_a_search_is_dropped_not_a_500(
    client: Client, seeded: World, oddly_named: dict[str, str]
) -> None:
    """PostgreSQL refuses a NUL even in a query's parameter (500); no stored text holds one: it is dropped."""
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    assert await listed(client, urlencode({"q": "西\x00诊所"})) == [oddly_named["_"]]
    planner = await client.get("/plans?" + urlencode({"rep": "rep.a", "q": "卫生\x00院"}))
    assert planner.status_code == 200, planner.text
    assert set(row_ids(planner.text, "found")) == {oddly_named["/"]}


async def test_customer_list_pages(client: Client, seeded: World, engine: Engine) -> None:
    with write_session(engine) as session:
        for index in range(120):
            put_customer(
                session,
                seeded.supervisor,
                new_id(),
                customer_fields(f"连锁药店{index:03d}", kind="pharmacy"),
                server_fields={"territory": TERRITORY_A},
            )
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    first = await client.get("/customers?kind=pharmacy")
    assert by_testid(first.text, "customer-count") == "共 120 家客户"
    assert len(row_ids(first.text, "customer-row")) == 50
    assert 'href="/customers?kind=pharmacy&amp;page=2"' in first.text
    pages = [row_ids((await client.get(f"/customers?kind=pharmacy&page={n}")).text, "customer-row") for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [50, 50, 20]
    assert len({cid for p in pages for cid in p}) == 120  # no customer twice, none left out
    with read_session(engine) as session:  # the same list in one query, for exports
        everything = matching_customers(session, CustomerFilter(kind="pharmacy"), seeded.today)
    assert [customer.id for customer in everything] == [cid for p in pages for cid in p]
    beyond = await client.get("/customers?kind=pharmacy&page=9")  # past the end: the last page
    assert row_ids(beyond.text, "customer-row") == pages[2]


def test_week_start_is_monday() -> None:
    assert week_start(dt.date(2026, 11, 29)) == dt.date(2026, 11, 23)  # a Sunday
    assert next_week(dt.date(2026, 11, 30)) == dt.date(2026, 12, 7)  # a Monday: the following one


# ---- the work queues: counts in the nav, oldest / most urgent first, act from the row ----


def add_conflict(engine: Engine, customer_id: str, created_at: str, lost: str) -> str:
    with write_session(engine) as session:
        conflict = FieldConflict(
            id=new_id(),
            kind="customer",
            record_id=customer_id,
            field="phone",
            kept_value="13800000000",
            lost_value=lost,
            kept_clock="0000000000001:00000:device-a",
            op_id=new_id(),
            device_id="device-b",
            territory=TERRITORY_A,
            created_at=created_at,
        )
        session.add(conflict)
        session.flush()
        record_change(
            session,
            RecordKind.CONFLICT,
            conflict.id,
            audience=TERRITORY_A,
            territory=TERRITORY_A,
            data=record_data(conflict),
        )
        return conflict.id


async def test_the_queues_page_counts_orders_and_acts(client: Client, seeded: World, engine: Engine) -> None:
    c = seeded.customers_a
    day = seeded.today
    complaint = {"category": "delivery", "description": "货晚到", "received_at": f"{day.isoformat()}T08:00:00+08:00"}
    flagged_visit = new_id()
    ops = [
        make_op(1, "complaint", (low := new_id()), {**complaint, "customer_id": c[0], "severity": "low"}),
        make_op(2, "complaint", (high := new_id()), {**complaint, "customer_id": c[1], "severity": "high"}),
        make_op(3, "visit", flagged_visit, visit_fields(c[2], day, 10, check_in_mocked=True)),
    ]
    headers = await login(client, "rep.a")
    pushed = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert pushed.status_code == 200, pushed.text
    foreign = {"customer_id": seeded.customers_b[0], "text": "别人的客户", "created_at": complaint["received_at"]}
    refused = await client.post(
        "/api/sync/push", json=push_body([make_op(4, "note", new_id(), foreign)]), headers=headers
    )
    assert refused.status_code == 403  # kept for the supervisor as a refused op
    newer = add_conflict(engine, c[0], f"{day.isoformat()}T02:00:00+00:00", "13911111111")
    older = add_conflict(engine, c[1], f"{day.isoformat()}T01:00:00+00:00", "13922222222")
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    board = await client.get("/board")
    assert by_testid(board.text, "nav-queue-count") == "6"  # 2 complaints, 2 conflicts, 1 refused, 1 flagged
    page = (await client.get("/queues")).text
    counts = {name: by_testid(page, f"queue-{name}") for name in ("complaints", "conflicts", "refused", "flagged")}
    assert counts == {"complaints": "2", "conflicts": "2", "refused": "1", "flagged": "1"}
    assert row_ids(page, "complaint-row") == [high, low]  # the high severity answer is due first
    assert row_ids(page, "queue-conflict") == [older, newer]  # the oldest first
    assert f'data-testid="queue-flagged-{flagged_visit}"' in page
    _, cursor = await pull_all(client, headers)
    reviewed = await client.post(
        f"/queues/conflicts/{older}/reviewed", data={"_csrf_token": csrf_token(page)}, follow_redirects=False
    )
    assert reviewed.status_code == 303
    after = (await client.get(reviewed.headers["location"])).text
    assert row_ids(after, "queue-conflict") == [newer] and by_testid(after, "queue-conflicts") == "1"
    assert by_testid(after, "nav-queue-count") == "5"
    changes, _ = await pull_all(client, headers, cursor)  # the rep's phone learns the conflict was reviewed
    assert [(x["kind"], x["record_id"], x["data"]["reviewed"]) for x in changes] == [("conflict", older, True)]
    missing = await client.post(f"/queues/conflicts/{new_id()}/reviewed", data={"_csrf_token": csrf_token(page)})
    assert missing.status_code == 404
