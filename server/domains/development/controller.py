"""Customer development on the API: recompute tiers and lifecycle now, rate a customer's credit."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post, put
from litestar.datastructures import State
from litestar.params import JSONBody
from litestar.security.jwt import Token
from msgspec import Meta, Struct

from server.api import ApiController
from server.clock import today
from server.db import read_session, write_session
from server.domains.development.service import (
    credit_history,
    lifecycle_rules,
    recompute_tiers_now,
    refresh_all_lifecycles,
    set_credit_rating,
)
from server.domains.guards import NO_NUL, RecordIdPath, known_query, supervisors
from server.domains.sync.changelog import record_data
from server.domains.teams import visible_customer
from server.domains.users.models import Actor
from server.errors import error_responses
from server.settings import Settings
from shared.enums import CreditRating


class CreditRatingUpdate(Struct, forbid_unknown_fields=True):
    rating: CreditRating
    reason: Annotated[str, Meta(max_length=200, pattern=NO_NUL)] | None = None


class CustomerDevelopmentController(ApiController):
    path = "/api/customers"
    tags = ("customer development",)

    @post(
        "/tiers/recompute",
        status_code=200,
        sync_to_thread=True,
        guards=[supervisors, known_query()],
        responses=error_responses(400, 401, 403),
    )
    def recompute_tiers(self, state: State) -> dict[str, Any]:
        """Every customer's A/B/C value tier from the last TIER_WINDOW_DAYS of orders (also done daily)."""
        outcome = recompute_tiers_now(state.engine, state.settings)
        window_start = outcome.window_start.isoformat() if outcome.window_start else None
        return {"changed": outcome.changed, "counts": outcome.counts, "window_start": window_start}

    @post(
        "/lifecycle/recompute",
        status_code=200,
        sync_to_thread=True,
        guards=[supervisors, known_query()],
        responses=error_responses(400, 401, 403),
    )
    def recompute_lifecycle(self, state: State) -> dict[str, Any]:
        """Apply the lifecycle rules to every customer who ever ordered (also done daily)."""
        settings: Settings = state.settings
        with write_session(state.engine) as session:
            changed = refresh_all_lifecycles(session, today(settings.tz), lifecycle_rules(settings))
        return {"changed": changed}

    @put(
        "/{customer_id:str}/credit-rating",
        sync_to_thread=True,
        guards=[supervisors, known_query()],
        responses=error_responses(400, 401, 403, 404, 413, 422),
    )
    def rate_credit(
        self,
        request: Request[Actor, Token, Any],
        state: State,
        customer_id: RecordIdPath,
        data: JSONBody[CreditRatingUpdate],
    ) -> dict[str, Any]:
        """Set the customer's credit rating (信用等级); each change is kept in its history."""
        with write_session(state.engine) as session:
            visible_customer(session, request.user, customer_id)  # another team's customer: 404
            set_credit_rating(session, request.user, customer_id, data.rating.value, data.reason)
        return self._credit(request.user, state, customer_id)

    @get(
        "/{customer_id:str}/credit-rating",
        sync_to_thread=True,
        guards=[supervisors, known_query()],
        responses=error_responses(400, 401, 403, 404),
    )
    def credit(self, request: Request[Actor, Token, Any], state: State, customer_id: RecordIdPath) -> dict[str, Any]:
        """The customer's credit rating and its recent changes, newest first."""
        return self._credit(request.user, state, customer_id)

    @staticmethod
    def _credit(actor: Actor, state: State, customer_id: str) -> dict[str, Any]:
        with read_session(state.engine) as session:
            customer = visible_customer(session, actor, customer_id)
            history = [record_data(change) for change in credit_history(session, customer_id)]
        return {"customer_id": customer_id, "credit_rating": customer.credit_rating, "history": history}
