"""Rules every domain applies to a write: the record schema (shared) and the writer's territory."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from sqlmodel import Session, SQLModel, col, select

from server.actor import Actor
from server.changes.log import record_change, record_data
from server.db import insert_rows
from server.domains.customers.models import Customer
from server.domains.teams import sees, team_of
from server.domains.visits.models import Visit
from server.errors import Forbidden, ValidationFailed
from shared.enums import RecordKind
from shared.records import FieldError, validate_fields

Record = TypeVar("Record", bound=SQLModel)


RECORD_CACHE = "routecrm_records"
NEW_ROWS = "routecrm_new_rows"


def lookup(session: Session, model: type[Record], record_id: str) -> Record | None:
    """`session.get`, first asking the push's preloaded records (`preload`): a push of 500 ops then reads
    the database a few times instead of once or twice per op. A new row waiting in the batch
    (`add_new_row`) becomes an ORM record here, so a later op of the push can change it."""
    new_rows: dict[tuple[type, str], dict[str, Any]] | None = session.info.get(NEW_ROWS)
    if new_rows and (model, record_id) in new_rows:
        record = model(**new_rows.pop((model, record_id)))
        session.add(record)
        remember(session, record)
        return record
    cache: dict[tuple[type, str], Any] | None = session.info.get(RECORD_CACHE)
    if cache is not None and (model, record_id) in cache:
        return cast("Record | None", cache[(model, record_id)])
    return session.get(model, record_id)


@contextmanager
def new_rows_batched(session: Session) -> Iterator[None]:
    """Within this block, `add_new_row` collects new records; at its end they are inserted, one statement per
    model. A push creates hundreds of visits: as plain rows they cost a tenth of ORM objects. Queries inside
    the block do not see the waiting rows (as under `no_autoflush`); `lookup` does."""
    session.info[NEW_ROWS] = {}
    try:
        yield
        rows: dict[tuple[type, str], dict[str, Any]] = session.info[NEW_ROWS]
        by_shape: dict[tuple[type, tuple[str, ...]], list[dict[str, Any]]] = {}
        for (model, _), row in rows.items():
            by_shape.setdefault((model, tuple(row)), []).append(row)
        for (model, _), model_rows in by_shape.items():
            insert_rows(session, model.__table__, model_rows)  # type: ignore[attr-defined]  # the ORM's costs 10x
    finally:
        del session.info[NEW_ROWS]


def add_new_row(session: Session, model: type[SQLModel], row: dict[str, Any]) -> None:
    """A new record (every column given) to insert at the end of `new_rows_batched`."""
    session.info[NEW_ROWS][(model, row["id"])] = row


def remember(session: Session, record: SQLModel) -> None:
    """A record created in this session, so `lookup` finds it before it is flushed."""
    cache: dict[tuple[type, str], Any] | None = session.info.get(RECORD_CACHE)
    if cache is not None:
        cache[(type(record), record.id)] = record  # type: ignore[attr-defined]


def preload(session: Session, wanted: Mapping[type[SQLModel], set[str]]) -> None:
    """Load these records in one query per model; ids not found are remembered as absent."""
    cache: dict[tuple[type, str], Any] = session.info.setdefault(RECORD_CACHE, {})
    for model, ids in wanted.items():
        key = col(model.id)  # type: ignore[attr-defined]
        rows = session.exec(select(model).where(key.in_(sorted(ids)))).all()
        found = {getattr(record, "id"): record for record in rows}  # noqa: B009 - every synced model has an id
        for record_id in ids:
            cache[(model, record_id)] = found.get(record_id)


def check_fields(kind: RecordKind, fields: Mapping[str, object], *, creating: bool, path: str) -> None:
    """Raise ValidationFailed (422 invalid_record) naming the first bad field, listing them all in details."""
    errors = validate_fields(kind, fields, creating=creating)
    if errors:
        first = errors[0]
        raise ValidationFailed(
            f"{first.field} {first.problem}",
            path=f"{path}.fields.{first.field}",
            details=[error.as_dict() for error in errors],
        )


def ensure_territory(actor: Actor, territory: str, *, path: str, what: str) -> None:
    """Reps write only inside their own territory, a supervisor whose account names a territory inside that
    team; a company-wide supervisor and admins anywhere (server/domains/teams.py)."""
    team = team_of(actor)
    if team is not None and territory != team:
        raise Forbidden(f"{what} is outside your territory ({team})", path=path)


def customer_in_reach(session: Session, actor: Actor, customer_id: object, *, path: str) -> Customer:
    """The customer a visit or note is about: it must exist and lie in the writer's territory."""
    customer = lookup(session, Customer, customer_id) if isinstance(customer_id, str) else None
    if customer is None:
        raise ValidationFailed("no customer with this id", path=f"{path}.fields.customer_id")
    ensure_territory(actor, customer.territory, path=path, what=f"customer {customer_id}")
    return customer


def refuse_problems(problems: Sequence[FieldError], path: str) -> None:
    """Refuse a record whose checks (shared/records.py and friends) found problems, naming the first one's
    field under `path` and listing them all; no problems, nothing happens."""
    if problems:
        first = problems[0]
        raise ValidationFailed(
            f"{first.field} {first.problem}",
            path=f"{path}.{first.field}",
            details=[problem.as_dict() for problem in problems],
        )


def customers_record(
    session: Session, model: type[Record], record_id: str, customer: Customer, *, path: str, noun: str
) -> Record:
    """The record another one is made on (the visit of an order, the complaint of a step, the opportunity
    of a stage event), named by its `<noun>_id` field: it must exist already and be this customer's."""
    record = lookup(session, model, record_id)
    field_path = f"{path}.fields.{noun}_id"
    if record is None:
        raise ValidationFailed(
            f"no {noun} with this id: push the {noun} first", path=field_path, details={"reason": f"unknown_{noun}"}
        )
    if getattr(record, "customer_id") != customer.id:  # noqa: B009 - every such model has one
        raise ValidationFailed(
            f"the {noun} is another customer's", path=field_path, details={"reason": f"{noun}_of_another_customer"}
        )
    return record


def visit_of(session: Session, actor: Actor, customer: Customer, visit_id: str, *, path: str, doing: str) -> Visit:
    """The visit a record is made on: it exists, it was at this customer, and a rep may only use their own
    (`doing` ends the refusal: "only the rep who made the visit <doing>"). Another team's visit is unknown."""
    found = lookup(session, Visit, visit_id)
    if found is not None and not sees(actor, found.territory):
        raise ValidationFailed(
            "no visit with this id: push the visit first",
            path=f"{path}.fields.visit_id",
            details={"reason": "unknown_visit"},
        )
    visit = customers_record(session, Visit, visit_id, customer, path=path, noun="visit")
    if actor.is_rep and visit.rep_id != actor.id:
        raise Forbidden(f"only the rep who made the visit {doing}", path=f"{path}.fields.visit_id")
    return visit


def check_named_visit(
    session: Session,
    actor: Actor,
    customer: Customer,
    fields: Mapping[str, Any],
    *,
    path: str,
    doing: str,
    stored: str | None = None,
) -> None:
    """A record that may name the visit it was made on (a note, a complaint, a competitor report): a
    `visit_id` given, other than the one it has (`stored`), passes the orders' check (`visit_of`)."""
    visit_id = fields.get("visit_id")
    if isinstance(visit_id, str) and visit_id != stored:
        visit_of(session, actor, customer, visit_id, path=path, doing=doing)


def store_territory_record(
    session: Session, kind: RecordKind, record: SQLModel, data: dict[str, Any] | None = None
) -> None:
    """Add a new or changed record of a territory, and its change for every device of that territory
    (`data`: the record as devices receive it, by default every column)."""
    session.add(record)
    remember(session, record)
    territory: str = getattr(record, "territory")  # noqa: B009 - every territory record has one
    record_id: str = getattr(record, "id")  # noqa: B009
    record_change(
        session,
        kind,
        record_id,
        audience=territory,
        territory=territory,
        data=record_data(record) if data is None else data,
    )
