"""查重 on the server (issue #19): every customer created, by a phone's push or on the server (the web form, an
import, both through put_customer), is checked against the whole company; likely pairs wait on
/customers/duplicates with their reasons, across territories for the company's head and inside the team for a
team's supervisor; 不是重复 dismisses a pair, audited."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from server.actor import Actor
from server.db import read_session, write_session
from server.domains.customers.models import Customer
from server.domains.customers.service import put_customer
from server.domains.duplicates.models import DuplicatePair
from server.domains.notes.models import Note
from server.domains.users.service import create_user
from server.domains.visits.models import Visit
from shared.enums import Role
from shared.ids import new_id
from tests.integration.conftest import (
    DEVICE_A,
    DEVICE_B,
    PASSWORD,
    TERRITORY_A,
    World,
    local_time,
    login,
    make_op,
    pull_all,
    push_body,
    visit_fields,
)
from tests.integration.helpers import actions
from tests.integration.test_server_web import csrf_token, web_login

Client = AsyncTestClient[Litestar]
ADDRESS = "河北省保定市望都县寺庄乡王庄村"


def pairs(engine: Engine) -> list[DuplicatePair]:
    with read_session(engine) as session:
        return list(session.exec(select(DuplicatePair)).all())


def existing_clinic(engine: Engine, seeded: World, **extra: Any) -> str:
    """王庄村卫生室 in territory A, made on the server (as the web form and an import make customers)."""
    fields = {"name": "王庄村卫生室", "kind": "village_clinic", "address": ADDRESS, **extra}
    with write_session(engine) as session:
        customer = put_customer(session, seeded.supervisor, new_id(), fields, server_fields={"territory": TERRITORY_A})
        return customer.id


async def push_prospect(client: Client, username: str, fields: dict[str, Any], seq: int = 1) -> str:
    record_id = new_id()
    headers = await login(client, username)
    device = DEVICE_A if username == "rep.a" else DEVICE_B
    fields = {"kind": "village_clinic", "status": "prospect", **fields}
    body = push_body([make_op(seq, "customer", record_id, fields, device_id=device)], device_id=device)
    response = await client.post("/api/sync/push", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert [result["status"] for result in response.json()["results"]] == ["applied"], response.text
    return record_id


async def test_a_pushed_prospect_like_another_territorys_customer_is_queued_with_reasons(
    client: Client, seeded: World, engine: Engine, app: Litestar
) -> None:
    existing = existing_clinic(engine, seeded, phone="0312-7212345")
    new = await push_prospect(client, "rep.b", {"name": "王庄卫生室", "address": "寺庄乡王庄村", "phone": "7212345"})
    (pair,) = pairs(engine)
    assert (pair.customer_id, pair.other_id) == (new, existing)
    assert (pair.territory, pair.other_territory) == ("西片", TERRITORY_A)  # across territories
    assert pair.status == "open" and pair.score >= 0.5

    await web_login(client, "boss")
    page = await client.get("/customers/duplicates")
    assert page.status_code == 200
    assert f'data-testid="duplicate-{pair.id}"' in page.text
    assert "同名、电话相同、同在王庄村" in page.text
    assert "王庄卫生室" in page.text and "王庄村卫生室" in page.text

    answer = await client.post(
        f"/customers/duplicates/{pair.id}/dismiss",
        data={"_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    (dismissed,) = pairs(engine)
    assert dismissed.status == "dismissed" and dismissed.decided_by == seeded.supervisor.id
    assert "duplicate_dismissed" in actions(app)
    after = await client.get(answer.headers["location"])
    assert f'data-testid="duplicate-{pair.id}"' not in after.text
    assert 'data-testid="duplicate-dismissed"' in after.text

    again = await client.post(
        f"/customers/duplicates/{pair.id}/dismiss", data={"_csrf_token": csrf_token(page.text)}, follow_redirects=False
    )
    assert again.status_code == 404  # decided already: nothing changes


async def test_a_different_customer_is_not_queued(client: Client, seeded: World, engine: Engine) -> None:
    existing_clinic(engine, seeded)
    await push_prospect(client, "rep.a", {"name": "小王庄村卫生室", "address": "望都县黑堡乡小王庄村"})
    await push_prospect(client, "rep.a", {"name": "仁和堂大药房"}, seq=2)
    assert pairs(engine) == []


async def test_a_name_typed_by_its_sound_in_the_same_village_is_queued(
    client: Client, seeded: World, engine: Engine
) -> None:
    """慧民诊所 for 惠民诊所, 里庄卫生室 for 李庄村卫生室: neither name holds a piece of the other, so the SQL
    prefilter also reads the new customer's village and the scorer hears the same pronunciation (同音)."""

    def made(name: str, address: str) -> str:
        fields = {"name": name, "kind": "clinic", "address": address}
        with write_session(engine) as session:
            customer = put_customer(
                session, seeded.supervisor, new_id(), fields, server_fields={"territory": TERRITORY_A}
            )
            return customer.id

    hui_min = made("惠民诊所", "河北省保定市望都县赵庄乡赵庄村")
    made("赵庄村卫生室", "河北省保定市望都县赵庄乡赵庄村")  # the same village, another name: not a duplicate
    made("慧民诊所", "河北省保定市望都县贾村乡贾村")  # the same sound in another township: not a duplicate
    li_zhuang = made("李庄村卫生室", "河北省保定市望都县寺庄乡李庄村")
    assert pairs(engine) == []

    new = await push_prospect(client, "rep.b", {"name": "慧民诊所", "address": "赵庄乡赵庄村"})
    (pair,) = pairs(engine)
    assert (pair.customer_id, pair.other_id) == (new, hui_min)
    assert [key for key, _ in pair.reasons] == ["duplicates.for.same_pronunciation", "duplicates.for.same_village"]

    typed = made("里庄卫生室", "寺庄乡李庄村")  # the web form or an import (put_customer on the server)
    assert {(p.customer_id, p.other_id) for p in pairs(engine)} == {(new, hui_min), (typed, li_zhuang)}

    await web_login(client, "boss")
    page = await client.get("/customers/duplicates")
    assert "同音、同在赵庄村" in page.text and "同音、同在李庄村" in page.text


async def test_an_edit_does_not_queue_and_a_deleted_customer_is_not_a_candidate(
    client: Client, seeded: World, engine: Engine
) -> None:
    existing = existing_clinic(engine, seeded)
    with write_session(engine) as session:
        put_customer(session, seeded.supervisor, existing, {"phone": "13800001111"})
        put_customer(session, seeded.supervisor, seeded.customers_a[0], {"name": "王庄村卫生室"})  # an edit
    assert pairs(engine) == []
    headers = await login(client, "rep.a")
    body = push_body([make_op(1, "customer", existing, action="delete")])
    deleted = await client.post("/api/sync/push", json=body, headers=headers)
    assert [result["status"] for result in deleted.json()["results"]] == ["applied"], deleted.text
    await push_prospect(client, "rep.a", {"name": "王庄村卫生室", "address": ADDRESS}, seq=2)
    assert [pair.other_id for pair in pairs(engine)] == [seeded.customers_a[0]]  # the renamed one, not the deleted


async def test_a_team_supervisor_sees_pairs_inside_the_team_only(client: Client, seeded: World, engine: Engine) -> None:
    existing_clinic(engine, seeded)
    inside = await push_prospect(client, "rep.a", {"name": "王庄卫生室", "address": ADDRESS})
    await push_prospect(client, "rep.b", {"name": "王庄村 卫生室"})  # 西片: across territories
    assert len(pairs(engine)) == 3  # the west one looks like both east ones
    with write_session(engine) as session:
        Actor.of(create_user(session, username="boss.west", password=PASSWORD, role=Role.SUPERVISOR, territory="西片"))
        Actor.of(
            create_user(session, username="boss.east", password=PASSWORD, role=Role.SUPERVISOR, territory=TERRITORY_A)
        )
    await web_login(client, "boss.west")
    west = await client.get("/customers/duplicates")
    assert 'data-testid="duplicates-none"' in west.text  # the pair's other customer is not the west team's
    cross = next(pair for pair in pairs(engine) if pair.territory == "西片")
    refused = await client.post(
        f"/customers/duplicates/{cross.id}/dismiss", data={"_csrf_token": csrf_token(west.text)}, follow_redirects=False
    )
    assert refused.status_code == 404
    await client.get("/logout")
    client.cookies.clear()
    await web_login(client, "boss.east")
    east = await client.get("/customers/duplicates")
    (shown,) = [pair for pair in pairs(engine) if pair.customer_id == inside]
    assert f'data-testid="duplicate-{shown.id}"' in east.text
    assert f'data-testid="duplicate-{cross.id}"' not in east.text


async def test_a_rep_cannot_open_the_queue(client: Client, seeded: World) -> None:
    await web_login(client, "rep.a")
    page = await client.get("/customers/duplicates", follow_redirects=False)
    assert page.status_code in (302, 303, 403)


async def push_ops(client: Client, headers: dict[str, str], ops: list[dict[str, Any]]) -> list[str]:
    response = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert response.status_code == 200, response.text
    return [result["status"] for result in response.json()["results"]]


async def test_a_merge_moves_the_records_and_a_later_op_for_the_merged_customer_lands_on_the_survivor(
    client: Client, seeded: World, engine: Engine, app: Litestar
) -> None:
    kept = existing_clinic(engine, seeded)
    rep = await login(client, "rep.a")
    merged_away = new_id()
    visit_id, note_id = new_id(), new_id()
    prospect = {"name": "王庄卫生室", "kind": "village_clinic", "status": "prospect", "address": ADDRESS}
    statuses = await push_ops(
        client,
        rep,
        [
            make_op(1, "customer", merged_away, prospect),
            make_op(2, "visit", visit_id, visit_fields(merged_away, seeded.today, 9)),
            make_op(
                3,
                "note",
                note_id,
                {"customer_id": merged_away, "text": "院长周三坐诊", "created_at": local_time(seeded.today, 10)},
            ),
        ],
    )
    assert statuses == ["applied"] * 3
    _, cursor = await pull_all(client, rep)
    (pair,) = pairs(engine)

    await web_login(client, "boss")
    page = await client.get("/customers/duplicates")
    assert f'data-testid="keep-{pair.id}-{kept}"' in page.text
    answer = await client.post(
        f"/customers/duplicates/{pair.id}/merge",
        data={"_csrf_token": csrf_token(page.text), "keep": kept},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    with read_session(engine) as session:
        gone = session.get(Customer, merged_away)
        assert gone is not None and gone.deleted and gone.merged_into == kept
        assert session.get(Visit, visit_id).customer_id == kept  # type: ignore[union-attr]
        assert session.get(Note, note_id).customer_id == kept  # type: ignore[union-attr]
    assert pairs(engine)[0].status == "merged"
    assert "customers_merged" in actions(app)

    # The phone pulls: the merged customer is a tombstone, its note and visit come again as the survivor's.
    changes, _ = await pull_all(client, rep, cursor)
    by_id = {change["record_id"]: change for change in changes}
    assert by_id[merged_away]["deleted"] is True
    assert by_id[merged_away]["data"] == {"merged_into": kept}  # phones re-point what they hold of B to A
    assert by_id[note_id]["data"]["customer_id"] == kept and by_id[visit_id]["data"]["customer_id"] == kept

    # A note written offline before that pull, naming the merged customer, lands on the survivor; an edit of
    # it edits the survivor; its delete deletes nothing.
    late_note = new_id()
    statuses = await push_ops(
        client,
        rep,
        [
            make_op(
                4,
                "note",
                late_note,
                {"customer_id": merged_away, "text": "补充：周三下午不在", "created_at": local_time(seeded.today, 11)},
            ),
            make_op(5, "customer", merged_away, {"phone": "13912345678"}),
            make_op(6, "customer", merged_away, action="delete"),
        ],
    )
    assert statuses == ["applied"] * 3
    with read_session(engine) as session:
        assert session.get(Note, late_note).customer_id == kept  # type: ignore[union-attr]
        survivor = session.get(Customer, kept)
        assert survivor is not None and not survivor.deleted and survivor.phone == "13912345678"


async def test_a_merge_needs_an_open_pair_and_one_of_its_customers(
    client: Client, seeded: World, engine: Engine
) -> None:
    kept = existing_clinic(engine, seeded)
    await push_prospect(client, "rep.a", {"name": "王庄卫生室", "address": ADDRESS})
    (pair,) = pairs(engine)
    await web_login(client, "boss")
    page = await client.get("/customers/duplicates")
    token = csrf_token(page.text)
    wrong = await client.post(
        f"/customers/duplicates/{pair.id}/merge", data={"_csrf_token": token, "keep": seeded.customers_a[0]}
    )
    assert wrong.status_code == 422
    unknown = await client.post(f"/customers/duplicates/{new_id()}/merge", data={"_csrf_token": token, "keep": kept})
    assert unknown.status_code == 404
    with read_session(engine) as session:
        assert not any(customer.deleted for customer in session.exec(select(Customer)).all())
    assert pairs(engine)[0].status == "open"
