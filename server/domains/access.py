"""Rules every domain applies to a write: the record schema (shared) and the writer's territory."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session

from server.domains.customers.models import Customer
from server.domains.users.models import Actor
from server.errors import Forbidden, ValidationFailed
from shared.enums import RecordKind
from shared.records import validate_fields


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
    """Reps write only inside their own territory; supervisors and admins anywhere."""
    if actor.is_rep and territory != actor.territory:
        raise Forbidden(f"{what} is outside your territory ({actor.territory})", path=path)


def customer_in_reach(session: Session, actor: Actor, customer_id: object, *, path: str) -> Customer:
    """The customer a visit or note is about: it must exist and lie in the writer's territory."""
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer is None:
        raise ValidationFailed("no customer with this id", path=f"{path}.fields.customer_id")
    ensure_territory(actor, customer.territory, path=path, what=f"customer {customer_id}")
    return customer
