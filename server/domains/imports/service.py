"""Importing customers: step 1 checks the file and keeps it (nothing stored as customers); step 2 checks the
kept file again and stores every row in one transaction, through put_customer like any edit, so the
customers enter the change log and reach the territory's phones with their next sync. Audited.

The file is read (`read_file`) before the write transaction begins, never inside it: a write transaction
holds the write lock every phone's push waits for, and reading a file, even within its limits, is the slow
part."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col

from server.actor import Actor
from server.changes.merging import Edit
from server.clock import now_iso, utc_now
from server.domains.audit.service import audit
from server.domains.customers.service import put_customer
from server.domains.imports.models import ImportBatch
from server.domains.imports.reading import Problem, Table, UnreadableFile, read_table
from server.domains.imports.validation import Report, check_table
from server.errors import Conflict, NotFound
from shared.ids import new_id

AUDIT_ACTION = "customers_imported"
KEEP_BATCHES = dt.timedelta(days=1)  # a checked file not confirmed within a day is forgotten


@dataclass
class Checked:
    report: Report
    batch_id: str | None  # set when the file is clean and kept for step 2


def read_file(content: bytes, encoding: str) -> Table | Report:
    """The file's table, or the report of why it cannot be read. Call it outside any transaction."""
    try:
        return read_table(content, encoding)
    except UnreadableFile as error:
        return Report(problems=[error.problem])


def check_file(
    session: Session, actor: Actor, table: Table | Report, content: bytes, file_name: str, encoding: str
) -> Checked:
    """Step 1: every problem of the file read from `content` (read_file); a clean file is kept
    (import_batches) for the confirmation."""
    if isinstance(table, Report):
        return Checked(table, None)
    report = check_table(session, actor, table)
    if not report.ok:
        return Checked(report, None)
    cutoff = (utc_now() - KEEP_BATCHES).isoformat(timespec="seconds")
    session.execute(delete(ImportBatch).where(col(ImportBatch.created_at) < cutoff))
    batch = ImportBatch(
        id=new_id(),
        created_by=actor.id,
        created_at=now_iso(),
        file_name=file_name[:200],
        encoding=encoding,
        digest=hashlib.sha256(content).hexdigest(),
        row_count=len(report.rows),
        content=content,
    )
    session.add(batch)
    return Checked(report, batch.id)


def kept_batch(session: Session, actor: Actor, batch_id: str) -> ImportBatch:
    """The file step 1 kept for this supervisor, not imported yet."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None or batch.created_by != actor.id:
        raise NotFound("no such import: check the file again", path="batch_id")
    if batch.imported_at is not None:
        raise Conflict("this file was imported already", path="batch_id")
    return batch


def confirm_import(
    session: Session, actor: Actor, batch_id: str, table: Table | Report, clock: str, ip: str | None = None
) -> tuple[Report, list[str]]:
    """Step 2: check the kept file again (customers may have been added since) and store all its rows, or
    none; `table` is the kept file read before this transaction (kept_batch, then read_file). Returns the
    report and the new customers' ids (none when the report has problems)."""
    batch = kept_batch(session, actor, batch_id)  # again, in the write transaction: a confirmation applies once
    if isinstance(table, Report):  # pragma: no cover - it was read in step 1
        return table, []
    report = check_table(session, actor, table)
    if not report.ok:
        return report, []
    ids = []
    for row in report.rows:
        customer_id = new_id()
        edit = Edit(clock=clock, op_id=new_id())
        put_customer(
            session, actor, customer_id, row.fields, path=f"row {row.row}", server_fields=row.server_fields, edit=edit
        )
        ids.append(customer_id)
    batch.imported_at = now_iso()
    session.add(batch)
    audit(
        session,
        AUDIT_ACTION,
        actor_id=actor.id,
        actor_name=actor.username,
        ip=ip,
        details={
            "batch_id": batch.id,
            "file_name": batch.file_name,
            "sha256": batch.digest,
            "rows": len(ids),
            "territories": sorted({row.server_fields["territory"] for row in report.rows}),
        },
    )
    return report, ids


__all__ = ["AUDIT_ACTION", "Checked", "Problem", "check_file", "confirm_import", "kept_batch", "read_file"]
