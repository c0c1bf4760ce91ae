"""Key persons: written on phones and on the server, merged field by field like the customer's archive."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from server.actor import Actor
from server.changes.log import record_change, record_data
from server.changes.merging import Edit, apply_edit
from server.clock import now_iso, server_clock
from server.domains.access import check_fields, customer_in_reach, ensure_territory, lookup, remember
from server.domains.key_persons.models import KeyPerson
from server.errors import Conflict
from shared.enums import RecordKind


def _log(session: Session, person: KeyPerson) -> None:
    data = None if person.deleted else record_data(person, exclude={"deleted"})
    record_change(
        session, RecordKind.KEY_PERSON, person.id, audience=person.territory, territory=person.territory, data=data
    )


def put_key_person(
    session: Session,
    actor: Actor,
    person_id: str,
    fields: Mapping[str, Any],
    *,
    path: str = "key_person",
    edit: Edit | None = None,
) -> KeyPerson:
    edit = edit or Edit(clock=server_clock())
    person = lookup(session, KeyPerson, person_id)
    check_fields(RecordKind.KEY_PERSON, fields, creating=person is None, path=path)
    if person is None:
        customer = customer_in_reach(session, actor, fields.get("customer_id"), path=path)
        person = KeyPerson(
            id=person_id,
            territory=customer.territory,
            created_by=actor.id,
            updated_at=now_iso(),
            field_clocks=dict.fromkeys(fields, edit.clock),
            **fields,
        )
    else:
        if person.deleted:
            raise Conflict("this key person was deleted", path=path)
        ensure_territory(actor, person.territory, path=path, what="the key person")
        if "customer_id" in fields and fields["customer_id"] != person.customer_id:
            raise Conflict("a key person stays with their customer", path=f"{path}.fields.customer_id")
        apply_edit(session, actor, RecordKind.KEY_PERSON, person, fields, edit)
        person.updated_at = now_iso()
    session.add(person)
    remember(session, person)
    _log(session, person)
    return person


def delete_key_person(session: Session, actor: Actor, person_id: str, *, path: str = "key_person") -> None:
    """Tombstone, and the personal fields are erased on the server (what a request for erasure asks).

    Found through `lookup`: a key person made earlier in the same push is not flushed yet (see delete_customer)."""
    person = lookup(session, KeyPerson, person_id)
    if person is None or person.deleted:
        return
    ensure_territory(actor, person.territory, path=path, what="the key person")
    person.deleted = True
    person.phone = person.birthday = person.hobbies = person.family_notes = None
    person.updated_at = now_iso()
    session.add(person)
    _log(session, person)


def key_persons_of_customer(session: Session, customer_id: str) -> list[KeyPerson]:
    query = select(KeyPerson).where(KeyPerson.customer_id == customer_id, col(KeyPerson.deleted).is_(False))
    return list(session.exec(query.order_by(KeyPerson.name)).all())
