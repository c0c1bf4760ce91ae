"""A rep moved to another territory (admin page, server/domains/territories): the phone, with its real local
store and sync engine, ends up holding the new territory's customers and none of the old one's; an edit it
had waiting about an old-territory customer is refused and kept as a draft, never lost."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar import testing as litestar_testing
from sqlalchemy.engine import Engine

from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from server.db import write_session
from server.domains.territories.service import assign_territory
from shared.enums import RecordKind
from shared.ids import new_id
from sync.engine import SyncEngine
from tests.integration.conftest import TERRITORY_B, World
from tests.integration.test_server_sync_engine import http_api


def test_the_phone_of_a_moved_rep_holds_only_the_new_territory(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World, engine: Engine, tmp_path: Path
) -> None:
    api = http_api(sync_client, "rep.a")
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    try:
        SyncEngine(store, api.push, api.pull).run()
        assert {c["id"] for c in store.all(RecordKind.CUSTOMER)} == set(seeded.customers_a)
        old_customer = seeded.customers_a[0]
        store.save(
            RecordKind.NOTE,
            new_id(),
            {"customer_id": old_customer, "text": "调走前写的", "created_at": "2026-11-27T09:00:00+08:00"},
        )

        with write_session(engine) as session:
            assign_territory(session, seeded.rep_a.id, TERRITORY_B)
        report = SyncEngine(store, api.push, api.pull).run()

        assert report.rejected == 1 and len(store.rejected_ops()) == 1  # the waiting note: a draft, not lost
        assert {c["id"] for c in store.all(RecordKind.CUSTOMER)} == set(seeded.customers_b)
        assert SyncEngine(store, api.push, api.pull).run().pulled == 0  # and then syncs go on as before
    finally:
        store.close()
        api.close()
