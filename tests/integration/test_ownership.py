"""Who owns each customer (docs/ownership.md) against the real server in-process: two reps claim one 公海
customer offline (the first to reach the server owns it, the other's claim becomes a draft naming the owner,
and nothing else either recorded is lost); the daily return to the pool runs once across processes; a handover
moves a rep's customers with their history; another team's supervisor neither sees nor moves them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar import testing as litestar_testing
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from client.features.pool.service import Standing, claim, ownership, pool_customers, release
from server.actor import Actor
from server.app import SCHEDULED_JOBS
from server.db import read_session, write_session
from server.domains.ownership.service import (
    POOL,
    HandoverFilter,
    apply_claim_op,
    assign,
    hand_over,
    owner_history,
    plan_handover,
    pool_rules,
    return_to_pool,
)
from server.domains.users.service import create_user, set_active
from server.errors import Forbidden, NotFound, ValidationFailed
from server.jobs import run_due_jobs
from server.models import Customer, Note, OwnerChange, Visit
from server.settings import Settings
from shared.enums import OwnerChangeReason, RecordKind, Role
from shared.errors import ErrorCode
from shared.ids import new_id
from shared.pool import PoolRules
from tests.integration.conftest import PASSWORD, TERRITORY_A, World
from tests.integration.helpers import actions
from tests.integration.test_client_complaints_sync import Phone
from tests.integration.test_server_web import csrf_token, web_login


@pytest.fixture
def second_rep(seeded: World, engine: Engine) -> Actor:
    with write_session(engine) as session:
        user = create_user(
            session, username="rep.a2", password=PASSWORD, role=Role.REP, territory=TERRITORY_A, display_name="李四"
        )
    return Actor.of(user)


@pytest.fixture
def phones(
    tmp_path: Path, sync_client: litestar_testing.TestClient[Litestar], seeded: World, second_rep: Actor
) -> Iterator[dict[str, Phone]]:
    made = {name: Phone(tmp_path / name, sync_client, user) for name, user in (("a", "rep.a"), ("a2", "rep.a2"))}
    for phone, user in ((made["a"], seeded.rep_a), (made["a2"], second_rep)):
        phone.store.set_meta(user=user.as_dict())  # as a sign-in on the phone keeps it
        phone.sync()
    yield made
    for phone in made.values():
        phone.close()


def owner_of(engine: Engine, customer_id: str) -> str | None:
    with read_session(engine) as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        return customer.owner_rep_id


def test_two_reps_claim_one_pool_customer_offline_the_first_to_sync_owns_it_and_nothing_is_lost(
    phones: dict[str, Phone], seeded: World, second_rep: Actor, engine: Engine
) -> None:
    a, a2 = phones["a"], phones["a2"]
    customer_id = seeded.customers_a[0]
    customer = a.store.get(RecordKind.CUSTOMER, customer_id)
    assert customer is not None and ownership(a.service, customer).standing is Standing.POOL
    assert customer_id in {c["id"] for c in pool_customers(a2.service)}

    # Both offline: each claims it and writes a note about it; rep A2 also records a visit.
    claim(a.service, customer_id)
    a.service.add_note(customer_id, "A 的备注：老板下周在")
    claim(a2.service, customer_id)
    a2.service.add_note(customer_id, "A2 的备注：药房主任姓王")
    assert ownership(a2.service, a2.store.get(RecordKind.CUSTOMER, customer_id) or {}).standing is Standing.CLAIMING
    assert customer_id not in {c["id"] for c in pool_customers(a2.service)}

    a.sync()  # A reaches the server first
    a2.sync()
    a.sync()

    assert owner_of(engine, customer_id) == seeded.rep_a.id
    drafts = a2.service.rejected_ops()
    assert [(d["op"]["kind"], d["code"]) for d in drafts] == [
        (RecordKind.CUSTOMER_CLAIM.value, ErrorCode.ALREADY_CLAIMED)
    ]
    assert a2.store.pending_count() == 0  # the note went; only the claim is a draft
    seen = a2.store.get(RecordKind.CUSTOMER, customer_id) or {}
    standing = ownership(a2.service, seen)
    assert standing.standing is Standing.OTHER and standing.refused == seeded.rep_a.display_name
    mine = ownership(a.service, a.store.get(RecordKind.CUSTOMER, customer_id) or {})
    assert mine.standing is Standing.MINE
    with read_session(engine) as session:
        notes = sorted(n.text for n in session.exec(select(Note).where(Note.customer_id == customer_id)).all())
        history = list(session.exec(select(OwnerChange).where(OwnerChange.customer_id == customer_id)).all())
    assert notes == ["A 的备注：老板下周在", "A2 的备注：药房主任姓王"]
    assert [(h.how, h.to_rep_id, h.by_id) for h in history] == [("claim", seeded.rep_a.id, seeded.rep_a.id)]
    # Both phones converge on the server's owner and both notes.
    for phone in (a, a2):
        assert (phone.store.get(RecordKind.CUSTOMER, customer_id) or {})["owner_rep_id"] == seeded.rep_a.id
        assert len(phone.store.find(RecordKind.NOTE, customer_id=customer_id)) == 2

    # A releases it from the phone; A2 claims it again: the draft goes and the claim wins this time.
    release(a.service, customer_id)
    a.sync()
    assert owner_of(engine, customer_id) is None
    a2.sync()
    claim(a2.service, customer_id)
    assert a2.service.rejected_ops() == []
    a2.sync()
    assert owner_of(engine, customer_id) == second_rep.id
    assert ownership(a2.service, a2.store.get(RecordKind.CUSTOMER, customer_id) or {}).standing is Standing.MINE


def test_the_return_to_the_pool_runs_once_across_processes_by_tier_days(
    seeded: World, engine: Engine, settings: Settings
) -> None:
    c_recent, c_old, a_old = seeded.customers_a[:3]
    with write_session(engine) as session:
        for customer_id, tier in ((c_recent, "C"), (c_old, "C"), (a_old, "A")):
            customer = session.get(Customer, customer_id)
            assert customer is not None
            assign(session, seeded.supervisor, customer_id, seeded.rep_a.id, "开发")
            customer.tier = tier
            session.add(customer)
        # Owned before the history existed (an old database, the demo, an import): no history row yet.
        untracked = session.get(Customer, seeded.customers_a[3])
        assert untracked is not None
        untracked.owner_rep_id = seeded.rep_a.id
        session.add(untracked)
    # Assigned today: 30 days later C customers are due, A (90 days) is not; c_recent was visited on day 5.
    with write_session(engine) as session:
        session.add(
            Visit(
                id="v-recent",
                customer_id=c_recent,
                rep_id=seeded.rep_a.id,
                territory=TERRITORY_A,
                visit_type="day",
                check_in_at=f"{seeded.today + dt.timedelta(days=5)}T09:00:00+08:00",
                visit_day=seeded.today + dt.timedelta(days=5),
                updated_at=f"{seeded.today}T09:00:00+08:00",
            )
        )
    rules, tz = pool_rules(settings), settings.tz

    def at_day(days: int) -> dt.datetime:
        return dt.datetime.combine(seeded.today + dt.timedelta(days=days), dt.time(2, 0), tzinfo=tz)

    with write_session(engine) as session:  # the 29th day after: nothing is due yet
        assert return_to_pool(session, at_day(29), rules, tz) == 0
    with read_session(engine) as session:  # the untracked customer's history starts: it counts from day 29
        assert [(h.how, h.to_rep_id) for h in owner_history(session, seeded.supervisor, seeded.customers_a[3])] == [
            ("start", seeded.rep_a.id)
        ]
    with write_session(engine) as session:  # the 30th: the C customer not visited since; A waits for 90 days
        assert return_to_pool(session, at_day(30), rules, tz) == 1
    assert [owner_of(engine, c) for c in (c_recent, c_old, a_old)] == [seeded.rep_a.id, None, seeded.rep_a.id]
    # The scheduled job, two processes at the same time: one runs it. The tiers job first makes a_old C (no
    # orders in the year), so it returns too; c_recent's visit on day 5 keeps it until day 35.
    later = dt.datetime.combine(seeded.today + dt.timedelta(days=31), dt.time(2, 0), tzinfo=settings.tz)
    assert "pool_return" in run_due_jobs(engine, settings, SCHEDULED_JOBS, later, "process-1")
    assert "pool_return" not in run_due_jobs(engine, settings, SCHEDULED_JOBS, later, "process-2")
    assert [owner_of(engine, c) for c in (c_recent, c_old, a_old)] == [seeded.rep_a.id, None, None]
    assert owner_of(engine, seeded.customers_a[3]) == seeded.rep_a.id  # its 30 days run from day 29
    with read_session(engine) as session:
        history = owner_history(session, seeded.supervisor, c_old)
    assert [(h.how, h.by_id, h.to_rep_id) for h in history] == [
        ("return", None, None),
        ("assign", seeded.supervisor.id, seeded.rep_a.id),
    ]
    assert history[0].reason == "no visit or order for 30 days (tier C)"


def test_a_handover_moves_a_reps_customers_with_their_history_and_the_phones_follow(
    phones: dict[str, Phone], seeded: World, second_rep: Actor, engine: Engine
) -> None:
    a, a2 = phones["a"], phones["a2"]
    for customer_id in seeded.customers_a:
        claim(a.service, customer_id)
    a.sync()
    assert all(owner_of(engine, c) == seeded.rep_a.id for c in seeded.customers_a)
    # A records a note offline about a customer that is then handed over: it still lands.
    a.service.add_note(seeded.customers_a[1], "交接前的备注")
    with write_session(engine) as session:
        preview = plan_handover(session, seeded.supervisor, seeded.rep_a.id, [second_rep.id, POOL], HandoverFilter())
        assert preview.counts == {second_rep.id: 2, POOL: 2}
        plan = hand_over(session, seeded.supervisor, seeded.rep_a.id, [second_rep.id, POOL], HandoverFilter(), "离职")
    moved_to_a2 = [c for c, target in plan.moves.items() if target == second_rep.id]
    a.sync()
    a2.sync()
    assert {c for c in seeded.customers_a if owner_of(engine, c) == second_rep.id} == set(moved_to_a2)
    for customer_id in seeded.customers_a:
        record = a.store.get(RecordKind.CUSTOMER, customer_id) or {}
        assert ownership(a.service, record).standing is not Standing.MINE  # left A's 我的客户
        assert record["id"] == customer_id  # the territory's record stays on A's phone
    assert {
        c
        for c in seeded.customers_a
        if ownership(a2.service, a2.store.get(RecordKind.CUSTOMER, c) or {}).standing is Standing.MINE
    } == set(moved_to_a2)
    assert a2.store.find(RecordKind.NOTE, customer_id=seeded.customers_a[1])  # the history went with it
    with read_session(engine) as session:
        history = owner_history(session, seeded.supervisor, seeded.customers_a[0])
    assert [(h.how, h.reason) for h in history] == [("handover", "离职"), ("claim", None)]


def test_another_teams_supervisor_cannot_see_or_move_the_customers(seeded: World, engine: Engine) -> None:
    with write_session(engine) as session:
        west = Actor.of(
            create_user(session, username="west", password=PASSWORD, role=Role.SUPERVISOR, territory="西片")
        )
    with write_session(engine) as session:
        with pytest.raises(NotFound):
            assign(session, west, seeded.customers_a[0], seeded.rep_a.id)
        with pytest.raises(NotFound):
            owner_history(session, west, seeded.customers_a[0])
        with pytest.raises(NotFound):
            plan_handover(session, west, seeded.rep_a.id, [POOL], HandoverFilter())
    assert owner_of(engine, seeded.customers_a[0]) is None
    assert OwnerChangeReason.HANDOVER.value == "handover"


def test_claims_over_the_limits_are_refused_with_the_limit_named(seeded: World, engine: Engine) -> None:
    rules = PoolRules({"A": 90, "B": 60, "C": 30}, claim_limit=2, owned_limit=3)
    tz = dt.timezone(dt.timedelta(hours=8))

    def claim_op(customer_id: str, action: str = "claim") -> None:
        fields = {"customer_id": customer_id, "action": action, "at": "2026-12-07T09:00:00+08:00"}
        apply_claim_op(session, seeded.rep_a, new_id(), fields, path="ops[0]", rules=rules, day=seeded.today, tz=tz)

    c = seeded.customers_a
    with write_session(engine) as session:
        claim_op(c[0])
        claim_op(c[1])  # two claims in one push: the second counts the first
        with pytest.raises(ValidationFailed, match="POOL_CLAIM_LIMIT 2") as refused:
            claim_op(c[2])
        assert refused.value.code == ErrorCode.CLAIM_LIMIT
    with write_session(engine) as session:  # a supervisor's assignment is not a claim; the owned limit still counts it
        assign(session, seeded.supervisor, c[2], seeded.rep_a.id)
        with pytest.raises(ValidationFailed, match="POOL_OWNED_LIMIT 3"):
            claim_op(c[3])
        with pytest.raises(Forbidden):  # another territory's customer
            claim_op(seeded.customers_b[0])
    assert [owner_of(engine, x) for x in c] == [seeded.rep_a.id] * 3 + [None]


async def test_the_supervisors_pages_assign_from_the_pool_show_the_history_and_hand_over(
    client: AsyncTestClient[Litestar], seeded: World, second_rep: Actor, engine: Engine
) -> None:
    await web_login(client, "boss")
    pool_page = await client.get("/pool")
    assert pool_page.status_code == 200
    assert all(f'data-testid="pool-customer-{c}"' in pool_page.text for c in seeded.customers_a + seeded.customers_b)
    first = seeded.customers_a[0]
    answer = await client.post(
        f"/customers/{first}/assign",
        data={"rep_id": seeded.rep_a.id, "reason": "就近", "back": "/pool", "_csrf_token": csrf_token(pool_page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/pool"
    assert owner_of(engine, first) == seeded.rep_a.id
    assert f'data-testid="pool-customer-{first}"' not in (await client.get("/pool")).text
    customer_page = await client.get(f"/customers/{first}")
    start = customer_page.text.index('data-testid="owner-history"')
    history = customer_page.text[start : customer_page.text.index("</table>", start)]
    assert "主管分配" in history and "就近" in history and "张经理" in history
    # A rep of another territory cannot be given the customer.
    refused = await client.post(
        f"/customers/{first}/assign",
        data={"rep_id": seeded.rep_b.id, "_csrf_token": csrf_token(customer_page.text)},
        follow_redirects=False,
    )
    assert refused.status_code == 422 and owner_of(engine, first) == seeded.rep_a.id

    # Rep A leaves: deactivated, their customer is flagged until it is handed over.
    with write_session(engine) as session:
        set_active(session, seeded.rep_a.id, False)
    handover = await client.get("/handover")
    assert 'data-testid="flagged-rep-rep.a"' in handover.text
    preview = await client.get("/handover", params={"from_rep": seeded.rep_a.id, "to": [second_rep.id]})
    assert f'data-testid="plan-count-{second_rep.id}">李四: 1' in preview.text
    done = await client.post(
        "/handover",
        data={
            "from_rep": seeded.rep_a.id,
            "targets": second_rep.id,
            "reason": "离职",
            "_csrf_token": csrf_token(preview.text),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and owner_of(engine, first) == second_rep.id
    assert 'data-testid="flagged-rep-rep.a"' not in (await client.get("/handover")).text
    assert "customer.handover" in actions(client.app) and "customer.assign" in actions(client.app)
