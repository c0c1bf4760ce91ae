"""Export and erase the personal data held about a key person or a customer (issue #7).

What counts as personal (docs/operations.md, "Personal data: export and erasure"):
- a key person: everything but the customer they belong to and their role;
- a customer (a business): its contact person, phone and address, and all of its key persons. Its name,
  kind and map position stay: they describe the business, and visits' check-in checks need the position;
- wherever those values were copied: the customer's notes, the free text of its visits and complaints,
  and of its orders, competitor reports, opportunities, stage events, campaign results and complaint steps
  (CUSTOMER_TEXTS), the losing or kept values of sync conflicts, refused ops (rejected_ops), ops of revoked
  phones (quarantined_ops) and the ops phones signed (op_chain: the erased op keeps its place in its phone's
  chain, its signature goes; docs/security.md) that carried them, and customer files kept for an import
  (import_batches);
- a customer's visit photos (they may show people): listed in the export with their SHA-256 (the bytes are
  at /photos/<id>), deleted by the customer's erasure: the record (a tombstone phones receive, and they delete
  the file), the bytes, the thumbnail and any upload in progress.

Erasure writes through the normal services (key persons are deleted, fields blanked by a put), so the change
log carries every change and phones apply it on their next pull; conflict records are re-logged once scrubbed
so phones replace their copies too. Nothing erased is written to the audit log: only ids and counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, SQLModel, col, select

from server.actor import Actor
from server.changes.log import record_change, record_data
from server.changes.models import FieldConflict, RejectedOp
from server.clock import now_iso, today
from server.domains.audit.service import audit
from server.domains.campaigns.models import CampaignResult
from server.domains.chain.recording import erase_op, ops_about
from server.domains.competitors.models import CompetitorReport
from server.domains.complaints.models import Complaint, ComplaintStep
from server.domains.complaints.service import complaints_of_customer, put_complaint, step_data
from server.domains.customers.models import Customer
from server.domains.customers.service import put_customer
from server.domains.devices.models import QuarantinedOp
from server.domains.imports.models import ImportBatch
from server.domains.imports.reading import UnreadableFile, read_table
from server.domains.key_persons.models import KeyPerson
from server.domains.key_persons.service import delete_key_person
from server.domains.notes.models import Note
from server.domains.notes.service import notes_of_customer, put_note
from server.domains.orders.models import Order
from server.domains.orders.service import order_data
from server.domains.photos.models import VisitPhoto, VisitPhotoChunk, VisitPhotoContent
from server.domains.pipeline.models import Opportunity, StageEvent
from server.domains.pipeline.service import event_data, opportunity_data
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
# With a visit type's own free text (shared.records.VISIT_TYPE_FIELDS): it may name a person too.
VISIT_TEXT = (
    *("person_met", "purpose", "progress", "notes"),
    *("needs", "key_persons_met", "competitors_in_use", "products_presented", "objections", "promises"),
    "carried_through",
)
COMPLAINT_TEXT = ("description", "solution")
# The schema's longest text per free-text field (shared.records): the marker may be longer than what it replaces.
TEXT_LIMITS = {"text": 2000, "person_met": 60, "purpose": 200, "progress": 500, "notes": 2000}
TEXT_LIMITS |= {"description": 2000, "solution": 2000}
TEXT_LIMITS |= {name: 500 for name in ("needs", "objections", "promises", "carried_through")}
TEXT_LIMITS |= {"key_persons_met": 200, "competitors_in_use": 200, "products_presented": 300}
# Shorter values are not searched for in free text: one character would erase it everywhere it occurs.
MIN_MENTION = 2


@dataclass(frozen=True)
class CustomerText:
    """A kind of record about a customer whose free text may quote a person: exported whole, scrubbed in place
    (these kinds never change through the services once stored, so the erasure writes them and logs the change)."""

    name: str  # its key in the export and the erasure summary
    kind: RecordKind
    model: type[SQLModel]
    limits: dict[str, int]  # free-text field -> its longest text
    data: Callable[[Any], dict[str, Any]]  # the record as devices receive it


CUSTOMER_TEXTS = (
    CustomerText("orders", RecordKind.ORDER, Order, {"notes": 500}, order_data),
    CustomerText(
        "competitor_reports",
        RecordKind.COMPETITOR_REPORT,
        CompetitorReport,
        {"brand": 60, "product": 100, "promotion": 500},
        record_data,
    ),
    CustomerText("opportunities", RecordKind.OPPORTUNITY, Opportunity, {"notes": 500}, opportunity_data),
    CustomerText("stage_events", RecordKind.STAGE_EVENT, StageEvent, {"note": 500}, event_data),
    CustomerText("campaign_results", RecordKind.CAMPAIGN_RESULT, CampaignResult, {"feedback": 500}, record_data),
    CustomerText("complaint_steps", RecordKind.COMPLAINT_STEP, ComplaintStep, {"note": 2000}, step_data),
)


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
    quarantined_ops_scrubbed: int = 0
    signed_ops_scrubbed: int = 0
    import_files_dropped: int = 0
    photos_deleted: int = 0
    records_scrubbed: dict[str, int] = field(default_factory=dict)  # CustomerText.name -> how many

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


def _related_quarantined_ops(session: Session, ids: set[str], values: list[str]) -> list[QuarantinedOp]:
    """Ops of revoked phones (kept for an admin's decision) about these records or quoting these values."""
    rows = session.exec(select(QuarantinedOp).order_by(col(QuarantinedOp.id))).all()
    found = []
    for row in rows:
        op = row.op or {}
        fields = op.get("fields") or {}
        if (
            op.get("record_id") in ids
            or (isinstance(fields, dict) and fields.get("customer_id") in ids)
            or (isinstance(fields, dict) and any(_mentions(value, values) for value in fields.values()))
        ):
            found.append(row)
    return found


def _customer_records(session: Session, text: CustomerText, customer_id: str) -> list[Any]:
    model: Any = text.model
    return list(session.exec(select(model).where(model.customer_id == customer_id)).all())


def _photos_of(session: Session, customer_id: str) -> list[VisitPhoto]:
    query = select(VisitPhoto).where(VisitPhoto.customer_id == customer_id).order_by(col(VisitPhoto.taken_at))
    return list(session.exec(query).all())


def _photo_entry(photo: VisitPhoto) -> dict[str, Any]:
    """A photo in the export: what it is and its SHA-256; an admin downloads the bytes at `url`."""
    keep = ("id", "visit_id", "rep_id", "taken_at", "content_type", "size", "sha256", "uploaded_at")
    return {**{name: getattr(photo, name) for name in keep}, "url": f"/photos/{photo.id}"}


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
        for text in CUSTOMER_TEXTS:
            mentions[text.name] = [
                _record(record)
                for record in _customer_records(session, text, person.customer_id)
                if any(_mentions(getattr(record, name), identifiers) for name in text.limits)
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
        "quarantined_ops": [
            record_data(row) for row in _related_quarantined_ops(session, {person.id}, _searchable([person.phone]))
        ],
        "signed_ops": [record_data(row) for row in ops_about(session, {person.id}, _searchable([person.phone]))],
    }
    _audit(session, actor, "privacy_export", RecordKind.KEY_PERSON.value, person.id, ip)
    return document


def _people_of(session: Session, customer_id: str) -> list[KeyPerson]:
    """Every key person of the customer, deleted ones too (their tombstones may still hold something)."""
    query = select(KeyPerson).where(KeyPerson.customer_id == customer_id).order_by(col(KeyPerson.name))
    return list(session.exec(query).all())


def export_customer(session: Session, actor: Actor, customer_id: str, *, ip: str | None = None) -> dict[str, Any]:
    """The customer's record, key persons, notes, visits' free text, complaints, the records of CUSTOMER_TEXTS,
    its visit photos (listed with their SHA-256), conflicts, refused ops and ops of revoked phones."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("no such customer", path="customer_id")
    people = _people_of(session, customer.id)
    notes = notes_of_customer(session, customer.id)
    visits = visits_of_customer(session, customer.id)
    complaints = complaints_of_customer(session, customer.id)
    ids = {customer.id, *(p.id for p in people), *(n.id for n in notes), *(v.id for v in visits)}
    ids |= {c.id for c in complaints}
    others = {text.name: _customer_records(session, text, customer.id) for text in CUSTOMER_TEXTS}
    photos = _photos_of(session, customer.id)
    ids |= {record.id for records in others.values() for record in records} | {photo.id for photo in photos}
    values = _searchable([customer.phone, *(person.phone for person in people)])
    document = {
        **_document(actor, RecordKind.CUSTOMER.value, customer.id),
        "record": _record(customer),
        "key_persons": [_record(person) for person in people],
        "notes": [record_data(note) for note in notes],
        "visits": [_visit_text(visit) for visit in visits],
        "complaints": [_record(complaint) for complaint in complaints],
        **{name: [_record(record) for record in records] for name, records in others.items()},
        "photos": [_photo_entry(photo) for photo in photos],
        "conflicts": [record_data(conflict) for conflict in _related_conflicts(session, ids)],
        "rejected_ops": [record_data(row) for row in _related_rejected_ops(session, ids, values)],
        "quarantined_ops": [record_data(row) for row in _related_quarantined_ops(session, ids, values)],
        "signed_ops": [record_data(row) for row in ops_about(session, ids, values)],
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
    ops = [row.op for row in session.exec(select(RejectedOp)).all()]
    ops += [row.op for row in session.exec(select(QuarantinedOp)).all()]
    ops += [row.op for row in ops_about(session, scope.person_ids | {customer_id or ""}, [])]  # earlier values
    for stored in ops:
        op, fields = stored or {}, (stored or {}).get("fields")
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
            _scrub_customer_records(session, scope.customer, scope.values, summary)
        if scope.whole_customer:
            _delete_photos(session, scope.customer, summary)
    _scrub_conflicts(session, scope, summary)
    _scrub_rejected_ops(session, scope, summary)
    _scrub_quarantined_ops(session, scope, summary)
    _scrub_signed_ops(session, scope, summary)
    _drop_import_files(session, scope, summary)


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


def _scrub_customer_records(session: Session, customer: Customer, values: list[str], summary: ErasureSummary) -> None:
    """The records of CUSTOMER_TEXTS that quote an erased value: written in place, their change logged again."""
    for text in CUSTOMER_TEXTS:
        for record in _customer_records(session, text, customer.id):
            changed = {
                name: _scrub(getattr(record, name), values)[:limit]
                for name, limit in text.limits.items()
                if _mentions(getattr(record, name), values)
            }
            if not changed:
                continue
            for name, value in changed.items():
                setattr(record, name, value)
            if hasattr(record, "updated_at"):
                record.updated_at = now_iso()
            session.add(record)
            territory = record.territory
            record_change(
                session, text.kind, record.id, audience=territory, territory=territory, data=text.data(record)
            )
            summary.records_scrubbed[text.name] = summary.records_scrubbed.get(text.name, 0) + 1


def _delete_photos(session: Session, customer: Customer, summary: ErasureSummary) -> None:
    """The customer's visit photos go: bytes, thumbnails, uploads in progress, and the record (a tombstone)."""
    photos = _photos_of(session, customer.id)
    ids = [photo.id for photo in photos]
    if not ids:
        return
    session.execute(delete(VisitPhotoChunk).where(col(VisitPhotoChunk.photo_id).in_(ids)))
    session.execute(delete(VisitPhotoContent).where(col(VisitPhotoContent.photo_id).in_(ids)))
    for photo in photos:
        session.delete(photo)
        territory = photo.territory
        record_change(session, RecordKind.VISIT_PHOTO, photo.id, audience=territory, territory=territory, data=None)
    summary.photos_deleted = len(photos)


def _scrub_conflicts(session: Session, scope: _Scope, summary: ErasureSummary) -> None:
    """Conflicts keep both values of a field; phones hold copies, so a scrubbed one is logged again."""
    ids = scope.person_ids
    customer_id = scope.customer.id if scope.customer is not None else None
    if customer_id is not None:
        ids.add(customer_id)
        ids |= {row.id for row in session.exec(select(Complaint).where(Complaint.customer_id == customer_id)).all()}
        query = select(Opportunity.id).where(Opportunity.customer_id == customer_id)
        ids |= set(session.exec(query).all())  # an opportunity's notes merge like a customer's fields
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
        comment = _scrub(getattr(row, "review_comment", None), scope.values)  # a supervisor's words on it
        if (op, message, path, comment) == (row.op, row.message, row.path, getattr(row, "review_comment", None)):
            continue
        row.op, row.message, row.path = op, message, path  # a new dict: JSON columns see reassignment only
        if comment is not None:
            row.review_comment = comment[:500]
        session.add(row)
        summary.rejected_ops_scrubbed += 1


def _scrub_signed_ops(session: Session, scope: _Scope, summary: ErasureSummary) -> None:
    """The ops phones signed (server/domains/chain) keep what they wrote: the erased values in them are replaced,
    and each such op loses its signature but keeps its place in its phone's chain (`erase_op`)."""
    ids = scope.person_ids | ({scope.customer.id} if scope.customer is not None else set())
    for row in ops_about(session, ids, scope.values):
        fields = _scrubbed_fields(row.op, scope)
        if fields == row.op.get("fields"):
            continue
        erase_op(row, fields)
        session.add(row)
        summary.signed_ops_scrubbed += 1


def _file_mentions(batch: ImportBatch, values: list[str]) -> bool:
    try:
        table = read_table(batch.content, batch.encoding)
    except UnreadableFile:
        return False
    return any(_mentions(cell, values) for _, cells in table.rows for cell in cells)


def _drop_import_files(session: Session, scope: _Scope, summary: ErasureSummary) -> None:
    """Customer files kept for an import's confirmation (server/domains/imports) that hold an erased value: an
    imported one keeps its row (name, digest, counts: the audit log names it) without the file's bytes, which
    nothing reads again; one still waiting for its confirmation is deleted (the supervisor uploads it again)."""
    if not scope.values:
        return
    for batch in session.exec(select(ImportBatch).where(col(ImportBatch.content) != b"")).all():
        if not _file_mentions(batch, scope.values):
            continue
        if batch.imported_at is None:
            session.delete(batch)
        else:
            batch.content = b""
            session.add(batch)
        summary.import_files_dropped += 1


def _scrub_quarantined_ops(session: Session, scope: _Scope, summary: ErasureSummary) -> None:
    """An op of a revoked phone waits for an admin's decision: the erased values in it are replaced."""
    ids = scope.person_ids | ({scope.customer.id} if scope.customer is not None else set())
    for row in _related_quarantined_ops(session, ids, scope.values):
        op = dict(row.op or {})
        if isinstance(op.get("fields"), dict):
            op["fields"] = _scrubbed_fields(op, scope)
        if op == row.op:
            continue
        row.op = op  # a new dict: JSON columns see reassignment only
        session.add(row)
        summary.quarantined_ops_scrubbed += 1
