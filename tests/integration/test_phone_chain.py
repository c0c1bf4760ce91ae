"""Issue #17 through the real app: a phone's signed ops are accepted and joined into its chain, tampered ones are
refused (403 `bad_signature`, stored nowhere) or, where they may be genuine, accepted and flagged; the supervisor
sees it on the visit; an export of the period verifies offline, and what is changed on the server shows.

The phone is the app's own stack (LocalStore, AppService's sign-in, the runner's HttpSyncSession) against the
server in-process. Each tampering on its own: tests/unit/test_chain.py.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import select

from client.features.attendance.service import punch
from client.features.pool.service import release
from client.services import AppService
from client.storage.store import CHAIN_HEAD, META, META_ID, OUTBOX, SIGNED_FROM_SEQ, SIGNING_KEY, LocalStore
from client.storage.vault import StoreCipher
from client.sync_runner import HttpSyncSession
from server.__main__ import main as server_cli
from server.actor import Actor
from server.changes.models import RejectedOp
from server.db import read_session, write_session
from server.domains.audit.models import AuditEvent
from server.domains.chain.export import export_chain
from server.domains.chain.models import ChainOp
from server.domains.chain.service import stored_op
from server.domains.chain.verify import FORMAT, VERSION, verify_lines
from server.domains.devices.models import Device
from server.domains.duplicates.merge import merge_customers
from server.domains.photos.models import VisitPhotoContent
from server.domains.sync.models import AppliedOp
from server.domains.sync.quarantine import accept_quarantined, list_quarantine
from server.domains.users.service import create_user
from server.models import Visit
from server.settings import Settings
from server.sync_kinds import SYNC_KINDS
from shared.enums import AttendanceAction, RecordKind, Role
from shared.ids import new_id
from sync.chain import GENESIS, PhoneKey, op_hash, signature_valid
from sync.errors import DeviceRevoked
from sync.protocol import Op, parse_op
from tests.integration.conftest import PASSWORD, World, make_op, push_body
from tests.integration.helpers import InProcessTransport
from tests.integration.test_server_web import csrf_token

PHOTO_BYTES = b"\xff\xd8\xff\xe0 a visit photo \xff\xd9"


@dataclass
class Phone:
    """A rep's phone: its store, its app service (signed in) and its sync session against the server."""

    store: LocalStore
    service: AppService
    server: TestClient[Litestar]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.service.token}"}

    def sync(self) -> None:
        transport = InProcessTransport(self.server)
        HttpSyncSession(self.store, str(self.server.base_url), self.service.token, transport).run()

    def visit(self, customer_id: str) -> str:
        visit = self.service.check_in(customer_id)
        self.service.check_out(visit["id"], {"person_met": "王院长", "progress": "送样品"})
        return str(visit["id"])

    def ops(self) -> list[Op]:
        return self.store.pending_ops(1000)

    def rewrite_outbox(self, op: Op) -> None:
        """As a rooted phone's tool would: an op of the outbox replaced after the app signed it."""
        self.store.storage.commit([("put", OUTBOX, str(op.seq), op.as_dict())])


def open_phone(server: TestClient[Litestar], folder: Path, username: str = "rep.a") -> Phone:
    store = LocalStore(folder, StoreCipher(bytes(32)))
    service = AppService(store, transport=InProcessTransport(server))
    service.sign_in(str(server.base_url), username, PASSWORD)
    phone = Phone(store, service, server)
    phone.sync()  # the territory's customers
    return phone


@pytest.fixture
def phone(sync_client: TestClient[Litestar], tmp_path: Path) -> Iterator[Phone]:
    opened = open_phone(sync_client, tmp_path / "phone")
    yield opened
    opened.store.close()


def chain_rows(engine: Engine, device_id: str) -> list[ChainOp]:
    with read_session(engine) as session:
        return list(session.exec(select(ChainOp).where(ChainOp.device_id == device_id).order_by(ChainOp.seq)).all())


def counts(engine: Engine) -> dict[str, int]:
    with read_session(engine) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (AppliedOp, RejectedOp, ChainOp, Visit)
        }


def supervisor_sees(server: TestClient[Litestar], url: str) -> str:
    if "token" not in server.cookies:
        form = server.get("/login")
        server.post(
            "/login",
            data={"username": "boss", "password": PASSWORD, "next": "/board", "_csrf_token": csrf_token(form.text)},
        )
    page = server.get(url)
    assert page.status_code == 200, page.text[:300]
    return page.text


def chain_tag(page: str, visit_id: str) -> tuple[str, str]:
    """The visit's signature on a page: its state and its text."""
    found = re.search(rf'data-testid="visit-chain-{visit_id}" data-chain="([a-z]+)">([^<]*)<', page)
    assert found, f"no signature shown for visit {visit_id}"
    return found.group(1), html.unescape(found.group(2))


def device_chain(page: str, device_id: str) -> str:
    """The phone's chain head as /devices shows it (text only)."""
    found = re.search(rf'data-testid="device-chain-{device_id}">(.*?)</td>', page, re.S)
    assert found, f"no chain shown for phone {device_id}"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def test_a_phone_registers_its_key_at_sign_in_and_its_signed_day_joins_its_chain(
    phone: Phone, sync_client: TestClient[Litestar], engine: Engine, seeded: World
) -> None:
    device_id = phone.store.device_id
    with read_session(engine) as session:
        device = session.get(Device, device_id)
        assert device is not None and device.public_key == phone.store.signing_key().public_key
        assert device.signed_from_seq == 1
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "signing_key_registered")).one()
    assert event.details == {"device_id": device_id, "public_key": device.public_key, "from_seq": 1, "via": "sign_in"}
    visit = phone.visit(seeded.customers_a[0])
    phone.service.add_note(seeded.customers_a[0], "王院长要样品", visit)
    ops = phone.ops()
    phone.sync()
    rows = chain_rows(engine, device_id)
    assert [(row.seq, row.link, row.outcome) for row in rows] == [
        (1, "start", "applied"),
        (2, "intact", "applied"),
        (3, "intact", "applied"),
    ]
    assert [row.hash for row in rows] == [op_hash(op) for op in ops]
    assert [row.signature for row in rows] == [op.signature for op in ops]
    # The supervisor sees it on the customer's page and on the rep's day.
    for url in (f"/customers/{seeded.customers_a[0]}", f"/reps/rep.a/day?day={seeded.today.isoformat()}"):
        state, shown = chain_tag(supervisor_sees(sync_client, url), visit)
        assert state == "intact" and shown == f"签名：手机 {device_id[:8]}，链完整"
    english = supervisor_sees(sync_client, f"/customers/{seeded.customers_a[0]}?lang=en")
    assert chain_tag(english, visit)[1] == f"Signed by phone {device_id[:8]}, chain intact"
    # The phones page (still in English) shows the head of the chain the server holds: the phone's own head,
    # once all is synced.
    head = phone.store.get_meta(CHAIN_HEAD)
    assert head == op_hash(ops[-1])
    assert device_chain(supervisor_sees(sync_client, "/devices"), device_id) == f"op no. 3 · {head[:12]}"


def test_ops_that_cannot_come_from_the_phone_are_refused_and_kept_nowhere(
    phone: Phone, tmp_path: Path, sync_client: TestClient[Litestar], engine: Engine, seeded: World
) -> None:
    phone.visit(seeded.customers_a[0])
    first, second = phone.ops()
    stranger = LocalStore(tmp_path / "stranger", StoreCipher(bytes(32)))
    stranger_key = PhoneKey.from_hex(str(stranger.get_meta(SIGNING_KEY)))
    stranger.save(
        RecordKind.NOTE,
        new_id(),
        {"customer_id": seeded.customers_a[0], "text": "别的手机", "created_at": "2026-12-07T09:00:00+08:00"},
    )
    theirs = stranger.pending_ops(10)[0]
    tampered: dict[str, Op] = {
        "signature_mismatch": replace(first, fields={**first.fields, "check_in_at": "2026-12-01T09:00:00+08:00"}),
        "unsigned": replace(first, prev_hash=None, signature=None),
        "another_phones_key": stranger_key.sign(first),
        "replayed_from_another_phone": replace(theirs, device_id=first.device_id, seq=1, prev_hash=first.prev_hash),
    }
    before = counts(engine)
    for name, op in tampered.items():
        body = push_body([op.as_dict(), second.as_dict()], device_id=phone.store.device_id)
        answer = sync_client.post("/api/sync/push", json=body, headers=phone.headers)
        assert answer.status_code == 403, (name, answer.text)
        error = answer.json()["error"]
        assert (error["code"], error["path"]) == ("bad_signature", "ops[0].signature"), name
        assert error["details"]["reason"] == ("unsigned" if name == "unsigned" else "signature_mismatch"), name
        assert counts(engine) == before, name  # nothing applied, nothing kept as refused, nothing in the chain
    # A push naming another key for this phone: refused whole.
    body = push_body([first.as_dict()], device_id=phone.store.device_id)
    body["signing_key"] = {"public_key": stranger_key.public_hex, "from_seq": 1}
    answer = sync_client.post("/api/sync/push", json=body, headers=phone.headers)
    assert answer.status_code == 403 and answer.json()["error"]["details"]["reason"] == "another_key"
    assert counts(engine) == before
    stranger.close()
    # Through the app: the op edited after signing becomes a draft with the reason; the next op (the check-out of
    # a visit the server never got: refused for its content) is kept, its link to op 1 a gap: no genuine op 1 came.
    phone.rewrite_outbox(tampered["signature_mismatch"])
    phone.sync()
    drafts = [(draft["op"]["seq"], draft["code"]) for draft in phone.store.rejected_ops()]
    assert drafts == [(1, "bad_signature"), (2, "invalid_record")]
    assert [(row.seq, row.link, row.outcome) for row in chain_rows(engine, phone.store.device_id)] == [
        (2, "gap", "refused")
    ]


def test_a_gap_and_a_fork_are_accepted_and_flagged_on_the_visit(
    phone: Phone, tmp_path: Path, sync_client: TestClient[Litestar], engine: Engine, seeded: World
) -> None:
    kept = phone.visit(seeded.customers_a[0])  # ops 1, 2
    phone.service.add_note(seeded.customers_a[0], "这条丢了", kept)  # op 3: lost on the phone
    phone.store.storage.commit([("del", OUTBOX, "3", None)])
    after_gap = phone.visit(seeded.customers_a[1])  # ops 4, 5
    phone.sync()
    assert [(row.seq, row.link) for row in chain_rows(engine, phone.store.device_id)] == [
        (1, "start"),
        (2, "intact"),
        (4, "gap"),
        (5, "intact"),
    ]
    # A copy of the phone (its store folder copied: a backup restored, a cloned phone) goes its own way.
    phone.store.close()
    shutil.copytree(tmp_path / "phone", tmp_path / "clone")
    phone.store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    phone.service.store = phone.store
    copied = LocalStore(tmp_path / "clone", StoreCipher(bytes(32)))
    clone = Phone(copied, AppService(copied, transport=InProcessTransport(sync_client)), sync_client)
    phone.service.add_note(seeded.customers_a[0], "原机", kept)  # op 6 of the phone
    phone.sync()
    clone.service.add_note(seeded.customers_a[0], "克隆", kept)  # op 6 of the clone: the number is taken (409)
    forked = clone.visit(seeded.customers_a[2])  # ops 7, 8: after the clone's op 6
    clone.sync()
    assert [draft["op"]["seq"] for draft in clone.store.rejected_ops()] == [6]
    rows = {row.seq: row for row in chain_rows(engine, phone.store.device_id)}
    assert (rows[6].outcome, rows[7].link, rows[8].link) == ("applied", "fork", "intact")
    customer_page = supervisor_sees(sync_client, f"/customers/{seeded.customers_a[0]}")
    assert chain_tag(customer_page, kept)[0] == "intact"
    device = phone.store.device_id[:8]
    gap_page = supervisor_sees(sync_client, f"/customers/{seeded.customers_a[1]}")
    assert chain_tag(gap_page, after_gap) == ("gap", f"签名：手机 {device}，链有缺口：第 4 条之前的操作服务器没有收到")
    fork_page = supervisor_sees(sync_client, f"/customers/{seeded.customers_a[2]}")
    assert chain_tag(fork_page, forked) == ("fork", f"签名：手机 {device}，链分叉：第 7 条与服务器保存的前一条接不上")
    devices_page = supervisor_sees(sync_client, "/devices")
    last = rows[8].hash or ""
    assert device_chain(devices_page, phone.store.device_id) == f"第 8 条 · {last[:12]} 2 处断开"
    clone.store.close()


def test_a_phone_from_before_signing_syncs_unsigned_until_it_signs(
    sync_client: TestClient[Litestar], engine: Engine, seeded: World
) -> None:
    """An old app: no key, unsigned ops (accepted, shown unsigned). Updated, its push carries a key from its next
    op number on: what it had waiting goes unsigned, its new ops are checked, an unsigned one is refused."""
    token = sync_client.post(
        "/api/auth/login", json={"username": "rep.a", "password": PASSWORD, "device_id": "old-phone"}
    )
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    visit = new_id()
    fields = {
        "customer_id": seeded.customers_a[3],
        "visit_type": "day",
        "check_in_at": f"{seeded.today}T09:00:00+08:00",
    }
    old = [make_op(seq, "visit", visit, fields, device_id="old-phone") for seq in (1,)]
    assert sync_client.post("/api/sync/push", json=push_body(old, "old-phone"), headers=headers).status_code == 200
    assert [(row.seq, row.link, row.hash) for row in chain_rows(engine, "old-phone")] == [(1, "unsigned", None)]
    page = supervisor_sees(sync_client, f"/customers/{seeded.customers_a[3]}")
    assert chain_tag(page, visit) == ("unsigned", "未签名：手机 old-phon 当时的应用版本不签名")
    key = PhoneKey.new()
    waiting = make_op(2, "visit", visit, {"check_out_at": f"{seeded.today}T09:30:00+08:00"}, device_id="old-phone")
    signed = key.sign(
        replace(parse_op(make_op(3, "note", new_id(), _note(seeded), device_id="old-phone"), "op"), prev_hash=GENESIS)
    )
    body = push_body([waiting, signed.as_dict()], "old-phone") | {
        "signing_key": {"public_key": key.public_hex, "from_seq": 3}
    }
    assert sync_client.post("/api/sync/push", json=body, headers=headers).status_code == 200
    assert [(row.seq, row.link) for row in chain_rows(engine, "old-phone")] == [
        (1, "unsigned"),
        (2, "unsigned"),
        (3, "start"),
    ]
    unsigned_late = make_op(4, "note", new_id(), _note(seeded), device_id="old-phone")
    answer = sync_client.post("/api/sync/push", json=push_body([unsigned_late], "old-phone"), headers=headers)
    assert answer.status_code == 403 and answer.json()["error"]["details"]["reason"] == "unsigned"


def _note(seeded: World) -> dict[str, Any]:
    return {"customer_id": seeded.customers_a[3], "text": "新版", "created_at": f"{seeded.today}T10:00:00+08:00"}


def test_a_revoked_phones_signed_ops_are_checked_when_an_admin_accepts_them(
    phone: Phone, sync_client: TestClient[Litestar], engine: Engine, settings: Settings, seeded: World
) -> None:
    with write_session(engine) as session:
        admin = Actor.of(create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN))
        device = session.get(Device, phone.store.device_id)
        assert device is not None
        device.revoked_at = "2026-12-07T00:00:00+00:00"
        session.add(device)
    phone.service.add_note(seeded.customers_a[0], "交出去", None)
    with pytest.raises(DeviceRevoked):
        phone.sync()
    with read_session(engine) as session:
        ((row, _),) = list_quarantine(session)
    result = accept_quarantined(engine, settings, admin, row.id or 0, SYNC_KINDS)
    assert result.status.value == "applied"
    assert [(chain.seq, chain.link) for chain in chain_rows(engine, phone.store.device_id)] == [(1, "start")]


def test_an_export_verifies_offline_and_what_is_changed_on_the_server_shows(
    phone: Phone,
    sync_client: TestClient[Litestar],
    engine: Engine,
    settings: Settings,
    seeded: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    visit = phone.visit(seeded.customers_a[0])
    photo = new_id()
    phone.store.save(
        RecordKind.VISIT_PHOTO,
        photo,
        {
            "customer_id": seeded.customers_a[0],
            "visit_id": visit,
            "size": len(PHOTO_BYTES),
            "sha256": hashlib.sha256(PHOTO_BYTES).hexdigest(),
            "content_type": "image/jpeg",
            "taken_at": f"{seeded.today}T10:00:00+08:00",
        },
    )
    phone.service.add_note(seeded.customers_a[0], "记一笔", visit)
    phone.sync()
    with write_session(engine) as session:  # the photo's bytes as an upload leaves them
        session.add(VisitPhotoContent(photo_id=photo, content=PHOTO_BYTES))

    def exported(name: str) -> Path:
        path = tmp_path / name
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
        monkeypatch.setenv("DATA_DIR", str(tmp_path))
        monkeypatch.setenv("TIMEZONE", settings.timezone)
        day = seeded.today.isoformat()
        assert server_cli(["export-chain", "--from", day, "--to", day, "--output", str(path)]) == 0
        return path

    def verified(path: Path, *pinned: str) -> tuple[int, str]:
        capsys.readouterr()
        status = server_cli(["verify-export", str(path), *pinned])
        return status, capsys.readouterr().out

    first = exported("first.jsonl")
    lines = first.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    assert [phone_["device_id"] for phone_ in header["phones"]] == [phone.store.device_id]
    assert len(lines) == 1 + 4  # check-in, check-out, photo, note
    assert json.loads(lines[3])["stored_sha256"] == hashlib.sha256(PHOTO_BYTES).hexdigest()
    status, out = verified(first)
    assert status == 0 and "OK" in out, out
    # The file edited: a backdated check-in.
    edited = tmp_path / "edited.jsonl"
    backdated = lines[1].replace(f'"check_in_at":"{seeded.today}T', '"check_in_at":"2020-01-01T')
    assert backdated != lines[1]
    edited.write_text("\n".join([lines[0], backdated, *lines[2:]]) + "\n", encoding="utf-8")
    status, out = verified(edited)
    assert status == 1 and "bad_signature" in out, out
    # On the server: a visit's check-in changed in the database, its check-out and the last op (the note)
    # deleted, the photo's bytes swapped.
    with write_session(engine) as session:
        row = session.get(ChainOp, (phone.store.device_id, 1))
        assert row is not None
        row.op = {**row.op, "fields": {**row.op["fields"], "check_in_at": "2020-01-01T09:00:00+08:00"}}
        session.add(row)
        session.execute(text("DELETE FROM op_chain WHERE seq IN (2, 4)"))
        content = session.get(VisitPhotoContent, photo)
        assert content is not None
        content.content = b"another photo"
        session.add(content)
    page = supervisor_sees(sync_client, f"/customers/{seeded.customers_a[0]}")
    assert chain_tag(page, visit) == ("invalid", "签名无效：第 1 条在服务器上被改动过")
    status, out = verified(exported("second.jsonl"), "--pinned", str(first))
    assert status == 1, out
    for problem in ("bad_signature", "gap", "photo_differs"):
        assert problem in out, (problem, out)
    # The last op deleted leaves no gap in this export: only the earlier one shows it is missing.
    assert "differs_from_pinned" in out and "op 4" in out, out
    assert server_cli(["verify-export", str(tmp_path / "missing.jsonl")]) == 2


def test_a_privacy_erasure_keeps_the_chain_checkable_and_shows_on_the_visit(
    phone: Phone, sync_client: TestClient[Litestar], engine: Engine, seeded: World, tmp_path: Path
) -> None:
    """Erased personal data leaves the signed ops too (issue #7's erasure reaches every copy); each such op loses
    its signature (with it anyone could confirm a guess of the erased value) and keeps its hash, which the
    phone's next op names: the export still verifies, showing which ops were erased."""
    customer = seeded.customers_a[0]
    visit = phone.service.check_in(customer)["id"]
    phone.service.check_out(visit, {"person_met": "李娟", "notes": "李娟的手机 13912345678"})
    phone.service.add_note(customer, "明天再来", visit)
    phone.sync()
    with write_session(engine) as session:
        admin = Actor.of(create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN))
        session.execute(
            text("UPDATE customers SET contact_person = '李娟', phone = '13912345678' WHERE id = :id"), {"id": customer}
        )
    token = sync_client.app.state.jwt_auth.create_token(identifier=admin.id)
    answer = sync_client.post(f"/api/privacy/customers/{customer}/erase", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json()["signed_ops_scrubbed"] == 1, answer.text
    rows = chain_rows(engine, phone.store.device_id)
    erased = [row for row in rows if row.erased_at is not None]
    assert [(row.seq, row.signature, row.link) for row in erased] == [(2, None, "intact")]
    assert "13912345678" not in json.dumps([row.op for row in rows], ensure_ascii=False)
    assert rows[2].prev_hash == erased[0].hash  # the note names the erased op's hash, as the phone signed it
    page = supervisor_sees(sync_client, f"/customers/{customer}")
    assert chain_tag(page, visit)[0] == "erased"
    path = tmp_path / "after-erasure.jsonl"
    with path.open("w", encoding="utf-8") as out:
        assert export_chain(engine, seeded.today, seeded.today, sync_client.app.state.settings.tz, out) == 3
    status = server_cli(["verify-export", str(path)])
    assert status == 0


def test_the_kinds_added_since_are_signed_and_checked_too(
    phone: Phone, sync_client: TestClient[Litestar], engine: Engine, seeded: World
) -> None:
    """考勤 punches and 公海 claims (and every later kind) go through the store's one signing path: each op signed,
    each joined to the one before it; a punch edited after signing is refused like a visit."""
    start = punch(phone.service, AttendanceAction.START, None)
    release(phone.service, seeded.customers_a[3])
    punch(phone.service, AttendanceAction.END, None)
    ops = phone.ops()
    assert [op.kind for op in ops] == [RecordKind.ATTENDANCE, RecordKind.CUSTOMER_CLAIM, RecordKind.ATTENDANCE]
    key = phone.store.signing_key().public_key
    assert all(signature_valid(op, key) for op in ops)
    assert ops[0].record_id == start["id"]
    backdated = replace(ops[0], fields={**ops[0].fields, "at": f"{seeded.today}T07:00:00+08:00"})
    body = push_body([backdated.as_dict()], device_id=phone.store.device_id)
    answer = sync_client.post("/api/sync/push", json=body, headers=phone.headers)
    assert answer.status_code == 403 and answer.json()["error"]["details"]["reason"] == "signature_mismatch"
    phone.sync()
    assert not phone.store.rejected_ops()
    rows = chain_rows(engine, phone.store.device_id)
    assert [(row.kind, row.link, row.outcome) for row in rows] == [
        ("attendance", "start", "applied"),
        ("customer_claim", "intact", "applied"),
        ("attendance", "intact", "applied"),
    ]
    assert [row.hash for row in rows] == [op_hash(op) for op in ops]


def test_an_op_for_a_merged_customer_is_checked_and_kept_as_the_phone_signed_it(
    phone: Phone, sync_client: TestClient[Litestar], engine: Engine, seeded: World
) -> None:
    """查重's merge re-points an op aimed at a merged-away customer to its survivor when it is applied; the signature
    is checked on the op as the phone signed it, before that, and the chain keeps it so: it still verifies."""
    kept, merged_away = seeded.customers_a[0], seeded.customers_a[1]
    with write_session(engine) as session:
        merge_customers(session, seeded.supervisor, kept, merged_away)
    visit = phone.visit(merged_away)  # offline, before the phone pulled the merge
    phone.service.add_note(merged_away, "合并前写的", visit)
    ops = phone.ops()
    phone.sync()
    assert not phone.store.rejected_ops()
    with read_session(engine) as session:
        moved = session.get(Visit, visit)
        assert moved is not None and moved.customer_id == kept
    rows = chain_rows(engine, phone.store.device_id)
    assert [(row.link, row.outcome) for row in rows] == [
        ("start", "applied"),
        ("intact", "applied"),
        ("intact", "applied"),
    ]
    assert rows[0].op["fields"]["customer_id"] == merged_away  # as signed, not as applied
    assert all(stored_op(row) == op for row, op in zip(rows, ops, strict=True))
    page = supervisor_sees(sync_client, f"/customers/{kept}")
    assert chain_tag(page, visit) == ("intact", f"签名：手机 {phone.store.device_id[:8]}，链完整")
    lines = [json.dumps({"format": FORMAT, "version": VERSION, "phones": [phone_entry(phone)]})]
    lines += [json.dumps({"op": op.as_dict(), "hash": op_hash(op), "outcome": "applied"}) for op in ops]
    assert verify_lines(lines).ok


def phone_entry(phone: Phone) -> dict[str, Any]:
    key = phone.store.signing_key()
    return {"device_id": phone.store.device_id, "public_key": key.public_key, "signed_from_seq": key.from_seq}


def test_a_phone_in_the_field_with_unsigned_ops_waiting_syncs_them_all_after_the_update(
    sync_client: TestClient[Litestar], engine: Engine, seeded: World, tmp_path: Path
) -> None:
    """An older store (no key, its outbox unsigned) opened by the updated app: its waiting work is accepted and marked
    unsigned, never refused; what it saves next is signed and joins its chain."""
    folder = tmp_path / "old-phone"
    old = open_phone(sync_client, folder)
    visit = old.visit(seeded.customers_a[0])
    old.service.add_note(seeded.customers_a[0], "旧版写的", visit)
    meta = {
        name: value
        for name, value in old.store.storage.read()[META][META_ID].items()
        if name not in (SIGNING_KEY, SIGNED_FROM_SEQ, CHAIN_HEAD)
    }
    waiting = [{k: v for k, v in op.as_dict().items() if k not in ("prev_hash", "signature")} for op in old.ops()]
    old.store.storage.commit([("put", META, META_ID, meta), *(("put", OUTBOX, str(op["seq"]), op) for op in waiting)])
    old.store.close()
    with write_session(engine) as session:  # its sign-in was from the old app: no key on the server either
        device = session.get(Device, meta["device_id"])
        assert device is not None
        device.public_key = device.signed_from_seq = device.key_registered_at = None
        session.add(device)
    updated = LocalStore(folder, StoreCipher(bytes(32)))
    old.store, old.service.store = updated, updated
    assert updated.signing_key().from_seq == 4
    old.service.add_note(seeded.customers_a[0], "新版写的", visit)
    old.sync()
    assert updated.pending_count() == 0 and not updated.rejected_ops()
    rows = chain_rows(engine, updated.device_id)
    assert [(row.seq, row.link, row.outcome) for row in rows] == [
        (1, "unsigned", "applied"),
        (2, "unsigned", "applied"),
        (3, "unsigned", "applied"),
        (4, "start", "applied"),
    ]
    page = supervisor_sees(sync_client, f"/customers/{seeded.customers_a[0]}")
    assert chain_tag(page, visit)[0] == "unsigned"
    updated.close()
