"""The supervisor's customer list: filters (tier, class, lifecycle, owning rep, visit overdue, text) and
paging, all in SQL so a page costs the same with 5,000 customers and 200,000 visits.

"Overdue" is the tier cadence of shared/cadence.py, turned into one cutoff day per tier (a customer is
overdue when it has no visit after its tier's cutoff: never visited, or last visited on or before it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_
from sqlmodel import Session, col, select

from server.domains.customers.models import Customer
from server.domains.text_search import contains, typed_text
from server.domains.visits.models import Visit
from server.errors import ValidationFailed
from shared.cadence import overdue_cutoff
from shared.enums import CustomerKind, CustomerStatus, ValueTier

NO_TIER = "none"
PER_PAGE = 50


@dataclass(frozen=True)
class CustomerFilter:
    search: str = ""
    tier: str = ""  # "A", "B", "C", NO_TIER, or "" for any
    kind: str = ""  # shared.enums.CustomerKind (the customer's class)
    status: str = ""  # shared.enums.CustomerStatus (the lifecycle)
    owner_rep_id: str = ""
    overdue: bool | None = None
    territory: str | None = None  # one team's customers (server/domains/teams.py); None: every territory

    def validated(self) -> CustomerFilter:
        """Refuse values no customer can have, naming the filter (a 400, not an empty list)."""
        if self.tier and self.tier != NO_TIER and self.tier not in set(ValueTier):
            raise ValidationFailed("tier must be A, B, C or none", path="tier")
        if self.kind and self.kind not in set(CustomerKind):
            raise ValidationFailed("unknown customer class", path="kind")
        if self.status and self.status not in set(CustomerStatus):
            raise ValidationFailed("unknown lifecycle status", path="status")
        return self


@dataclass(frozen=True)
class CustomerPage:
    customers: list[Customer]
    last_visits: dict[str, dt.date]  # of the customers on the page
    total: int
    page: int
    pages: int


def visited_after(day: dt.date) -> Any:
    """Ids of customers with a visit after `day` (a range of the visit_day index, read once per query)."""
    return select(Visit.customer_id).where(col(Visit.visit_day) > day)


def overdue_condition(today: dt.date, overdue: bool) -> ColumnElement[bool]:
    """Tiered and not visited since the tier's cutoff (never visited counts as overdue), or the opposite:
    untiered, or visited after the cutoff. IN lists rather than joining each customer's latest visit: no
    aggregate over all 200,000 visits, only the last weeks' visits are read."""
    if overdue:
        cases = [
            and_(col(Customer.tier) == tier.value, col(Customer.id).not_in(visited_after(overdue_cutoff(tier, today))))
            for tier in ValueTier
        ]
    else:
        cases = [col(Customer.tier).is_(None)]
        cases += [
            and_(col(Customer.tier) == tier.value, col(Customer.id).in_(visited_after(overdue_cutoff(tier, today))))
            for tier in ValueTier
        ]
    return or_(false(), *cases)


def filter_conditions(wanted: CustomerFilter, today: dt.date) -> list[Any]:
    wanted = wanted.validated()
    conditions: list[Any] = [Customer.deleted == False]  # noqa: E712
    text = typed_text(wanted.search)
    if text:
        conditions.append(
            or_(
                contains(Customer.name, text),
                contains(Customer.contact_person, text),
                contains(Customer.phone, text),
                contains(Customer.address, text),
            )
        )
    if wanted.tier == NO_TIER:
        conditions.append(col(Customer.tier).is_(None))
    elif wanted.tier:
        conditions.append(Customer.tier == wanted.tier)
    if wanted.kind:
        conditions.append(Customer.kind == wanted.kind)
    if wanted.status:
        conditions.append(Customer.status == wanted.status)
    if wanted.owner_rep_id:
        conditions.append(Customer.owner_rep_id == wanted.owner_rep_id)
    if wanted.territory is not None:
        conditions.append(Customer.territory == wanted.territory)
    if wanted.overdue is not None:
        conditions.append(overdue_condition(today, wanted.overdue))
    return conditions


def matching_customers(session: Session, wanted: CustomerFilter, today: dt.date) -> list[Customer]:
    """Every customer the filter matches, in the list's order, in one query (for exports)."""
    query = select(Customer).where(*filter_conditions(wanted, today))
    return list(session.exec(query.order_by(Customer.territory, Customer.name, Customer.id)).all())


def filter_customers(session: Session, wanted: CustomerFilter, today: dt.date, page: int = 1) -> CustomerPage:
    conditions = filter_conditions(wanted, today)
    total = session.exec(select(func.count()).select_from(Customer).where(*conditions)).one()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    customers = list(
        session.exec(
            select(Customer)
            .where(*conditions)
            .order_by(Customer.territory, Customer.name, Customer.id)
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        ).all()
    )
    ids = [customer.id for customer in customers]
    last_visits = dict(
        session.exec(
            select(Visit.customer_id, func.max(Visit.visit_day))
            .where(col(Visit.customer_id).in_(ids))
            .group_by(col(Visit.customer_id))
        ).all()
    )
    return CustomerPage(customers, last_visits, total, page, pages)
