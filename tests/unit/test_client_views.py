"""The screens render from view state alone (no page, no I/O): drafts, conflicts, the visit's order,
competitor and complaint forms, the customer card's records, Today's care reminders."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import flet as ft

from client.features.customers import note_view as note
from client.features.customers import prospect_view as prospect
from client.features.customers import view as customer
from client.features.drafts import conflicts_view as conflicts
from client.features.drafts import view as drafts
from client.features.today import view as today
from client.features.today.reminders import BirthdayReminder, CareReminders, FollowUp, FollowUpKind, OverdueVisit
from client.features.visits import view as visit
from client.services import ConflictItem, ConflictSide, CustomerCard, DraftFix, OrderLineInput, TodayRoute, VisitRecords
from client.shell.state import AppState, KeyPersonForm, NoteForm, ProspectForm, Screen, VisitForm, VisitPanel
from shared.enums import RecordKind, ValueTier
from tests.unit.helpers import Recorder, buttons, texts


def visit_draft() -> dict[str, Any]:
    op = {"seq": 4, "kind": "visit", "action": "put", "record_id": "v1", "fields": {"person_met": "刘药师"}}
    return {"op": op, "code": "forbidden", "message": "customer is outside your territory"}


def test_a_draft_offers_fix_and_a_discard_that_asks_first() -> None:
    state, actions = AppState(screen=Screen.DRAFTS, drafts=[visit_draft()]), Recorder()
    shown = drafts.build(state, actions)  # type: ignore[arg-type]
    assert "拜访：无权操作（例如客户已不在你的片区）" in texts(shown)
    assert "服务器说明：customer is outside your territory" in texts(shown)
    found = buttons(shown)
    found["修改并重新提交"].on_click(None)
    found["丢弃"].on_click(None)
    assert actions.calls == [("fix_draft", (4,)), ("ask_discard_draft", (4,))]
    state.confirm_discard = 4
    confirming = drafts.build(state, actions)  # type: ignore[arg-type]
    assert "丢弃后这条修改将永久丢失，服务器也不会收到。确定丢弃吗？" in texts(confirming)
    buttons(confirming)["确定丢弃"].on_click(None)
    assert actions.calls[-1] == ("discard_draft", (4,))


def test_a_refused_delete_can_only_be_discarded() -> None:
    draft = visit_draft()
    draft["op"] = {**draft["op"], "kind": "customer", "action": "delete", "fields": {}}
    shown = drafts.build(AppState(drafts=[draft]), Recorder())  # type: ignore[arg-type]
    assert "修改并重新提交" not in buttons(shown) and "丢弃" in buttons(shown)


def fix(kind: RecordKind, record: dict[str, Any]) -> DraftFix:
    return DraftFix(kind, "r1", (4, 5), record, frozenset(record), "forbidden", "not your territory")


def test_forms_fixing_a_draft_say_why_and_resend() -> None:
    record = {"id": "r1", "customer_id": "c1", "visit_type": "day", "check_in_at": "2026-11-27T09:00:00+08:00"}
    state = AppState(lang="zh-CN")
    state.visit = VisitForm(
        visit=record, customer={"id": "c1", "name": "甲诊所"}, values={}, draft=fix(RecordKind.VISIT, record)
    )
    shown = visit.build(state, Recorder())  # type: ignore[arg-type]
    assert "正在修改被服务器拒绝的拜访。原因：无权操作（例如客户已不在你的片区）" in texts(shown)
    assert "服务器说明：not your territory" in texts(shown)
    assert "同一记录的 2 条草稿将合并为一次重新提交" in texts(shown)
    assert "重新提交" in buttons(shown) and "签退" not in buttons(shown)
    state.prospect = ProspectForm(name="甲", customer_id="r1", draft=fix(RecordKind.CUSTOMER, {"name": "甲"}))
    assert "重新提交" in buttons(prospect.build(state, Recorder()))  # type: ignore[arg-type]
    state.note = NoteForm(text="周三", customer_name="甲诊所", draft=fix(RecordKind.NOTE, {"text": "周三"}))
    actions = Recorder()
    buttons(note.build(state, actions))["重新提交"].on_click(None)  # type: ignore[arg-type]
    assert actions.calls == [("resend_draft", ())]


def test_conflicts_are_listed_per_customer() -> None:
    conflict = {
        "field": "phone",
        "kept_value": "0312-2",
        "lost_value": "0312-1",
        "created_at": "2026-11-27T01:00:00+00:00",
    }
    state = AppState(
        conflicts=[
            ConflictItem(conflict, "c1", "甲诊所", ConflictSide.MINE_LOST),
            ConflictItem({**conflict, "field": "name", "reviewed": True}, "c1", "甲诊所", ConflictSide.OTHERS),
        ]
    )
    shown = texts(conflicts.build(state, Recorder()))  # type: ignore[arg-type]
    assert "你的修改 电话=“0312-1” 被 “0312-2” 取代" in shown
    assert "客户名称：“0312-1” 被 “0312-2” 取代" in shown
    assert shown.count("甲诊所") == 1


# ---- issue #4: order, competitor report and complaint on a visit; the card's records; care reminders ----


def fields_by_label(control: ft.Control) -> dict[str, ft.TextField]:
    found: dict[str, ft.TextField] = {}

    def walk(node: Any) -> None:
        if isinstance(node, ft.TextField) and isinstance(node.label, str):
            found[node.label] = node
        value = getattr(node, "content", None)
        if isinstance(value, ft.Control):
            walk(value)
        for child in getattr(node, "controls", None) or []:
            walk(child)

    walk(control)
    return found


def chips(control: ft.Control) -> dict[str, ft.Chip]:
    found: dict[str, ft.Chip] = {}

    def walk(node: Any) -> None:
        if isinstance(node, ft.Chip) and isinstance(node.label, str):
            found[node.label] = node
        value = getattr(node, "content", None)
        if isinstance(value, ft.Control):
            walk(value)
        for child in getattr(node, "controls", None) or []:
            walk(child)

    walk(control)
    return found


def typed(value: str) -> Any:
    return SimpleNamespace(control=SimpleNamespace(value=value))


PRODUCTS = [
    {"id": "p1", "name": "注射器", "spec": "5ml", "unit": "盒", "unit_price": 38.0, "active": True},
    {"id": "p2", "name": "纱布", "spec": None, "unit": "包", "unit_price": 16.5, "active": True},
]
CHECKED_IN = {"id": "v1", "customer_id": "c1", "visit_type": "day", "check_in_at": "2026-11-27T09:00:00+08:00"}


def visit_state(panel: VisitPanel | None) -> AppState:
    state = AppState(lang="zh-CN")
    state.visit = VisitForm(
        visit=CHECKED_IN, customer={"id": "c1", "name": "甲诊所"}, values={}, panel=panel, products=PRODUCTS
    )
    return state


def test_the_order_form_picks_catalogue_products_prefilled_and_totals_as_the_rep_types() -> None:
    state, actions = visit_state(VisitPanel.ORDER), Recorder()
    state.visit.order.lines = [OrderLineInput("p1", "2", "38"), OrderLineInput("p2", "", "16.5")]
    shown = visit.build(state, actions)  # type: ignore[arg-type]
    assert {"下单", "竞品信息", "投诉"} <= set(buttons(shown))
    picked = chips(shown)
    assert picked["注射器 5ml ¥38"].selected and picked["纱布 ¥16.5"].selected
    assert "合计 —" in texts(shown)  # line 2 has no quantity yet
    boxes = fields_by_label(shown)
    assert boxes["第1项单价（元）"].value == "38" and boxes["第2项数量（包）"].value == ""
    boxes["第2项数量（包）"].on_change(typed("3"))  # type: ignore[misc]
    assert state.visit.order.lines[1] == OrderLineInput("p2", "3", "16.5")  # the typing is the form's state
    assert "合计 ¥125.5" in texts(shown)  # updated in place: 2 x 38 + 3 x 16.5
    picked["纱布 ¥16.5"].on_select(None)  # type: ignore[misc]
    buttons(shown)["确认下单"].on_click(None)
    assert actions.calls == [("toggle_order_product", ("p2",)), ("take_order", ())]


def test_problems_of_the_order_form_show_at_their_fields() -> None:
    state = visit_state(VisitPanel.ORDER)
    state.visit.order.lines = [OrderLineInput("p1", "0", "38")]
    state.visit.panel_errors = {"quantity.0": "数量须大于 0 且不超过 1000000", "amount": "must be a number"}
    shown = visit.build(state, Recorder())  # type: ignore[arg-type]
    assert fields_by_label(shown)["第1项数量（盒）"].error == "数量须大于 0 且不超过 1000000"
    assert "amount: must be a number" in texts(shown)  # a problem no field shows is said under the form


def test_competitor_and_complaint_forms_and_what_the_visit_recorded() -> None:
    state, actions = visit_state(VisitPanel.COMPETITOR), Recorder()
    state.visit.panel_errors = {"brand": "请填写品牌"}
    state.visit.records = VisitRecords(
        orders=[{"id": "o1", "amount": 76.0, "lines": [{"product_id": "p1", "quantity": 2, "unit_price": 38.0}]}],
        competitor_reports=[{"id": "r1", "brand": "威高", "product": "注射器", "price": 32.5, "promotion": "买十送一"}],
        complaints=[{"id": "k1", "category": "delivery", "severity": "high", "description": "晚到三天"}],
    )
    shown = visit.build(state, actions)  # type: ignore[arg-type]
    boxes = fields_by_label(shown)
    assert {"竞品品牌", "竞品产品", "竞品价格（元）", "促销活动"} <= set(boxes)
    assert boxes["竞品品牌"].error == "请填写品牌"
    shown_texts = texts(shown)
    assert "订单 1：1 个产品，合计 ¥76" in shown_texts
    assert "  注射器 5ml × 2盒，单价 ¥38" in shown_texts
    assert "竞品：威高 · 注射器 · ¥32.5 · 买十送一" in shown_texts
    assert "投诉：配送 · 严重 · 晚到三天" in shown_texts
    buttons(shown)["记录竞品"].on_click(None)
    state.visit.panel = VisitPanel.COMPLAINT
    complaint = visit.build(state, actions)  # type: ignore[arg-type]
    assert {"产品质量", "价格", "配送", "服务", "严重", "一般", "轻微"} <= set(chips(complaint))
    assert "投诉内容" in fields_by_label(complaint)
    buttons(complaint)["提交投诉"].on_click(None)
    buttons(complaint)["下单"].on_click(None)
    assert actions.calls == [("record_competitor", ()), ("record_complaint", ()), ("open_panel", ("order",))]


def test_no_extra_records_before_check_in() -> None:
    state = visit_state(None)
    state.visit.visit = None
    assert "下单" not in buttons(visit.build(state, Recorder()))  # type: ignore[arg-type]


def card_state() -> AppState:
    now = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    customer_record = {
        "id": "c1",
        "name": "甲诊所",
        "kind": "clinic",
        "status": "active",
        "tier": "A",
        "importance": "key",
        "credit_rating": "good",
    }
    card = CustomerCard(
        customer_record,
        visits=[],
        notes=[],
        on_plan_today=True,
        open_visit=None,
        key_persons=[
            {
                "id": "k1",
                "name": "王院长",
                "role": "decision_maker",
                "phone": "13800000000",
                "birthday": "1978-03-12",
                "hobbies": "钓鱼",
                "attitude": "positive",
            }
        ],
        complaints=[
            {
                "id": "q1",
                "category": "quality",
                "severity": "high",
                "status": "received",
                "description": "针头弯曲",
                "received_at": "2026-11-27T06:00:00+08:00",  # due 10:00; now 12:00
            },
            {
                "id": "q2",
                "category": "price",
                "severity": "low",
                "status": "received",
                "description": "比别家贵",
                "received_at": "2026-11-27T06:00:00+08:00",
            },
        ],
        orders=[
            {
                "id": "o1",
                "amount": 125.5,
                "ordered_at": "2026-11-20T10:00:00+08:00",
                "lines": [{"product_id": "p1", "quantity": 2, "unit_price": 38.0}],
            }
        ],
        competitor_reports=[
            {
                "id": "r1",
                "brand": "威高",
                "product": "注射器",
                "price": 32.5,
                "observed_at": "2026-11-20T10:00:00+08:00",
            }
        ],
        products={"p1": PRODUCTS[0]},
        as_of=now,
    )
    return AppState(lang="zh-CN", screen=Screen.CUSTOMER, customer_id="c1", customer=card)


def test_the_customer_card_shows_badges_key_persons_complaints_orders_and_competitors() -> None:
    state, actions = card_state(), Recorder()
    shown = customer.build(state, actions)  # type: ignore[arg-type]
    found = texts(shown)
    assert {"活跃客户", "A 类", "重要性 重点", "信用 良"} <= set(found)
    assert "王院长 · 决策人 · 电话 13800000000 · 生日 03-12 · 爱好 钓鱼 · 态度 积极" in found
    assert "已超时 2 小时未答复" in found  # high: 4 h to answer
    assert any(text.startswith("须在 ") and text.endswith("前答复（还剩 66 小时）") for text in found)  # low: 72 h
    assert any("¥125.5（1 个产品）" in text for text in found)
    assert "  注射器 5ml × 2盒，单价 ¥38" in found
    assert any(text.endswith("竞品：威高 · 注射器 · ¥32.5") for text in found)
    buttons(shown)["添加关键人"].on_click(None)
    assert actions.calls == [("open_key_person", (None,))]


def test_the_key_person_form_on_the_card() -> None:
    state, actions = card_state(), Recorder()
    state.key_person = KeyPersonForm(open=True, person_id="k1", values={"name": "王院长", "role": "boss"})
    state.key_person.errors = {"birthday": "请输入日期，例如 1978-03-12"}
    shown = customer.build(state, actions)  # type: ignore[arg-type]
    boxes = fields_by_label(shown)
    assert boxes["姓名"].value == "王院长" and boxes["生日"].error == "请输入日期，例如 1978-03-12"
    assert chips(shown)["老板"].selected
    boxes["爱好"].on_change(typed("下棋"))  # type: ignore[misc]
    assert state.key_person.values["hobbies"] == "下棋"
    buttons(shown)["保存关键人"].on_click(None)
    assert actions.calls == [("save_key_person", ())]


def test_today_shows_care_reminders_that_open_the_customer() -> None:
    state, actions = AppState(lang="zh-CN", screen=Screen.TODAY), Recorder()
    state.today = TodayRoute(dt.date(2026, 12, 28))
    state.care = CareReminders(
        dt.date(2026, 12, 28),
        birthdays=[BirthdayReminder({"name": "王院长", "role": "boss"}, "c1", dt.date(2027, 1, 2), 5)],
        overdue=[
            OverdueVisit({"id": "c2", "name": "乙药店"}, ValueTier.A, dt.date(2026, 12, 14), dt.date(2026, 12, 21), 7)
        ],
        follow_ups=[
            FollowUp(FollowUpKind.COMPLAINT_ANSWER, "c3", dt.date(2026, 12, 28), True, {"category": "delivery"})
        ],
        customer_names={"c1": "甲诊所", "c2": "乙药店", "c3": "丙诊所"},
    )
    shown = today.build(state, actions)  # type: ignore[arg-type]
    found = texts(shown)
    assert "王院长（甲诊所 老板）生日：5 天后（01-02）" in found
    assert "乙药店（A 类）上次拜访 2026-12-14，已逾期 7 天" in found
    assert "丙诊所：配送投诉超时未答复" in found
    state.care = CareReminders(dt.date(2026, 12, 28))
    assert "今天没有需要关怀的客户。" in texts(today.build(state, actions))  # type: ignore[arg-type]
