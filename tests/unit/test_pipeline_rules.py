"""The development pipeline's rules (shared/pipeline.py): the stage derived from stage events in clock
order, whatever order they arrive in; what advance and back do; probabilities; and the demo's pipeline."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path
from typing import Any

from sqlmodel import select

from server.db import create_tables, make_engine, read_session
from server.demo import seed_demo
from server.models import Opportunity, StageEvent
from server.settings import Settings
from shared.enums import LossReason, PipelineOutcome, PipelineStage
from shared.pipeline import (
    DEFAULT_PROBABILITIES,
    derive,
    next_stage,
    opportunity_id_for,
    previous_stage,
    probabilities_from,
    probability_problems,
    stage_event_problems,
    weighted_value,
    win_probability,
)

CUSTOMER = "7d0f3c1a-1111-4222-8333-444455556666"


def ev(clock: str, action: str, stage: str | None = None, reason: str | None = None) -> dict[str, Any]:
    return {"id": f"e-{clock}", "clock": clock, "action": action, "stage": stage, "loss_reason": reason, "at": clock}


def test_moves_go_forward_and_back_won_closes_at_closing_and_repeat_follows_a_win() -> None:
    state = derive([ev("1", "move", "information"), ev("2", "move", "assessment"), ev("3", "move", "information")])
    assert (state.stage, state.outcome) == (PipelineStage.INFORMATION, PipelineOutcome.OPEN)
    assert next_stage(state) is PipelineStage.ASSESSMENT and previous_stage(state) is PipelineStage.IDENTIFY
    won = derive([ev("1", "move", "relationship"), ev("2", "won")])
    assert (won.stage, won.outcome, won.closed_at) == (PipelineStage.CLOSING, PipelineOutcome.WON, "2")
    assert next_stage(won) is PipelineStage.REPEAT and previous_stage(won) is None
    repeat = derive([ev("1", "won"), ev("2", "move", "repeat")])
    assert repeat.stage is PipelineStage.REPEAT and next_stage(repeat) is None
    # 重复购买 needs a win first; 促成成交 is the last open stage (then: mark won).
    assert derive([ev("1", "move", "repeat")]).stage is PipelineStage.IDENTIFY
    assert next_stage(derive([ev("1", "move", "closing")])) is None


def test_a_loss_keeps_its_stage_and_reason_and_nothing_after_a_close_applies() -> None:
    events = [
        ev("1", "move", "assessment"),
        ev("2", "lost", reason="price"),
        ev("3", "move", "closing"),
        ev("4", "won"),
    ]
    state = derive(events)
    assert (state.stage, state.outcome, state.loss_reason) == (
        PipelineStage.ASSESSMENT,
        PipelineOutcome.LOST,
        LossReason.PRICE,
    )
    assert [item.applied for item in state.history] == [True, True, False, False]
    assert next_stage(state) is None and previous_stage(state) is None


def test_every_arrival_order_of_concurrent_events_gives_the_same_state() -> None:
    """Two phones offline: A moves to 信息收集 then 价值评估, B moves to 关系建立 and then marks it lost; the
    events reach a device in any order, the state is the clocks' (the guarantee of an append-only kind)."""
    events = [
        ev("0001-00000-a", "move", "information"),
        ev("0002-00000-b", "move", "relationship"),
        ev("0003-00000-a", "move", "assessment"),
        ev("0004-00000-b", "lost", reason="competitor"),
    ]
    states = {
        (s.stage, s.outcome, s.loss_reason, tuple(i.applied for i in s.history))
        for s in (derive(order) for order in itertools.permutations(events))
    }
    assert states == {(PipelineStage.ASSESSMENT, PipelineOutcome.LOST, LossReason.COMPETITOR, (True, True, True, True))}


def test_stage_events_fields_go_together() -> None:
    assert [p.field for p in stage_event_problems({"action": "move"})] == ["stage"]
    assert [p.field for p in stage_event_problems({"action": "lost"})] == ["loss_reason"]
    assert [p.field for p in stage_event_problems({"action": "won", "loss_reason": "price"})] == ["loss_reason"]
    assert stage_event_problems({"action": "lost", "loss_reason": "price"}) == []


def test_two_phones_opening_the_same_customer_make_one_opportunity_id() -> None:
    assert opportunity_id_for(CUSTOMER, 1) == opportunity_id_for(CUSTOMER, 1)
    assert opportunity_id_for(CUSTOMER, 1) != opportunity_id_for(CUSTOMER, 2)


def test_probabilities_are_checked_and_received_with_defaults() -> None:
    good = {stage.value: value for stage, value in DEFAULT_PROBABILITIES.items()}
    assert probability_problems(good) == []
    assert [p.field for p in probability_problems({**good, "closing": 40})] == ["closing"]  # below 关系建立's 75
    assert [p.field for p in probability_problems({**good, "repeat": 101})] == ["repeat"]
    assert [p.field for p in probability_problems({**good, "won": 1})] == ["won"]
    assert [p.field for p in probability_problems({**good, "identify": "10"})] == ["identify"]
    received = probabilities_from({"probabilities": {**good, "assessment": 40, "closing": "x"}})
    assert received[PipelineStage.ASSESSMENT] == 40 and received[PipelineStage.CLOSING] == 90
    assert probabilities_from(None) == DEFAULT_PROBABILITIES
    open_state = derive([ev("1", "move", "assessment")])
    assert win_probability(open_state, received) == 40 and weighted_value(20000, 40) == 8000.0
    assert win_probability(derive([ev("1", "won")]), received) == 100
    assert win_probability(derive([ev("1", "lost", reason="price")]), received) == 0


def test_the_demo_pipeline_covers_every_stage_wins_and_losses_with_reasons(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", secret_key="k", data_dir=tmp_path)
    engine = make_engine(settings.database_url)
    create_tables(engine)
    seed_demo(engine, settings)
    with read_session(engine) as session:
        opportunities = session.exec(select(Opportunity)).all()
        events = session.exec(select(StageEvent)).all()
        outcomes = Counter(o.outcome for o in opportunities)
        stages = {o.stage for o in opportunities if o.outcome == "open"}
        reasons = {o.loss_reason for o in opportunities if o.outcome == "lost"}
        for opportunity in opportunities:  # the stored state is the one its events give
            state = derive(e.model_dump() for e in events if e.opportunity_id == opportunity.id)
            assert (state.stage.value, state.outcome.value) == (opportunity.stage, opportunity.outcome)
    engine.dispose()
    assert len(opportunities) >= 40 and len(events) >= 2 * len(opportunities)
    assert outcomes["won"] >= 10 and outcomes["lost"] >= 8 and outcomes["open"] >= 20
    assert stages == {"identify", "information", "assessment", "relationship", "closing"}
    assert len(reasons) >= 3 and None not in reasons
    assert any(o.stage == "repeat" for o in opportunities)
