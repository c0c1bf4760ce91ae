"""Issue #7: a key person's or customer's personal data is exported and erased on request; the erasure reaches
every phone through sync, and afterwards the erased values are nowhere in the server's database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar import testing as litestar_testing
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, col, select

import server.models  # noqa: F401 - every table known to the database scan
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from server.actor import Actor
from server.changes.models import FieldConflict, RejectedOp
from server.db import read_session, write_session
from server.domains.audit.models import AuditEvent
from server.domains.customers.service import put_customer
from server.domains.key_persons.models import KeyPerson
from server.domains.key_persons.service import put_key_person
from server.domains.users.service import create_user
from shared.enums import RecordKind, Role
from shared.ids import new_id
from sync.engine import SyncEngine
from tests.integration.conftest import PASSWORD, World, make_op, push_body, visit_fields
from tests.integration.helpers import bearer
from tests.integration.test_server_sync_engine import http_api

PHONE = "13912345678"  # the key person's mobile, as first written
PHONE_ON_SERVER = "13787654321"  # changed in the office while the phone was offline
PHONE_ON_PHONE = "13600001111"  # changed on the phone meanwhile: the two edits conflict
BIRTHDAY = "1975-03-08"
CUSTOMER_PHONE = "0312-7721234"
CONTACT = "王建国"
ADDRESS = "东片镇幸福路88号"

Client = litestar_testing.TestClient[Litestar]


@pytest.fixture
def admin(engine: Engine, seeded: World) -> Actor:
    with write_session(engine) as session:
        return Actor.of(create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN))


def add_key_person(engine: Engine, seeded: World, customer_id: str, **extra: Any) -> str:
    person_id = new_id()
    fields = {"customer_id": customer_id, "name": "李娟", "role": "boss", "phone": PHONE, "birthday": BIRTHDAY}
    with write_session(engine) as session:
        put_key_person(session, seeded.supervisor, person_id, {**fields, "hobbies": "钓鱼", **extra})
    return person_id


def database_text(engine: Engine) -> str:
    """Every row of every table as text, JSON columns included (change_log.data, conflicts, rejected_ops, audit)."""
    lines = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                lines.append(json.dumps(list(row), ensure_ascii=False, default=str))
    return "\n".join(lines)


def sync(store: LocalStore, api: Any) -> None:
    SyncEngine(store, api.push, api.pull).run()


def test_the_export_of_a_key_person_holds_their_personal_data_and_is_audited(
    app: Litestar, sync_client: Client, seeded: World, engine: Engine, admin: Actor
) -> None:
    customer_id = seeded.customers_a[0]
    person_id = add_key_person(engine, seeded, customer_id, family_notes="女儿在县一中")
    rep = bearer(app, seeded.rep_a)
    note = make_op(
        1,
        "note",
        new_id(),
        {"customer_id": customer_id, "text": f"李娟说换号了 {PHONE}", "created_at": "2026-11-27T09:00:00+08:00"},
    )
    assert sync_client.post("/api/sync/push", json=push_body([note]), headers=rep).status_code == 200

    answer = sync_client.get(f"/api/privacy/key-persons/{person_id}/export", headers=bearer(app, admin))

    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["kind"] == "key_person" and document["exported_by"] == "admin"
    record = document["record"]
    assert (record["name"], record["phone"], record["birthday"]) == ("李娟", PHONE, BIRTHDAY)
    assert (record["hobbies"], record["family_notes"]) == ("钓鱼", "女儿在县一中")
    assert document["customer"]["id"] == customer_id
    assert [mention["id"] for mention in document["mentions"]["notes"]] == [note["record_id"]]
    with read_session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "privacy_export")).all()
    assert [(event.actor_id, event.details) for event in events] == [
        (admin.id, {"kind": "key_person", "record_id": person_id})
    ]


def test_the_export_of_a_customer_holds_its_key_persons_notes_visits_and_refused_ops(
    app: Litestar, sync_client: Client, seeded: World, engine: Engine, admin: Actor
) -> None:
    customer_id = seeded.customers_a[1]
    with write_session(engine) as session:
        put_customer(session, seeded.supervisor, customer_id, {"contact_person": CONTACT, "phone": CUSTOMER_PHONE})
    person_id = add_key_person(engine, seeded, customer_id)
    rep = bearer(app, seeded.rep_a)
    visit = make_op(1, "visit", new_id(), visit_fields(customer_id, seeded.today, 9, person_met=CONTACT))
    assert sync_client.post("/api/sync/push", json=push_body([visit]), headers=rep).status_code == 200
    refused = make_op(2, "key_person", person_id, {"phone": PHONE_ON_PHONE, "birthday": "not a date"})
    assert sync_client.post("/api/sync/push", json=push_body([refused]), headers=rep).status_code == 422

    answer = sync_client.get(f"/api/privacy/customers/{customer_id}/export", headers=bearer(app, admin))

    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert (document["record"]["contact_person"], document["record"]["phone"]) == (CONTACT, CUSTOMER_PHONE)
    assert [person["phone"] for person in document["key_persons"]] == [PHONE]
    assert [item["person_met"] for item in document["visits"]] == [CONTACT]
    assert [row["op"]["fields"]["phone"] for row in document["rejected_ops"]] == [PHONE_ON_PHONE]


def test_erasing_a_key_person_reaches_the_phone_and_leaves_nothing_on_the_server(
    app: Litestar, sync_client: Client, seeded: World, engine: Engine, admin: Actor, tmp_path: Path
) -> None:
    customer_id = seeded.customers_a[0]
    person_id = add_key_person(engine, seeded, customer_id)
    api = http_api(sync_client, "rep.a")
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    sync(store, api)
    assert store.get(RecordKind.KEY_PERSON, person_id)["phone"] == PHONE  # type: ignore[index]

    # The office changes the number while the rep, offline, changes it too: a conflict keeps both values.
    with write_session(engine) as session:
        put_key_person(session, seeded.supervisor, person_id, {"phone": PHONE_ON_SERVER})
    store.save(RecordKind.KEY_PERSON, person_id, {"phone": PHONE_ON_PHONE})
    store.save(
        RecordKind.NOTE,
        new_id(),
        {"customer_id": customer_id, "text": f"李娟的新号 {PHONE_ON_PHONE}", "created_at": "2026-11-27T09:00:00+08:00"},
    )
    sync(store, api)
    # An op refused for good keeps what it tried to write, on the server too.
    refused = make_op(1, "key_person", person_id, {"phone": PHONE, "birthday": "not a date"}, device_id="device-x")
    answer = sync_client.post(
        "/api/sync/push", json=push_body([refused], device_id="device-x"), headers=bearer(app, seeded.rep_a)
    )
    assert answer.status_code == 422
    with read_session(engine) as session:
        assert session.exec(select(FieldConflict).where(FieldConflict.record_id == person_id)).all()
        assert session.exec(select(RejectedOp)).all()
    before = database_text(engine)
    assert PHONE in before and PHONE_ON_SERVER in before and PHONE_ON_PHONE in before

    answer = sync_client.post(f"/api/privacy/key-persons/{person_id}/erase", headers=bearer(app, admin))

    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert summary["key_persons_deleted"] == 1
    assert summary["conflicts_scrubbed"] >= 1 and summary["rejected_ops_scrubbed"] == 1
    assert summary["notes_scrubbed"] == 1
    sync(store, api)
    assert store.get(RecordKind.KEY_PERSON, person_id) is None  # the tombstone reached the phone
    phone_copy = json.dumps([store.all(kind) for kind in RecordKind], ensure_ascii=False)
    for value in (PHONE, PHONE_ON_SERVER, PHONE_ON_PHONE, BIRTHDAY, "李娟"):
        assert value not in phone_copy, value
    after = database_text(engine)
    for value in (PHONE, PHONE_ON_SERVER, PHONE_ON_PHONE, BIRTHDAY, "李娟", "钓鱼"):
        assert value not in after, value
    with read_session(engine) as session:
        erasures = session.exec(select(AuditEvent).where(AuditEvent.action == "privacy_erase")).all()
    assert [(event.actor_id, event.details["record_id"]) for event in erasures] == [(admin.id, person_id)]  # type: ignore[index]

    again = sync_client.post(f"/api/privacy/key-persons/{person_id}/erase", headers=bearer(app, admin))
    assert again.status_code == 200
    assert again.json()["key_persons_deleted"] == 0 and again.json()["conflicts_scrubbed"] == 0
    store.close()
    api.close()


def test_erasing_a_customer_blanks_its_personal_fields_on_the_phone_and_deletes_its_key_persons(
    app: Litestar, sync_client: Client, seeded: World, engine: Engine, admin: Actor, tmp_path: Path
) -> None:
    customer_id = seeded.customers_a[2]
    with write_session(engine) as session:
        personal = {"contact_person": CONTACT, "phone": CUSTOMER_PHONE, "address": ADDRESS}
        put_customer(session, seeded.supervisor, customer_id, personal)
    person_id = add_key_person(engine, seeded, customer_id)
    api = http_api(sync_client, "rep.a")
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    visit_id = new_id()
    store.save(RecordKind.VISIT, visit_id, visit_fields(customer_id, seeded.today, 10, person_met=CONTACT))
    sync(store, api)
    assert store.get(RecordKind.CUSTOMER, customer_id)["phone"] == CUSTOMER_PHONE  # type: ignore[index]

    answer = sync_client.post(f"/api/privacy/customers/{customer_id}/erase", headers=bearer(app, admin))

    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert summary["customer_fields_blanked"] == ["address", "contact_person", "phone"]
    assert summary["key_persons_deleted"] == 1 and summary["visits_scrubbed"] == 1
    sync(store, api)
    customer = store.get(RecordKind.CUSTOMER, customer_id)
    assert customer is not None and customer["name"] == "东片诊所2"  # the business stays
    assert (customer["contact_person"], customer["phone"], customer["address"]) == (None, None, None)
    assert store.get(RecordKind.KEY_PERSON, person_id) is None
    assert store.get(RecordKind.VISIT, visit_id)["person_met"] == "[erased]"  # type: ignore[index]
    after = database_text(engine)
    for value in (CUSTOMER_PHONE, CONTACT, ADDRESS, PHONE, "李娟"):
        assert value not in after, value

    again = sync_client.post(f"/api/privacy/customers/{customer_id}/erase", headers=bearer(app, admin))
    assert again.status_code == 200
    assert again.json()["customer_fields_blanked"] == [] and again.json()["key_persons_deleted"] == 0
    store.close()
    api.close()


def test_only_admins_export_or_erase(
    app: Litestar, sync_client: Client, seeded: World, engine: Engine, admin: Actor
) -> None:
    customer_id = seeded.customers_a[0]
    person_id = add_key_person(engine, seeded, customer_id)
    calls = [
        ("GET", f"/api/privacy/key-persons/{person_id}/export"),
        ("POST", f"/api/privacy/key-persons/{person_id}/erase"),
        ("GET", f"/api/privacy/customers/{customer_id}/export"),
        ("POST", f"/api/privacy/customers/{customer_id}/erase"),
    ]
    for method, url in calls:
        assert sync_client.request(method, url).status_code == 401
        for actor in (seeded.rep_a, seeded.supervisor):
            answer = sync_client.request(method, url, headers=bearer(app, actor))
            assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden", (method, url)
        unknown = url.replace(person_id, new_id()).replace(customer_id, new_id())
        assert sync_client.request(method, unknown, headers=bearer(app, admin)).status_code == 404
    with read_session(engine) as session:
        assert session.exec(select(AuditEvent).where(col(AuditEvent.action).startswith("privacy_"))).all() == []
    with read_session(engine) as session:
        person = session.get(KeyPerson, person_id)
    assert person is not None and not person.deleted and person.phone == PHONE  # nothing was erased


def test_an_admin_gets_400_for_a_malformed_id_or_an_unknown_query_parameter(
    app: Litestar, sync_client: Client, seeded: World, admin: Actor
) -> None:
    """The API fuzzing calls as a rep, a supervisor and nobody (all refused): an admin's bad input is tried here."""
    headers = bearer(app, admin)
    customer_id = seeded.customers_a[0]
    for method, action in (("GET", "export"), ("POST", "erase")):
        for kind in ("customers", "key-persons"):
            too_long = sync_client.request(method, f"/api/privacy/{kind}/{'x' * 37}/{action}", headers=headers)
            assert too_long.status_code == 400, too_long.text
            with_nul = sync_client.request(method, f"/api/privacy/{kind}/a%00b/{action}", headers=headers)
            assert with_nul.status_code == 400, with_nul.text
        unknown = sync_client.request(method, f"/api/privacy/customers/{customer_id}/{action}?force=1", headers=headers)
        assert unknown.status_code == 400 and unknown.json()["error"]["path"] == "query"
