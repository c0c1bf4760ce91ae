"""The development pipeline's rules (客户开发流程), pure, the same on the phone and the server.

An opportunity's state is never stored as a field someone writes: it is derived from its stage events,
taken in the order of their hybrid logical clocks (then ids, so every device gets the same order):

- while open, a `move` goes to any stage but 重复购买 (forward or back);
- `won` closes it at 促成成交 (whatever stage it was at: the deal is done);
- `lost` closes it where it is, with the loss reason (战败分析 counts reasons and the stage it was lost at);
- once won, only a `move` to 重复购买 still applies (the customer buys again);
- anything else (a second won or lost, a move after a close) is kept in the history but does not apply.

So two phones that change the same opportunity offline never lose an event: both are stored, both are in
the history, and every device and the server derive the same stage from them. docs/pipeline.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.enums import LossReason, PipelineOutcome, PipelineStage, StageAction
from shared.records import FieldError

STAGES = list(PipelineStage)
# Stages an open opportunity can be at (重复购买 follows a win).
OPEN_STAGES = STAGES[: STAGES.index(PipelineStage.CLOSING) + 1]
OPEN_STAGE_VALUES = frozenset(stage.value for stage in OPEN_STAGES)
# Default chance (%) that an opportunity at a stage is won; admins change them on the server
# (PUT /api/pipeline/probabilities), phones receive them as the `pipeline_settings` record.
DEFAULT_PROBABILITIES: dict[PipelineStage, int] = {
    PipelineStage.IDENTIFY: 10,
    PipelineStage.INFORMATION: 25,
    PipelineStage.ASSESSMENT: 50,
    PipelineStage.RELATIONSHIP: 75,
    PipelineStage.CLOSING: 90,
    PipelineStage.REPEAT: 100,
}
# The one pipeline_settings record's id (server-made; every device receives it).
PIPELINE_SETTINGS_ID = "6f1c2a4e-0000-4000-8000-000000000001"
_OPPORTUNITY_NAMESPACE = uuid.UUID("0b8f5c1e-7d2a-4c3e-9f61-2a1d7e5b9c40")


def opportunity_id_for(customer_id: str, round_number: int) -> str:
    """The id of a customer's `round_number`-th opportunity (1 for the first).

    Made from the customer, not at random: two phones that open the customer's development offline make
    the same record, which then merges field by field, instead of two open opportunities."""
    return str(uuid.uuid5(_OPPORTUNITY_NAMESPACE, f"{customer_id}:{round_number}"))


def stage_event_problems(fields: Mapping[str, Any]) -> list[FieldError]:
    """How a new stage event's fields must go together (the schema checks each field alone)."""
    action = fields.get("action")
    stage = fields.get("stage")
    problems: list[FieldError] = []
    if action == StageAction.MOVE and stage is None:
        problems.append(FieldError("stage", "is required to move an opportunity"))
    if action == StageAction.LOST and fields.get("loss_reason") is None:
        problems.append(FieldError("loss_reason", "is required when an opportunity is lost"))
    if action != StageAction.LOST and fields.get("loss_reason") is not None:
        problems.append(FieldError("loss_reason", "is only given when an opportunity is lost"))
    return problems


def event_order_key(event: Mapping[str, Any]) -> tuple[str, str]:
    """Events in clock order; the clock texts compare like the clocks (shared.hlc)."""
    return (str(event.get("clock") or ""), str(event.get("id") or ""))


@dataclass(frozen=True)
class HistoryItem:
    event: Mapping[str, Any]
    applied: bool  # False: the opportunity was already closed (or the move was not possible) when it came


@dataclass(frozen=True)
class PipelineState:
    stage: PipelineStage = PipelineStage.IDENTIFY
    outcome: PipelineOutcome = PipelineOutcome.OPEN
    loss_reason: LossReason | None = None
    closed_at: str | None = None  # the `at` of the won or lost event
    changed_at: str | None = None  # the `at` of the last applied event
    history: list[HistoryItem] = field(default_factory=list)  # oldest first


def derive(events: Iterable[Mapping[str, Any]]) -> PipelineState:
    """The opportunity's state from its stage events (each with `clock`, `id`, `action`, `stage`...)."""
    stage, outcome = PipelineStage.IDENTIFY, PipelineOutcome.OPEN
    reason: LossReason | None = None
    closed_at: str | None = None
    changed_at: str | None = None
    history: list[HistoryItem] = []
    for event in sorted(events, key=event_order_key):
        action, target = event.get("action"), event.get("stage")
        applied = False
        if outcome is PipelineOutcome.OPEN:
            if action == StageAction.MOVE and target in OPEN_STAGE_VALUES:
                stage, applied = PipelineStage(str(target)), True
            elif action == StageAction.WON:
                stage, outcome, applied = PipelineStage.CLOSING, PipelineOutcome.WON, True
            elif action == StageAction.LOST:
                outcome, applied = PipelineOutcome.LOST, True
                reason = LossReason(str(event.get("loss_reason") or LossReason.OTHER.value))
        elif outcome is PipelineOutcome.WON and action == StageAction.MOVE and target == PipelineStage.REPEAT:
            stage, applied = PipelineStage.REPEAT, stage is not PipelineStage.REPEAT
        if applied:
            changed_at = str(event.get("at") or "") or changed_at
            if action in (StageAction.WON, StageAction.LOST):
                closed_at = changed_at
        history.append(HistoryItem(event, applied))
    return PipelineState(stage, outcome, reason, closed_at, changed_at, history)


def next_stage(state: PipelineState) -> PipelineStage | None:
    """Where "advance" goes: the next stage while open (促成成交 is the last: then mark won), 重复购买 once won."""
    if state.outcome is PipelineOutcome.OPEN:
        index = STAGES.index(state.stage)
        return STAGES[index + 1] if index + 1 < len(OPEN_STAGES) else None
    if state.outcome is PipelineOutcome.WON and state.stage is PipelineStage.CLOSING:
        return PipelineStage.REPEAT
    return None


def previous_stage(state: PipelineState) -> PipelineStage | None:
    """Where "move back" goes (only while open)."""
    if state.outcome is not PipelineOutcome.OPEN:
        return None
    index = STAGES.index(state.stage)
    return STAGES[index - 1] if index > 0 else None


def probabilities_from(data: Mapping[str, Any] | None) -> dict[PipelineStage, int]:
    """The stage probabilities of a pulled `pipeline_settings` record, the defaults for what it lacks."""
    stored = (data or {}).get("probabilities") or {}
    found = dict(DEFAULT_PROBABILITIES)
    for stage in STAGES:
        value = stored.get(stage.value) if isinstance(stored, Mapping) else None
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100:
            found[stage] = value
    return found


def probability_problems(values: Mapping[str, Any]) -> list[FieldError]:
    """Probabilities must be whole percents 0-100, one per stage, never lower at a later stage."""
    known = {stage.value for stage in STAGES}
    problems = [FieldError(name, "is not a pipeline stage") for name in values if name not in known]
    previous = 0
    for stage in STAGES:
        value = values.get(stage.value)
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(FieldError(stage.value, "must be a whole percent 0-100"))
            continue
        if not 0 <= value <= 100:
            problems.append(FieldError(stage.value, "must be between 0 and 100"))
        elif value < previous:
            problems.append(FieldError(stage.value, f"must not be lower than the stage before ({previous})"))
        previous = max(previous, value)
    return problems


def win_probability(state: PipelineState, probabilities: Mapping[PipelineStage, int]) -> int:
    """The chance (%) the opportunity is won: its stage's while open, 100 once won, 0 once lost."""
    if state.outcome is PipelineOutcome.WON:
        return 100
    if state.outcome is PipelineOutcome.LOST:
        return 0
    return probabilities.get(state.stage, DEFAULT_PROBABILITIES[state.stage])


def weighted_value(expected_value: float | None, probability: int) -> float:
    return round((expected_value or 0.0) * probability / 100, 2)
