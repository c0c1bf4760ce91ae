"""The phone's approvals (client/features/approvals): each order with its request, and what the rep reads."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.features.approvals.service import approval_status, approvals_of_customer, with_approvals
from client.features.approvals.view import approvals_section, order_approval
from shared.enums import RecordKind
from tests.unit.helpers import texts


class Store:
    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def find(self, kind: RecordKind, /, **equals: Any) -> list[dict[str, Any]]:
        assert kind is RecordKind.APPROVAL
        return [r for r in self.records if all(r.get(k) == v for k, v in equals.items())]


def request(record_id: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"req-{record_id}",
        "kind": "order",
        "record_id": record_id,
        "customer_id": "c1",
        "status": status,
        "reason": "credit_limit",
        "requested_at": f"2026-12-07T09:{len(record_id):02d}:00+08:00",
        **extra,
    }


def shown(controls: list[ft.Control]) -> list[str]:
    return [text for control in controls for text in texts(control)]


def test_orders_get_their_request_newest_first_and_an_order_without_one_none() -> None:
    store = Store([request("o1", "pending"), request("o22", "rejected", comment="请先回款"), {"customer_id": "c2"}])
    approvals = approvals_of_customer(store, "c1")
    assert [a["record_id"] for a in approvals] == ["o22", "o1"]
    orders = with_approvals([{"id": "o1"}, {"id": "o22"}, {"id": "o3"}], approvals)
    assert [approval_status(order) for order in orders] == ["pending", "rejected", None]
    assert approval_status({"id": "o4", "approval_status": "approved"}) == "approved"  # the pulled order alone


def test_what_the_rep_reads_under_an_order() -> None:
    pending = {"id": "o1", "approval": request("o1", "pending")}
    assert shown(order_approval(pending, "zh-CN")) == ["订单 待审批：超出信用额度", "审批通过前不计入业绩"]
    rejected = {"id": "o2", "approval": request("o2", "rejected", comment="请先回款", decided_by_name="张经理")}
    assert shown(order_approval(rejected, "zh-CN")) == [
        "订单 已驳回：超出信用额度",
        "主管意见：请先回款（张经理）",
        "审批通过前不计入业绩",
    ]
    approved = {"id": "o3", "approval": request("o3", "approved", reason="credit_limit,discount")}
    assert shown(order_approval(approved, "zh-CN")) == ["订单 已批准：超出信用额度、折扣超出上限"]
    assert order_approval({"id": "o4"}, "zh-CN") == []  # needed none


def test_the_cards_section_lists_requests_other_than_orders() -> None:
    new_customer = request("c1", "pending", kind="new_customer", reason="new_customer")
    assert shown(approvals_section([request("o1", "pending"), new_customer], "zh-CN")) == [
        "审批",
        "新客户 待审批：新客户需审批",
    ]
    assert approvals_section([request("o1", "pending")], "zh-CN") == []
