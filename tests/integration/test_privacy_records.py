"""Issue #7, the newer records: a customer's visit photos (bytes, thumbnails, uploads in progress), orders,
competitor reports, opportunities and stage events, campaign results and ops of revoked phones are in the
export, and the erasure leaves no trace of the personal values in any table; the photo bytes are gone from
the server and, after its next sync, from the phone that took them."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar import testing as litestar_testing
from sqlalchemy.engine import Engine
from sqlmodel import select

from client.features.photos.service import PhotoFiles, add_photo
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from server.actor import Actor
from server.clock import now_iso
from server.db import read_session, write_session
from server.domains.campaigns.service import put_campaign
from server.domains.customers.service import put_customer
from server.domains.devices.models import QuarantinedOp
from server.domains.imports.models import ImportBatch
from server.domains.key_persons.service import put_key_person
from server.domains.photos.models import VisitPhoto, VisitPhotoChunk, VisitPhotoContent
from server.domains.products.service import put_product
from server.domains.users.service import create_user
from shared.enums import RecordKind, Role
from shared.ids import new_id
from shared.photos import CHUNK_BYTES
from shared.pipeline import opportunity_id_for
from sync.protocol import SCHEMA_VERSION
from tests.integration.conftest import PASSWORD, TERRITORY_A, World, local_time, make_op, push_body, visit_fields
from tests.integration.helpers import bearer
from tests.integration.test_client_photo_upload import FlakyTransport, sync_with_photos
from tests.integration.test_privacy import database_text

CIPHER = StoreCipher(bytes(32))
CONTACT = "王建国"
CUSTOMER_PHONE = "0312-7721234"
PERSON = "李娟"
PHONE = "13912345678"

Client = litestar_testing.TestClient[Litestar]


def pull_all_sync(client: Client, headers: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    """Every change a phone pulls from 0 (the synchronous test client's twin of conftest.pull_all)."""
    changes: list[dict[str, Any]] = []
    cursor = 0
    while True:
        body = {"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": 1000}
        page = client.post("/api/sync/pull", json=body, headers=headers).json()
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, cursor


def test_a_customers_photos_pipeline_orders_and_campaign_results_are_exported_and_erased(
    app: Litestar, sync_client: Client, seeded: World, engine: Engine, tmp_path: Path
) -> None:
    customer_id = seeded.customers_a[3]
    with write_session(engine) as session:
        admin = Actor.of(create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN))
        put_customer(session, seeded.supervisor, customer_id, {"contact_person": CONTACT, "phone": CUSTOMER_PHONE})
        person = {"customer_id": customer_id, "name": PERSON, "role": "boss", "phone": PHONE}
        put_key_person(session, seeded.supervisor, new_id(), person)
        product_id = put_product(session, seeded.supervisor, new_id(), {"name": "输液器", "unit_price": 10.0}).id
        campaign_id = new_id()
        put_campaign(
            session,
            seeded.supervisor,
            campaign_id,
            {
                "campaign_type": "promotion",
                "name": "冬季促销",
                "territory": TERRITORY_A,
                "starts_on": (seeded.today - dt.timedelta(days=1)).isoformat(),
                "ends_on": (seeded.today + dt.timedelta(days=30)).isoformat(),
                "customer_ids": [customer_id],
                "cost": 100,
            },
        )
    token = sync_client.post("/api/auth/login", json={"username": "rep.a", "password": PASSWORD}).json()["token"]
    base_url = str(sync_client.base_url)
    folder = tmp_path / "phone"
    store = LocalStore(folder, CIPHER)
    files = PhotoFiles(folder, CIPHER)
    at = local_time(seeded.today, 10)
    visit = store.save(RecordKind.VISIT, new_id(), visit_fields(customer_id, seeded.today, 10, person_met=CONTACT))
    order_id = new_id()
    store.save(
        RecordKind.ORDER,
        order_id,
        {
            "customer_id": customer_id,
            "visit_id": visit["id"],
            "lines": [{"product_id": product_id, "quantity": 2, "unit_price": 10.0}],
            "amount": 20.0,
            "ordered_at": at,
            "notes": f"发票抬头写{CONTACT}",
        },
    )
    report_id = new_id()
    store.save(
        RecordKind.COMPETITOR_REPORT,
        report_id,
        {
            "customer_id": customer_id,
            "visit_id": visit["id"],
            "brand": "对手",
            "product": "输液器",
            "promotion": f"{PERSON}说对手买十送一",
            "observed_at": at,
        },
    )
    opportunity_id = opportunity_id_for(customer_id, 1)
    store.save(
        RecordKind.OPPORTUNITY,
        opportunity_id,
        {"customer_id": customer_id, "opened_at": at, "notes": f"决策人{PERSON} {PHONE}"},
    )
    event_id = new_id()
    store.save(
        RecordKind.STAGE_EVENT,
        event_id,
        {
            "opportunity_id": opportunity_id,
            "customer_id": customer_id,
            "action": "move",
            "stage": "information",
            "note": f"{CONTACT}同意试用",
            "at": at,
        },
    )
    result_id = new_id()
    store.save(
        RecordKind.CAMPAIGN_RESULT,
        result_id,
        {
            "campaign_id": campaign_id,
            "customer_id": customer_id,
            "visit_id": visit["id"],
            "participated": True,
            "feedback": f"{PERSON}很满意，电话{PHONE}",
            "recorded_at": at,
        },
    )
    whole = add_photo(store, files, visit, b"\xff\xd8\xff\xe0" + os.urandom(2000))
    partial = add_photo(store, files, visit, b"\xff\xd8\xff\xe0" + os.urandom(2 * CHUNK_BYTES))
    # The records go, then the first photo whole and the second one's first chunk before the network goes.
    flaky = FlakyTransport(sync_client, cut_after=2)
    sync_with_photos(store, folder, base_url, token, flaky)
    with read_session(engine) as session:
        assert session.get(VisitPhotoContent, whole["id"]) is not None
        assert session.exec(select(VisitPhotoChunk).where(VisitPhotoChunk.photo_id == partial["id"])).all()
        # A revoked phone's op about the customer waits in the quarantine.
        note = make_op(
            1,
            "note",
            new_id(),
            {"customer_id": customer_id, "text": f"{CONTACT} {CUSTOMER_PHONE}", "created_at": at},
            device_id="lost-phone",
        )
    with write_session(engine) as session:
        session.add(
            QuarantinedOp(
                device_id="lost-phone",
                seq=1,
                op_id=note["op_id"],
                user_id=seeded.rep_a.id,
                op=note,
                received_at=now_iso(),
            )
        )
        # Customer files kept by imports: one imported (its bytes are no longer needed), one awaiting confirmation.
        for imported_at in (now_iso(), None):
            csv = f"客户名称,客户类型,电话\n东片诊所3,诊所,{CUSTOMER_PHONE}\n".encode()
            batch = ImportBatch(
                id=new_id(),
                created_by=seeded.supervisor.id,
                created_at=now_iso(),
                file_name="customers.csv",
                encoding="utf-8",
                digest="0" * 64,
                row_count=1,
                content=csv,
                imported_at=imported_at,
            )
            session.add(batch)

    exported = sync_client.get(f"/api/privacy/customers/{customer_id}/export", headers=bearer(app, admin))

    assert exported.status_code == 200, exported.text
    document = exported.json()
    assert [item["notes"] for item in document["orders"]] == [f"发票抬头写{CONTACT}"]
    assert [item["promotion"] for item in document["competitor_reports"]] == [f"{PERSON}说对手买十送一"]
    assert [item["notes"] for item in document["opportunities"]] == [f"决策人{PERSON} {PHONE}"]
    assert [item["note"] for item in document["stage_events"]] == [f"{CONTACT}同意试用"]
    assert [item["feedback"] for item in document["campaign_results"]] == [f"{PERSON}很满意，电话{PHONE}"]
    photos = {item["id"]: item for item in document["photos"]}
    assert set(photos) == {whole["id"], partial["id"]}
    assert photos[whole["id"]]["sha256"] == whole["sha256"] and photos[whole["id"]]["url"] == f"/photos/{whole['id']}"
    assert photos[whole["id"]]["uploaded_at"] is not None and photos[partial["id"]]["uploaded_at"] is None
    assert [row["op"]["op_id"] for row in document["quarantined_ops"]] == [note["op_id"]]
    before = database_text(engine)
    assert CONTACT in before and PERSON in before and PHONE in before and CUSTOMER_PHONE in before

    erased = sync_client.post(f"/api/privacy/customers/{customer_id}/erase", headers=bearer(app, admin))

    assert erased.status_code == 200, erased.text
    summary = erased.json()
    assert summary["photos_deleted"] == 2 and summary["quarantined_ops_scrubbed"] == 1
    assert summary["import_files_dropped"] == 2
    assert summary["records_scrubbed"] == {
        "orders": 1,
        "competitor_reports": 1,
        "opportunities": 1,
        "stage_events": 1,
        "campaign_results": 1,
    }
    after = database_text(engine)
    for value in (CONTACT, CUSTOMER_PHONE, PERSON, PHONE):
        assert value not in after, value
    with read_session(engine) as session:
        [imported] = session.exec(select(ImportBatch)).all()  # the waiting one is gone, the imported one is kept
        assert imported.imported_at is not None and imported.content == b""
        ids = [whole["id"], partial["id"]]
        for model, column in (
            (VisitPhoto, VisitPhoto.id),
            (VisitPhotoContent, VisitPhotoContent.photo_id),
            (VisitPhotoChunk, VisitPhotoChunk.photo_id),
        ):
            assert session.exec(select(model).where(column.in_(ids))).all() == [], model  # type: ignore[attr-defined]
    rep = {"Authorization": f"Bearer {token}"}
    assert sync_client.get(f"/api/photos/{partial['id']}/upload", headers=rep).status_code == 404  # no resuming

    # The phone's next sync: the photos' records are gone, and so are their files.
    assert files.has(whole["id"]) and files.has(partial["id"])
    sync_with_photos(store, folder, base_url, token, FlakyTransport(sync_client))
    assert store.get(RecordKind.VISIT_PHOTO, whole["id"]) is None
    assert not files.has(whole["id"]) and not files.has(partial["id"])
    assert not files.is_uploaded(whole["id"])
    assert store.get(RecordKind.OPPORTUNITY, opportunity_id)["notes"] == "决策人[erased] [erased]"  # type: ignore[index]
    assert store.get(RecordKind.CAMPAIGN_RESULT, result_id)["feedback"] == "[erased]很满意，电话[erased]"  # type: ignore[index]
    store.close()


def test_a_key_persons_export_and_erasure_reach_the_pipeline_and_competitor_reports(
    app: Litestar, sync_client: Client, seeded: World, engine: Engine
) -> None:
    customer_id = seeded.customers_a[2]
    with write_session(engine) as session:
        admin = Actor.of(create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN))
        person_id = new_id()
        put_key_person(
            session,
            seeded.supervisor,
            person_id,
            {"customer_id": customer_id, "name": PERSON, "role": "boss", "phone": PHONE},
        )
    at = local_time(seeded.today, 9)
    opportunity_id = opportunity_id_for(customer_id, 1)
    ops = [
        make_op(
            1, "opportunity", opportunity_id, {"customer_id": customer_id, "opened_at": at, "notes": f"找{PERSON}"}
        ),
        make_op(
            2,
            "stage_event",
            new_id(),
            {
                "opportunity_id": opportunity_id,
                "customer_id": customer_id,
                "action": "move",
                "stage": "information",
                "note": f"{PERSON}留了手机{PHONE}",
                "at": at,
            },
        ),
        make_op(
            3,
            "competitor_report",
            new_id(),
            {
                "customer_id": customer_id,
                "brand": "对手",
                "product": "输液器",
                "promotion": f"{PERSON}在比价",
                "observed_at": at,
            },
        ),
    ]
    rep = {"Authorization": f"Bearer {app.state.jwt_auth.create_token(identifier=seeded.rep_a.id)}"}
    pushed = sync_client.post("/api/sync/push", json=push_body(ops), headers=rep)
    assert pushed.status_code == 200, pushed.text

    exported = sync_client.get(f"/api/privacy/key-persons/{person_id}/export", headers=bearer(app, admin))

    assert exported.status_code == 200, exported.text
    mentions = exported.json()["mentions"]
    assert [item["id"] for item in mentions["opportunities"]] == [opportunity_id]
    assert [item["note"] for item in mentions["stage_events"]] == [f"{PERSON}留了手机{PHONE}"]
    assert [item["promotion"] for item in mentions["competitor_reports"]] == [f"{PERSON}在比价"]
    assert mentions["orders"] == [] and mentions["campaign_results"] == []

    erased = sync_client.post(f"/api/privacy/key-persons/{person_id}/erase", headers=bearer(app, admin))

    assert erased.status_code == 200, erased.text
    assert erased.json()["records_scrubbed"] == {"opportunities": 1, "stage_events": 1, "competitor_reports": 1}
    after = database_text(engine)
    for value in (PERSON, PHONE):
        assert value not in after, value
    changes, _ = pull_all_sync(sync_client, rep)
    [event] = [change["data"] for change in changes if change["kind"] == "stage_event"]
    assert event["note"] == "[erased]留了手机[erased]"  # phones receive the scrubbed text
