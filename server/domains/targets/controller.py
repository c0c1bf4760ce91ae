"""/api/targets: monthly sales targets per rep (set by supervisors) and their achievement."""

from __future__ import annotations

from typing import Annotated

from litestar import get, put
from litestar.params import JSONBody, QueryParameter
from msgspec import Meta, Struct

from server.api import ApiController
from server.changes.log import record_answer
from server.clock import today
from server.db import write_session
from server.dependencies import AppSettings, CurrentActor, DatabaseEngine, ReadSession, api_dependencies
from server.domains.guards import RECORD_ID, known_query, supervisors
from server.domains.targets import service
from server.domains.targets.service import month_of, set_target, target_achievement, team_reps
from server.errors import error_responses

# YYYY-MM of a year the calendar has (0001-9999: year 0000 is none, and was answered 422 after the pattern let it by)
MONTH = r"^([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(0[1-9]|1[0-2])$"
Month = Annotated[str, Meta(pattern=MONTH)]
MonthQuery = Annotated[str | None, QueryParameter(pattern=MONTH, min_length=7, max_length=7)]


class TargetSet(Struct, forbid_unknown_fields=True):
    rep_id: Annotated[str, Meta(pattern=RECORD_ID)]
    month: Month
    sales_amount: Annotated[float, Meta(ge=0, le=1_000_000_000)]
    new_customers: Annotated[int, Meta(ge=0, le=10_000)]
    visits: Annotated[int, Meta(ge=0, le=100_000)]


class Measure(Struct):
    target: float | None  # null: no target set for the month
    actual: float
    rate: float | None  # 完成率 = actual / target (1.0 is 100%); null without a target or with a zero target


class RepAchievement(Struct):
    rep_id: str
    month: str
    sales_amount: Measure
    new_customers: Measure
    visits: Measure


def measure(value: service.Measure) -> Measure:
    return Measure(target=value.target, actual=value.actual, rate=value.rate)


class SalesTargetAnswer(Struct):
    """A rep's month targets as the API answers it: every column of `sales_targets`, dates as ISO text."""

    id: str
    rep_id: str
    month: str
    sales_amount: float
    new_customers: int
    visits: int
    set_by: str
    updated_at: str


class TargetController(ApiController):
    path = "/api/targets"
    tags = ("targets",)
    dependencies = api_dependencies()

    @get("", sync_to_thread=True, guards=[known_query("month")], responses=error_responses(400, 401, 403))
    def index(
        self, actor: CurrentActor, session: ReadSession, settings: AppSettings, month: MonthQuery = None
    ) -> list[RepAchievement]:
        """The month's (default: this month in the server's time zone) targets and achievement: a rep's own,
        a supervisor's team, every rep for an admin."""
        chosen = month or month_of(today(settings.tz))
        rep_ids = [actor.id] if actor.is_rep else [rep.id for rep in team_reps(session, actor)]
        rows = target_achievement(session, rep_ids, chosen)
        return [
            RepAchievement(
                rep_id=row.rep_id,
                month=row.month,
                sales_amount=measure(row.amount),
                new_customers=measure(row.new_customers),
                visits=measure(row.visits),
            )
            for row in rows.values()
        ]

    @put(
        "",
        sync_to_thread=True,
        guards=[supervisors, known_query()],
        responses=error_responses(400, 401, 403, 404, 413, 422),
    )
    def set(self, actor: CurrentActor, engine: DatabaseEngine, data: JSONBody[TargetSet]) -> SalesTargetAnswer:
        """Set a rep's targets for a month (supervisors: their team); the rep's phone receives them."""
        with write_session(engine) as session:  # in the handler's thread (server/dependencies.py says why)
            target = set_target(
                session,
                actor,
                data.rep_id,
                data.month,
                sales_amount=data.sales_amount,
                new_customers=data.new_customers,
                visits=data.visits,
            )
            return record_answer(SalesTargetAnswer, target)
