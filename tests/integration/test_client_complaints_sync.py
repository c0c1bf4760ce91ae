"""The phone's side against the real server in-process (LocalStore, the sync engine, HttpSyncApi): a complaint
moved on a rep's phone and by a supervisor while both were offline ends the same everywhere; a key person
deleted on the phone is gone from the supervisor's page and the other phones; an opportunity the server
refused gives way to the server's open one, which the rep then carries on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar import testing as litestar_testing
from sqlalchemy.engine import Engine

from client.features.complaints.service import record_step
from client.features.pipeline.service import customer_pipeline, record_stage_event, start_development
from client.services import AppService
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from server.db import read_session, write_session
from server.domains.complaints.service import put_complaint
from server.domains.pipeline.service import put_opportunity
from server.models import Complaint, KeyPerson, Opportunity
from shared.enums import PipelineStage, RecordKind, StageAction
from shared.ids import new_id
from sync.engine import SyncEngine
from sync.http import HttpSyncApi
from tests.integration.conftest import PASSWORD, World
from tests.integration.helpers import InProcessTransport
from tests.integration.test_server_web import by_testid, csrf_token

TZ = dt.timezone(dt.timedelta(hours=8))


class Phone:
    """A signed-in phone: its store, its app service and a sync against the in-process server."""

    def __init__(self, folder: Path, client: litestar_testing.TestClient[Litestar], username: str) -> None:
        self.store = LocalStore(folder, StoreCipher(bytes(32)))
        self.service = AppService(self.store, clock=lambda: dt.datetime.now(TZ))
        token = client.post("/api/auth/login", json={"username": username, "password": PASSWORD}).json()["token"]
        self.api = HttpSyncApi(str(client.base_url), token, transport=InProcessTransport(client))

    def sync(self) -> None:
        SyncEngine(self.store, self.api.push, self.api.pull).run()

    def close(self) -> None:
        self.api.close()
        self.store.close()


@pytest.fixture
def phones(tmp_path: Path, sync_client: litestar_testing.TestClient[Litestar]) -> Iterator[dict[str, Phone]]:
    made = {name: Phone(tmp_path / name, sync_client, user) for name, user in (("rep", "rep.a"), ("boss", "boss"))}
    yield made
    for phone in made.values():
        phone.close()


def test_a_rep_and_a_supervisor_move_a_complaint_offline_and_every_device_ends_the_same(
    phones: dict[str, Phone], seeded: World, engine: Engine
) -> None:
    complaint_id, customer_id = new_id(), seeded.customers_a[0]
    fields = {
        "customer_id": customer_id,
        "category": "quality",
        "severity": "medium",
        "description": "包装破损",
        "received_at": dt.datetime.now(TZ).replace(microsecond=0).isoformat(),
    }
    with write_session(engine) as session:
        put_complaint(session, seeded.rep_a, complaint_id, fields, today=seeded.today)
    rep, boss = phones["rep"], phones["boss"]
    rep.sync()
    boss.sync()
    # Both offline: the supervisor starts investigating; the rep proposes a solution and resolves it.
    record_step(boss.service, complaint_id, "investigating", "已联系仓库")
    record_step(rep.service, complaint_id, "solution_proposed", "换货")
    record_step(rep.service, complaint_id, "resolved", "客户已收到新货")
    rep.sync()
    boss.sync()
    rep.sync()

    with read_session(engine) as session:
        stored = session.get(Complaint, complaint_id)
        assert stored is not None and stored.status == "resolved"
    for phone in (rep, boss):
        card = phone.service.customer_card(customer_id)
        assert card is not None
        [shown] = [item for item in card.complaints if item["id"] == complaint_id]
        assert shown["status"] == "resolved"
        notes = sorted(step["note"] for step in shown["steps"])
        assert notes == sorted(["已联系仓库", "换货", "客户已收到新货"])
        assert not any(step["waiting"] for step in shown["steps"])


def test_a_key_person_deleted_on_the_phone_is_gone_everywhere(
    phones: dict[str, Phone], seeded: World, engine: Engine, sync_client: litestar_testing.TestClient[Litestar]
) -> None:
    rep, boss = phones["rep"], phones["boss"]
    customer_id = seeded.customers_a[0]
    rep.sync()
    person = rep.service.save_key_person(customer_id, {"name": "王院长", "role": "decision_maker", "phone": "139"})
    assert person is not None
    rep.sync()
    boss.sync()
    assert boss.store.get(RecordKind.KEY_PERSON, str(person["id"])) is not None
    form = sync_client.get("/login")
    signed_in = {"username": "boss", "password": PASSWORD, "next": "/board", "_csrf_token": csrf_token(form.text)}
    assert sync_client.post("/login", data=signed_in, follow_redirects=False).status_code in (302, 303)
    page = sync_client.get(f"/customers/{customer_id}")
    assert by_testid(page.text, "key-person-count") == "1" and "王院长" in page.text

    rep.service.delete_key_person(str(person["id"]))
    rep.sync()
    boss.sync()
    assert boss.store.get(RecordKind.KEY_PERSON, str(person["id"])) is None  # the tombstone reached it
    with read_session(engine) as session:
        stored = session.get(KeyPerson, str(person["id"]))
        assert stored is not None and stored.deleted and stored.phone is None
    page = sync_client.get(f"/customers/{customer_id}")
    assert by_testid(page.text, "key-person-count") == "0" and "王院长" not in page.text


def test_a_refused_opportunity_gives_way_to_the_servers_open_one(
    phones: dict[str, Phone], seeded: World, engine: Engine
) -> None:
    rep = phones["rep"]
    customer_id = seeded.customers_a[2]
    rep.sync()
    # Meanwhile the customer's development was opened elsewhere under another id (an app from before
    # deterministic ids); this phone, offline, opens it too and records a step.
    theirs = new_id()
    with write_session(engine) as session:
        put_opportunity(
            session,
            seeded.rep_a,
            theirs,
            {"customer_id": customer_id, "opened_at": dt.datetime.now(TZ).isoformat(timespec="seconds")},
        )
    mine = start_development(rep.service, customer_id)
    record_stage_event(rep.service, customer_id, StageAction.MOVE, PipelineStage.INFORMATION)
    rep.sync()

    drafts = rep.store.rejected_ops()
    assert [draft["op"]["kind"] for draft in drafts] == ["opportunity", "stage_event"]  # kept, never dropped
    assert drafts[0]["code"] == "conflict"
    known = customer_pipeline(rep.service, customer_id)
    assert known.refused and known.opportunity is not None and known.opportunity["id"] == theirs != mine["id"]
    assert known.state.stage is PipelineStage.IDENTIFY  # the refused step does not count

    # The rep carries on with the server's development.
    record_stage_event(rep.service, customer_id, StageAction.MOVE, PipelineStage.ASSESSMENT)
    rep.sync()
    assert rep.store.pending_count() == 0
    with read_session(engine) as session:
        stored = session.get(Opportunity, theirs)
        assert stored is not None and stored.stage == "assessment"
        assert session.get(Opportunity, str(mine["id"])) is None
    assert customer_pipeline(rep.service, customer_id).state.stage is PipelineStage.ASSESSMENT
