"""What a supervisor sees of a visit's signature (issue #17): which phone signed the ops that wrote it, and whether
they are intact in its chain (server/domains/chain/recording.py; docs/security.md, "Each phone's ops as a chain")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import case, func, tuple_
from sqlmodel import Session, col, select

from server.domains.chain.models import ChainOp
from server.domains.chain.recording import APPLIED
from server.domains.devices.clock import clock_state, clock_words
from server.domains.devices.models import Device
from shared.enums import RecordKind
from shared.i18n import t
from sync.chain import Link, checked_hash
from sync.protocol import Op, ProtocolError, parse_op


class VisitChainState(StrEnum):
    """A visit's signature and chain as the supervisor sees it, the worst of the ops that wrote it."""

    INTACT = "intact"  # every op signed by the phone, each joined to the one before it
    UNSIGNED = "unsigned"  # written by an app from before signing
    GAP = "gap"  # an op the phone made before one of these never reached the server
    FORK = "fork"  # one of these ops does not follow the op the server holds before it
    INVALID = "invalid"  # an op's row no longer matches its signature: changed on the server after it came
    ERASED = "erased"  # personal data erased from one of its ops (a privacy erasure): its content cannot be checked
    NONE = "none"  # no op of a phone recorded (received before the chain existed, or made on the server)


SEVERITY = [
    VisitChainState.INVALID,
    VisitChainState.FORK,
    VisitChainState.GAP,
    VisitChainState.ERASED,
    VisitChainState.UNSIGNED,
]


@dataclass(frozen=True)
class VisitSignature:
    state: VisitChainState
    phones: tuple[str, ...] = ()  # the phones that wrote it (their names, or the start of their ids)
    seq: int | None = None  # the op where the problem is
    # The phone's clock when the visit's ops reached the server (op_chain.clock_offset_s, each push's
    # RouteCRM-Clock-Offset): of its check-in and check-out uploads, the one farthest off; None: never said.
    clock_offset_s: int | None = None

    def text(self, lang: str) -> str:
        if self.state is VisitChainState.NONE:
            return t("web.chain.none", lang)
        return t(f"web.chain.{self.state.value}", lang, phone="、".join(self.phones), seq=self.seq)

    @property
    def clock(self) -> str:
        """The clock at upload as a state (devices/clock.py ClockState); "" for a visit no phone's op wrote."""
        return "" if self.state is VisitChainState.NONE else clock_state(self.clock_offset_s)

    def clock_text(self, lang: str) -> str:
        """The phone's clock when it uploaded the visit: said when wrong (beyond the trusted skew: worth a look beside
        the visit's times) or not reported (an app from before, a phone not yet measured); a right clock: nothing."""
        if self.clock in ("behind", "ahead"):
            return t("web.chain.upload_clock", lang, clock=clock_words(self.clock_offset_s, lang))
        if self.clock == "unknown":
            return t("web.chain.upload_clock_unknown", lang)
        return ""


def upload_clock(offsets: Iterable[int | None]) -> int | None:
    """Of the clocks a record's ops were uploaded with, the one farthest off (the one worth a look); None: none said."""
    said = [offset for offset in offsets if offset is not None]
    return max(said, key=abs) if said else None


def upload_clocks(session: Session, visit_ids: list[str]) -> dict[str, int | None]:
    """Each visit's clock at upload (`upload_clock` of its applied ops), in one query; a visit no phone's op wrote is
    left out (the supervisor's export: docs/security.md)."""
    if not visit_ids:
        return {}
    query = (
        select(ChainOp.record_id, ChainOp.clock_offset_s)
        .where(ChainOp.kind == RecordKind.VISIT.value, col(ChainOp.record_id).in_(visit_ids))
        .where(ChainOp.outcome == APPLIED)
    )
    found: dict[str, list[int | None]] = {}
    for record_id, offset in session.exec(query):
        found.setdefault(record_id, []).append(offset)
    return {visit_id: upload_clock(offsets) for visit_id, offsets in found.items()}


def phone_label(device: Device | None, device_id: str) -> str:
    return (device.name if device is not None and device.name else None) or device_id[:8]


def visit_signatures(session: Session, visit_ids: list[str]) -> dict[str, VisitSignature]:
    """Each visit's signature state from the ops that wrote it (one query), every signature checked again: a row
    changed in the database after it came no longer matches it."""
    found: dict[str, list[tuple[ChainOp, Device | None]]] = {visit_id: [] for visit_id in visit_ids}
    if not visit_ids:
        return {}
    query = (
        select(ChainOp, Device)
        .join(Device, col(Device.id) == col(ChainOp.device_id), isouter=True)
        .where(ChainOp.kind == RecordKind.VISIT.value, col(ChainOp.record_id).in_(visit_ids))
        .where(ChainOp.outcome == APPLIED)
        .order_by(col(ChainOp.seq))
    )
    for row, device in session.exec(query):
        found[row.record_id].append((row, device))
    return {visit_id: _visit_signature(rows) for visit_id, rows in found.items()}


def _genuine(row: ChainOp, device: Device | None) -> bool:
    """The row still holds the op its phone signed: its signature checks with the phone's key, its hash matches."""
    try:
        op = stored_op(row)
    except ProtocolError:  # the row no longer holds an op at all
        return False
    key = device.public_key if device is not None else None
    return key is not None and row.hash is not None and checked_hash(op, key) == row.hash


def stored_op(row: ChainOp) -> Op:
    """The op as its phone signed it, from its row."""
    return parse_op({**row.op, "prev_hash": row.prev_hash, "signature": row.signature}, "op")


def _visit_signature(rows: list[tuple[ChainOp, Device | None]]) -> VisitSignature:
    if not rows:
        return VisitSignature(VisitChainState.NONE)
    phones = tuple(dict.fromkeys(phone_label(device, row.device_id) for row, device in rows))
    clock = upload_clock(row.clock_offset_s for row, _device in rows)
    problems: dict[VisitChainState, int] = {}
    for row, device in rows:
        if row.erased_at is not None:  # no signature to check any more; its links still hold
            problems.setdefault(VisitChainState.ERASED, row.seq)
        elif row.signature is None:
            problems.setdefault(VisitChainState.UNSIGNED, row.seq)
            continue
        elif not _genuine(row, device):
            problems.setdefault(VisitChainState.INVALID, row.seq)
            continue
        if row.link == Link.FORK:
            problems.setdefault(VisitChainState.FORK, row.seq)
        elif row.link == Link.GAP:
            problems.setdefault(VisitChainState.GAP, row.seq)
    for state in SEVERITY:
        if state in problems:
            return VisitSignature(state, phones, problems[state], clock)
    return VisitSignature(VisitChainState.INTACT, phones, clock_offset_s=clock)


@dataclass(frozen=True)
class ChainHead:
    """The end of a phone's chain as the server holds it: the phone shows its own (设置 → 本机签名链), and when
    every op has been synced the two read the same: the same number and the same hash."""

    seq: int  # the phone's highest op number the server holds
    hash: str | None  # that op's hash (None: unsigned, from an app before signing)
    breaks: int  # ops held that do not join the one below them (a gap or a fork)

    @property
    def short_hash(self) -> str:
        return self.hash[:12] if self.hash else "—"


def chain_heads(session: Session, device_ids: list[str]) -> dict[str, ChainHead]:
    """Each phone's chain head and the number of its breaks, in two queries."""
    if not device_ids:
        return {}
    broken = case((col(ChainOp.link).in_([Link.GAP.value, Link.FORK.value]), 1), else_=0)
    ends = session.exec(
        select(ChainOp.device_id, func.max(ChainOp.seq), func.sum(broken))
        .where(col(ChainOp.device_id).in_(device_ids))
        .group_by(col(ChainOp.device_id))
    ).all()
    last = {device_id: (seq, int(breaks or 0)) for device_id, seq, breaks in ends}
    hashes = dict(
        session.exec(
            select(ChainOp.device_id, ChainOp.hash).where(
                tuple_(col(ChainOp.device_id), col(ChainOp.seq)).in_([(d, seq) for d, (seq, _) in last.items()])
            )
        ).all()
    )
    return {device_id: ChainHead(seq, hashes.get(device_id), breaks) for device_id, (seq, breaks) in last.items()}
