"""Supervisor pages of the development pipeline: /pipeline (funnel, loss analysis, opportunities with
filters) and /pipeline/{id} (an opportunity and its stage history)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.engine import Engine

from server.db import read_session, write_session
from server.dependencies import DatabaseEngine, ReadSession, api_dependencies
from server.domains.customers.service import customers_by_id
from server.domains.pipeline.service import (
    OpportunityFilter,
    get_opportunity,
    history,
    list_opportunities,
    loss_analysis,
    outcome_counts,
    pipeline_funnel,
    set_stage_probabilities,
    stage_probabilities,
)
from server.domains.teams import team_of
from server.domains.users.service import list_reps, people_by_id
from server.errors import DomainError, Forbidden, NotFound
from server.web.pages import WebRequest, admins_only, page, supervisors_only
from shared.enums import LossReason, PipelineOutcome, PipelineStage

SHOWN = 500


def _choice(value: str | None, allowed: list[str], name: str) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise DomainError(f"{name} must be one of {', '.join(allowed)}", path=name)
    return value


class PipelinePages(Controller):
    path = "/pipeline"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("", sync_to_thread=True)
    def pipeline(
        self,
        request: WebRequest,
        engine: DatabaseEngine,
        stage: FromQuery[str | None] = None,
        rep: FromQuery[str | None] = None,
        outcome: FromQuery[str | None] = None,
        saved: FromQuery[bool] = False,
    ) -> Template:
        """The funnel and the loss analysis (of the chosen rep, or everyone), and the opportunities filtered."""
        return pipeline_page(request, engine, stage, rep, outcome, saved=saved)

    @get("/{opportunity_id:str}", sync_to_thread=True)
    def opportunity(self, request: WebRequest, session: ReadSession, opportunity_id: FromPath[str]) -> Template:
        try:
            found = get_opportunity(session, request.user, opportunity_id)
        except Forbidden:  # another team's: answered as unknown, not as refused
            raise NotFound("no such opportunity", path="opportunity_id") from None
        events = history(session, found.id)
        customers = customers_by_id(session, {found.customer_id})
        people = people_by_id(session)
        return page(
            request,
            "pipeline_detail.html",
            opportunity=found,
            events=events,
            customer=customers.get(found.customer_id),
            people=people,
        )

    @post("/probabilities", sync_to_thread=True, guards=[admins_only])
    def set_probabilities(
        self, request: WebRequest, engine: DatabaseEngine, data: URLEncodedBody[dict[str, str]]
    ) -> Any:
        """Admins set each stage's probability (whole percents); phones receive them with their next pull."""
        values: dict[str, Any] = {}
        for stage in PipelineStage:
            text = data.get(stage.value, "").strip()
            values[stage.value] = int(text) if text.isdigit() else text
        try:
            with write_session(engine) as session:
                set_stage_probabilities(session, request.user, values)
        except DomainError as error:
            return pipeline_page(request, engine, None, None, None, status_code=422, error=error.message)
        return Redirect("/pipeline?saved=1", status_code=303)


def pipeline_page(
    request: WebRequest,
    engine: Engine,
    stage: str | None,
    rep: str | None,
    outcome: str | None,
    *,
    status_code: int = 200,
    saved: bool = False,
    error: str | None = None,
) -> Template:
    """The /pipeline page (a filter value that is no stage, outcome or rep is a 400)."""
    team = team_of(request.user)
    with read_session(engine) as session:
        reps = list_reps(session, team)
        stage = _choice(stage, [s.value for s in PipelineStage], "stage")
        outcome = _choice(outcome, [o.value for o in PipelineOutcome], "outcome")
        rep = _choice(rep, [r.id for r in reps], "rep")
        where = OpportunityFilter(territory=team, rep_id=rep, stage=stage, outcome=outcome, limit=SHOWN)
        rows = list_opportunities(session, where)
        funnel = pipeline_funnel(session, team, rep)
        losses = loss_analysis(session, team, rep)
        probabilities = stage_probabilities(session)
        customers = customers_by_id(session, {row.customer_id for row in rows})
        people = people_by_id(session)
        counts = outcome_counts(session, team, rep)
    return page(
        request,
        "pipeline.html",
        status_code,
        saved=saved,
        error=error,
        rows=rows,
        funnel=funnel,
        losses=losses,
        probabilities={stage.value: value for stage, value in probabilities.items()},
        customers=customers,
        people=people,
        reps=reps,
        stages=[s.value for s in PipelineStage],
        outcomes=[o.value for o in PipelineOutcome],
        chosen={"stage": stage or "", "rep": rep or "", "outcome": outcome or ""},
        counts=counts,
        reasons=[r.value for r in LossReason],
    )
