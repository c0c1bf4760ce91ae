"""server.db.insert_rows stores exactly what SQLAlchemy Core's INSERT stores (it only skips Core's per-row work)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Engine

from server.changes.models import ChangeLog
from server.db import insert_rows, migrate_database, write_session
from server.domains.visits.service import VISIT_DEFAULTS
from server.models import Visit
from shared.ids import new_id

VISITS = cast(Table, Visit.__table__)  # type: ignore[attr-defined]
CHANGE_LOG = cast(Table, ChangeLog.__table__)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def migrated(engine: Engine) -> None:
    migrate_database(engine)


def visit_row(**values: Any) -> dict[str, Any]:
    return {
        **VISIT_DEFAULTS,
        "id": new_id(),
        "customer_id": new_id(),
        "visit_type": "day",
        "check_in_at": "2026-11-27T09:00:00+08:00",
        "rep_id": new_id(),
        "territory": "北关",
        "visit_day": dt.date(2026, 11, 27),
        "updated_at": "2026-11-27T01:00:00+00:00",
        **values,
    }


def stored(engine: Engine, table: Table, key: str, value: Any) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(select(table).where(table.c[key] == value)).mappings().one()
    return dict(row)


def test_a_row_reads_back_as_a_core_insert_of_it_does(engine: Engine) -> None:
    fast = visit_row(
        planned=True,
        ordered=False,
        check_in_lat=38.5,
        next_visit_date=dt.date(2026, 12, 3),
        flags=["far", "mocked"],
        flagged=True,
        notes='北关村卫生室 "quoted" \\\\ text',
    )
    core = {**fast, "id": new_id()}
    bare = visit_row()  # every optional column at its default: None, False, JSON null
    with write_session(engine) as session:
        insert_rows(session, VISITS, [fast, bare])
        session.execute(insert(VISITS), [core])
    fast_back, core_back = stored(engine, VISITS, "id", fast["id"]), stored(engine, VISITS, "id", core["id"])
    assert {**fast_back, "id": None} == {**core_back, "id": None}
    assert fast_back["flags"] == ["far", "mocked"] and fast_back["next_visit_date"] == dt.date(2026, 12, 3)
    bare_back = stored(engine, VISITS, "id", bare["id"])
    assert bare_back["flags"] is None and bare_back["planned"] is False


def test_json_null_and_tombstones_in_the_change_log(engine: Engine) -> None:
    rows = [
        {
            "kind": "visit",
            "record_id": record_id,
            "audience": "北关",
            "territory": "北关",
            "deleted": data is None,
            "data": data,
            "changed_at": "2026-11-27T01:00:00+00:00",
        }
        for record_id, data in ((new_id(), {"day": dt.date(2026, 11, 27), "n": 1.5, "text": "诊所"}), (new_id(), None))
    ]
    with write_session(engine) as session:
        insert_rows(session, CHANGE_LOG, rows)
    kept = stored(engine, CHANGE_LOG, "record_id", rows[0]["record_id"])
    tombstone = stored(engine, CHANGE_LOG, "record_id", rows[1]["record_id"])
    assert kept["data"] == {"day": "2026-11-27", "n": 1.5, "text": "诊所"} and kept["deleted"] is False
    assert kept["seq"] < tombstone["seq"]  # numbered by the database, in the rows' order
    assert tombstone["data"] is None and tombstone["deleted"] is True
    with engine.connect() as connection:  # SQL NULL, not the JSON text "null"
        assert connection.execute(select(CHANGE_LOG.c.seq).where(CHANGE_LOG.c.data.is_(None))).all() != []


def test_a_key_that_is_not_a_column_is_refused(engine: Engine) -> None:
    with write_session(engine) as session, pytest.raises(ValueError, match="cannot insert"):
        insert_rows(session, VISITS, [visit_row(no_such_column=1)])


def test_rows_leaving_out_a_defaulted_column_get_its_default(engine: Engine) -> None:
    row = {key: value for key, value in visit_row().items() if key != "flagged"}  # flagged has a default
    with write_session(engine) as session:
        insert_rows(session, VISITS, [row])
    assert stored(engine, VISITS, "id", row["id"])["flagged"] is False
