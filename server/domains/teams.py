"""Who sees whose records: the one rule every page, list, count, export and the sync pull apply (issue 5).

A rep sees their territory. A supervisor whose account names a territory sees that team (its reps, its
customers and everything recorded about them); a supervisor without one heads the whole company, and an
admin sees everything. A record of another team is answered as absent (404), never as forbidden (403):
the answer must not tell that it exists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true
from sqlmodel import Session, col

from server.actor import Actor
from server.domains.customers.models import Customer
from server.errors import NotFound
from shared.enums import Role


def team_of(actor: Actor) -> str | None:
    """The territory whose records this person may see and change; None: every territory."""
    if actor.role == Role.ADMIN:
        return None
    if actor.role == Role.SUPERVISOR:
        return actor.territory or None
    return actor.territory or ""  # a rep without a territory (never made so) sees nothing


def sees(actor: Actor, territory: str | None) -> bool:
    team = team_of(actor)
    return team is None or territory == team


def team_only(actor: Actor, territory_column: Any) -> ColumnElement[bool]:
    """A query condition keeping the actor's team's rows (always true for the whole company)."""
    team = team_of(actor)
    return true() if team is None else col(territory_column) == team


def ensure_sees(actor: Actor, territory: str | None, *, what: str, path: str) -> None:
    """Another team's record is not found, as an unknown id is."""
    if not sees(actor, territory):
        raise NotFound(f"no such {what}", path=path)


def visible_customer(session: Session, actor: Actor, customer_id: str) -> Customer:
    """The customer if the actor's team holds it; else 404 (`get_customer` for someone who sees it)."""
    customer = session.get(Customer, customer_id)
    if customer is None or not sees(actor, customer.territory):
        raise NotFound("no such customer", path="customer_id")
    return customer


def visible_only(actor: Actor, customers: dict[str, Customer]) -> dict[str, Customer]:
    """Of customers by id, those the actor's team holds (a refused op may name another team's customer)."""
    return {key: customer for key, customer in customers.items() if sees(actor, customer.territory)}
