"""A refused op kept in its own transaction (the push's was rolled back), and in its phone's chain."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from server.actor import Actor
from server.changes.conflicts import keep_refused
from server.db import write_session
from server.domains.chain.recording import PushChain, record_refused
from sync.protocol import Op


def record_rejected(
    engine: Engine, actor: Actor, op: Op, *, code: str, message: str, path: str | None, chain: PushChain | None = None
) -> None:
    """Keep a refused op (`server.changes.conflicts.keep_refused`), and with `chain` in its phone's chain
    (`op_chain`). Re-sending it keeps one row."""
    with write_session(engine) as session:
        keep_refused(session, actor, op, code=code, message=message, path=path)
        if chain is not None:
            record_refused(session, chain, op)
