"""GET /api/pipeline/...: opportunities with their stage history, the funnel, loss analysis; the stage
probabilities (read by everyone, set by admins). Opportunities and stage events are written on phones
(sync kinds "opportunity" and "stage_event")."""

from __future__ import annotations

from typing import Annotated

from litestar import get, put
from litestar.params import FromQuery, JSONBody, QueryParameter
from msgspec import Meta, Struct

from server.api import ApiController
from server.db import write_session
from server.dependencies import CurrentActor, DatabaseEngine, ReadSession, api_dependencies
from server.domains.guards import RecordIdPath, RecordIdQuery, known_query
from server.domains.pipeline.models import Opportunity, StageEvent
from server.domains.pipeline.service import (
    OpportunityFilter,
    get_opportunity,
    history,
    list_opportunities,
    loss_analysis,
    pipeline_funnel,
    set_stage_probabilities,
    stage_probabilities,
)
from server.domains.teams import team_of
from server.errors import error_responses
from shared.enums import LossReason, PipelineOutcome, PipelineStage, StageAction

Limit = Annotated[int, QueryParameter(ge=1, le=1000)]
Percent = Annotated[int, Meta(ge=0, le=100)]


class StageEventRead(Struct):
    id: str
    opportunity_id: str
    customer_id: str
    action: StageAction
    stage: PipelineStage | None
    loss_reason: LossReason | None
    note: str | None
    at: str
    clock: str
    rep_id: str
    order_id: str | None
    applied: bool  # False: it came after the opportunity was closed (kept, not applied)


class OpportunityRead(Struct):
    id: str
    customer_id: str
    expected_value: float | None
    opened_at: str
    notes: str | None
    owner_rep_id: str
    territory: str
    stage: PipelineStage
    outcome: PipelineOutcome
    loss_reason: LossReason | None
    stage_changed_at: str | None
    closed_at: str | None
    updated_at: str


class OpportunityDetail(Struct):
    opportunity: OpportunityRead
    history: list[StageEventRead]  # oldest first, in clock order


class FunnelStage(Struct):
    stage: PipelineStage
    count: int
    weighted_value: float


class LossReasonCount(Struct):
    reason: LossReason
    count: int
    by_stage: dict[str, int]


class StageProbabilities(Struct, forbid_unknown_fields=True):
    """The chance (%) an opportunity at each stage is won; never lower at a later stage."""

    identify: Percent
    information: Percent
    assessment: Percent
    relationship: Percent
    closing: Percent
    repeat: Percent


def opportunity_read(opportunity: Opportunity) -> OpportunityRead:
    return OpportunityRead(
        id=opportunity.id,
        customer_id=opportunity.customer_id,
        expected_value=opportunity.expected_value,
        opened_at=opportunity.opened_at,
        notes=opportunity.notes,
        owner_rep_id=opportunity.owner_rep_id,
        territory=opportunity.territory,
        stage=PipelineStage(opportunity.stage),
        outcome=PipelineOutcome(opportunity.outcome),
        loss_reason=LossReason(opportunity.loss_reason) if opportunity.loss_reason else None,
        stage_changed_at=opportunity.stage_changed_at,
        closed_at=opportunity.closed_at,
        updated_at=opportunity.updated_at,
    )


def event_read(event: StageEvent, applied: bool) -> StageEventRead:
    return StageEventRead(
        id=event.id,
        opportunity_id=event.opportunity_id,
        customer_id=event.customer_id,
        action=StageAction(event.action),
        stage=PipelineStage(event.stage) if event.stage else None,
        loss_reason=LossReason(event.loss_reason) if event.loss_reason else None,
        note=event.note,
        at=event.at,
        clock=event.clock,
        rep_id=event.rep_id,
        order_id=event.order_id,
        applied=applied,
    )


def _probabilities(values: dict[PipelineStage, int]) -> StageProbabilities:
    return StageProbabilities(**{stage.value: value for stage, value in values.items()})


class PipelineController(ApiController):
    path = "/api/pipeline"
    tags = ("development pipeline",)
    dependencies = api_dependencies()

    @get(
        "/opportunities",
        sync_to_thread=True,
        guards=[known_query("customer_id", "stage", "outcome", "rep_id", "limit")],
        responses=error_responses(400, 401, 403),
    )
    def opportunities(
        self,
        actor: CurrentActor,
        session: ReadSession,
        customer_id: RecordIdQuery = None,
        rep_id: RecordIdQuery = None,
        stage: FromQuery[PipelineStage | None] = None,
        outcome: FromQuery[PipelineOutcome | None] = None,
        limit: Limit = 200,
    ) -> list[OpportunityRead]:
        """Opportunities, most recently changed first; a rep sees their territory's."""
        where = OpportunityFilter(
            territory=team_of(actor),
            rep_id=rep_id,
            customer_id=customer_id,
            stage=stage.value if stage else None,
            outcome=outcome.value if outcome else None,
            limit=limit,
        )
        return [opportunity_read(row) for row in list_opportunities(session, where)]

    @get(
        "/opportunities/{opportunity_id:str}",
        sync_to_thread=True,
        guards=[known_query()],
        responses=error_responses(400, 401, 403, 404),
    )
    def opportunity(self, actor: CurrentActor, session: ReadSession, opportunity_id: RecordIdPath) -> OpportunityDetail:
        """One opportunity and its stage history (every event, whether it applied)."""
        found = get_opportunity(session, actor, opportunity_id)
        events = [event_read(event, applied) for event, applied in history(session, found.id)]
        return OpportunityDetail(opportunity=opportunity_read(found), history=events)

    @get("/funnel", sync_to_thread=True, guards=[known_query("rep_id")], responses=error_responses(400, 401, 403))
    def funnel(self, actor: CurrentActor, session: ReadSession, rep_id: RecordIdQuery = None) -> list[FunnelStage]:
        """Opportunities by stage (lost ones not counted) and their value weighted by the stage's probability."""
        rows = pipeline_funnel(session, team_of(actor), rep_id)
        return [
            FunnelStage(stage=row.stage, count=row.opportunities, weighted_value=row.weighted_value) for row in rows
        ]

    @get("/losses", sync_to_thread=True, guards=[known_query("rep_id")], responses=error_responses(400, 401, 403))
    def losses(self, actor: CurrentActor, session: ReadSession, rep_id: RecordIdQuery = None) -> list[LossReasonCount]:
        """战败分析: lost opportunities by reason, most frequent first, with the stages they were lost at."""
        rows = loss_analysis(session, team_of(actor), rep_id)
        return [LossReasonCount(reason=row.reason, count=row.lost, by_stage=row.by_stage) for row in rows]

    @get("/probabilities", sync_to_thread=True, guards=[known_query()], responses=error_responses(400, 401, 403))
    def probabilities(self, session: ReadSession) -> StageProbabilities:
        """The stage probabilities in use (phones receive them as the `pipeline_settings` record)."""
        return _probabilities(stage_probabilities(session))

    @put(
        "/probabilities",
        sync_to_thread=True,
        guards=[known_query()],
        responses=error_responses(400, 401, 403, 413, 422),
    )
    def set_probabilities(
        self, actor: CurrentActor, engine: DatabaseEngine, data: JSONBody[StageProbabilities]
    ) -> StageProbabilities:
        """Set every stage's probability (admins)."""
        values = {stage.value: getattr(data, stage.value) for stage in PipelineStage}
        with write_session(engine) as session:  # in the handler's thread (server/dependencies.py says why)
            return _probabilities(set_stage_probabilities(session, actor, values))
