"""Issue #17: the phone's clock at the time of each op. Every op a push brings keeps the RouteCRM-Clock-Offset that
push carried (op_chain.clock_offset_s, beside its received_at), so a visit's tag on the supervisor's pages says the
phone's clock when it uploaded that visit, not the phone's latest report: a later clock change of the phone does not
rewrite it, and an app that says nothing leaves it null (未报告). The offset is the phone's own, unsigned word: it
never excuses a flag (docs/security.md). The phone is the app's own stack against the real server in-process."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from pathlib import Path

import pytest
import time_machine
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from client import clock as phone_clock
from client.sync_runner import HttpSyncSession
from server.db import read_session
from server.domains.chain.export import export_chain
from server.domains.chain.models import ChainOp
from server.domains.visits.models import Visit
from server.settings import Settings
from shared.clock import Clock
from shared.enums import VisitFlag
from sync.protocol import CLOCK_OFFSET_HEADER, SCHEMA_VERSION
from tests.integration.conftest import World
from tests.integration.test_device_clock_offset import (  # noqa: F401 (the company's morning, the phone's own clock)
    MORNING,
    SLOW,
    Phone,
    kept,
    morning,
    own_clock,
)
from tests.integration.test_phone_chain import supervisor_sees


def upload_offsets(engine: Engine, record_id: str) -> list[int | None]:
    """The clock each op of the record was uploaded with, in op order."""
    with read_session(engine) as session:
        rows = session.exec(select(ChainOp).where(ChainOp.record_id == record_id).order_by(col(ChainOp.seq))).all()
        return [row.clock_offset_s for row in rows]


def stored_visit(engine: Engine, visit_id: str) -> Visit:
    with read_session(engine) as session:
        visit = session.get(Visit, visit_id)
        assert visit is not None
        return visit


def visit_clock(page: str, visit_id: str) -> tuple[str, str] | None:
    """The clock at upload beside a visit's signature, as (state, words); None when nothing is said (a right clock)."""
    found = re.search(rf'data-testid="visit-clock-{visit_id}" data-clock="([a-z]+)">([^<]*)<', page)
    return (found.group(1), html.unescape(found.group(2))) if found else None


def flagged_export(server: TestClient[Litestar], lang: str) -> list[dict[str, str]]:
    supervisor_sees(server, "/board")  # signed in
    answer = server.get(f"/visits/flagged?format=csv&lang={lang}")
    assert answer.status_code == 200, answer.text[:300]
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_a_visit_pushed_by_a_phone_3_hours_slow_keeps_the_clock_it_was_uploaded_with(
    sync_client: TestClient[Litestar], engine: Engine, settings: Settings, seeded: World, tmp_path: Path
) -> None:
    phone_clock.install(Clock(offset=SLOW))
    phone = Phone(sync_client, tmp_path / "phone")
    phone.sync()  # its pull measures the clock; from now on the phone stamps the server's time and says so
    slow_visit = phone.service.check_in(seeded.customers_a[0], None, None)  # no position: flagged, so exported
    phone.sync()
    [offset] = upload_offsets(engine, slow_visit["id"])
    assert offset == pytest.approx(11_520, abs=2)

    # The phone stamped the server's time: a phone 3 h slow that records a visit now did not enter it 3 h late.
    visit = stored_visit(engine, slow_visit["id"])
    check_in = dt.datetime.fromisoformat(visit.check_in_at)
    assert abs(check_in - MORNING) < dt.timedelta(seconds=30)
    assert VisitFlag.ENTERED_LATE.value not in (visit.flags or [])

    customer_page = f"/customers/{seeded.customers_a[0]}"
    said = visit_clock(supervisor_sees(sync_client, f"{customer_page}?lang=zh-CN"), slow_visit["id"])
    assert said == ("behind", "上传时手机时钟慢 3 小时 12 分")
    said = visit_clock(supervisor_sees(sync_client, f"{customer_page}?lang=en"), slow_visit["id"])
    assert said == ("behind", "phone's clock 3 h 12 min behind at upload")
    day_page = supervisor_sees(sync_client, f"/reps/rep.a/day?day={seeded.today.isoformat()}&lang=zh-CN")
    assert visit_clock(day_page, slow_visit["id"]) == ("behind", "上传时手机时钟慢 3 小时 12 分")

    # Half an hour later the rep has set the phone's clock right: its latest report says so, the old visit still
    # says how it came. (Not within the same second as the first check-in: two open visits would overlap.)
    with time_machine.travel(MORNING + dt.timedelta(minutes=30), tick=True):
        phone_clock.install(Clock())
        phone.sync()
        phone.sync()
        assert kept(engine, phone.device_id)[0] == 0
        right_visit = phone.service.check_in(seeded.customers_a[1], None, None)
        phone.sync()
        assert upload_offsets(engine, right_visit["id"]) == [0]
        assert upload_offsets(engine, slow_visit["id"]) == [offset]
        page = supervisor_sees(sync_client, f"/reps/rep.a/day?day={seeded.today.isoformat()}&lang=zh-CN")
        assert visit_clock(page, slow_visit["id"]) == ("behind", "上传时手机时钟慢 3 小时 12 分")
        assert visit_clock(page, right_visit["id"]) is None  # a right clock: nothing to say

        # The flagged visits' export says it too, in words and in seconds.
        rows = {row["提示代码"]: row for row in flagged_export(sync_client, "zh-CN")}
        assert set(rows) == {"no_location"}
        exported = {
            (row["上传时手机时钟"], row["上传时手机时钟差（秒，服务器减手机）"])
            for row in flagged_export(sync_client, "zh-CN")
        }
        assert exported == {("时钟慢 3 小时 12 分", str(offset)), ("时钟准确", "0")}
        english = {row["Phone's clock at upload"] for row in flagged_export(sync_client, "en")}
        assert english == {"clock 3 h 12 min behind", "clock right"}

        # An auditor's export of the phones' chains carries each op's clock beside its receipt time.
        out = io.StringIO()
        export_chain(engine, seeded.today, seeded.today, settings.tz, out)
        ops = [json.loads(line) for line in out.getvalue().splitlines()[1:]]
        clocks = {item["op"]["record_id"]: item["clock_offset_s"] for item in ops if item["op"]["kind"] == "visit"}
        assert clocks == {slow_visit["id"]: offset, right_visit["id"]: 0}
        phone.close()


def test_an_app_that_says_nothing_leaves_the_clock_at_upload_null_shown_as_not_reported(
    sync_client: TestClient[Litestar], engine: Engine, seeded: World, tmp_path: Path
) -> None:
    phone_clock.install(Clock(offset=SLOW))
    phone = Phone(sync_client, tmp_path / "phone")
    visit = phone.service.check_in(seeded.customers_a[0], None, None)
    for _ in range(2):  # the sync of an app from before: no clock offset on its requests
        HttpSyncSession(phone.store, str(sync_client.base_url), phone.service.token, phone.transport).run()
    assert phone.store.pending_count() == 0
    assert upload_offsets(engine, visit["id"]) == [None]
    customer_page = f"/customers/{seeded.customers_a[0]}"
    assert visit_clock(supervisor_sees(sync_client, customer_page), visit["id"]) == ("unknown", "上传时手机时钟未报告")
    english = supervisor_sees(sync_client, f"{customer_page}?lang=en")
    assert visit_clock(english, visit["id"]) == ("unknown", "phone's clock at upload not reported")
    [row] = flagged_export(sync_client, "zh-CN")
    assert (row["上传时手机时钟"], row["上传时手机时钟差（秒，服务器减手机）"]) == ("未报告", "")
    phone.close()


def test_a_clock_offset_never_excuses_a_visit_entered_long_after_it_happened(
    sync_client: TestClient[Litestar], engine: Engine, seeded: World, tmp_path: Path
) -> None:
    """A phone's clock set back three days to record a visit "on Friday", pushed with a header claiming its clock is
    three days slow: were the server to move the phone's times by the offset, the visit would look entered at once.
    The offset is the phone's unsigned word (a rooted phone sends what it likes), so the receipt stands."""
    phone = Phone(sync_client, tmp_path / "phone")
    phone_clock.install(Clock(offset=dt.timedelta(days=-3)))
    visit = phone.service.check_in(seeded.customers_a[0], None, None)
    three_days = str(3 * 86_400)
    headers = {"Authorization": f"Bearer {phone.service.token}", CLOCK_OFFSET_HEADER: three_days}
    body = {
        "device_id": phone.device_id,
        "schema_version": SCHEMA_VERSION,
        "ops": [op.as_dict() for op in phone.store.pending_ops(10)],
    }
    pushed = sync_client.post("/api/sync/push", json=body, headers=headers)
    assert pushed.status_code == 200, pushed.text
    assert upload_offsets(engine, visit["id"]) == [3 * 86_400]
    stored = stored_visit(engine, visit["id"])
    assert VisitFlag.ENTERED_LATE.value in (stored.flags or [])
    assert (stored.flag_figures or {})[VisitFlag.ENTERED_LATE.value]["hours"] == pytest.approx(72, abs=0.1)
    page = supervisor_sees(sync_client, f"/customers/{seeded.customers_a[0]}")
    assert visit_clock(page, visit["id"]) == ("behind", "上传时手机时钟慢 3 天 0 小时")
    phone.close()


def test_a_clock_set_back_before_a_sync_is_not_stored_and_the_visit_says_so(
    sync_client: TestClient[Litestar], engine: Engine, seeded: World, tmp_path: Path
) -> None:
    """The rep sets the phone's clock back five hours to record a visit "this morning"; the app syncs (every 30 s
    online) before the visit is made: its pull measures the new difference, the visit is stamped with the server's
    time, and its tag says how far the clock was set back when it was uploaded."""
    phone = Phone(sync_client, tmp_path / "phone")
    phone.sync()  # its pull measured the clock right
    phone_clock.install(Clock(offset=dt.timedelta(hours=-5)))  # the same app, its clock moved back
    phone_clock.correct_by(dt.timedelta(0))  # still the correction its last pull measured
    phone.sync()
    visit = phone.service.check_in(seeded.customers_a[0], None, None)
    phone.sync()
    [offset] = upload_offsets(engine, visit["id"])
    assert offset == pytest.approx(5 * 3600, abs=2)
    check_in = dt.datetime.fromisoformat(stored_visit(engine, visit["id"]).check_in_at)
    assert abs(check_in - MORNING) < dt.timedelta(seconds=30)  # the faked time was not stored
    page = supervisor_sees(sync_client, f"/customers/{seeded.customers_a[0]}?lang=zh-CN")
    assert visit_clock(page, visit["id"]) == ("behind", "上传时手机时钟慢 5 小时 0 分")
    phone.close()


def test_a_clock_set_back_offline_to_record_a_visit_earlier_is_flagged_and_the_flag_stays(
    sync_client: TestClient[Litestar], engine: Engine, seeded: World, tmp_path: Path
) -> None:
    """The phone's clock is right and measured; the rep, offline, sets it back two hours and records a visit "at
    07:30". Its push still says the correction of the last pull (0), but the visit is stamped two hours before the
    phone's previous op: flagged 手机时钟被调回, and its check-out, stamped right after a pull, does not clear it."""
    phone = Phone(sync_client, tmp_path / "phone")
    phone.sync()  # measured right
    honest = phone.service.check_in(seeded.customers_a[0], None, None)
    phone.sync()
    phone_clock.install(Clock(offset=dt.timedelta(hours=-2)))  # the same app, its clock moved back
    phone_clock.correct_by(dt.timedelta(0))  # still the correction its last pull measured
    faked = phone.service.check_in(seeded.customers_a[1], None, None)
    phone.sync()  # pushes (saying 0), then its pull measures the new difference
    assert upload_offsets(engine, faked["id"]) == [0]
    stored = stored_visit(engine, faked["id"])
    assert abs(dt.datetime.fromisoformat(stored.check_in_at) - (MORNING - dt.timedelta(hours=2))) < dt.timedelta(
        seconds=30
    )  # the faked time
    assert VisitFlag.CLOCK_SET_BACK.value in (stored.flags or [])
    figures = (stored.flag_figures or {})[VisitFlag.CLOCK_SET_BACK.value]
    assert figures["minutes"] == pytest.approx(120, abs=1) and figures["previous_at"] == "12-07 09:30"
    assert VisitFlag.CLOCK_SET_BACK.value not in (stored_visit(engine, honest["id"]).flags or [])
    page = supervisor_sees(sync_client, "/visits/flagged?lang=zh-CN")
    assert "手机时钟被调回" in page and "09:30" in page

    phone.service.check_out(faked["id"], {})  # stamped right now: the pull measured the clock
    phone.sync()
    assert VisitFlag.CLOCK_SET_BACK.value in (stored_visit(engine, faked["id"]).flags or [])
    phone.close()


def test_a_fast_phone_measured_at_its_first_sync_is_not_flagged(
    sync_client: TestClient[Litestar], engine: Engine, seeded: World, tmp_path: Path
) -> None:
    """A new install on a phone 3 h fast: its first visit is stamped 3 h ahead (nothing measured yet, nothing said),
    the next after its pull measured the clock: the stamps go back 3 h, the phone's own clock did not."""
    phone_clock.install(Clock(offset=dt.timedelta(hours=3)))
    phone = Phone(sync_client, tmp_path / "phone")
    first = phone.service.check_in(seeded.customers_a[0], None, None)
    phone.sync()
    second = phone.service.check_in(seeded.customers_a[1], None, None)
    phone.sync()
    assert upload_offsets(engine, first["id"]) == [None]
    assert upload_offsets(engine, second["id"]) == [pytest.approx(-3 * 3600, abs=2)]
    for visit in (first, second):
        assert VisitFlag.CLOCK_SET_BACK.value not in (stored_visit(engine, visit["id"]).flags or [])
    phone.close()
