"""The demo county: deterministic, through the services (so the change log has it all), and the CLI."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func
from sqlmodel import select

from server.clock import now_in, today
from server.db import create_tables, make_engine, read_session
from server.demo import DEMO_PASSWORD, seed_demo
from server.domains.chain.models import ChainOp
from server.domains.chain.service import VisitChainState, visit_signatures
from server.domains.users.service import authenticate
from server.domains.visits.board import day_board
from server.models import (
    ApprovalRequest,
    AttendancePunch,
    Campaign,
    CampaignResult,
    ChangeLog,
    CompetitorReport,
    Complaint,
    ComplaintStep,
    CreditRatingChange,
    Customer,
    KeyPerson,
    Note,
    Opportunity,
    Order,
    Product,
    RoutePlan,
    SalesTarget,
    StageEvent,
    User,
    Visit,
    VisitPhoto,
)
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


# A Wednesday afternoon in the company's zone (the demo's default Asia/Shanghai): the route is well under way.
AFTERNOON = dt.datetime(2026, 12, 9, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@time_machine.travel(AFTERNOON, tick=False)
def test_the_demo_fills_a_county_and_the_change_log(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", secret_key="k", data_dir=tmp_path)
    engine = make_engine(settings.database_url)
    create_tables(engine)
    assert seed_demo(engine, settings) is not None
    assert seed_demo(engine, settings) is None  # users exist: nothing done
    with read_session(engine) as session:
        count = {
            m.__name__: session.exec(select(func.count()).select_from(m)).one()
            for m in (
                User,
                Customer,
                Visit,
                Note,
                RoutePlan,
                ChangeLog,
                KeyPerson,
                Complaint,
                ComplaintStep,
                Product,
                Order,
                CompetitorReport,
                CreditRatingChange,
                Opportunity,
                StageEvent,
                Campaign,
                CampaignResult,
                SalesTarget,
                AttendancePunch,
                VisitPhoto,
                ApprovalRequest,
            )
        }
        assert count["User"] == 4
        assert 110 <= count["Customer"] <= 130
        assert count["RoutePlan"] >= 3 * 7
        synced = ("Customer", "Visit", "Note", "RoutePlan", "KeyPerson", "Complaint", "Product", "Order")
        synced += ("CompetitorReport", "Opportunity", "StageEvent", "Campaign", "CampaignResult", "SalesTarget")
        synced += ("ComplaintStep",)  # the older demo complaints' moves, one step each
        synced += ("AttendancePunch",)  # the days before today's punches (each back to its rep's phones)
        synced += ("VisitPhoto",)  # the last week's visit photos (server/demo_photos.py)
        synced += ("ApprovalRequest",)  # 审批: an order above its customer's credit limit per territory
        assert count["ChangeLog"] == sum(count[name] for name in synced)
        assert count["KeyPerson"] >= 60 and count["Complaint"] == 6 and count["ComplaintStep"] == 3
        assert count["Product"] == 15 and count["Order"] >= 300 and count["CompetitorReport"] >= 3
        assert count["CreditRatingChange"] >= 30
        customers = session.exec(select(Customer)).all()
        assert {c.status for c in customers} == {"prospect", "new", "active", "dormant", "lost"}
        tiers = [c.tier for c in customers]
        assert 0.1 <= tiers.count("A") / len(tiers) <= 0.35 and tiers.count("C") > tiers.count("A")  # 80/20
        with_orders = {order.customer_id for order in session.exec(select(Order)).all()}
        assert all(c.tier == "C" for c in customers if c.id not in with_orders)
        assert session.exec(select(func.count()).select_from(Visit).where(Visit.flagged == True)).one() > 0  # noqa: E712
        photos = session.exec(select(VisitPhoto)).all()
        assert {photo.source for photo in photos} == {"live", "gallery"} and all(photo.uploaded_at for photo in photos)
        far = [v for v in session.exec(select(Visit)).all() if "photo_far_from_customer" in (v.flags or [])]
        assert far, "the demo shows a photo taken far from its customer"
        territories = {c.territory for c in session.exec(select(Customer)).all()}
        assert len(territories) == 3
        for username in ("zhang.manager", "li.rep", "wang.rep", "zhao.rep"):
            assert authenticate(session, username, DEMO_PASSWORD) is not None
        board = day_board(session, today(settings.tz), settings.tz)
        assert [row.rep.username for row in board.reps] == ["li.rep", "wang.rep", "zhao.rep"]
        for row in board.reps:
            assert 6 <= row.tally.planned <= 10
            assert row.tally.visited_on_route >= 2
        assert board.visits and board.prospects
        # Every demo visit is its rep's phone's signed op, intact in that phone's chain (issue #17).
        visits = [visit.id for visit in session.exec(select(Visit)).all()]
        signatures = visit_signatures(session, visits)
        assert {signature.state for signature in signatures.values()} == {VisitChainState.INTACT}
        assert session.exec(select(func.count()).select_from(ChainOp)).one() == len(visits)
    engine.dispose()


# Record times with their UTC offset, as phones send them: none may lie after the moment the demo was seeded.
RECORD_TIMES = {
    Visit: ("check_in_at", "check_out_at"),
    Complaint: ("received_at",),
    ComplaintStep: ("at",),
    Customer: ("created_at",),
    Note: ("created_at",),
    Order: ("ordered_at",),
    CompetitorReport: ("observed_at",),
    CampaignResult: ("recorded_at",),
    StageEvent: ("at",),
    Opportunity: ("opened_at",),
    AttendancePunch: ("at",),
}


@pytest.mark.parametrize(
    "moment",
    [
        "2026-12-07T00:05:00+08:00",  # just after the company's midnight
        "2026-12-07T06:00:00+08:00",  # before the first visit (the hour a supervisor in UTC saw the future)
        "2026-12-07T10:40:00+08:00",  # mid-morning, a visit going on
        "2026-12-31T23:59:00+08:00",  # the year's last minute
    ],
)
def test_the_demo_seeded_at_any_hour_has_nothing_in_the_future(tmp_path: Path, moment: str) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", secret_key="k", data_dir=tmp_path)
    engine = make_engine(settings.database_url)
    create_tables(engine)
    with time_machine.travel(dt.datetime.fromisoformat(moment), tick=False):
        now = now_in(settings.tz)
        assert seed_demo(engine, settings) is not None
        with read_session(engine) as session:
            for model, columns in RECORD_TIMES.items():
                for row in session.exec(select(model)).all():
                    for column in columns:
                        value = getattr(row, column)
                        if value:
                            assert dt.datetime.fromisoformat(value) <= now, (model.__name__, column, value)
            visits = session.exec(select(Visit)).all()
            assert max(visit.visit_day for visit in visits) <= now.date()
            going_on = [visit for visit in visits if visit.check_out_at is None]
            assert all(visit.visit_day == now.date() for visit in going_on)  # only today's last can still be open
            board = day_board(session, today(settings.tz), settings.tz)
            assert all(row.tally.planned >= 6 for row in board.reps)  # today's plans exist at any hour
            if now.hour < 7:
                assert not [visit for visit in visits if visit.visit_day == now.date()]  # the day has not begun
    engine.dispose()


def test_the_cli_creates_a_user_and_refuses_a_duplicate(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "DATA_DIR": str(tmp_path / "data")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "server", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )

    assert run("init-db").returncode == 0
    made = run(
        "create-user", "--username", "chen.rep", "--password", "long-enough", "--role", "rep", "--territory", "南片"
    )
    assert made.returncode == 0, made.stderr
    again = run(
        "create-user", "--username", "chen.rep", "--password", "long-enough", "--role", "rep", "--territory", "南片"
    )
    assert again.returncode == 2 and "exists" in again.stderr
    assert (tmp_path / "data" / "secret_key").exists()
