"""`python -m server export-chain --from DAY --to DAY [--output FILE]`: the phones' signed ops of a period, with
their keys, in one file an auditor checks without the server (`python -m server verify-export FILE`; the format
is described in server/domains/chain/verify.py, its use in docs/operations.md).

The period is of the days the server received the ops (the company's days, both included). For each phone with
an op received then, the file holds every op the server holds between that phone's first and last op of the
period, whenever received (an op accepted from quarantine later, a refused op), so a number missing inside is
missing on the server too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from server.clock import now_iso
from server.db import read_session
from server.domains.chain.models import ChainOp
from server.domains.chain.verify import FORMAT, VERSION
from server.domains.devices.models import Device
from server.domains.photos.models import VisitPhotoContent
from server.domains.users.models import User
from shared.enums import RecordKind


def period_bounds(first: dt.date, last: dt.date, tz: ZoneInfo) -> tuple[str, str]:
    """The instants (UTC, as `received_at` is stored) from the start of `first` to the end of `last`, company time."""
    start = dt.datetime.combine(first, dt.time(), tz).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
    return start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds")


def _line(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


def export_chain(engine: Engine, first: dt.date, last: dt.date, tz: ZoneInfo, out: IO[str]) -> int:
    """Write the export of the days `first` to `last` to `out`; returns the number of ops written."""
    start, end = period_bounds(first, last, tz)
    with read_session(engine) as session:
        spans = session.exec(
            select(ChainOp.device_id, func.min(ChainOp.seq), func.max(ChainOp.seq))
            .where(ChainOp.received_at >= start, ChainOp.received_at < end)
            .group_by(col(ChainOp.device_id))
            .order_by(col(ChainOp.device_id))
        ).all()
        users = {user.id: user.username for user in session.exec(select(User))}
        devices = {
            device.id: device
            for device in session.exec(select(Device).where(col(Device.id).in_([span[0] for span in spans])))
        }
        header = {
            "format": FORMAT,
            "version": VERSION,
            "from": start,
            "to": end,
            "exported_at": now_iso(),
            "phones": [_phone(device_id, devices.get(device_id), users) for device_id, _, _ in spans],
        }
        out.write(_line(header))
        written = 0
        for device_id, low, high in spans:
            for item in _ops(session, device_id, low, high, users):
                out.write(_line(item))
                written += 1
    return written


def _phone(device_id: str, device: Device | None, users: dict[str, str]) -> dict[str, Any]:
    return {
        "device_id": device_id,
        "public_key": device.public_key if device else None,
        "signed_from_seq": device.signed_from_seq if device else None,
        "key_registered_at": device.key_registered_at if device else None,
        "user": users.get(device.user_id) if device else None,
        "name": device.name if device else None,
        "platform": device.platform if device else None,
    }


def _ops(session: Session, device_id: str, low: int, high: int, users: dict[str, str]) -> Iterator[dict[str, Any]]:
    query = (
        select(ChainOp)
        .where(ChainOp.device_id == device_id, ChainOp.seq >= low, ChainOp.seq <= high)
        .order_by(col(ChainOp.seq))
        .execution_options(yield_per=500)
    )
    for row in session.exec(query):
        op = dict(row.op)
        if row.signature is not None:
            op |= {"prev_hash": row.prev_hash, "signature": row.signature}
        item = {
            "op": op,
            "hash": row.hash,
            "link": row.link,
            "outcome": row.outcome,
            "received_at": row.received_at,
            "clock_offset_s": row.clock_offset_s,  # the phone's clock its push said (the server's word, as received_at)
            "user": users.get(row.user_id),
        }
        if row.erased_at is not None:  # a privacy erasure: the signature went with the erased values
            item |= {"erased_at": row.erased_at, "prev_hash": row.prev_hash}
        if row.kind == RecordKind.VISIT_PHOTO.value:
            held = select(VisitPhotoContent.content).where(VisitPhotoContent.photo_id == row.record_id)
            content = session.exec(held).first()
            if content is not None:  # uploaded: the bytes the server holds
                item["stored_sha256"] = hashlib.sha256(content).hexdigest()
        yield item
