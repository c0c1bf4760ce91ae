"""Campaign results and target achievement, computed as docs/campaigns-and-targets.md defines them; and the
phone's side: participation recorded on a visit offline, this month's targets and the offline estimate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import flet as ft
import pytest
from sqlmodel import select
from test_client_services import USER, Clock, clock, login_transport, make_service

from client.features.campaigns.service import CampaignEntry, month_progress, record_participation, visit_campaigns
from client.features.campaigns.targets_view import targets_section
from client.features.campaigns.view import campaign_section
from client.services import FormProblems
from client.storage.store import LocalStore
from server.clock import today
from server.db import create_tables, make_engine, read_session
from server.demo import seed_demo
from server.domains.campaigns.models import Campaign, CampaignResult
from server.domains.campaigns.service import campaign_outcome, campaign_results, campaign_return
from server.domains.orders.models import Order
from server.domains.targets.models import SalesTarget
from server.domains.targets.service import achievement_rate, month_of, parse_month, target_achievement
from server.domains.users.models import User
from server.errors import ValidationFailed
from server.settings import Settings
from shared.enums import RecordKind
from shared.ids import new_id
from shared.records import validate_fields
from tests.unit.helpers import pulled

__all__ = ["clock"]  # a fixture used here (store: tests/unit/conftest.py)

NOV_1, NOV_30 = dt.date(2026, 11, 1), dt.date(2026, 11, 30)


# ---- server: the pure computations --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "cost", "expected"),
    [(3000.0, 1000.0, 3.0), (0.0, 500.0, 0.0), (100.0, 0.0, None), (1.0, 3.0, 0.33)],
)
def test_campaign_return_is_amount_over_cost_and_none_without_cost(
    amount: float, cost: float, expected: float | None
) -> None:
    assert campaign_return(amount, cost) == expected


@pytest.mark.parametrize(
    ("actual", "target", "expected"),
    [(50.0, 100.0, 0.5), (150.0, 100.0, 1.5), (5.0, None, None), (5.0, 0.0, None), (0.0, 10.0, 0.0)],
)
def test_achievement_rate_without_a_target_or_with_zero_is_none(
    actual: float, target: float | None, expected: float | None
) -> None:
    assert achievement_rate(actual, target) == expected


def test_months_have_their_calendar_days() -> None:
    assert parse_month("2026-11") == (NOV_1, NOV_30)
    assert parse_month("2026-12") == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert parse_month("2028-02") == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert month_of(dt.date(2026, 1, 31)) == "2026-01"
    for bad in ("2026-13", "2026-1", "26-11", "2026/11", "2026-11-01"):
        with pytest.raises(ValidationFailed):
            parse_month(bad)


def campaign(cost: float = 1000.0, invited: list[str] | None = None) -> Campaign:
    return Campaign(
        id=new_id(),
        campaign_type="order_meeting",
        name="订货会",
        territory="东片",
        starts_on=dt.date(2026, 11, 10),
        ends_on=dt.date(2026, 11, 20),
        customer_ids=invited or [],
        cost=cost,
        created_by="boss",
        created_at="",
        updated_at="",
    )


def result(campaign_id: str, customer_id: str, rep_id: str, participated: bool = True, amount: float | None = None):
    return CampaignResult(
        id=new_id(),
        campaign_id=campaign_id,
        customer_id=customer_id,
        visit_id=new_id(),
        participated=participated,
        amount=amount,
        recorded_at="2026-11-12T10:00:00+08:00",
        rep_id=rep_id,
        territory="东片",
        created_at="",
    )


def order(customer_id: str, rep_id: str, day: dt.date, amount: float) -> Order:
    return Order(
        id=new_id(),
        customer_id=customer_id,
        visit_id=new_id(),
        lines=[],
        amount=amount,
        ordered_at=f"{day.isoformat()}T10:00:00+08:00",
        rep_id=rep_id,
        territory="东片",
        order_day=day,
        created_at="",
    )


def test_campaign_results_count_participants_orders_within_the_period_only() -> None:
    planned = campaign(cost=1000.0, invited=["c1", "c2", "c3"])
    results = [
        result(planned.id, "c1", "rep1", amount=500.0),
        result(planned.id, "c2", "rep1", participated=False),
        result(planned.id, "c9", "rep2", amount=100.0),  # came without an invitation: a participant all the same
        result(planned.id, "c1", "rep2"),  # recorded twice: one participant
    ]
    orders = [
        order("c1", "rep1", dt.date(2026, 11, 10), 400.0),  # the first day counts
        order("c1", "rep1", dt.date(2026, 11, 20), 600.0),  # the last day counts
        order("c1", "rep1", dt.date(2026, 11, 21), 999.0),  # the day after does not
        order("c1", "rep1", dt.date(2026, 11, 9), 999.0),  # nor the day before
        order("c2", "rep1", dt.date(2026, 11, 15), 999.0),  # did not take part
        order("c9", "rep2", dt.date(2026, 11, 15), 500.0),
    ]
    outcome = campaign_outcome(planned, results, orders)
    assert outcome.invited == 3
    assert outcome.participants == {"c1", "c9"}
    assert outcome.invited_participants == 1
    assert outcome.participation_rate == round(1 / 3, 4)
    assert (outcome.orders, outcome.amount, outcome.attributed) == (3, 1500.0, 600.0)
    assert outcome.return_ratio == 1.5
    per_rep = {rep.rep_id: (rep.results, len(rep.participants), rep.orders, rep.amount) for rep in outcome.per_rep}
    assert per_rep == {"rep1": (2, 1, 2, 1000.0), "rep2": (2, 2, 1, 500.0)}


def test_a_campaign_without_cost_or_invitations_has_no_return_nor_rate() -> None:
    outcome = campaign_outcome(campaign(cost=0.0), [], [])
    assert outcome.return_ratio is None and outcome.participation_rate is None
    assert outcome.as_dict()["return"] is None and outcome.orders == 0


def test_record_schemas_of_the_new_kinds() -> None:
    good = {
        "campaign_id": new_id(),
        "customer_id": new_id(),
        "visit_id": new_id(),
        "participated": True,
        "recorded_at": "2026-11-27T10:00:00+08:00",
    }
    assert validate_fields(RecordKind.CAMPAIGN_RESULT, good, creating=True) == []
    problems = validate_fields(RecordKind.CAMPAIGN_RESULT, {**good, "participated": 1, "amount": -3}, creating=True)
    assert {problem.field for problem in problems} == {"participated", "amount"}
    target = {"rep_id": new_id(), "month": "2026-11", "sales_amount": 1000, "new_customers": 2, "visits": 40}
    assert validate_fields(RecordKind.SALES_TARGET, target, creating=True) == []
    bad = {**target, "month": "2026-13", "visits": 2.5, "new_customers": True}
    assert {p.field for p in validate_fields(RecordKind.SALES_TARGET, bad, creating=True)} == {
        "month",
        "visits",
        "new_customers",
    }


# ---- phone: participation on a visit, the month's targets ----------------------------------------------


def signed_in(store: LocalStore, clock: Clock) -> Any:
    service = make_service(store, clock, login_transport())
    service.sign_in("http://server", "li.rep", "demo1234")
    return service


def test_participation_is_recorded_offline_on_the_visit(store: LocalStore, clock: Clock) -> None:
    service = signed_in(store, clock)
    customer_id = pulled(store, RecordKind.CUSTOMER, {"name": "南关诊所", "kind": "clinic", "territory": "东片"})
    running = pulled(
        store,
        RecordKind.CAMPAIGN,
        {
            "name": "乡镇订货会",
            "campaign_type": "order_meeting",
            "territory": "东片",
            "starts_on": "2026-11-20",
            "ends_on": "2026-11-30",
            "customer_ids": [customer_id],
            "cost": 2000,
        },
    )
    pulled(
        store,
        RecordKind.CAMPAIGN,
        {
            "name": "已结束",
            "campaign_type": "promotion",
            "territory": "东片",
            "starts_on": "2026-10-01",
            "ends_on": "2026-10-31",
            "customer_ids": [],
            "cost": 100,
        },
    )
    visit = service.check_in(customer_id)
    section = visit_campaigns(service, visit, customer_id)
    assert [c["id"] for c in section.campaigns] == [running] and section.invited == {running}
    with pytest.raises(FormProblems):
        record_participation(service, str(visit["id"]), CampaignEntry(campaign_id=running, amount="abc"))
    before = store.pending_count()
    saved = record_participation(
        service, str(visit["id"]), CampaignEntry(campaign_id=running, amount="1,200", feedback="很满意")
    )
    assert saved["amount"] == 1200 and saved["participated"] is True and saved["customer_id"] == customer_id
    assert store.pending_count() == before + 1  # waiting to be pushed, like an order
    again = visit_campaigns(service, visit, customer_id)
    assert [r["id"] for r in again.results] == [saved["id"]]
    controls = campaign_section(again, [], "zh-CN", actions=None)  # type: ignore[arg-type]
    texts = [c.value for c in controls if isinstance(c, ft.Text)]
    assert any("乡镇订货会" in str(text) and "已参加" in str(text) for text in texts)


def test_todays_targets_and_the_offline_estimate(store: LocalStore, clock: Clock) -> None:
    service = signed_in(store, clock)
    me, other = USER["id"], new_id()
    pulled(
        store,
        RecordKind.SALES_TARGET,
        {"rep_id": me, "month": "2026-11", "sales_amount": 1000, "new_customers": 2, "visits": 10},
    )
    old, new = new_id(), new_id()
    for data in (
        {"customer_id": old, "amount": 100.0, "ordered_at": "2026-10-05T10:00:00+08:00", "rep_id": me},  # October
        {"customer_id": old, "amount": 200.0, "ordered_at": "2026-11-05T10:00:00+08:00", "rep_id": me},
        {"customer_id": new, "amount": 300.0, "ordered_at": "2026-11-30T23:30:00+08:00", "rep_id": me},
        {"customer_id": new, "amount": 999.0, "ordered_at": "2026-11-06T10:00:00+08:00", "rep_id": other},
        {"customer_id": new_id(), "amount": 50.0, "ordered_at": "2026-12-01T00:10:00+08:00", "rep_id": me},
    ):
        pulled(store, RecordKind.ORDER, data)
    for moment, rep in (("2026-11-02T09:00:00+08:00", me), ("2026-11-03T09:00:00+08:00", other)):
        pulled(store, RecordKind.VISIT, {"customer_id": old, "check_in_at": moment, "rep_id": rep})
    progress = month_progress(service)
    assert progress.month == "2026-11" and progress.has_target
    assert progress.sales_amount.actual == 500.0 and progress.sales_amount.rate == 0.5
    # `new` first ordered on Nov 6 with the other rep: not mine; `old` first ordered in October: not new
    assert progress.new_customers.actual == 0.0
    assert progress.visits.actual == 1.0 and progress.visits.rate == 0.1
    texts = [c.value for c in targets_section(progress, "en") if isinstance(c, ft.Text)]
    assert any("offline estimate" in str(text) for text in texts)
    december = month_progress(service, dt.date(2026, 12, 1))
    assert not december.has_target and december.sales_amount.rate is None
    assert december.sales_amount.actual == 50.0 and december.new_customers.actual == 1.0


# ---- demo data --------------------------------------------------------------------------------------------


def test_the_demo_has_campaigns_with_results_and_targets_for_every_rep(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", secret_key="k", data_dir=tmp_path)
    engine = make_engine(settings.database_url)
    create_tables(engine)
    summary = seed_demo(engine, settings)
    assert summary is not None and "campaigns" in summary
    with read_session(engine) as session:
        campaigns = session.exec(select(Campaign)).all()
        reps = session.exec(select(User).where(User.role == "rep")).all()
        outcomes = [campaign_results(session, c) for c in campaigns]
        month = month_of(today(settings.tz))
        achievement = target_achievement(session, [rep.id for rep in reps], month)
        targets = session.exec(select(SalesTarget)).all()
    assert {c.campaign_type for c in campaigns} >= {"order_meeting", "display", "trial"}
    assert any(o.participants and o.amount > 0 and o.return_ratio for o in outcomes)
    assert len(targets) == 3 * len(reps)  # the last two months and this one
    assert all(row.amount.target and row.visits.target and row.new_customers.target for row in achievement.values())
    assert any(row.amount.actual > 0 for row in achievement.values())
