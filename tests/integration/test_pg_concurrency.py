"""Several server instances on one PostgreSQL database, many devices pushing at once while a phone pulls.

Two apps (two `create_app`, two engines, one database) stand for two server processes behind a balancer:
whatever one instance stores, the other serves, so the server keeps no state of its own. The requests go
through `httpx.ASGITransport` and run concurrently for real: the sync handlers run in worker threads, each
on its own database connection (Litestar's test client would run one request at a time).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from server.app import create_app
from server.db import make_engine, read_session, write_session
from server.domains.customers.service import put_customer
from server.domains.key_persons.service import put_key_person
from server.domains.sync.service import push_lanes
from server.domains.users.service import create_user
from server.models import AppliedOp, KeyPerson, Note
from server.settings import Settings
from shared.enums import Role
from shared.ids import new_id
from sync.protocol import SCHEMA_VERSION, parse_push_request
from tests.integration.conftest import (
    DEVICE_A,
    PASSWORD,
    TEST_DATABASE_URL,
    World,
    customer_fields,
    make_op,
    push_body,
)

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="needs PostgreSQL: run scripts/test-postgres.sh, or set ROUTECRM_TEST_DATABASE_URL=postgresql+psycopg://…",
)

PUSHERS = 20
PUSHES_EACH = 8
OPS_EACH = 6
PULL_LIMIT = 7  # small pages, so the puller keeps pulling while the pushes go on


@pytest.fixture
async def instances(app: Litestar, seeded: World, settings: Settings) -> AsyncIterator[list[httpx.AsyncClient]]:
    """The test's app and a second instance (its own app and engine on the same database, started after
    `seeded` filled it), each behind `httpx.ASGITransport`, which, unlike Litestar's test client, lets
    requests run concurrently."""
    engine = make_engine(settings.database_url)
    other = create_app(settings, engine=engine)
    async with AsyncTestClient(app=other):  # runs the second instance's startup (its migration finds head)
        # cast: Litestar's ASGI callable is typed more narrowly than the one httpx expects.
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=cast(Any, instance)), base_url="http://routecrm.test")
            for instance in (app, other)
        ]
        yield clients
        for http_client in clients:
            await http_client.aclose()
    engine.dispose()


async def sign_in(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def pull_page(
    client: httpx.AsyncClient, headers: dict[str, str], cursor: int, limit: int = PULL_LIMIT
) -> dict[str, Any]:
    body = {"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": limit}
    response = await client.post("/api/sync/pull", json=body, headers=headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def pull_everything(
    client: httpx.AsyncClient, headers: dict[str, str], cursor: int = 0
) -> tuple[list[dict[str, Any]], int]:
    changes: list[dict[str, Any]] = []
    while True:
        page = await pull_page(client, headers, cursor, limit=1000)
        changes.extend(page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, cursor


async def push_applied(
    instance: httpx.AsyncClient, headers: dict[str, str], ops: list[dict[str, Any]], device_id: str, pushed: set[str]
) -> None:
    """Push `ops` of `device_id`: every one must be applied; their record ids join `pushed`."""
    response = await instance.post("/api/sync/push", json=push_body(ops, device_id=device_id), headers=headers)
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["applied"] * len(ops)
    pushed.update(op["record_id"] for op in ops)


async def pull_while_pushing(
    instances: list[httpx.AsyncClient],
    headers: dict[str, str],
    cursor: int,
    pushes_done: asyncio.Event,
    *,
    limit: int = PULL_LIMIT,
    idle_s: float = 0.005,
) -> tuple[list[dict[str, Any]], int]:
    """Pull from the instances in turn until the pushes are done and the newest change is reached: the
    changes received and the number of pulls."""
    received: list[dict[str, Any]] = []
    pulls = 0
    while True:
        finished = pushes_done.is_set()  # read before the pull: a pull after the last push must follow
        page = await pull_page(instances[pulls % 2], headers, cursor, limit=limit)
        pulls += 1
        received.extend(page["changes"])
        cursor = page["cursor"]
        if finished and not page["has_more"]:
            return received, pulls
        if not page["has_more"]:
            await asyncio.sleep(idle_s)


async def test_concurrent_pushes_on_two_instances_reach_a_puller_each_once_in_order(
    instances: list[httpx.AsyncClient],
) -> None:
    headers = await sign_in(instances[0], "rep.a")
    _, start_cursor = await pull_everything(instances[0], headers)
    pushed: set[str] = set()
    pushes_done = asyncio.Event()

    async def pusher(number: int) -> None:
        device_id = f"device-{number:02d}"
        seq = 0
        for push_number in range(PUSHES_EACH):
            ops = []
            for _ in range(OPS_EACH):
                seq += 1
                op = make_op(seq, "customer", f"{number:08d}-0000-4000-8000-{seq:012d}", device_id=device_id)
                op["fields"] = customer_fields(f"并发客户{number}-{seq}")
                ops.append(op)
            # Each device alternates between the instances, as a balancer would send it.
            await push_applied(instances[(number + push_number) % 2], headers, ops, device_id, pushed)

    async def all_pushers() -> None:
        try:
            await asyncio.gather(*(pusher(number) for number in range(PUSHERS)))
        finally:
            pushes_done.set()

    puller = pull_while_pushing(instances, headers, start_cursor, pushes_done)
    (received, pulls), _ = await asyncio.wait_for(asyncio.gather(puller, all_pushers()), timeout=240)

    seqs = [change["seq"] for change in received]
    record_ids = [change["record_id"] for change in received]
    assert len(pushed) == PUSHERS * PUSHES_EACH * OPS_EACH
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "change numbers must arrive in order, each once"
    assert len(set(record_ids)) == len(record_ids), "no record may arrive twice"
    assert set(record_ids) == pushed, (
        f"skipped: {len(pushed - set(record_ids))}, unexpected: {set(record_ids) - pushed}"
    )
    assert pulls > PUSHERS, "the puller must have pulled while the pushes went on"
    # A phone starting from scratch now, on either instance, receives the same records.
    for instance in instances:
        from_scratch, _ = await pull_everything(instance, headers, start_cursor)
        assert sorted(c["record_id"] for c in from_scratch) == sorted(record_ids)


async def test_two_instances_serve_one_device_alternately(instances: list[httpx.AsyncClient]) -> None:
    client, other_client = instances
    headers = await sign_in(client, "rep.a")  # a token from one instance is good at the other
    _, cursor = await pull_everything(other_client, headers)
    created = "00000001-0000-4000-8000-000000000001"
    first = [make_op(1, "customer", created, customer_fields("双实例客户", phone="13800000000"))]

    response = await client.post("/api/sync/push", json=push_body(first), headers=headers)
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "applied"
    changes, cursor = await pull_everything(other_client, headers, cursor)
    assert [(c["record_id"], c["data"]["phone"]) for c in changes] == [(created, "13800000000")]

    # The answer was lost on the way; the phone pushes again, this time through the other instance.
    response = await other_client.post("/api/sync/push", json=push_body(first), headers=headers)
    assert response.status_code == 200
    assert [(r["seq"], r["op_id"], r["status"]) for r in response.json()["results"]] == [
        (1, first[0]["op_id"], "duplicate")
    ]
    assert (await pull_everything(client, headers, cursor))[0] == []

    update = [make_op(2, "customer", created, {"phone": "13900000000"})]
    response = await other_client.post("/api/sync/push", json=push_body(update), headers=headers)
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "applied"
    changes, _ = await pull_everything(client, headers, cursor)
    assert [(c["record_id"], c["data"]["phone"]) for c in changes] == [(created, "13900000000")]
    # The same seq with a different op is a conflict on either instance.
    reused = [make_op(2, "customer", created, {"phone": "13700000000"})]
    response = await client.post("/api/sync/push", json=push_body(reused), headers=headers)
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


# ---- pushes in lanes (server/db.py `write_session(lanes=...)`): reps' pushes of visits, notes and key persons
# run beside each other on PostgreSQL, one lane per territory, rep and phone, numbered under a short lock.

LANE_TERRITORIES = 10
NOTE_AT = "2026-11-27T09:00:00+08:00"


@pytest.fixture
def many_reps(seeded: World, engine: Engine) -> dict[str, str]:
    """Two reps in each of LANE_TERRITORIES more territories, each territory with one customer: rep name ->
    the customer it writes about."""
    reps: dict[str, str] = {}
    with write_session(engine) as session:
        for number in range(LANE_TERRITORIES):
            territory = f"并发片{number}"
            customer = put_customer(
                session,
                seeded.supervisor,
                new_id(),
                customer_fields(f"并发诊所{number}", status="active"),
                server_fields={"territory": territory},
            )
            for second in range(2):
                name = f"lane.{number}.{second}"
                create_user(session, username=name, password=PASSWORD, role=Role.REP, territory=territory)
                reps[name] = customer.id
    return reps


def test_a_reps_push_of_visits_notes_and_key_persons_runs_in_lanes_anything_else_alone(seeded: World) -> None:
    note = make_op(1, "note", new_id(), {"customer_id": seeded.customers_a[0], "text": "x"})
    customer = make_op(2, "customer", new_id(), customer_fields("新客户"))
    notes = parse_push_request(push_body([note]))
    assert push_lanes(seeded.rep_a, notes) == ["territory:东片", f"user:{seeded.rep_a.id}", f"device:{DEVICE_A}"]
    assert push_lanes(seeded.rep_a, parse_push_request(push_body([note, customer]))) is None
    assert push_lanes(seeded.supervisor, notes) is None


@pytest.fixture
def slow_commits() -> Iterator[None]:
    """Every write transaction waits 0-15 ms between inserting its change-log rows (numbered then) and its
    commit, as a busy database's fsync would make it: a later number can then commit before an earlier one
    unless something stops it."""
    chance = random.Random(20)

    def linger(_session: Session) -> None:
        time.sleep(chance.random() * 0.015)

    event.listen(Session, "before_commit", linger)  # after changelog.py's listener, which writes the rows
    try:
        yield
    finally:
        event.remove(Session, "before_commit", linger)


@pytest.mark.usefixtures("slow_commits")
async def test_pushes_in_lanes_on_two_instances_reach_a_puller_each_once_in_order(
    instances: list[httpx.AsyncClient], many_reps: dict[str, str]
) -> None:
    """20 reps in 10 territories push notes at once through two instances while the company-wide supervisor
    pulls small pages: every note arrives once, in order, none skipped. Without the numbering lock taken
    before the commit (server/db.py) this fails: a later number commits before an earlier one."""
    boss = await sign_in(instances[0], "boss")
    _, start_cursor = await pull_everything(instances[0], boss)
    pushed: set[str] = set()
    pushes_done = asyncio.Event()

    async def pusher(number: int, rep: str, customer_id: str) -> None:
        headers = await sign_in(instances[number % 2], rep)
        device_id = f"lane-device-{number:02d}"
        seq = 0
        for push_number in range(PUSHES_EACH):
            ops = []
            for _ in range(OPS_EACH):
                seq += 1
                fields = {"customer_id": customer_id, "text": f"并发{number}-{seq}", "created_at": NOTE_AT}
                ops.append(make_op(seq, "note", new_id(), fields, device_id=device_id))
            await push_applied(instances[(number + push_number) % 2], headers, ops, device_id, pushed)

    async def all_pushers() -> None:
        try:
            await asyncio.gather(
                *(pusher(number, rep, customer) for number, (rep, customer) in enumerate(many_reps.items()))
            )
        finally:
            pushes_done.set()

    # Small pages: at the newest most of the time.
    puller = pull_while_pushing(instances, boss, start_cursor, pushes_done, limit=50, idle_s=0.002)
    (received, pulls), _ = await asyncio.wait_for(asyncio.gather(puller, all_pushers()), timeout=240)

    notes = [change for change in received if change["kind"] == "note"]
    seqs = [change["seq"] for change in received]
    record_ids = [change["record_id"] for change in notes]
    assert len(pushed) == len(many_reps) * PUSHES_EACH * OPS_EACH
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "change numbers must arrive in order, each once"
    assert len(set(record_ids)) == len(record_ids), "no record may arrive twice"
    assert set(record_ids) == pushed, f"skipped: {len(pushed - set(record_ids))}"
    assert pulls > len(many_reps), "the puller must have pulled while the pushes went on"


@pytest.mark.usefixtures("slow_commits")
async def test_two_phones_and_a_supervisor_editing_one_key_person_at_once_lose_no_field(
    instances: list[httpx.AsyncClient], many_reps: dict[str, str], engine: Engine, seeded: World
) -> None:
    """Two reps of one territory, each on its own phone and instance (pushes in lanes), and a supervisor on the
    server (a write without lanes) edit different fields of one key person at once, round after round: after
    each round every field is as its writer set it, in the database and in what phones pull. Without the
    territory's lane the phones' pushes lose each other's edits in the change log; with the supervisor's write
    taking the change-log lock shared, it loses theirs or they lose its."""
    customer_id = many_reps["lane.0.0"]
    person_id = new_id()
    first = await sign_in(instances[0], "lane.0.0")
    made = [
        make_op(
            1,
            "key_person",
            person_id,
            {"customer_id": customer_id, "name": "王院长", "role": "decision_maker"},
            device_id="kp-0",
        )
    ]
    response = await instances[0].post("/api/sync/push", json=push_body(made, device_id="kp-0"), headers=first)
    assert response.status_code == 200, response.text
    second = await sign_in(instances[1], "lane.0.1")
    cursor = 0

    async def edit(number: int, headers: dict[str, str], field: str, seq: int) -> None:
        device_id = f"kp-{number}"
        op = make_op(seq, "key_person", person_id, {field: f"{field}-{seq}"}, device_id=device_id)
        response = await instances[(number + seq) % 2].post(
            "/api/sync/push", json=push_body([op], device_id=device_id), headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["results"][0]["status"] == "applied"

    def supervise(seq: int) -> None:
        with write_session(engine) as session:
            put_key_person(session, seeded.supervisor, person_id, {"phone": f"phone-{seq}"})

    for seq in range(2, 22):  # each round all three edit at once; after it, every value is there
        await asyncio.wait_for(
            asyncio.gather(
                edit(0, first, "hobbies", seq),
                edit(1, second, "family_notes", seq),
                asyncio.to_thread(supervise, seq),
            ),
            60,
        )
        both = {"hobbies": f"hobbies-{seq}", "family_notes": f"family_notes-{seq}", "phone": f"phone-{seq}"}
        with read_session(engine) as session:
            stored = session.get(KeyPerson, person_id)
            assert stored is not None and {field: getattr(stored, field) for field in both} == both
        changes, cursor = await pull_everything(instances[seq % 2], first, cursor)
        [pulled] = [change["data"] for change in changes if change["record_id"] == person_id]
        assert {field: pulled[field] for field in both} == both, f"round {seq}: a phone would pull a lost edit"


async def test_one_push_sent_twice_at_once_through_two_instances_is_applied_once(
    instances: list[httpx.AsyncClient], many_reps: dict[str, str], engine: Engine
) -> None:
    headers = await sign_in(instances[0], "lane.3.0")
    customer_id = many_reps["lane.3.0"]
    for attempt in range(10):
        device_id = f"twice-{attempt}"
        ops = [
            make_op(
                seq,
                "note",
                new_id(),
                {"customer_id": customer_id, "text": f"两次{seq}", "created_at": NOTE_AT},
                device_id=device_id,
            )
            for seq in range(1, 6)
        ]
        body = push_body(ops, device_id=device_id)
        answers = await asyncio.gather(
            *(instance.post("/api/sync/push", json=body, headers=headers) for instance in instances)
        )
        assert [answer.status_code for answer in answers] == [200, 200], [answer.text for answer in answers]
        statuses = sorted({result["status"] for result in answer.json()["results"]} for answer in answers)
        assert statuses == [{"applied"}, {"duplicate"}] or statuses == [{"duplicate"}, {"applied"}]
        with read_session(engine) as session:
            stored = session.exec(select(Note).where(col(Note.id).in_([op["record_id"] for op in ops]))).all()
            applied = session.exec(select(AppliedOp).where(AppliedOp.device_id == device_id)).all()
        assert len(stored) == 5 and len(applied) == 5
