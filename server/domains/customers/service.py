"""Customers: create/update from a device or the server, tombstones, reading for the web view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from server.actor import Actor
from server.changes.log import record_change, record_data
from server.changes.merging import Edit, apply_edit
from server.changes.models import FieldConflict
from server.clock import now_iso, server_clock
from server.domains.access import check_fields, ensure_territory, lookup, remember
from server.domains.customers.models import Customer
from server.domains.duplicates.service import check_new_customer
from server.domains.text_search import contains, typed_text
from server.domains.users.models import User
from server.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.enums import CustomerStatus, RecordKind, ValueTier

# Fields only the server sets (from the writer, or by a supervisor); never accepted from a device op.
SERVER_FIELDS = frozenset({"territory", "owner_rep_id", "tier", "credit_rating", "credit_limit", "approval_status"})


def customer_data(customer: Customer) -> dict[str, Any]:
    return record_data(customer, exclude={"deleted", "merged_into"})


def _log(session: Session, customer: Customer) -> None:
    data = None if customer.deleted else customer_data(customer)
    if data is not None:  # the phone shows 我的客户 / 公海 / the owner's name (docs/ownership.md)
        owner = session.get(User, customer.owner_rep_id) if customer.owner_rep_id else None
        data["owner_name"] = owner.display_name if owner else None
    record_change(
        session,
        RecordKind.CUSTOMER,
        customer.id,
        audience=customer.territory,
        territory=customer.territory,
        data=data,
    )


def put_customer(
    session: Session,
    actor: Actor,
    customer_id: str,
    fields: Mapping[str, Any],
    *,
    path: str = "customer",
    server_fields: Mapping[str, Any] | None = None,
    edit: Edit | None = None,
) -> Customer:
    """Create the customer, or update only the given fields; `server_fields` only from supervisors/admins.

    A rep's new customer (a prospect met on the road) gets the rep's territory and the rep as owner.
    Fields merge with concurrent edits by their clocks (sync.merge); a losing value is kept as a conflict.
    """
    edit = edit or Edit(clock=server_clock())
    customer = lookup(session, Customer, customer_id)
    check_fields(RecordKind.CUSTOMER, fields, creating=customer is None, path=path)
    extra = dict(server_fields or {})
    if extra:
        if actor.is_rep:
            raise Forbidden("only supervisors set territory, owner and tier", path=path)
        unknown = set(extra) - SERVER_FIELDS
        if unknown:
            raise ValidationFailed(f"{sorted(unknown)[0]} is not a server field of a customer", path=path)
        if extra.get("tier") is not None and extra["tier"] not in {t.value for t in ValueTier}:
            raise ValidationFailed("tier must be A, B or C", path=f"{path}.tier")
    created = customer is None
    if customer is None:
        territory = extra.get("territory") or actor.territory
        if not territory:
            raise Forbidden("a new customer needs a territory: create it as a rep or give one", path=path)
        ensure_territory(actor, territory, path=path, what="the customer")
        customer = Customer(
            id=customer_id,
            territory=territory,
            owner_rep_id=actor.id if actor.is_rep else None,
            updated_at=now_iso(),
            field_clocks=dict.fromkeys(fields, edit.clock),
            **{"status": CustomerStatus.PROSPECT.value, "created_at": now_iso(), **fields},
        )
    else:
        if customer.deleted:
            raise Conflict("this customer was deleted", path=path)
        ensure_territory(actor, customer.territory, path=path, what="the customer")
        apply_edit(session, actor, RecordKind.CUSTOMER, customer, fields, edit)
        customer.updated_at = now_iso()
    for name, value in extra.items():
        setattr(customer, name, value)
    session.add(customer)
    remember(session, customer)
    _log(session, customer)
    if created:  # 查重 against the whole company: likely pairs wait for a supervisor (/customers/duplicates)
        check_new_customer(session, customer)
    return customer


def set_computed(session: Session, customer: Customer, values: Mapping[str, Any]) -> bool:
    """Write what the server computes (lifecycle status, tier) or a supervisor sets on their own page
    (credit rating); False when nothing changed, so nothing goes to the change log.

    A device-writable field (status) gets a server clock: a rep's concurrent edit made before seeing
    this value loses by the merge rules and is kept as a conflict, as for any later edit.
    """
    changed = {name: value for name, value in values.items() if getattr(customer, name) != value}
    if not changed or customer.deleted:
        return False
    clock, clocks = server_clock(), dict(customer.field_clocks or {})
    for name, value in changed.items():
        setattr(customer, name, value)
        if name not in SERVER_FIELDS:
            clocks[name] = clock
    customer.field_clocks = clocks
    customer.updated_at = now_iso()
    session.add(customer)
    _log(session, customer)
    return True


def delete_customer(session: Session, actor: Actor, customer_id: str, *, path: str = "customer") -> None:
    """Tombstone: the row stays (visits point to it), devices receive `deleted: true`. Unknown ids: no-op.

    Found through `lookup`, like a put: a customer made earlier in the same push is not flushed yet, and
    `session.get` would not see it (the delete was lost and the record came back on every phone)."""
    customer = lookup(session, Customer, customer_id)
    if customer is None or customer.deleted:
        return
    ensure_territory(actor, customer.territory, path=path, what="the customer")
    customer.deleted = True
    customer.updated_at = now_iso()
    session.add(customer)
    _log(session, customer)


def get_customer(session: Session, customer_id: str) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("no such customer", path="customer_id")
    return customer


def list_customers(
    session: Session, *, search: str = "", territory: str | None = None, limit: int = 200
) -> list[Customer]:
    query = select(Customer).where(Customer.deleted == False)  # noqa: E712
    if typed_text(search):
        query = query.where(contains(Customer.name, typed_text(search)))
    if territory:
        query = query.where(Customer.territory == territory)
    return list(session.exec(query.order_by(Customer.territory, Customer.name).limit(limit)).all())


def customers_by_id(session: Session, ids: set[str]) -> dict[str, Customer]:
    if not ids:
        return {}
    rows = session.exec(select(Customer).where(col(Customer.id).in_(ids))).all()
    return {customer.id: customer for customer in rows}


def customer_territories(session: Session) -> list[str]:
    """Every territory that has a (not deleted) customer, sorted."""
    query = select(Customer.territory).where(col(Customer.deleted).is_(False)).distinct()
    return sorted(session.exec(query).all())


def conflicts_of_edit(session: Session, customer_id: str, op_id: str) -> list[FieldConflict]:
    """The conflict records one edit of the customer left (by the edit's op id): the fields where it lost to a
    later concurrent value, or overrode one."""
    query = select(FieldConflict).where(FieldConflict.record_id == customer_id, FieldConflict.op_id == op_id)
    return list(session.exec(query).all())
