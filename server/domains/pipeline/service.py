"""The development pipeline on the server: opportunities and stage events from phones, the state derived
from the events (shared.pipeline.derive), the funnel, loss analysis and the stage probabilities.

- An opportunity merges field by field like a key person (expected value, notes); one may be open per
  customer at a time (a second is refused, 409 `opportunity_open`). Phones make its id from the customer
  (shared.pipeline.opportunity_id_for), so two phones opening the same customer offline make one record.
- Stage events are append-only: every event is stored, whatever order they arrive in; the opportunity's
  stage, outcome and loss reason are derived again from all its events after each one and kept on the row.
- A new order moves the customer's opportunity along (`after_order`): an open one is won (促成成交), a won
  one at 促成成交 moves to 重复购买 when the customer orders again. The server records these as stage events
  (with the order's id), so phones see them in the history like any other.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import func
from sqlmodel import Session, col, select

from server.actor import Actor
from server.changes.log import EVERYONE_AUDIENCE, record_change, record_data
from server.changes.merging import Edit, apply_edit
from server.clock import SERVER_NODE, now_iso, now_ms, server_clock
from server.domains.access import (
    check_fields,
    customer_in_reach,
    customers_record,
    ensure_territory,
    lookup,
    refuse_problems,
    remember,
    store_territory_record,
)
from server.domains.append_only import AppendOnly
from server.domains.orders.models import Order
from server.domains.pipeline.models import Opportunity, StageEvent, StageProbability
from server.errors import Conflict, Forbidden, NotFound
from shared.enums import LossReason, PipelineOutcome, PipelineStage, RecordKind, Role, StageAction
from shared.hlc import Hlc, tick
from shared.ids import new_id
from shared.pipeline import (
    DEFAULT_PROBABILITIES,
    PIPELINE_SETTINGS_ID,
    STAGES,
    PipelineState,
    derive,
    probability_problems,
    stage_event_problems,
    weighted_value,
    win_probability,
)

EVENT_FIELDS = ("opportunity_id", "customer_id", "action", "stage", "loss_reason", "note", "at")


# ---- writing (sync push) ----------------------------------------------------------------------


def put_opportunity(
    session: Session,
    actor: Actor,
    opportunity_id: str,
    fields: Mapping[str, Any],
    *,
    path: str = "opportunity",
    edit: Edit | None = None,
) -> Opportunity:
    edit = edit or Edit(clock=server_clock())
    opportunity = lookup(session, Opportunity, opportunity_id)
    check_fields(RecordKind.OPPORTUNITY, fields, creating=opportunity is None, path=path)
    if opportunity is None:
        customer = customer_in_reach(session, actor, fields.get("customer_id"), path=path)
        other = open_opportunity(session, customer.id)
        if other is not None:
            raise Conflict(
                "this customer's development is open already: advance that one, or close it first",
                path=f"{path}.fields.customer_id",
                details={"reason": "opportunity_open", "opportunity_id": other.id},
            )
        opportunity = Opportunity(
            id=opportunity_id,
            owner_rep_id=actor.id,
            territory=customer.territory,
            stage=PipelineStage.IDENTIFY.value,
            outcome=PipelineOutcome.OPEN.value,
            created_at=now_iso(),
            updated_at=now_iso(),
            field_clocks=dict.fromkeys(fields, edit.clock),
            **fields,
        )
    else:
        ensure_territory(actor, opportunity.territory, path=path, what="the opportunity")
        if "customer_id" in fields and fields["customer_id"] != opportunity.customer_id:
            raise Conflict("an opportunity stays with its customer", path=f"{path}.fields.customer_id")
        apply_edit(session, actor, RecordKind.OPPORTUNITY, opportunity, fields, edit)
        opportunity.updated_at = now_iso()
    session.add(opportunity)
    remember(session, opportunity)
    _log_opportunity(session, opportunity)
    return opportunity


EVENTS = AppendOnly(
    RecordKind.STAGE_EVENT,
    StageEvent,
    message="a stage event never changes once made: record a new one instead",
    reason="event_is_final",
)


def put_stage_event(
    session: Session,
    actor: Actor,
    event_id: str,
    fields: Mapping[str, Any],
    *,
    clock: str | None,
    path: str = "stage_event",
    order_id: str | None = None,
) -> StageEvent:
    """Store a stage event and derive its opportunity's state again. `clock` is the device's edit clock;
    None (the server's own events, an app from before clocks) orders it after every event already there."""
    existing = EVENTS.existing(session, event_id, fields, path=path)
    if existing is not None:
        return existing
    refuse_problems(stage_event_problems(fields), f"{path}.fields")
    customer = customer_in_reach(session, actor, fields["customer_id"], path=path)
    opportunity = customers_record(
        session, Opportunity, fields["opportunity_id"], customer, path=path, noun="opportunity"
    )
    event = StageEvent(
        id=event_id,
        rep_id=actor.id,
        territory=opportunity.territory,
        clock=clock or _clock_after(session, opportunity.id),
        order_id=order_id,
        created_at=now_iso(),
        opportunity_id=opportunity.id,
        customer_id=customer.id,
        action=fields["action"],
        stage=fields.get("stage"),
        loss_reason=fields.get("loss_reason"),
        note=fields.get("note"),
        at=fields["at"],
    )
    store_territory_record(session, RecordKind.STAGE_EVENT, event, event_data(event))
    refresh_opportunity(session, opportunity)
    return event


def _clock_after(session: Session, opportunity_id: str) -> str:
    """A server clock after every event of the opportunity: two in one millisecond still keep their order."""
    clocks = [event.clock for event in events_of(session, opportunity_id)]
    newest = max(clocks) if clocks else None
    return str(tick(Hlc.parse(newest) if newest else None, now_ms(), SERVER_NODE))


def refresh_opportunity(session: Session, opportunity: Opportunity) -> PipelineState:
    """Derive the opportunity's state from all its events again and keep it on the row."""
    state = derive(event_data(event) for event in events_of(session, opportunity.id))
    derived = {
        "stage": state.stage.value,
        "outcome": state.outcome.value,
        "loss_reason": state.loss_reason.value if state.loss_reason else None,
        "stage_changed_at": state.changed_at,
        "closed_at": state.closed_at,
    }
    if any(getattr(opportunity, name) != value for name, value in derived.items()):
        for name, value in derived.items():
            setattr(opportunity, name, value)
        opportunity.updated_at = now_iso()
        session.add(opportunity)
        _log_opportunity(session, opportunity)
    return state


def after_order(session: Session, order: Order) -> StageEvent | None:
    """A new order moves the customer's opportunity: an open one is won; a won one at 促成成交 moves to
    重复购买 when the customer already ordered since it opened. None: nothing to move."""
    opportunity = _current_opportunity(session, order.customer_id)
    if opportunity is None:
        return None
    fields: dict[str, Any] = {
        "opportunity_id": opportunity.id,
        "customer_id": order.customer_id,
        "at": order.ordered_at,
    }
    if opportunity.outcome == PipelineOutcome.OPEN:
        fields |= {"action": StageAction.WON.value, "stage": PipelineStage.CLOSING.value}
    elif (
        opportunity.outcome == PipelineOutcome.WON
        and opportunity.stage == PipelineStage.CLOSING
        and _ordered_before(session, order, since=opportunity.opened_at)
    ):
        fields |= {"action": StageAction.MOVE.value, "stage": PipelineStage.REPEAT.value}
    else:
        return None
    # The server records it for the rep who took the order (supervisor rights: the order was in reach).
    system = Actor(id=order.rep_id, username="", display_name="", role=Role.SUPERVISOR, territory=None)
    return put_stage_event(session, system, new_id(), fields, clock=None, order_id=order.id)


# ---- reading ---------------------------------------------------------------------------------


def events_of(session: Session, opportunity_id: str) -> list[StageEvent]:
    """Stored events and those of this session not yet flushed (a push applies its ops without flushing)."""
    stored = session.exec(select(StageEvent).where(StageEvent.opportunity_id == opportunity_id)).all()
    found = {event.id: event for event in stored}
    for pending in session.new:
        if isinstance(pending, StageEvent) and pending.opportunity_id == opportunity_id:
            found[pending.id] = pending
    return list(found.values())


def open_opportunity(session: Session, customer_id: str) -> Opportunity | None:
    for opportunity in _opportunities_of(session, customer_id):
        if opportunity.outcome == PipelineOutcome.OPEN:
            return opportunity
    return None


def _current_opportunity(session: Session, customer_id: str) -> Opportunity | None:
    """The open one, else the newest won one."""
    found = open_opportunity(session, customer_id)
    if found is not None:
        return found
    won = [o for o in _opportunities_of(session, customer_id) if o.outcome == PipelineOutcome.WON]
    return max(won, key=lambda o: o.created_at) if won else None


def _opportunities_of(session: Session, customer_id: str) -> list[Opportunity]:
    stored = session.exec(select(Opportunity).where(Opportunity.customer_id == customer_id)).all()
    found = {opportunity.id: opportunity for opportunity in stored}
    for pending in session.new:
        if isinstance(pending, Opportunity) and pending.customer_id == customer_id:
            found[pending.id] = pending
    return list(found.values())


def _moment(text: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _ordered_before(session: Session, order: Order, *, since: str) -> bool:
    """Did the customer place another order at or after `since` (the opportunity's opening)?"""
    start = _moment(since)
    stored = session.exec(select(Order).where(Order.customer_id == order.customer_id, col(Order.id) != order.id)).all()
    pending = [o for o in session.new if isinstance(o, Order) and o.customer_id == order.customer_id]
    for other in [*stored, *pending]:
        if other.id == order.id:
            continue
        moment = _moment(other.ordered_at)
        if start is None or (moment is not None and moment >= start):
            return True
    return False


def event_data(event: StageEvent) -> dict[str, Any]:
    """As devices receive it: its clock also as every field's clock, so the phone orders it like its own."""
    data = record_data(event)
    data["field_clocks"] = {name: event.clock for name in EVENT_FIELDS}
    return data


def opportunity_data(opportunity: Opportunity) -> dict[str, Any]:
    return record_data(opportunity)


def _log_opportunity(session: Session, opportunity: Opportunity) -> None:
    record_change(
        session,
        RecordKind.OPPORTUNITY,
        opportunity.id,
        audience=opportunity.territory,
        territory=opportunity.territory,
        data=opportunity_data(opportunity),
    )


@dataclass(frozen=True)
class OpportunityFilter:
    territory: str | None = None
    rep_id: str | None = None
    customer_id: str | None = None
    stage: str | None = None
    outcome: str | None = None
    limit: int = 500


def list_opportunities(session: Session, where: OpportunityFilter) -> list[Opportunity]:
    """Most recently changed first."""
    query = select(Opportunity)
    if where.territory:
        query = query.where(Opportunity.territory == where.territory)
    if where.rep_id:
        query = query.where(Opportunity.owner_rep_id == where.rep_id)
    if where.customer_id:
        query = query.where(Opportunity.customer_id == where.customer_id)
    if where.stage:
        query = query.where(Opportunity.stage == where.stage)
    if where.outcome:
        query = query.where(Opportunity.outcome == where.outcome)
    query = query.order_by(col(Opportunity.updated_at).desc(), col(Opportunity.id)).limit(where.limit)
    return list(session.exec(query).all())


def get_opportunity(session: Session, actor: Actor, opportunity_id: str) -> Opportunity:
    opportunity = session.get(Opportunity, opportunity_id)
    if opportunity is None:
        raise NotFound("no such opportunity", path="opportunity_id")
    ensure_territory(actor, opportunity.territory, path="opportunity_id", what="the opportunity")
    return opportunity


def history(session: Session, opportunity_id: str) -> list[tuple[StageEvent, bool]]:
    """The opportunity's events oldest first (clock order), each with whether it applied."""
    events = {event.id: event for event in events_of(session, opportunity_id)}
    state = derive(event_data(event) for event in events.values())
    return [(events[str(item.event["id"])], item.applied) for item in state.history]


@dataclass(frozen=True)
class CustomerPipeline:
    opportunity: Opportunity
    history: list[tuple[StageEvent, bool]]  # oldest first
    probability: int
    weighted_value: float


def customer_pipeline(session: Session, customer_id: str) -> list[CustomerPipeline]:
    """The customer's opportunities, newest first, with their histories (the customer page's section)."""
    probabilities = stage_probabilities(session)
    found = []
    for opportunity in sorted(_opportunities_of(session, customer_id), key=lambda o: o.created_at, reverse=True):
        chance = _chance(opportunity, probabilities)
        found.append(
            CustomerPipeline(
                opportunity,
                history(session, opportunity.id),
                chance,
                weighted_value(opportunity.expected_value, chance),
            )
        )
    return found


def _chance(opportunity: Opportunity, probabilities: Mapping[PipelineStage, int]) -> int:
    state = PipelineState(PipelineStage(opportunity.stage), PipelineOutcome(opportunity.outcome))
    return win_probability(state, probabilities)


class FunnelRow(NamedTuple):
    """One stage of the funnel: opportunities at it (lost ones not counted) and their weighted value."""

    stage: PipelineStage
    opportunities: int
    weighted_value: float  # expected value x the stage's probability (100% once won)


def pipeline_funnel(session: Session, territory: str | None = None, rep_id: str | None = None) -> list[FunnelRow]:
    """The pipeline funnel by stage (the dashboard's 开发漏斗), every stage listed, in order."""
    probabilities = stage_probabilities(session)
    query = select(Opportunity).where(Opportunity.outcome != PipelineOutcome.LOST.value)
    if territory:
        query = query.where(Opportunity.territory == territory)
    if rep_id:
        query = query.where(Opportunity.owner_rep_id == rep_id)
    counts: Counter[str] = Counter()
    values: dict[str, float] = {}
    for opportunity in session.exec(query).all():
        counts[opportunity.stage] += 1
        value = weighted_value(opportunity.expected_value, _chance(opportunity, probabilities))
        values[opportunity.stage] = round(values.get(opportunity.stage, 0.0) + value, 2)
    return [FunnelRow(stage, counts.get(stage.value, 0), values.get(stage.value, 0.0)) for stage in STAGES]


class LossRow(NamedTuple):
    reason: LossReason
    lost: int
    by_stage: dict[str, int]  # where they were lost


def loss_analysis(session: Session, territory: str | None = None, rep_id: str | None = None) -> list[LossRow]:
    """战败分析: lost opportunities counted by reason (most frequent first), and the stage each was lost at."""
    query = select(Opportunity).where(Opportunity.outcome == PipelineOutcome.LOST.value)
    if territory:
        query = query.where(Opportunity.territory == territory)
    if rep_id:
        query = query.where(Opportunity.owner_rep_id == rep_id)
    by_reason: dict[str, Counter[str]] = {}
    for opportunity in session.exec(query).all():
        by_reason.setdefault(opportunity.loss_reason or LossReason.OTHER.value, Counter())[opportunity.stage] += 1
    rows = [
        LossRow(LossReason(reason), sum(stages.values()), {s.value: stages[s.value] for s in STAGES if stages[s.value]})
        for reason, stages in by_reason.items()
    ]
    return sorted(rows, key=lambda row: (-row.lost, list(LossReason).index(row.reason)))


def outcome_counts(session: Session, territory: str | None = None, rep_id: str | None = None) -> dict[str, int]:
    """Open, won and lost opportunities (of the rep, or the team, or everyone); every outcome present."""
    query = select(Opportunity.outcome, func.count()).group_by(Opportunity.outcome)
    if territory:
        query = query.where(Opportunity.territory == territory)
    if rep_id:
        query = query.where(Opportunity.owner_rep_id == rep_id)
    counts = dict.fromkeys((o.value for o in PipelineOutcome), 0)
    counts.update({outcome: count for outcome, count in session.exec(query).all()})
    return counts


# ---- stage probabilities ----------------------------------------------------------------------


def stage_probabilities(session: Session) -> dict[PipelineStage, int]:
    stored = {row.stage: row.probability for row in session.exec(select(StageProbability)).all()}
    return {stage: stored.get(stage.value, DEFAULT_PROBABILITIES[stage]) for stage in STAGES}


def set_stage_probabilities(session: Session, actor: Actor, values: Mapping[str, Any]) -> dict[PipelineStage, int]:
    """An admin sets every stage's probability (whole percents, never lower at a later stage); phones
    receive them as the `pipeline_settings` record."""
    if actor.role != Role.ADMIN:
        raise Forbidden("only admins set the pipeline's stage probabilities", path="probabilities")
    refuse_problems(probability_problems(values), "probabilities")
    now = now_iso()
    for stage in STAGES:
        row = session.get(StageProbability, stage.value)
        if row is None:
            row = StageProbability(stage=stage.value, probability=0, updated_by=actor.id, updated_at=now)
        row.probability, row.updated_by, row.updated_at = int(values[stage.value]), actor.id, now
        session.add(row)
    found = {stage: int(values[stage.value]) for stage in STAGES}
    record_change(
        session,
        RecordKind.PIPELINE_SETTINGS,
        PIPELINE_SETTINGS_ID,
        audience=EVERYONE_AUDIENCE,
        territory="",
        data={"id": PIPELINE_SETTINGS_ID, "probabilities": {s.value: p for s, p in found.items()}, "updated_at": now},
    )
    return found
