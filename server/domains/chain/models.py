"""Each phone's chain of ops, as the server received it (server/domains/chain/recording.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class ChainOp(SQLModel, table=True):
    """One op a phone pushed and the server kept: applied, or refused for a reason of its content (then also in
    `rejected_ops`). An op refused as not genuine (unsigned or badly signed from a phone with a key) is kept nowhere.

    `op` is the op as the phone made it, without `prev_hash` and `signature` (their own columns): with them it is
    exactly what the phone signed, so an export of these rows can be checked without the server
    (`python -m server verify-export`). `link` is how it joined the op held one number below it when it came, or
    later when that op came (sync.chain.Link); `hash` is None for an unsigned op.

    A privacy erasure (server/domains/privacy) replaces the erased values in `op` and drops the `signature` (with
    it anyone could confirm a guess of an erased value); `hash` and `prev_hash` stay, since the phone's next op
    names this one's hash: the chain still holds, and the export shows the op as erased (`erased_at`)."""

    __tablename__ = "op_chain"

    device_id: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    op_id: str = Field(max_length=36)
    user_id: str = Field(max_length=36)
    kind: str = Field(max_length=20)
    record_id: str = Field(max_length=36, index=True)
    op: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)
    signature: str | None = Field(default=None, max_length=128)
    link: str = Field(max_length=10)
    outcome: str = Field(max_length=10)  # "applied" or "refused"
    received_at: str = Field(max_length=40, index=True)
    erased_at: str | None = Field(default=None, max_length=40)
    # The phone's clock when this op reached the server: the RouteCRM-Clock-Offset its push carried (seconds, the
    # server's time minus the phone's, as the phone's last pull measured it; sync/protocol.py), heard at
    # `received_at`. None: the push said nothing (an app from before, a phone not yet measured, an op accepted from
    # quarantine). Kept per op, never rewritten: a later clock change of the phone does not touch it.
    clock_offset_s: int | None = None
