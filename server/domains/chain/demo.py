"""The demo reps' phones and their signed chains (issue #17; server/demo.py): each rep has one phone with a key,
and every visit the demo records is the op that phone signed and pushed, joined to the one before it, so the
supervisor's pages show 签名：手机 …，链完整 as in the field. A random stream of its own (the keys), so the rest of the
demo stays as it was."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table
from sqlmodel import Session

from server.actor import Actor
from server.db import insert_rows
from server.domains.chain.models import ChainOp
from server.domains.chain.recording import APPLIED
from server.domains.devices.models import Device
from shared.enums import OpAction, RecordKind
from shared.ids import new_id
from sync.chain import GENESIS, Link, PhoneKey, op_hash
from sync.protocol import Op

MODELS = ("红米 Note 12", "荣耀 X50", "OPPO A58")  # the names the phones gave at sign-in
# How far each phone's clock is from the server's, as it said (/devices, and with each op it pushed: the visits'
# tags): right, 3 h 12 min slow, never said.
CLOCKS: tuple[int | None, ...] = (0, 11_520, None)
OP_CHAIN = cast(Table, ChainOp.__table__)  # type: ignore[attr-defined]  # SQLModel sets it at runtime


@dataclass
class DemoPhone:
    rep: Actor
    key: PhoneKey
    saved: list[tuple[str, RecordKind, str, dict[str, Any]]] = field(default_factory=list)  # (made_at, ...)

    @property
    def device_id(self) -> str:
        return f"demo-{self.rep.username}"


class DemoPhones:
    """One phone per rep, signing what the demo records for that rep, in the order it is recorded."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._phones: dict[str, DemoPhone] = {}

    def phone(self, rep: Actor) -> DemoPhone:
        if rep.id not in self._phones:
            self._phones[rep.id] = DemoPhone(rep, PhoneKey.from_hex(self._rng.randbytes(32).hex()))
        return self._phones[rep.id]

    def sign(self, rep: Actor, kind: RecordKind, record_id: str, fields: dict[str, Any], sent_at: str) -> None:
        """The rep's phone saved this record and pushed it at `sent_at` (the record's own time): signed in the
        order of those times when stored, as the phone numbered its ops."""
        fields = {name: value for name, value in fields.items() if value is not None}
        self.phone(rep).saved.append((_utc(sent_at), kind, record_id, fields))

    def _ops(self, phone: DemoPhone) -> list[Op]:
        ops, head = [], GENESIS
        for seq, (made_at, kind, record_id, fields) in enumerate(sorted(phone.saved, key=lambda s: s[0]), start=1):
            op = Op(
                op_id=new_id(),
                device_id=phone.device_id,
                seq=seq,
                kind=kind,
                record_id=record_id,
                action=OpAction.PUT,
                fields=fields,
                made_at=made_at,
                prev_hash=head,
            )
            op = phone.key.sign(op)
            head = op_hash(op)
            ops.append(op)
        return ops

    def store(self, session: Session, registered_at: str) -> int:
        """The phones with their keys, and their chains as the server would hold them; the number of ops."""
        registered_at = _utc(registered_at)
        rows: list[dict[str, Any]] = []
        for index, phone in enumerate(self._phones.values()):
            session.add(
                Device(
                    id=phone.device_id,
                    user_id=phone.rep.id,
                    name=MODELS[index % len(MODELS)],
                    platform="android",
                    registered_at=registered_at,
                    last_seen_at=registered_at,
                    public_key=phone.key.public_hex,
                    signed_from_seq=1,
                    key_registered_at=registered_at,
                    clock_offset_s=CLOCKS[index % len(CLOCKS)],
                    clock_offset_at=None if CLOCKS[index % len(CLOCKS)] is None else registered_at,
                )
            )
            for op in self._ops(phone):
                body = op.as_dict()
                body.pop("prev_hash")
                body.pop("signature")
                rows.append(
                    {
                        "device_id": op.device_id,
                        "seq": op.seq,
                        "op_id": op.op_id,
                        "user_id": phone.rep.id,
                        "kind": op.kind.value,
                        "record_id": op.record_id,
                        "op": body,
                        "prev_hash": op.prev_hash,
                        "hash": op_hash(op),
                        "signature": op.signature,
                        "link": (Link.START if op.seq == 1 else Link.INTACT).value,
                        "outcome": APPLIED,
                        "received_at": op.made_at,
                        "erased_at": None,
                        "clock_offset_s": CLOCKS[index % len(CLOCKS)],
                    }
                )
        session.flush()
        insert_rows(session, OP_CHAIN, rows)
        return len(rows)


def _utc(at: str) -> str:
    """A time as the server stores it: UTC, whole seconds."""
    return dt.datetime.fromisoformat(at).astimezone(dt.UTC).isoformat(timespec="seconds")
