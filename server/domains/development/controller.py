"""Customer development on the API: recompute tiers and lifecycle now, rate a customer's credit."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get, post, put
from litestar.params import JSONBody
from msgspec import Meta, Struct
from sqlmodel import Session

from server.actor import Actor
from server.api import ApiController
from server.changes.log import record_data
from server.clock import today
from server.db import read_session, write_session
from server.dependencies import AppSettings, CurrentActor, DatabaseEngine, ReadSession, api_dependencies
from server.domains.development.service import (
    credit_history,
    lifecycle_rules,
    recompute_tiers_now,
    refresh_all_lifecycles,
    set_credit_rating,
)
from server.domains.guards import NO_NUL, RecordIdPath, known_query, supervisors
from server.domains.teams import visible_customer
from server.errors import error_responses
from shared.enums import CreditRating


class CreditRatingUpdate(Struct, forbid_unknown_fields=True):
    rating: CreditRating
    reason: Annotated[str, Meta(max_length=200, pattern=NO_NUL)] | None = None


class TiersRecomputed(Struct):
    changed: int
    counts: dict[str, int]  # customers per tier (A, B, C) after the run
    window_start: str | None  # the first day of orders counted (ISO date)


class LifecycleRecomputed(Struct):
    changed: int


class CreditRatingRead(Struct):
    customer_id: str
    credit_rating: str | None  # shared.enums.CreditRating; null: never rated
    history: list[dict[str, Any]]  # its latest changes (at most 20), newest first


class CustomerDevelopmentController(ApiController):
    path = "/api/customers"
    tags = ("customer development",)
    dependencies = api_dependencies()

    @post(
        "/tiers/recompute",
        status_code=200,
        sync_to_thread=True,
        guards=[supervisors, known_query()],
        responses=error_responses(400, 401, 403),
    )
    def recompute_tiers(self, engine: DatabaseEngine, settings: AppSettings) -> TiersRecomputed:
        """Every customer's A/B/C value tier from the last TIER_WINDOW_DAYS of orders (also done daily)."""
        outcome = recompute_tiers_now(engine, settings)
        window_start = outcome.window_start.isoformat() if outcome.window_start else None
        return TiersRecomputed(changed=outcome.changed, counts=outcome.counts, window_start=window_start)

    @post(
        "/lifecycle/recompute",
        status_code=200,
        sync_to_thread=True,
        guards=[supervisors, known_query()],
        responses=error_responses(400, 401, 403),
    )
    def recompute_lifecycle(self, engine: DatabaseEngine, settings: AppSettings) -> LifecycleRecomputed:
        """Apply the lifecycle rules to every customer who ever ordered (also done daily)."""
        with write_session(engine) as session:  # in the handler's thread (server/dependencies.py says why)
            changed = refresh_all_lifecycles(session, today(settings.tz), lifecycle_rules(settings))
        return LifecycleRecomputed(changed=changed)

    @put(
        "/{customer_id:str}/credit-rating",
        sync_to_thread=True,
        guards=[supervisors, known_query()],
        responses=error_responses(400, 401, 403, 404, 413, 422),
    )
    def rate_credit(
        self,
        actor: CurrentActor,
        engine: DatabaseEngine,
        customer_id: RecordIdPath,
        data: JSONBody[CreditRatingUpdate],
    ) -> CreditRatingRead:
        """Set the customer's credit rating (信用等级); each change is kept in its history."""
        with write_session(engine) as session:
            visible_customer(session, actor, customer_id)  # another team's customer: 404
            set_credit_rating(session, actor, customer_id, data.rating.value, data.reason)
        with read_session(engine) as session:
            return self._credit(actor, session, customer_id)

    @get(
        "/{customer_id:str}/credit-rating",
        sync_to_thread=True,
        guards=[supervisors, known_query()],
        responses=error_responses(400, 401, 403, 404),
    )
    def credit(self, actor: CurrentActor, session: ReadSession, customer_id: RecordIdPath) -> CreditRatingRead:
        """The customer's credit rating and its recent changes, newest first."""
        return self._credit(actor, session, customer_id)

    @staticmethod
    def _credit(actor: Actor, session: Session, customer_id: str) -> CreditRatingRead:
        customer = visible_customer(session, actor, customer_id)
        history = [record_data(change) for change in credit_history(session, customer_id)]
        return CreditRatingRead(customer_id=customer_id, credit_rating=customer.credit_rating, history=history)
