"""POST /api/sync/push: the whole push or nothing, each (device, seq) once, refusals name the op and problem."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from server.db import read_session
from server.models import AppliedOp, ChangeLog, Customer, Note, Visit
from shared.ids import new_id
from sync.protocol import MAX_OPS_PER_PUSH, MAX_PUSH_BYTES, SCHEMA_VERSION
from tests.integration.conftest import (
    DEVICE_A,
    TERRITORY_A,
    World,
    customer_fields,
    login,
    make_op,
    push_body,
    row_counts,
    visit_fields,
)


async def push(client: AsyncTestClient[Litestar], headers: dict[str, str], body: Any) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post("/api/sync/push", content=content, headers={**headers, "Content-Type": "application/json"})


async def test_a_push_applies_every_op_and_derives_server_fields(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    customer_id, visit_id, note_id = new_id(), new_id(), new_id()
    ops = [
        make_op(1, "customer", customer_id, customer_fields("路边新诊所", phone="13800000000")),
        make_op(2, "visit", visit_id, visit_fields(customer_id, seeded.today, 9)),
        make_op(3, "visit", visit_id, {"check_out_at": f"{seeded.today.isoformat()}T09:25:00+08:00", "ordered": True}),
        make_op(
            4,
            "note",
            note_id,
            {"customer_id": customer_id, "text": "老板下周在", "created_at": "2026-11-26T09:30:00+08:00"},
        ),
    ]
    response = await push(client, headers, push_body(ops))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "results": [
            {"seq": op["seq"], "op_id": op["op_id"], "status": "applied", "code": None, "message": None} for op in ops
        ]
    }
    with read_session(engine) as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        assert (customer.territory, customer.owner_rep_id, customer.status) == (
            TERRITORY_A,
            seeded.rep_a.id,
            "prospect",
        )
        visit = session.get(Visit, visit_id)
        assert visit is not None
        assert visit.rep_id == seeded.rep_a.id and visit.device_id == DEVICE_A and visit.territory == TERRITORY_A
        assert visit.visit_day == seeded.today
        assert visit.check_out_at is not None and visit.ordered is True and visit.visit_type == "day"  # merged
        assert visit.planned is False  # not on rep A's plan: the server decides when the device does not say
        note = session.get(Note, note_id)
        assert note is not None and note.author_id == seeded.rep_a.id


async def test_a_resent_push_gets_the_same_answer_and_stores_nothing_twice(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    visit_id = new_id()
    body = push_body([make_op(1, "visit", visit_id, visit_fields(seeded.customers_a[0], seeded.today, 8))])
    first = await push(client, headers, body)
    assert first.status_code == 200
    counts = row_counts(engine)
    again = await push(client, headers, body)
    assert again.status_code == 200
    expected = [{**result, "status": "duplicate"} for result in first.json()["results"]]
    assert again.json()["results"] == expected
    assert row_counts(engine) == counts
    # A later push repeating op 1 and adding op 2: op 1 is a duplicate, op 2 applied.
    body["ops"].append(make_op(2, "visit", visit_id, {"ordered": True}))
    third = await push(client, headers, body)
    assert [r["status"] for r in third.json()["results"]] == ["duplicate", "applied"]


async def test_a_reused_seq_with_another_op_id_is_a_conflict(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    await push(client, headers, push_body([make_op(1, "customer", new_id(), customer_fields("甲"))]))
    counts = row_counts(engine)
    response = await push(client, headers, push_body([make_op(1, "customer", new_id(), customer_fields("乙"))]))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert response.json()["error"]["path"] == "ops[0].seq"
    assert row_counts(engine) == counts


def _valid_op() -> dict[str, Any]:
    return make_op(1, "customer", new_id(), customer_fields("好诊所"))


BAD_PUSHES: list[tuple[str, Any, int, str, str]] = [
    # id, body, status, code, path the error must name
    ("not-json", b"{not json", 400, "invalid_request", "body"),
    ("array-body", [], 400, "invalid_request", "body"),
    ("missing-ops", {"device_id": DEVICE_A, "schema_version": SCHEMA_VERSION}, 400, "invalid_request", "ops"),
    ("unknown-top-field", push_body([], extra=1), 400, "invalid_request", "extra"),
    ("seq-as-text", push_body([{**_valid_op(), "seq": "1"}]), 400, "invalid_request", "ops[0].seq"),
    ("bad-record-id", push_body([{**_valid_op(), "record_id": "x"}]), 400, "invalid_request", "ops[0].record_id"),
    ("unknown-op-field", push_body([{**_valid_op(), "colour": "red"}]), 400, "invalid_request", "ops[0].colour"),
    ("unknown-kind", push_body([{**_valid_op(), "kind": "invoice"}]), 400, "unknown_kind", "ops[0].kind"),
    ("bad-action", push_body([{**_valid_op(), "action": "patch"}]), 400, "invalid_request", "ops[0].action"),
    (
        "other-device",
        push_body([{**_valid_op(), "device_id": "someone-else"}]),
        400,
        "invalid_request",
        "ops[0].device_id",
    ),
    (
        "seq-not-increasing",
        push_body(
            [
                make_op(2, "customer", new_id(), customer_fields("甲")),
                make_op(1, "customer", new_id(), customer_fields("乙")),
            ]
        ),
        400,
        "invalid_request",
        "ops",
    ),
    (
        "unknown-record-field",
        push_body([make_op(1, "customer", new_id(), customer_fields("甲", territory="西片"))]),
        422,
        "invalid_record",
        "ops[0].fields.territory",
    ),
    (
        "wrong-field-type",
        push_body([make_op(1, "customer", new_id(), customer_fields("甲", lat="north"))]),
        422,
        "invalid_record",
        "ops[0].fields.lat",
    ),
    (
        "missing-required-field",
        push_body([make_op(1, "customer", new_id(), {"name": "甲"})]),
        422,
        "invalid_record",
        "ops[0].fields.kind",
    ),
    (
        "delete-a-visit",
        push_body([make_op(1, "visit", new_id(), action="delete")]),
        400,
        "invalid_request",
        "ops[0].action",
    ),
    (
        "too-many-ops",
        push_body([make_op(i + 1, "customer", new_id(), customer_fields("甲")) for i in range(MAX_OPS_PER_PUSH + 1)]),
        413,
        "too_large",
        "ops",
    ),
    (
        "too-many-bytes",
        push_body([make_op(1, "customer", new_id(), customer_fields("甲", address="x" * MAX_PUSH_BYTES))]),
        413,
        "too_large",
        "body",
    ),
    ("old-schema", {**push_body([_valid_op()]), "schema_version": 0}, 400, "invalid_request", "schema_version"),
]


@pytest.mark.parametrize(
    ("body", "status", "code", "path"), [case[1:] for case in BAD_PUSHES], ids=[c[0] for c in BAD_PUSHES]
)
async def test_a_bad_push_is_refused_whole_naming_the_problem(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine, body: Any, status: int, code: str, path: str
) -> None:
    headers = await login(client, "rep.a")
    before = row_counts(engine)
    response = await push(client, headers, body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["path"] == path
    assert error["message"]
    assert row_counts(engine) == before


async def test_a_push_with_one_bad_op_stores_none_of_the_good_ones(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    good = [make_op(i + 1, "customer", new_id(), customer_fields(f"好{i}")) for i in range(3)]
    bad = make_op(4, "visit", new_id(), {"customer_id": seeded.customers_a[0], "visit_type": "day"})  # no check-in
    before = row_counts(engine)
    response = await push(client, headers, push_body([*good, bad]))
    assert response.status_code == 422
    assert response.json()["error"]["path"] == "ops[3].fields.check_in_at"
    assert row_counts(engine) == before


async def test_an_older_schema_version_is_426_client_too_old(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import server.domains.sync.service as sync_service

    newer = SCHEMA_VERSION + 1
    monkeypatch.setattr(sync_service, "SCHEMA_VERSION", newer)  # a server that moved on to the next version
    headers = await login(client, "rep.a")
    before = row_counts(engine)
    response = await push(client, headers, push_body([_valid_op()]))
    assert response.status_code == 426
    error = response.json()["error"]
    assert error["code"] == "client_too_old" and error["path"] == "schema_version"
    assert str(newer) in error["message"] and error["details"]["needed"] == newer
    assert row_counts(engine) == before
    pulled = await client.post("/api/sync/pull", json={"cursor": 0, "schema_version": SCHEMA_VERSION}, headers=headers)
    assert pulled.status_code == 426


async def test_a_visit_to_another_territorys_customer_is_forbidden_and_nothing_is_stored(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    ops = [
        make_op(1, "customer", new_id(), customer_fields("合法的新客户")),
        make_op(2, "visit", new_id(), visit_fields(seeded.customers_a[0], seeded.today, 8)),
        make_op(3, "visit", new_id(), visit_fields(seeded.customers_b[0], seeded.today, 9)),
    ]
    before = row_counts(engine)
    response = await push(client, headers, push_body(ops))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden" and error["path"] == "ops[2]"
    assert row_counts(engine) == before


@pytest.mark.parametrize(
    "op_factory",
    [
        lambda w: make_op(1, "route_plan", new_id(), {"day": "2026-11-27", "customer_ids": []}),
        lambda w: make_op(1, "customer", w.customers_b[0], {"phone": "110"}),
        lambda w: make_op(1, "customer", w.customers_b[0], action="delete"),
        lambda w: make_op(
            1,
            "note",
            new_id(),
            {"customer_id": w.customers_b[0], "text": "x", "created_at": "2026-11-26T09:00:00+08:00"},
        ),
    ],
    ids=["route-plan", "edit-other-territory-customer", "delete-other-territory-customer", "note-other-territory"],
)
async def test_a_rep_may_not_write_outside_their_remit(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine, op_factory: Any
) -> None:
    headers = await login(client, "rep.a")
    before = row_counts(engine)
    response = await push(client, headers, push_body([op_factory(seeded)]))
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "forbidden"
    assert response.json()["error"]["path"].startswith("ops[0]")
    assert row_counts(engine) == before


async def test_only_the_rep_who_made_a_visit_may_change_it(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    from server.db import write_session
    from server.domains.users.service import create_user
    from shared.enums import Role
    from tests.integration.conftest import PASSWORD

    with write_session(engine) as session:
        create_user(session, username="rep.a2", password=PASSWORD, role=Role.REP, territory=TERRITORY_A)
    visit_id = new_id()
    first = await push(
        client,
        await login(client, "rep.a"),
        push_body([make_op(1, "visit", visit_id, visit_fields(seeded.customers_a[0], seeded.today, 8))]),
    )
    assert first.status_code == 200
    colleague = await login(client, "rep.a2")
    body = push_body([make_op(1, "visit", visit_id, {"ordered": True}, device_id="dev-2")], device_id="dev-2")
    response = await push(client, colleague, body)
    assert response.status_code == 403
    with read_session(engine) as session:
        visit = session.get(Visit, visit_id)
        assert visit is not None and visit.ordered is False


async def test_a_deleted_customer_becomes_a_tombstone(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    target = seeded.customers_a[3]
    response = await push(client, headers, push_body([make_op(1, "customer", target, action="delete")]))
    assert response.status_code == 200
    with read_session(engine) as session:
        customer = session.get(Customer, target)
        assert customer is not None and customer.deleted
        rows = session.exec(select(ChangeLog).where(ChangeLog.record_id == target)).all()
        assert len(rows) == 1 and rows[0].deleted and rows[0].data is None
        assert session.get(AppliedOp, (DEVICE_A, 1)) is not None
    # Editing it afterwards is a conflict the rep gets to see, not a silent resurrection.
    again = await push(client, headers, push_body([make_op(2, "customer", target, {"phone": "1"})]))
    assert again.status_code == 409


def _made_on_a_visit(kind: str, customer_id: str, visit_id: str) -> dict[str, Any]:
    at = "2026-11-26T09:00:00+08:00"
    fields: dict[str, dict[str, Any]] = {
        "note": {"text": "拜访时记录", "created_at": at},
        "complaint": {"category": "quality", "severity": "medium", "description": "包装破损", "received_at": at},
        "competitor_report": {"brand": "某品牌", "product": "注射器", "observed_at": at},
    }
    return {"customer_id": customer_id, "visit_id": visit_id, **fields[kind]}


@pytest.mark.parametrize("kind", ["note", "complaint", "competitor_report"])
async def test_a_record_made_on_a_visit_names_one_of_its_customers_visits(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine, kind: str
) -> None:
    """Issue 15, item 10: notes, complaints and competitor reports took any visit_id (as orders do not)."""
    own_visit, other_team_visit, other_customer_visit = new_id(), new_id(), new_id()
    rep_a, rep_b = await login(client, "rep.a"), await login(client, "rep.b")
    visits_a = [
        make_op(1, "visit", own_visit, visit_fields(seeded.customers_a[0], seeded.today, 8)),
        make_op(2, "visit", other_customer_visit, visit_fields(seeded.customers_a[1], seeded.today, 9)),
    ]
    assert (await push(client, rep_a, push_body(visits_a))).status_code == 200
    visit_b = make_op(1, "visit", other_team_visit, visit_fields(seeded.customers_b[0], seeded.today, 8), device_id="b")
    assert (await push(client, rep_b, push_body([visit_b], device_id="b"))).status_code == 200
    customer = seeded.customers_a[0]
    for visit_id, reason in (
        (new_id(), "unknown_visit"),
        (other_team_visit, "unknown_visit"),  # another team's visit is unknown here, as it is everywhere
        (other_customer_visit, "visit_of_another_customer"),
    ):
        before = row_counts(engine)
        op = make_op(3, kind, new_id(), _made_on_a_visit(kind, customer, visit_id))
        response = await push(client, rep_a, push_body([op]))
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["path"] == "ops[0].fields.visit_id" and error["details"]["reason"] == reason, error
        assert row_counts(engine) == before
    made = make_op(3, kind, new_id(), _made_on_a_visit(kind, customer, own_visit))
    response = await push(client, rep_a, push_body([made]))
    assert response.status_code == 200, response.text
    without = {key: value for key, value in _made_on_a_visit(kind, customer, own_visit).items() if key != "visit_id"}
    response = await push(client, rep_a, push_body([make_op(4, kind, new_id(), without)]))
    assert response.status_code == 200, response.text  # the visit stays optional
