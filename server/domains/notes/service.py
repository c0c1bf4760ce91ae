"""Notes on customers (and visits), by reps on phones or by supervisors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from server.actor import Actor
from server.changes.log import record_data
from server.clock import now_iso
from server.domains.access import (
    check_fields,
    check_named_visit,
    customer_in_reach,
    lookup,
    store_territory_record,
)
from server.domains.notes.models import Note
from server.errors import Forbidden
from shared.enums import RecordKind


def note_data(note: Note) -> dict[str, Any]:
    return record_data(note)


def put_note(session: Session, actor: Actor, note_id: str, fields: Mapping[str, Any], *, path: str = "note") -> Note:
    note = lookup(session, Note, note_id)
    check_fields(RecordKind.NOTE, fields, creating=note is None, path=path)
    if note is not None and actor.is_rep and note.author_id != actor.id:
        raise Forbidden("only the author may change a note", path=path)
    customer_id = fields.get("customer_id") or (note.customer_id if note else None)
    customer = customer_in_reach(session, actor, customer_id, path=path)
    check_named_visit(
        session, actor, customer, fields, path=path, doing="notes on it", stored=note.visit_id if note else None
    )
    if note is None:
        note = Note(id=note_id, author_id=actor.id, territory=customer.territory, updated_at=now_iso(), **fields)
    else:
        for name, value in fields.items():
            setattr(note, name, value)
        note.territory = customer.territory
        note.updated_at = now_iso()
    store_territory_record(session, RecordKind.NOTE, note, note_data(note))
    return note


def notes_of_customer(session: Session, customer_id: str) -> list[Note]:
    notes = session.exec(select(Note).where(Note.customer_id == customer_id)).all()
    return sorted(notes, key=lambda note: note.created_at, reverse=True)
