"""The server's side of each phone's chain of ops (sync/chain.py; docs/security.md, "Each phone's ops as a chain"):
part of sync, as the applied-op register is. What supervisors and auditors see of it: server/domains/chain/.

- A phone's key is registered once, at its sign-in or with its first push that carries it, and never replaced.
- Before a push touches the database, `check_push` verifies every signature (outside the write lock). A phone
  with a key sends every op from its `signed_from_seq` on signed with it: an unsigned op, a signature that does
  not match the op (changed after signing, replayed from another phone, signed with another phone's key) or a
  push naming another key is refused 403 `bad_signature` and kept nowhere: it cannot come from that phone.
- Every op applied is recorded in `op_chain` in the push's transaction (`record_applied`), every op refused for
  its content with the refusal (`record_refused`), each with its link to the op numbered one below it: a gap
  or a fork is accepted and flagged there, never refused (docs/security.md says what causes each).
- A phone without a key (an app from before signing) has its ops accepted and recorded as unsigned.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, cast

from msgspec import json as msgspec_json
from sqlalchemy import ColumnElement, Table, Text, delete, or_, update
from sqlalchemy import cast as cast_sql
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from server.actor import Actor
from server.clock import now_iso
from server.db import insert_rows, read_session, write_session
from server.domains.audit.service import audit
from server.domains.chain.models import ChainOp
from server.domains.devices.models import Device
from server.errors import Forbidden
from shared.errors import ErrorCode
from sync.chain import Link, checked_hash, link_of
from sync.protocol import Op, OpResult, OpStatus, PushRequest, SigningKey

logger = logging.getLogger(__name__)

APPLIED, REFUSED = "applied", "refused"
OP_CHAIN = cast(Table, ChainOp.__table__)  # type: ignore[attr-defined]  # SQLModel sets it at runtime


def not_genuine(message: str, path: str, reason: str) -> Forbidden:
    """The refusal of what cannot come from the phone it names (403 `bad_signature`, `details.reason`)."""
    return Forbidden(message, path=path, code=ErrorCode.BAD_SIGNATURE, details={"reason": reason})


# ---- keys ---------------------------------------------------------------------------------------


def register_key(
    session: Session, actor: Actor, device_id: str, key: SigningKey, *, via: str, device: Device | None = None
) -> Device:
    """The phone's key, registered now if it has none (audited `signing_key_registered`); a phone that registered
    another one is refused: its key never changes (a new install is a new phone). A phone the server does not know
    yet is registered to `actor`, as its first push would (server/domains/devices/service.py `phone_of_push`).
    `device`: the phone's row when the caller holds it already (the sign-in, which may have just made it)."""
    device = device or session.get(Device, device_id)
    now = now_iso()
    if device is None:
        device = Device(id=device_id, user_id=actor.id, registered_at=now, last_seen_at=now)
    if device.public_key is not None:
        if device.public_key != key.public_key:
            raise another_key(device)
        return device
    device.public_key, device.signed_from_seq, device.key_registered_at = key.public_key, key.from_seq, now
    session.add(device)
    audit(
        session,
        "signing_key_registered",
        actor_id=actor.id,
        actor_name=actor.username,
        details={"device_id": device_id, "public_key": key.public_key, "from_seq": key.from_seq, "via": via},
    )
    return device


def another_key(device: Device) -> Forbidden:
    return not_genuine(
        f"this phone registered another signing key on {device.key_registered_at}; a phone's key never changes",
        "signing_key",
        "another_key",
    )


@dataclass(frozen=True)
class PushChain:
    """A push's ops as checked: the phone's key and the hash of each signed op, by seq."""

    device_id: str
    user_id: str
    signed_from_seq: int | None  # None: the phone has no key; its ops are unsigned
    hashes: dict[int, str] = field(default_factory=dict)
    clock_offset_s: int | None = None  # the push's RouteCRM-Clock-Offset, kept on each of its ops' rows


def _phone_key(engine: Engine, actor: Actor, request: PushRequest) -> Device | None:
    """The phone with its key (None: it has none and the push carries none), registering the push's key if new."""
    with read_session(engine) as session:
        device = session.get(Device, request.device_id)
    offered = request.signing_key
    if device is not None and device.public_key is not None:
        if offered is not None and offered.public_key != device.public_key:
            raise another_key(device)
        return device
    if offered is None:
        return None
    with write_session(engine) as session:
        return register_key(session, actor, request.device_id, offered, via="push")


def check_push(engine: Engine, actor: Actor, request: PushRequest, *, clock_offset_s: int | None = None) -> PushChain:
    """Every op of the push checked against its phone's key; the first that cannot come from it raises 403.
    `clock_offset_s`: the push's RouteCRM-Clock-Offset, kept on each of its ops' rows."""
    device = _phone_key(engine, actor, request)
    public_key = device.public_key if device is not None else None
    from_seq = device.signed_from_seq if device is not None else None
    hashes: dict[int, str] = {}
    for index, op in enumerate(request.ops):
        path = f"ops[{index}]"
        if public_key is None or from_seq is None:
            if op.signature is not None:
                raise not_genuine(
                    "this op is signed, but the server knows no key of this phone: the push must carry it",
                    f"{path}.signature",
                    "unknown_key",
                )
            continue
        if op.signature is None:
            if op.seq >= from_seq:
                raise not_genuine(
                    f"this phone signs its ops from number {from_seq} on: an unsigned op numbered {op.seq}"
                    " cannot come from it",
                    f"{path}.signature",
                    "unsigned",
                )
            continue
        hashed = checked_hash(op, public_key)
        if hashed is None:
            logger.warning("op refused: bad signature", extra={"device_id": op.device_id, "seq": op.seq})
            raise not_genuine(
                "the signature does not match this op: it was changed after it was signed, or signed with"
                " another phone's key",
                f"{path}.signature",
                "signature_mismatch",
            )
        hashes[op.seq] = hashed
    return PushChain(request.device_id, actor.id, from_seq, hashes, clock_offset_s)


# ---- the chain as the server holds it -----------------------------------------------------------


def _row(chain: PushChain, op: Op, link: Link, outcome: str, received_at: str) -> dict[str, Any]:
    body = op.as_dict()
    body.pop("prev_hash", None)
    body.pop("signature", None)
    return {
        "device_id": op.device_id,
        "seq": op.seq,
        "op_id": op.op_id,
        "user_id": chain.user_id,
        "kind": op.kind.value,
        "record_id": op.record_id,
        "op": body,
        "prev_hash": op.prev_hash,
        "hash": chain.hashes.get(op.seq),
        "signature": op.signature,
        "link": link.value,
        "outcome": outcome,
        "received_at": received_at,
        "erased_at": None,
        "clock_offset_s": chain.clock_offset_s,
    }


@dataclass(frozen=True)
class Held:
    seq: int
    hash: str | None
    prev_hash: str | None
    link: str
    outcome: str


def _held(session: Session, device_id: str, seqs: set[int]) -> dict[int, Held]:
    """The rows the server holds for these op numbers of the phone: one query, never the whole chain."""
    chain = OP_CHAIN.c
    query = sa_select(chain.seq, chain.hash, chain.prev_hash, chain.link, chain.outcome).where(
        chain.device_id == device_id, chain.seq.in_(sorted(seqs))
    )
    return {row[0]: Held(*row) for row in session.execute(query).all()}


def _mend_next(session: Session, chain: PushChain, held: dict[int, Held], hashes: dict[int, str | None]) -> None:
    """An op that came after the op below it (a refused op recorded before the ops pushed with it were applied,
    an op accepted from quarantine out of order) was a gap: now that the op below it is held, it is intact or a
    fork."""
    for seq, row in held.items():
        if row.link != Link.GAP or seq - 1 not in hashes:
            continue
        link = link_of(seq, row.prev_hash, chain.signed_from_seq, hashes[seq - 1])
        session.execute(
            update(OP_CHAIN)
            .where(OP_CHAIN.c.device_id == chain.device_id, OP_CHAIN.c.seq == seq)
            .values(link=link.value)
        )


def record_applied(session: Session, chain: PushChain, ops: list[Op], results: list[OpResult]) -> None:
    """The ops applied now, each with its link, in the push's transaction (one read, one insert)."""
    new = [op for op, result in zip(ops, results, strict=True) if result.status is OpStatus.APPLIED]
    if not new:
        return
    seqs = {op.seq for op in new}
    held = _held(session, chain.device_id, seqs | {seq - 1 for seq in seqs} | {seq + 1 for seq in seqs})
    if seqs & set(held):  # refused before (the rows of a refused push's op); applied now
        session.execute(
            delete(OP_CHAIN).where(OP_CHAIN.c.device_id == chain.device_id, OP_CHAIN.c.seq.in_(seqs & set(held)))
        )
    hashes: dict[int, str | None] = {seq: row.hash for seq, row in held.items() if seq not in seqs}
    received_at, rows = now_iso(), []
    for op in new:  # in seq order: a push's seqs increase
        link = link_of(op.seq, op.prev_hash, chain.signed_from_seq, hashes.get(op.seq - 1))
        hashes[op.seq] = chain.hashes.get(op.seq)
        rows.append(_row(chain, op, link, APPLIED, received_at))
    insert_rows(session, OP_CHAIN, rows)
    _mend_next(session, chain, {seq: row for seq, row in held.items() if seq not in seqs and seq - 1 in seqs}, hashes)


def record_refused(session: Session, chain: PushChain, op: Op) -> None:
    """An op refused for its content (kept in `rejected_ops` too): it is still the phone's, and its next op names
    it. Not when an applied op holds its number (a number used twice: 409)."""
    held = _held(session, chain.device_id, {op.seq - 1, op.seq, op.seq + 1})
    existing = held.get(op.seq)
    if existing is not None and existing.outcome == APPLIED:
        return
    below = held.get(op.seq - 1)
    link = link_of(op.seq, op.prev_hash, chain.signed_from_seq, below.hash if below is not None else None)
    if existing is not None:
        session.execute(delete(OP_CHAIN).where(OP_CHAIN.c.device_id == op.device_id, OP_CHAIN.c.seq == op.seq))
    insert_rows(session, OP_CHAIN, [_row(chain, op, link, REFUSED, now_iso())])
    after = {seq: row for seq, row in held.items() if seq == op.seq + 1}
    _mend_next(session, chain, after, {op.seq: chain.hashes.get(op.seq)})


# ---- a privacy erasure ----------------------------------------------------------------------------------


def ops_about(session: Session, record_ids: set[str], values: list[str]) -> list[ChainOp]:
    """The ops of these records, and every op whose content holds one of `values` (a scan of the table: erasures
    are rare). The JSON columns hold UTF-8 text as msgspec writes it, so a value is looked for as written there."""
    conditions: list[ColumnElement[bool]] = [col(ChainOp.record_id).in_(sorted(record_ids))] if record_ids else []
    written = cast_sql(col(ChainOp.op), Text)
    conditions += [written.contains(msgspec_json.encode(value).decode()[1:-1], autoescape=True) for value in values]
    if not conditions:
        return []
    query = select(ChainOp).where(or_(*conditions)).order_by(col(ChainOp.device_id), col(ChainOp.seq))
    return list(session.exec(query).all())


def erase_op(row: ChainOp, fields: dict[str, Any]) -> None:
    """The op with erased values replaced in its `fields`: its signature goes (with it and the op, anyone could
    confirm a guess of an erased value), its hash and prev_hash stay (the phone's next op names the hash)."""
    row.op = {**row.op, "fields": fields}  # a new dict: JSON columns see reassignment only
    row.signature = None
    row.erased_at = now_iso()
