"""On the phone, with a real LocalStore: a complaint moved forward offline, steps pulled from a supervisor
merged by the rule (furthest step, earliest times), a key person deleted as a tombstone, and the development
pipeline's earlier rounds and a refused opportunity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import flet as ft
import pytest

from client.features.complaints.service import ComplaintStepForm, record_step
from client.features.complaints.view import complaint_handling
from client.features.customers import view as customer_view
from client.features.pipeline.service import customer_pipeline, record_stage_event, start_development
from client.features.pipeline.view import pipeline_section
from client.services import AppService, FormProblems
from client.shell.app import App, ClientCore
from client.shell.state import AppState, KeyPersonForm
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import LossReason, OpAction, PipelineOutcome, PipelineStage, RecordKind, StageAction
from shared.hlc import Hlc
from shared.ids import new_id
from sync.protocol import Change, OpResult, OpStatus
from tests.unit.helpers import Page, Recorder, Runner, walk

TZ = dt.timezone(dt.timedelta(hours=8))
CUSTOMER = new_id()
COMPLAINT = new_id()
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=TZ)


def texts(controls: list[ft.Control]) -> str:
    """Every text the controls show (texts and button contents), joined."""
    found = []
    for control in controls:
        for node in walk(control):
            if isinstance(node, ft.Text) and node.value:
                found.append(str(node.value))
            found += [v for v in (getattr(node, "content", None), getattr(node, "label", None)) if isinstance(v, str)]
    return " ".join(found)


def buttons(controls: list[ft.Control]) -> dict[str, Any]:
    kinds = ft.Button | ft.TextButton | ft.OutlinedButton
    return {
        node.content: node
        for control in controls
        for node in walk(control)
        if isinstance(node, kinds) and isinstance(node.content, str)
    }


@pytest.fixture
def service(tmp_path: Path) -> Iterator[AppService]:
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    complaint = {
        "customer_id": CUSTOMER,
        "category": "delivery",
        "severity": "high",
        "description": "货晚到三天",
        "status": "received",
        "received_at": "2026-11-27T08:00:00+08:00",
        "territory": "东片",
    }
    store.apply_pull_page(
        [
            Change(1, RecordKind.CUSTOMER, CUSTOMER, False, {"name": "甲诊所", "kind": "clinic"}),
            Change(2, RecordKind.COMPLAINT, COMPLAINT, False, complaint),
        ],
        2,
    )
    yield AppService(store, clock=lambda: NOW)
    store.close()


def card_complaint(service: AppService) -> dict[str, Any]:
    card = service.customer_card(CUSTOMER)
    assert card is not None
    [complaint] = card.complaints
    return complaint


def test_a_rep_resolves_a_complaint_offline_each_step_an_op_and_the_card_follows(service: AppService) -> None:
    record_step(service, COMPLAINT, "solution_proposed", "补发两箱")
    record_step(service, COMPLAINT, "resolved", " 客户已收到 ")
    ops = service.store.pending_ops(100)
    assert [(op.kind, op.fields["status"]) for op in ops] == [
        (RecordKind.COMPLAINT_STEP, "solution_proposed"),
        (RecordKind.COMPLAINT_STEP, "resolved"),
    ]
    assert ops[1].fields == {
        "complaint_id": COMPLAINT,
        "customer_id": CUSTOMER,
        "status": "resolved",
        "at": NOW.isoformat(timespec="seconds"),
        "note": "客户已收到",
    }
    assert (service.store.get(RecordKind.COMPLAINT, COMPLAINT) or {})["status"] == "received"  # not rewritten
    shown = card_complaint(service)
    assert shown["status"] == "resolved" and shown["responded_at"] == NOW.isoformat(timespec="seconds")
    assert [(step["status"], step["applied"], step["waiting"]) for step in shown["steps"]] == [
        ("solution_proposed", True, True),
        ("resolved", True, True),
    ]
    # From the next day, the visit to confirm the customer is satisfied is among the phone's follow-ups.
    tomorrow = AppService(service.store, clock=lambda: NOW + dt.timedelta(days=1))
    kinds = [item.kind.value for item in tomorrow.care_reminders().follow_ups if item.customer_id == CUSTOMER]
    assert kinds == ["complaint_confirm"]


def test_a_move_that_is_not_forward_stores_nothing(service: AppService) -> None:
    record_step(service, COMPLAINT, "resolved")
    for status in ("resolved", "investigating", "received", None, "nonsense"):
        with pytest.raises(FormProblems):
            record_step(service, COMPLAINT, status)
    with pytest.raises(FormProblems):
        record_step(service, new_id(), "resolved")
    assert service.store.pending_count() == 1


def test_a_supervisors_pulled_step_merges_by_the_rule(service: AppService) -> None:
    record_step(service, COMPLAINT, "investigating", "去现场看看")  # this phone, offline
    server_step = {
        "complaint_id": COMPLAINT,
        "customer_id": CUSTOMER,
        "status": "resolved",
        "note": "已退款",
        "at": "2026-11-27T08:30:00+08:00",  # earlier than the rep's: the first answer
        "territory": "东片",
        "field_clocks": {"status": str(Hlc(1, 0, "server"))},  # an old clock: first in the history
    }
    step_id = new_id()
    service.store.apply_pull_page([Change(3, RecordKind.COMPLAINT_STEP, step_id, False, server_step)], 3)
    shown = card_complaint(service)
    assert shown["status"] == "resolved" and shown["responded_at"] == "2026-11-27T08:30:00+08:00"
    history = [(step["id"], step["applied"]) for step in shown["steps"]]
    assert history[0] == (step_id, True) and history[1][1] is False  # investigating after resolved: kept, no move


def test_the_card_shows_status_history_and_the_move_form(service: AppService) -> None:
    record_step(service, COMPLAINT, "resolved", "补发")
    complaint, actions = card_complaint(service), Recorder()
    closed = complaint_handling(complaint, ComplaintStepForm(), "zh-CN", actions)
    shown = texts(closed)
    assert "已解决" in shown and "补发" in shown and "待同步" in shown
    [move] = buttons(closed).values()
    move.on_click(None)
    assert actions.calls == [("open_complaint_step", (COMPLAINT,))]

    form = ComplaintStepForm(complaint_id=COMPLAINT, status="confirmed")
    opened = complaint_handling(complaint, form, "zh-CN", actions)
    found = buttons(opened)
    assert "回访确认满意" in texts(opened)
    found["保存进度"].on_click(None)
    assert actions.calls[-1] == ("save_complaint_step", ())

    record_step(service, COMPLAINT, "confirmed")
    finished = complaint_handling(card_complaint(service), ComplaintStepForm(), "zh-CN", actions)
    assert "已回访确认满意，处理完毕" in texts(finished)


def test_a_key_person_is_deleted_as_a_tombstone_after_a_confirmation(service: AppService) -> None:
    person = service.save_key_person(CUSTOMER, {"name": "王院长", "role": "decision_maker"})
    assert person is not None
    person_id = str(person["id"])
    form = KeyPersonForm(open=True, person_id=person_id, values={"name": "王院长", "role": "decision_maker"})
    actions = Recorder()
    shown = customer_view.key_person_delete(form, "zh-CN", actions)
    [ask] = buttons(shown).values()
    ask.on_click(None)
    assert actions.calls == [("ask_delete_key_person", ())]
    form.confirm_delete = True
    confirm = buttons(customer_view.key_person_delete(form, "zh-CN", actions))
    assert set(confirm) == {"确定删除", "不删除"}

    service.delete_key_person(person_id)
    assert service.store.get(RecordKind.KEY_PERSON, person_id) is None
    card = service.customer_card(CUSTOMER)
    assert card is not None and card.key_persons == []
    last = service.store.pending_ops(100)[-1]
    assert (last.kind, last.action, last.record_id) == (RecordKind.KEY_PERSON, OpAction.DELETE, person_id)


def test_earlier_developments_are_shown_with_their_outcome_reason_and_dates(service: AppService) -> None:
    record_stage_event(service, CUSTOMER, StageAction.LOST, loss_reason=LossReason.PRICE, note="太贵")
    start_development(service, CUSTOMER)  # round 2
    known = customer_pipeline(service, CUSTOMER)
    assert known.state.outcome is PipelineOutcome.OPEN and known.rounds == 2
    [first] = known.earlier
    assert (first.number, first.state.outcome, first.state.loss_reason) == (1, PipelineOutcome.LOST, LossReason.PRICE)
    state = AppState(lang="zh-CN")
    state.pipeline.pipeline = known
    shown = texts(pipeline_section(state.pipeline, "zh-CN", Recorder()))
    assert "以往开发" in shown and "第 1 轮 · 战败" in shown and "价格" in shown and "太贵" in shown


def test_an_opportunity_the_server_refused_gives_way_to_the_servers_open_one(service: AppService) -> None:
    mine = start_development(service, CUSTOMER)
    [op] = service.store.pending_ops(100)
    message = "this customer's development is open already: advance that one, or close it first"
    service.store.record_results([OpResult(op.seq, op.op_id, OpStatus.REJECTED, "conflict", message)])
    theirs = new_id()
    data = {
        "customer_id": CUSTOMER,
        "opened_at": "2026-11-26T10:00:00+08:00",
        "territory": "东片",
        "stage": "assessment",
        "outcome": "open",
    }
    service.store.apply_pull_page([Change(5, RecordKind.OPPORTUNITY, theirs, False, data)], 5)
    known = customer_pipeline(service, CUSTOMER)
    assert known.opportunity is not None and known.opportunity["id"] == theirs and known.refused
    assert known.earlier == ()  # the refused one is not a round
    # The rep acts on the server's one: the next event goes to it.
    event = record_stage_event(service, CUSTOMER, StageAction.MOVE, PipelineStage.RELATIONSHIP)
    assert event["opportunity_id"] == theirs and mine["id"] != theirs
    # Discarding the draft does not bring the refused one back.
    service.discard_rejected(op.seq)
    assert customer_pipeline(service, CUSTOMER).opportunity["id"] == theirs  # type: ignore[index]


def test_the_apps_handlers_move_a_complaint_and_delete_a_key_person(service: AppService) -> None:
    core = ClientCore(SimpleNamespace(lang="zh-CN"), service.store, service, Runner())  # type: ignore[arg-type]
    app = App(Page(), core)  # type: ignore[arg-type]
    app.actions.open_customer(CUSTOMER)
    app.actions.open_complaint_step(COMPLAINT)
    assert app.state.complaint_step.status == "investigating"  # the next step, chosen
    app.complaints.choose_complaint_step("")
    app.actions.save_complaint_step()
    assert app.state.complaint_step.error == "请选择要转到的进度" and service.store.pending_count() == 0
    app.complaints.choose_complaint_step("resolved")
    app.state.complaint_step.note = "已补发"
    app.actions.save_complaint_step()
    assert app.state.notice == "投诉进度已保存（待同步）" and app.state.complaint_step.complaint_id is None
    assert app.state.customer is not None and app.state.customer.complaints[0]["status"] == "resolved"

    person = service.save_key_person(CUSTOMER, {"name": "王院长", "role": "boss"})
    assert person is not None
    app.actions.open_key_person(str(person["id"]))
    app.actions.delete_key_person()  # not confirmed yet: nothing happens
    assert service.store.get(RecordKind.KEY_PERSON, str(person["id"])) is not None
    app.actions.ask_delete_key_person()
    assert app.state.key_person.confirm_delete
    app.actions.delete_key_person()
    assert service.store.get(RecordKind.KEY_PERSON, str(person["id"])) is None
    assert app.state.notice == "关键人已删除（待同步）" and not app.state.key_person.open
