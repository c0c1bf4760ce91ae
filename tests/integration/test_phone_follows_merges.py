"""A supervisor merges customer B into A (合并, docs/duplicates.md) while a phone holds a visit and a note for B
not yet sent: the phone's app (LocalStore, AppService, the runner's HttpSyncSession) against the server in-process.

The pull that brings the merge (a tombstone naming the survivor) re-points the phone's records and its waiting ops
to A; the next push stores each once on A, also when its answer is lost and it is pushed again; the phone shows
them on A's card and B nowhere. Another phone that pushes its ops for B without having pulled the merge (what an
app from before this change always does) gets them placed on A by the server, once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import jsonschema_rs
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from client.sync_runner import HttpSyncSession
from server.db import read_session, write_session
from server.domains.duplicates.merge import merge_customers
from server.domains.notes.models import Note
from server.models import Visit
from shared.enums import RecordKind
from sync.protocol import (
    COLUMNS_ENCODING,
    MERGED_INTO,
    PULL_RESPONSE_SCHEMA,
    SCHEMA_VERSION,
    parse_pull_response,
)
from tests.integration.conftest import World
from tests.integration.helpers import InProcessTransport
from tests.integration.test_phone_chain import Phone, chain_rows, open_phone


class RepAtWork(InProcessTransport):
    """The server in-process; `before_pull` runs once, just before the next pull request reaches it (the rep saving
    while the sync is under way, after its push); `lose_push_answer` drops the answer of the next push after the
    server has stored it."""

    def __init__(self, client: TestClient[Litestar]) -> None:
        super().__init__(client)
        self.before_pull: Callable[[], None] | None = None
        self.lose_push_answer = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/sync/pull" and self.before_pull is not None:
            action, self.before_pull = self.before_pull, None
            action()
        response = super().handle_request(request)
        if request.url.path == "/api/sync/push" and self.lose_push_answer and b'"ops":[]' not in request.content:
            self.lose_push_answer = False
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def sync(phone: Phone, transport: RepAtWork) -> None:
    HttpSyncSession(phone.store, str(phone.server.base_url), phone.service.token, transport).run()


@pytest.fixture
def phones(sync_client: TestClient[Litestar], tmp_path: Path) -> Iterator[tuple[Phone, Phone]]:
    first, second = open_phone(sync_client, tmp_path / "phone"), open_phone(sync_client, tmp_path / "older")
    yield first, second
    first.store.close()
    second.store.close()


def held_on_server(engine: Engine, visit_ids: list[str], note_ids: list[str]) -> tuple[list[str], list[str]]:
    with read_session(engine) as session:
        visits = session.exec(select(Visit).where(col(Visit.id).in_(visit_ids))).all()
        notes = session.exec(select(Note).where(col(Note.id).in_(note_ids))).all()
        return [visit.customer_id for visit in visits], [note.customer_id for note in notes]


def test_a_phone_re_points_its_waiting_visit_and_note_and_the_server_holds_each_once_on_the_survivor(
    phones: tuple[Phone, Phone], sync_client: TestClient[Litestar], engine: Engine, seeded: World
) -> None:
    phone, older = phones
    kept, merged_away = seeded.customers_a[0], seeded.customers_a[1]
    assert phone.store.get_meta("cursor") and phone.store.pending_count() == 0
    older_visit = older.visit(merged_away)  # offline on the other phone, before anyone knows of the merge
    older_note = older.service.add_note(merged_away, "另一部手机写的", older_visit)["id"]

    with write_session(engine) as session:
        merge_customers(session, seeded.supervisor, kept, merged_away)

    transport = RepAtWork(sync_client)
    saved: dict[str, str] = {}

    def rep_saves() -> None:  # after the push, before the pull: these ops wait while the merge is pulled
        saved["visit"] = phone.visit(merged_away)
        saved["note"] = phone.service.add_note(merged_away, "院长周三坐诊", saved["visit"])["id"]

    transport.before_pull = rep_saves
    sync(phone, transport)  # pushes nothing, then pulls the merge with the visit and note waiting

    store = phone.store
    assert store.get(RecordKind.CUSTOMER, merged_away) is None
    assert merged_away not in {customer["id"] for customer in phone.service.search_customers()}
    ops = phone.ops()
    assert {op.fields["customer_id"] for op in ops if "customer_id" in op.fields} == {kept}  # re-pointed
    assert merged_away not in str([op.as_dict() for op in ops])
    card = phone.service.customer_card(kept)
    assert card is not None
    assert saved["visit"] in {visit["id"] for visit in card.visits}
    assert saved["note"] in {note["id"] for note in card.notes}
    assert phone.service.customer_card(merged_away) is None

    transport.lose_push_answer = True  # stored by the server, the answer lost: pushed again next time
    with pytest.raises(Exception):  # noqa: B017 - the sync reports the network error, the ops stay
        sync(phone, transport)
    assert store.pending_count() == len(ops)
    sync(phone, transport)
    assert store.pending_count() == 0 and not store.rejected_ops()

    sync(older, transport)  # the older phone's ops still name B: the server places them on A
    assert not older.store.rejected_ops()
    visits, notes = held_on_server(engine, [saved["visit"], older_visit], [saved["note"], older_note])
    assert visits == [kept, kept] and notes == [kept, kept]  # each once (ids are primary keys), on A
    rows = [row for row in chain_rows(engine, store.device_id) if row.op_id in {op.op_id for op in ops}]
    expected = [("start", "applied")] + [("intact", "applied")] * (len(ops) - 1)  # its first ops: no fork, no gap
    assert [(row.link, row.outcome) for row in rows] == expected
    assert merged_away not in str([row.op for row in rows])  # kept as the phone signed it again, on A

    sync(phone, transport)
    for each in (phone, older):  # both phones converge: B gone, the four records on A
        card = each.service.customer_card(kept)
        assert card is not None
        assert {saved["visit"], older_visit} <= {visit["id"] for visit in card.visits}
        assert {saved["note"], older_note} <= {note["id"] for note in card.notes}
        assert each.store.get(RecordKind.CUSTOMER, merged_away) is None
        assert each.store.survivor(merged_away) == kept


def test_the_merge_reaches_a_plain_pull_as_a_tombstone_naming_the_survivor(
    phones: tuple[Phone, Phone], sync_client: TestClient[Litestar], engine: Engine, seeded: World
) -> None:
    phone, _ = phones
    kept, merged_away = seeded.customers_a[0], seeded.customers_a[1]
    cursor = phone.store.pull_cursor()
    with write_session(engine) as session:
        merge_customers(session, seeded.supervisor, kept, merged_away)
    validator = jsonschema_rs.validator_for(PULL_RESPONSE_SCHEMA)
    body = {"cursor": cursor, "schema_version": SCHEMA_VERSION}
    answer = sync_client.post("/api/sync/pull", json=body, headers=phone.headers).json()
    assert [error.message for error in validator.iter_errors(answer)] == []
    (tombstone,) = [change for change in answer["changes"] if change["record_id"] == merged_away]
    assert tombstone["deleted"] is True and tombstone["data"] == {MERGED_INTO: kept}
    columns = {**body, "encoding": COLUMNS_ENCODING}
    packed = sync_client.post("/api/sync/pull", json=columns, headers=phone.headers).json()
    assert [error.message for error in validator.iter_errors(packed)] == []
    (change,) = [change for change in parse_pull_response(packed).changes if change.record_id == merged_away]
    assert change.deleted and change.merged_into == kept


def test_a_merge_into_another_territory_leaves_nothing_on_the_phone_under_a_customer_it_does_not_list(
    phones: tuple[Phone, Phone], sync_client: TestClient[Litestar], engine: Engine, seeded: World
) -> None:
    """B (东片, the phone's territory) merged into A (西片): the server moves B's visit to 西片, so the phone drops
    the copy it had pulled; a note for B still waiting is sent, and the server decides on it (stored on A, or
    refused and kept as a draft on the phone): never lost, never left under a customer the phone cannot show."""
    phone, _ = phones
    merged_away, elsewhere = seeded.customers_a[1], seeded.customers_b[0]
    transport = RepAtWork(sync_client)
    synced_visit = phone.visit(merged_away)
    sync(phone, transport)
    assert phone.store.pending_count() == 0 and phone.store.get(RecordKind.VISIT, synced_visit) is not None

    with write_session(engine) as session:
        merge_customers(session, seeded.supervisor, elsewhere, merged_away)
    waiting_note = phone.service.add_note(merged_away, "合并前写的", None)["id"]
    sync(phone, transport)  # pushes the note, then pulls the merge
    sync(phone, transport)

    store = phone.store
    assert store.get(RecordKind.VISIT, synced_visit) is None  # moved to 西片 on the server, off this phone
    assert store.get(RecordKind.CUSTOMER, merged_away) is None and store.survivor(merged_away) == elsewhere
    visits, notes = held_on_server(engine, [synced_visit], [waiting_note])
    assert visits == [elsewhere]
    # The note reached the server before the merge did the phone: placed on A, out of this rep's territory, it is
    # refused, and the phone keeps it as a draft the rep can see (and the supervisor in the refused queue).
    assert notes == []
    (draft,) = store.rejected_ops()
    assert draft["op"]["record_id"] == waiting_note and draft["op"]["fields"]["text"] == "合并前写的"
    assert store.pending_count() == 0
    assert [record for record in store.all(RecordKind.VISIT) if record.get("customer_id") == merged_away] == []
