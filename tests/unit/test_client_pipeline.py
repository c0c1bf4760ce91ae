"""The development pipeline on the phone: saved offline with its ops, the stage derived from this phone's
events and those pulled from others by clock, probabilities pulled, and the customer card's section."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flet as ft
import pytest

from client.features.pipeline.handlers import PipelineHandlers
from client.features.pipeline.service import (
    PipelineView,
    customer_pipeline,
    record_stage_event,
    start_development,
)
from client.features.pipeline.view import pipeline_section
from client.services import AppService
from client.shell.state import AppState, Screen
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import LossReason, PipelineOutcome, PipelineStage, RecordKind, StageAction
from shared.hlc import Hlc
from shared.ids import new_id
from shared.pipeline import PIPELINE_SETTINGS_ID, opportunity_id_for
from sync.protocol import Change
from tests.unit.helpers import Recorder

TZ = dt.timezone(dt.timedelta(hours=8))
CUSTOMER = new_id()


def walk(node: Any) -> Iterator[Any]:
    yield node
    for attribute in ("content", "label"):
        value = getattr(node, attribute, None)
        if isinstance(value, ft.Control):
            yield from walk(value)
    for child in getattr(node, "controls", None) or []:
        yield from walk(child)


def texts(control: ft.Control) -> list[str]:
    """Every string a control tree shows (texts, button contents, labels)."""
    found = []
    for node in walk(control):
        if isinstance(node, ft.Text) and node.value:
            found.append(str(node.value))
        found += [v for v in (getattr(node, "content", None), getattr(node, "label", None)) if isinstance(v, str)]
    return found


def buttons(control: ft.Control) -> dict[str, Any]:
    kinds = ft.Button | ft.TextButton | ft.OutlinedButton
    return {node.content: node for node in walk(control) if isinstance(node, kinds) and isinstance(node.content, str)}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[AppService]:
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    store.apply_pull_page([Change(1, RecordKind.CUSTOMER, CUSTOMER, False, {"name": "甲诊所", "kind": "clinic"})], 1)
    yield AppService(store, clock=lambda: dt.datetime(2026, 11, 27, 9, 0, tzinfo=TZ))
    store.close()


def test_a_development_is_started_advanced_and_won_offline_with_an_op_for_each_step(service: AppService) -> None:
    assert not customer_pipeline(service, CUSTOMER).started
    opened = start_development(service, CUSTOMER)
    assert opened["id"] == opportunity_id_for(CUSTOMER, 1)  # the id every phone makes for this customer
    assert start_development(service, CUSTOMER)["id"] == opened["id"]  # one open at a time
    record_stage_event(service, CUSTOMER, StageAction.MOVE, PipelineStage.INFORMATION)
    record_stage_event(service, CUSTOMER, StageAction.MOVE, PipelineStage.ASSESSMENT)
    record_stage_event(service, CUSTOMER, StageAction.MOVE, PipelineStage.INFORMATION)  # back a stage
    known = customer_pipeline(service, CUSTOMER)
    assert known.state.stage is PipelineStage.INFORMATION and known.probability == 25
    assert (known.advance_to, known.back_to) == (PipelineStage.ASSESSMENT, PipelineStage.IDENTIFY)
    record_stage_event(service, CUSTOMER, StageAction.WON, PipelineStage.CLOSING)
    known = customer_pipeline(service, CUSTOMER)
    assert (known.state.stage, known.state.outcome, known.probability) == (
        PipelineStage.CLOSING,
        PipelineOutcome.WON,
        100,
    )
    assert known.advance_to is PipelineStage.REPEAT and known.back_to is None
    ops = service.store.pending_ops(100)
    assert [op.kind.value for op in ops] == ["opportunity"] + ["stage_event"] * 4
    # Won: the next development of this customer is a new round, with its own id.
    assert start_development(service, CUSTOMER)["id"] == opportunity_id_for(CUSTOMER, 2)


def test_events_pulled_from_another_phone_take_their_place_by_clock(service: AppService) -> None:
    opportunity_id = start_development(service, CUSTOMER)["id"]
    record_stage_event(service, CUSTOMER, StageAction.MOVE, PipelineStage.INFORMATION)  # this phone, now
    # Another phone's events: one made before ours (a move to 价值评估), one after (lost, on price).
    now_ms = Hlc.parse(service.store.get_meta("hlc")).wall_ms

    def pulled(seq: int, offset_ms: int, **fields: Any) -> Change:
        clock = str(Hlc(now_ms + offset_ms, 0, "other-phone"))
        data = {"opportunity_id": opportunity_id, "customer_id": CUSTOMER, "at": "2026-11-27T09:00:00+08:00"}
        data |= {"clock": clock, "field_clocks": {"action": clock}, **fields}
        return Change(seq, RecordKind.STAGE_EVENT, new_id(), False, data)

    service.store.apply_pull_page([pulled(2, -60_000, action="move", stage="assessment")], 2)
    assert customer_pipeline(service, CUSTOMER).state.stage is PipelineStage.INFORMATION  # ours is later
    service.store.apply_pull_page([pulled(3, 60_000, action="lost", loss_reason="price")], 3)
    state = customer_pipeline(service, CUSTOMER).state
    assert (state.stage, state.outcome, state.loss_reason) == (
        PipelineStage.INFORMATION,
        PipelineOutcome.LOST,
        LossReason.PRICE,
    )
    assert [item.event.get("stage") for item in state.history] == ["assessment", "information", None]


def test_pulled_probabilities_are_used(service: AppService) -> None:
    settings = {"probabilities": {"identify": 5, "information": 20}}
    service.store.apply_pull_page([Change(2, RecordKind.PIPELINE_SETTINGS, PIPELINE_SETTINGS_ID, False, settings)], 2)
    start_development(service, CUSTOMER)
    assert customer_pipeline(service, CUSTOMER).probability == 5


class FakeShell:
    """The part of the shell (client/shell/protocol.py) the pipeline's handlers use: a feature is tested alone."""

    def __init__(self, service: AppService) -> None:
        self.service = service
        self.state = AppState(lang="zh-CN", screen=Screen.CUSTOMER, customer_id=CUSTOMER)
        self.ui = threading.RLock()
        self.shown: list[str | None] = []
        self.pipeline = PipelineHandlers(self)  # type: ignore[arg-type]
        self.actions = self.pipeline

    def render(self) -> None:
        pass

    def show(self, screen: Screen, arg: str | None = None, *, notice: str | None = None) -> None:
        self.shown.append(notice)
        self.pipeline.load_pipeline(arg)


def test_the_section_advances_and_asks_why_a_development_was_lost(service: AppService) -> None:
    app = FakeShell(service)
    app.pipeline.load_pipeline(CUSTOMER)
    shown = ft.Column(pipeline_section(app.state.pipeline, "zh-CN", app.actions))
    assert "尚未开始开发" in texts(shown)
    buttons(shown)["开始开发"].on_click(None)
    shown = ft.Column(pipeline_section(app.state.pipeline, "zh-CN", app.actions))
    assert "阶段：确定开发对象（成交概率 10%）" in texts(shown)
    buttons(shown)["推进到：信息收集/样品资料"].on_click(None)
    assert app.state.pipeline.pipeline is not None
    assert app.state.pipeline.pipeline.state.stage is PipelineStage.INFORMATION
    app.state.pipeline.expected = "两万"
    app.actions.save_expected_value()
    assert app.state.pipeline.expected_error == "请输入金额，例如 20000"
    app.state.pipeline.expected = "20,000"
    app.actions.save_expected_value()
    shown = ft.Column(pipeline_section(app.state.pipeline, "zh-CN", app.actions))
    assert any(text.startswith("预计金额：") and "20,000" in text for text in texts(shown)), texts(shown)
    assert [op.fields for op in service.store.pending_ops(100)][-1] == {"expected_value": 20000}
    app.actions.open_loss_form()
    shown = ft.Column(pipeline_section(app.state.pipeline, "zh-CN", app.actions))
    assert "战败分析" in texts(shown) and "竞争对手" in texts(shown)
    app.actions.mark_lost()  # no reason chosen: nothing saved
    assert app.state.pipeline.error == "请选择战败原因"
    assert not customer_pipeline(service, CUSTOMER).closed
    app.state.pipeline.reason, app.state.pipeline.note = "competitor", "竞品账期更长"
    app.actions.mark_lost()
    known = customer_pipeline(service, CUSTOMER)
    assert known.state.loss_reason is LossReason.COMPETITOR and app.shown[-1] == "开发阶段已保存"
    shown = ft.Column(pipeline_section(app.state.pipeline, "zh-CN", app.actions))
    assert "战败原因：竞争对手" in texts(shown) and "再次开发" in buttons(shown)
    assert any("战败：竞争对手 · 竞品账期更长" in text for text in texts(shown))


def test_the_customer_card_shows_the_section(service: AppService) -> None:
    from client.features.customers import view as customer

    card = service.customer_card(CUSTOMER)
    state = AppState(lang="en", screen=Screen.CUSTOMER, customer_id=CUSTOMER, customer=card)
    state.pipeline = PipelineView(CUSTOMER, customer_pipeline(service, CUSTOMER))
    assert "Development not started" in texts(customer.build(state, Recorder()))


def test_a_won_development_moves_on_to_repeat_purchase_in_its_own_round(service: AppService) -> None:
    """重复购买 is where a won development goes next: the same round, never a new one (a new round would take the
    move and drop it as impossible from its first stage)."""
    start_development(service, CUSTOMER)
    record_stage_event(service, CUSTOMER, StageAction.WON, PipelineStage.CLOSING)
    record_stage_event(service, CUSTOMER, StageAction.MOVE, PipelineStage.REPEAT)
    known = customer_pipeline(service, CUSTOMER)
    assert known.opportunity is not None and known.opportunity["id"] == opportunity_id_for(CUSTOMER, 1)
    assert (known.state.stage, known.state.outcome, known.rounds) == (PipelineStage.REPEAT, PipelineOutcome.WON, 1)
    record_stage_event(service, CUSTOMER, StageAction.MOVE, PipelineStage.INFORMATION)  # not offered: a new round
    assert customer_pipeline(service, CUSTOMER).rounds == 2
