"""Export and erase the personal data held about a key person or a customer (issue #7).

What counts as personal (docs/operations.md, "Personal data: export and erasure"):
- a key person: everything but the customer they belong to and their role;
- a customer (a business): its contact person, phone and address, and all of its key persons. Its name,
  kind and map position stay: they describe the business, and visits' check-in checks need the position;
- wherever those values were copied: the customer's notes, the free text of its visits and complaints,
  the losing or kept values of sync conflicts, and refused ops (rejected_ops) that carried them.

Erasure writes through the normal services (key persons are deleted, fields blanked by a put), so the change
log carries every change and phones apply it on their next pull; conflict records are re-logged once scrubbed
so phones replace their copies too. Nothing erased is written to the audit log: only ids and counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from server.clock import now_iso, today
from server.domains.audit.service import audit
from server.domains.complaints.models import Complaint
from server.domains.complaints.service import complaints_of_customer, put_complaint
from server.domains.customers.models import Customer
from server.domains.customers.service import put_customer
from server.domains.key_persons.models import KeyPerson
from server.domains.key_persons.service import delete_key_person
from server.domains.notes.models import Note
from server.domains.notes.service import notes_of_customer, put_note
from server.domains.sync.changelog import record_change, record_data
from server.domains.sync.models import FieldConflict, RejectedOp
from server.domains.users.models import Actor
from server.domains.visits.models import Visit
from server.domains.visits.service import put_visit, visit_flag_rules, visits_of_customer
from server.errors import NotFound
from server.settings import Settings
from shared.enums import RecordKind

ERASED = "[erased]"
# A key person's fields that stay in refused ops and conflicts: whose they were and in what role, nothing personal.
KEY_PERSON_KEPT = frozenset({"customer_id", "role"})
KEY_PERSON_PERSONAL = ("name", "phone", "birthday", "hobbies", "family_notes", "attitude")
# Their values that are looked for in free text (an attitude is a word of our vocabulary, not theirs).
KEY_PERSON_SEARCHED = ("name", "phone", "birthday", "hobbies", "family_notes")
CUSTOMER_PERSONAL = ("contact_person", "phone", "address")
VISIT_TEXT = ("person_met", "purpose", "progress", "notes")
COMPLAINT_TEXT = ("description", "solution")
# The schema's longest text per free-text field (shared.records): the marker may be longer than what it replaces.
TEXT_LIMITS = {"text": 2000, "person_met": 60, "purpose": 200, "progress": 500, "notes": 2000}
TEXT_LIMITS |= {"description": 2000, "solution": 2000}
# Shorter values are not searched for in free text: one character would erase it everywhere it occurs.
MIN_MENTION = 2


@dataclass
class ErasureSummary:
    """What an erasure changed (counts and field names only: never the erased values)."""

    kind: str
    id: str
    key_persons_deleted: int = 0
    key_persons_erased: int = 0
    customer_fields_blanked: list[str] = field(default_factory=list)
    notes_scrubbed: int = 0
    visits_scrubbed: int = 0
    complaints_scrubbed: int = 0
    conflicts_scrubbed: int = 0
    rejected_ops_scrubbed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---- finding and replacing values -------------------------------------------------------------------------


def _searchable(values: Iterable[Any]) -> list[str]:
    """The values to look for in free text, longest first (a phone number before a shorter value inside it)."""
    found = {str(value).strip() for value in values if value is not None}
    return sorted((v for v in found if len(v) >= MIN_MENTION and v != ERASED), key=len, reverse=True)


def _mentions(text: Any, values: list[str]) -> bool:
    return isinstance(text, str) and any(value in text for value in values)


def _scrub(value: Any, values: list[str]) -> Any:
    """`value` with every occurrence of the erased values replaced by the marker, inside lists and dicts too."""
    if isinstance(value, str):
        for erased in values:
            value = value.replace(erased, ERASED)
        return value
    if isinstance(value, list):
        return [_scrub(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, values) for key, item in value.items()}
    return value


def _mark(value: Any) -> Any:
    return None if value is None else ERASED


def _person_values(person: KeyPerson) -> list[Any]:
    return [getattr(person, name) for name in KEY_PERSON_SEARCHED]


def _record(record: Any) -> dict[str, Any]:
    return record_data(record, exclude={"field_clocks"})


# ---- export -----------------------------------------------------------------------------------------------


def _visit_text(visit: Visit) -> dict[str, Any]:
    data = record_data(visit)
    keep = ("id", "rep_id", "check_in_at", "check_out_at", "attitude", "next_visit_date", *VISIT_TEXT)
    return {name: data.get(name) for name in keep}


def _related_conflicts(session: Session, ids: set[str]) -> list[FieldConflict]:
    if not ids:
        return []
    query = select(FieldConflict).where(col(FieldConflict.record_id).in_(sorted(ids)))
    return list(session.exec(query.order_by(col(FieldConflict.created_at))).all())


def _op_mentions(row: RejectedOp, ids: set[str], values: list[str]) -> bool:
    op = row.op or {}
    fields = op.get("fields") or {}
    if op.get("record_id") in ids or (isinstance(fields, dict) and fields.get("customer_id") in ids):
        return True
    texts = [*(fields.values() if isinstance(fields, dict) else []), row.message]
    return any(_mentions(text, values) for text in texts)


def _related_rejected_ops(session: Session, ids: set[str], values: list[str]) -> list[RejectedOp]:
    # Refused ops are few and erasure rare: read them all, since a value may be in an op about another record.
    rows = session.exec(select(RejectedOp).order_by(col(RejectedOp.rejected_at))).all()
    return [row for row in rows if _op_mentions(row, ids, values)]


def _audit(
    session: Session, actor: Actor, action: str, kind: str, record_id: str, ip: str | None, **extra: Any
) -> None:
    details = {"kind": kind, "record_id": record_id, **extra}
    audit(session, action, actor_id=actor.id, actor_name=actor.username, ip=ip, details=details)


def _document(actor: Actor, kind: str, record_id: str) -> dict[str, Any]:
    return {"kind": kind, "id": record_id, "exported_at": now_iso(), "exported_by": actor.username}


def export_key_person(session: Session, actor: Actor, person_id: str, *, ip: str | None = None) -> dict[str, Any]:
    """Every personal datum held about a key person, as one JSON document; the export is audited."""
    person = session.get(KeyPerson, person_id)
    if person is None:
        raise NotFound("no such key person", path="key_person_id")
    customer = session.get(Customer, person.customer_id)
    identifiers = _searchable([person.name, person.phone])  # what marks a mention of them in free text
    mentions: dict[str, list[dict[str, Any]]] = {"notes": [], "visits": [], "complaints": []}
    if identifiers:
        mentions["notes"] = [
            record_data(note)
            for note in notes_of_customer(session, person.customer_id)
            if _mentions(note.text, identifiers)
        ]
        mentions["visits"] = [
            _visit_text(visit)
            for visit in visits_of_customer(session, person.customer_id)
            if any(_mentions(getattr(visit, name), identifiers) for name in VISIT_TEXT)
        ]
        mentions["complaints"] = [
            _record(complaint)
            for complaint in complaints_of_customer(session, person.customer_id)
            if any(_mentions(getattr(complaint, name), identifiers) for name in COMPLAINT_TEXT)
        ]
    document = {
        **_document(actor, RecordKind.KEY_PERSON.value, person.id),
        "record": _record(person),
        "customer": None if customer is None else {"id": customer.id, "name": customer.name},
        "mentions": mentions,
        "conflicts": [record_data(conflict) for conflict in _related_conflicts(session, {person.id})],
        "rejected_ops": [
            record_data(row) for row in _related_rejected_ops(session, {person.id}, _searchable([person.phone]))
        ],
    }
    _audit(session, actor, "privacy_export", RecordKind.KEY_PERSON.value, person.id, ip)
    return document


def _people_of(session: Session, customer_id: str) -> list[KeyPerson]:
    """Every key person of the customer, deleted ones too (their tombstones may still hold something)."""
    query = select(KeyPerson).where(KeyPerson.customer_id == customer_id).order_by(col(KeyPerson.name))
    return list(session.exec(query).all())


def export_customer(session: Session, actor: Actor, customer_id: str, *, ip: str | None = None) -> dict[str, Any]:
    """The customer's record, key persons, notes, visits' free text, complaints, conflicts and refused ops."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("no such customer", path="customer_id")
    people = _people_of(session, customer.id)
    notes = notes_of_customer(session, customer.id)
    visits = visits_of_customer(session, customer.id)
    complaints = complaints_of_customer(session, customer.id)
    ids = {customer.id, *(p.id for p in people), *(n.id for n in notes), *(v.id for v in visits)}
    ids |= {c.id for c in complaints}
    values = _searchable([customer.phone, *(person.phone for person in people)])
    document = {
        **_document(actor, RecordKind.CUSTOMER.value, customer.id),
        "record": _record(customer),
        "key_persons": [_record(person) for person in people],
        "notes": [record_data(note) for note in notes],
        "visits": [_visit_text(visit) for visit in visits],
        "complaints": [_record(complaint) for complaint in complaints],
        "conflicts": [record_data(conflict) for conflict in _related_conflicts(session, ids)],
        "rejected_ops": [record_data(row) for row in _related_rejected_ops(session, ids, values)],
    }
    _audit(session, actor, "privacy_export", RecordKind.CUSTOMER.value, customer.id, ip)
    return document


# ---- erasure ----------------------------------------------------------------------------------------------


@dataclass
class _Scope:
    """What one erasure covers: whole key persons, whole customer fields, and values to find elsewhere."""

    customer: Customer | None
    people: list[KeyPerson]
    customer_fields: frozenset[str]  # the customer's fields erased wholesale
    values: list[Any]  # erased values, looked for in free text (made searchable by `_erase`)
    whole_customer: bool = False  # False: only the customer's fields that quote an erased value

    @property
    def person_ids(self) -> set[str]:
        return {person.id for person in self.people}


def erase_key_person(
    session: Session, actor: Actor, person_id: str, settings: Settings, *, ip: str | None = None
) -> dict[str, Any]:
    """Delete the key person (a tombstone phones receive) and scrub every copy of their data. Idempotent."""
    person = session.get(KeyPerson, person_id)
    if person is None:
        raise NotFound("no such key person", path="key_person_id")
    customer = session.get(Customer, person.customer_id)
    summary = ErasureSummary(RecordKind.KEY_PERSON.value, person.id)
    _erase(session, actor, settings, _Scope(customer, [person], frozenset(), _person_values(person)), summary)
    _audit(session, actor, "privacy_erase", summary.kind, person.id, ip, summary=_counts(summary))
    return summary.as_dict()


def erase_customer(
    session: Session, actor: Actor, customer_id: str, settings: Settings, *, ip: str | None = None
) -> dict[str, Any]:
    """Blank the customer's personal fields, delete its key persons, scrub every copy. Idempotent."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("no such customer", path="customer_id")
    people = _people_of(session, customer.id)
    values = [*(getattr(customer, name) for name in CUSTOMER_PERSONAL), *(v for p in people for v in _person_values(p))]
    summary = ErasureSummary(RecordKind.CUSTOMER.value, customer.id)
    scope = _Scope(customer, people, frozenset(CUSTOMER_PERSONAL), values, whole_customer=True)
    _erase(session, actor, settings, scope, summary)
    _audit(session, actor, "privacy_erase", summary.kind, customer.id, ip, summary=_counts(summary))
    return summary.as_dict()


def _counts(summary: ErasureSummary) -> dict[str, Any]:
    return {name: value for name, value in summary.as_dict().items() if name not in ("kind", "id")}


def _held_values(session: Session, scope: _Scope) -> list[Any]:
    """Values the erased fields held before: losers of conflicts and refused ops are copies to look for too."""
    customer_id = scope.customer.id if scope.customer is not None else None
    held: list[Any] = []
    for conflict in _related_conflicts(session, scope.person_ids | {customer_id or ""}):
        if (conflict.record_id in scope.person_ids and conflict.field in KEY_PERSON_SEARCHED) or (
            conflict.record_id == customer_id and conflict.field in scope.customer_fields
        ):
            held += [conflict.kept_value, conflict.lost_value]
    for row in session.exec(select(RejectedOp)).all():
        op, fields = row.op or {}, (row.op or {}).get("fields")
        if not isinstance(fields, dict):
            continue
        if op.get("kind") == RecordKind.KEY_PERSON.value and op.get("record_id") in scope.person_ids:
            held += [value for name, value in fields.items() if name in KEY_PERSON_SEARCHED]
        elif op.get("kind") == RecordKind.CUSTOMER.value and op.get("record_id") == customer_id:
            held += [value for name, value in fields.items() if name in scope.customer_fields]
    return [value for value in held if isinstance(value, str)]


def _erase(session: Session, actor: Actor, settings: Settings, scope: _Scope, summary: ErasureSummary) -> None:
    scope.values = _searchable([*scope.values, *_held_values(session, scope)])
    if not scope.whole_customer and scope.customer is not None:
        # The customer's own contact fields may hold the same person (the boss is the contact person).
        customer = scope.customer
        quoting = (name for name in CUSTOMER_PERSONAL if _mentions(getattr(customer, name), scope.values))
        scope.customer_fields = frozenset(quoting)
    for person in scope.people:
        _erase_person(session, actor, person, summary)
    if scope.customer is not None:
        _blank_customer(session, actor, scope.customer, scope.customer_fields, summary)
        if scope.values:
            _scrub_customer_texts(session, actor, settings, scope.customer, scope.values, summary)
    _scrub_conflicts(session, scope, summary)
    _scrub_rejected_ops(session, scope, summary)


def _erase_person(session: Session, actor: Actor, person: KeyPerson, summary: ErasureSummary) -> None:
    if not person.deleted:
        delete_key_person(session, actor, person.id)  # tombstone through the change log; blanks contact fields
        summary.key_persons_deleted += 1
    # The tombstone row keeps only what ties it to its customer: never synced again, so set directly.
    if person.name != ERASED or any(getattr(person, name) is not None for name in KEY_PERSON_PERSONAL[1:]):
        person.name = ERASED
        person.phone = person.birthday = person.hobbies = person.family_notes = person.attitude = None
        person.updated_at = now_iso()
        session.add(person)
        summary.key_persons_erased += 1


def _blank_customer(
    session: Session, actor: Actor, customer: Customer, fields: frozenset[str], summary: ErasureSummary
) -> None:
    blank = {name: None for name in CUSTOMER_PERSONAL if name in fields and getattr(customer, name) is not None}
    if not blank:
        return
    if customer.deleted:  # a tombstone is never sent again: the row only needs to forget
        for name in blank:
            setattr(customer, name, None)
        session.add(customer)
    else:
        put_customer(session, actor, customer.id, blank, path="customer")  # the change log carries it to phones
    summary.customer_fields_blanked = sorted(blank)


def _changed_texts(record: Any, names: Iterable[str], values: list[str]) -> dict[str, Any]:
    changed: dict[str, Any] = {}
    for name in names:
        current = getattr(record, name)
        if _mentions(current, values):
            changed[name] = _scrub(current, values)[: TEXT_LIMITS[name]]
    return changed


def _scrub_customer_texts(
    session: Session, actor: Actor, settings: Settings, customer: Customer, values: list[str], summary: ErasureSummary
) -> None:
    """Notes, visits and complaints of the customer that quote an erased value get it replaced by a put."""
    for note in session.exec(select(Note).where(Note.customer_id == customer.id)).all():
        if fields := _changed_texts(note, ["text"], values):
            put_note(session, actor, note.id, fields, path="note")
            summary.notes_scrubbed += 1
    rules = visit_flag_rules(settings)
    for visit in session.exec(select(Visit).where(Visit.customer_id == customer.id)).all():
        if fields := _changed_texts(visit, VISIT_TEXT, values):
            put_visit(session, actor, visit.id, fields, tz=settings.tz, path="visit", flag_rules=rules)
            summary.visits_scrubbed += 1
    day = today(settings.tz)
    for complaint in session.exec(select(Complaint).where(Complaint.customer_id == customer.id)).all():
        if fields := _changed_texts(complaint, COMPLAINT_TEXT, values):
            put_complaint(session, actor, complaint.id, fields, today=day, path="complaint")
            summary.complaints_scrubbed += 1


def _scrub_conflicts(session: Session, scope: _Scope, summary: ErasureSummary) -> None:
    """Conflicts keep both values of a field; phones hold copies, so a scrubbed one is logged again."""
    ids = scope.person_ids
    customer_id = scope.customer.id if scope.customer is not None else None
    if customer_id is not None:
        ids.add(customer_id)
        ids |= {row.id for row in session.exec(select(Complaint).where(Complaint.customer_id == customer_id)).all()}
    for conflict in _related_conflicts(session, ids):
        wholly = conflict.record_id in scope.person_ids and conflict.field not in KEY_PERSON_KEPT
        wholly = wholly or (conflict.record_id == customer_id and conflict.field in scope.customer_fields)
        if wholly:
            kept, lost = _mark(conflict.kept_value), _mark(conflict.lost_value)
        else:
            kept, lost = _scrub(conflict.kept_value, scope.values), _scrub(conflict.lost_value, scope.values)
        if (kept, lost) == (conflict.kept_value, conflict.lost_value):
            continue
        conflict.kept_value, conflict.lost_value = kept, lost
        session.add(conflict)
        record_change(
            session,
            RecordKind.CONFLICT,
            conflict.id,
            audience=conflict.territory,
            territory=conflict.territory,
            data=record_data(conflict),
        )
        summary.conflicts_scrubbed += 1


def _scrubbed_fields(op: Mapping[str, Any], scope: _Scope) -> dict[str, Any]:
    fields = dict(op.get("fields") or {})
    record_id = op.get("record_id")
    if op.get("kind") == RecordKind.KEY_PERSON.value and record_id in scope.person_ids:
        fields = {name: value if name in KEY_PERSON_KEPT else _mark(value) for name, value in fields.items()}
    elif scope.customer is not None and op.get("kind") == RecordKind.CUSTOMER.value and record_id == scope.customer.id:
        fields = {name: _mark(value) if name in scope.customer_fields else value for name, value in fields.items()}
    return {name: _scrub(value, scope.values) for name, value in fields.items()}


def _scrub_rejected_ops(session: Session, scope: _Scope, summary: ErasureSummary) -> None:
    """A refused op keeps what it tried to write: the erased values in its fields and message are replaced."""
    ids = scope.person_ids | ({scope.customer.id} if scope.customer is not None else set())
    for row in _related_rejected_ops(session, ids, scope.values):
        op = dict(row.op or {})
        if isinstance(op.get("fields"), dict):
            op["fields"] = _scrubbed_fields(op, scope)
        message = _scrub(row.message, scope.values)
        path = _scrub(row.path, scope.values)
        if (op, message, path) == (row.op, row.message, row.path):
            continue
        row.op, row.message, row.path = op, message, path  # a new dict: JSON columns see reassignment only
        session.add(row)
        summary.rejected_ops_scrubbed += 1
