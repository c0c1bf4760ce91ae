"""The dashboard's figures (server/domains/reports) against numbers computed here, independently, from the
records the test itself made through the ordinary services: a seeded random fortnight of plans, visits
(on and off the route, twice to one customer, ordered by record or by tick), orders, complaints and half
a year of order history; then the pages, their scope rules and their refusals."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from server.actor import Actor
from server.auth import TOKEN_COOKIE
from server.db import read_session, write_session
from server.domains.complaints.models import Complaint
from server.domains.complaints.service import put_complaint
from server.domains.customers.service import put_customer
from server.domains.development.rules import LifecycleRules, lifecycle_status
from server.domains.orders.service import put_order
from server.domains.products.service import put_product
from server.domains.reports import hooks
from server.domains.reports.period import Period, PeriodKind, Scope, period_of
from server.domains.reports.rep_day import rep_day
from server.domains.reports.service import dashboard, resolve_scope
from server.domains.routes.service import set_route_plan
from server.domains.users.models import User
from server.domains.users.service import create_user
from server.domains.visits.service import put_visit
from server.settings import Settings
from shared.enums import CustomerStatus, Role
from shared.ids import new_id
from shared.records import order_total
from tests.integration.conftest import PASSWORD, World, customer_fields, local_time

Client = AsyncTestClient[Litestar]
TODAY = dt.date(2026, 3, 18)  # a Wednesday: its week has days still to come
NOW = dt.datetime(2026, 3, 18, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
RULES = LifecycleRules()


@dataclass
class Ledger:
    """What the test made, as plain data: the expectations are computed from this alone."""

    reps: dict[str, Actor] = field(default_factory=dict)  # by username
    territory_of: dict[str, str] = field(default_factory=dict)  # rep id -> territory
    owner: dict[str, str] = field(default_factory=dict)  # customer id -> owner rep id
    customer_territory: dict[str, str] = field(default_factory=dict)
    plans: dict[tuple[str, dt.date], list[str]] = field(default_factory=dict)
    visits: list[tuple[str, dt.date, str, bool]] = field(default_factory=list)  # rep, day, customer, ordered
    orders: list[tuple[str, dt.date, str, float]] = field(default_factory=list)  # rep, day, customer, amount
    complaint_ids: list[str] = field(default_factory=list)


def build(engine: Engine, settings: Settings) -> Ledger:
    rng = random.Random(20260318)
    ledger = Ledger()
    with write_session(engine) as session:
        boss = Actor.of(create_user(session, username="boss", password=PASSWORD, role=Role.SUPERVISOR))
        product = put_product(session, boss, new_id(), {"name": "注射器", "unit_price": 12.5, "active": True})
        for username, territory in (("ra1", "东片"), ("ra2", "东片"), ("rb", "西片")):
            rep = Actor.of(
                create_user(session, username=username, password=PASSWORD, role=Role.REP, territory=territory)
            )
            ledger.reps[username] = rep
            ledger.territory_of[rep.id] = territory
        pools: dict[str, list[str]] = {}
        for territory in ("东片", "西片"):
            owners = [rep for rep in ledger.reps.values() if rep.territory == territory]
            for i in range(12):
                owner = owners[i % len(owners)]
                customer = put_customer(
                    session,
                    boss,
                    new_id(),
                    customer_fields(f"{territory}客户{i}", status=CustomerStatus.PROSPECT.value),
                    server_fields={"territory": territory, "owner_rep_id": owner.id},
                )
                ledger.owner[customer.id] = owner.id
                ledger.customer_territory[customer.id] = territory
                pools.setdefault(territory, []).append(customer.id)

        def visit(rep: Actor, customer_id: str, day: dt.date, hour: int, how: str) -> None:
            """how: "record" (an order taken), "tick" (ordered ticked, no record) or "none"."""
            fields = {
                "customer_id": customer_id,
                "visit_type": "day",
                "check_in_at": local_time(day, hour),
                "check_out_at": local_time(day, hour, 25),
                "ordered": how == "tick",
            }
            visit_id = new_id()
            put_visit(session, rep, visit_id, fields, tz=settings.tz)
            if how == "record":
                lines = [{"product_id": product.id, "quantity": rng.randint(1, 9), "unit_price": 12.5}]
                amount = float(order_total(lines))
                order = {
                    "customer_id": customer_id,
                    "visit_id": visit_id,
                    "lines": lines,
                    "amount": amount,
                    "ordered_at": local_time(day, hour, 20),
                }
                put_order(session, rep, new_id(), order, tz=settings.tz, lifecycle=RULES)
                ledger.orders.append((rep.id, day, customer_id, amount))
            ledger.visits.append((rep.id, day, customer_id, how != "none"))

        # Half a year of history: some customers buy, lapse or never bought (so new ones can appear). The
        # first three of each territory last bought 70, 61 and 60 days ago and are not visited again: by
        # TODAY the first two are dormant (more than 60 days), the third is on the edge and still active.
        lapsed = {pool[i]: days for pool in pools.values() for i, days in enumerate((70, 61, 60))}
        for customer_id, owner_id in ledger.owner.items():
            rep = next(r for r in ledger.reps.values() if r.id == owner_id)
            back = lapsed.get(customer_id) or rng.choice([5, 20, 50, 70, 100, 170, 400])
            last = TODAY - dt.timedelta(days=back)
            ages = [0] if customer_id in lapsed else sorted(rng.sample(range(0, 90), rng.randint(0, 3)), reverse=True)
            for age in ages:
                day = last - dt.timedelta(days=age)
                if day < TODAY - dt.timedelta(days=200):
                    continue
                visit(rep, customer_id, day, 9, "record")

        week = period_of(PeriodKind.WEEK, TODAY)
        days = [week.start - dt.timedelta(days=7) + dt.timedelta(days=n) for n in range(14)]
        for rep in ledger.reps.values():
            pool = [c for c in pools[rep.territory or ""] if c not in lapsed]
            for day in days:
                planned = rng.sample(pool, rng.randint(3, 6))
                set_route_plan(session, boss, rep.id, day, planned)
                ledger.plans[(rep.id, day)] = planned
                if day > TODAY:
                    continue
                chosen = [c for c in planned if rng.random() < 0.7]
                off = rng.sample([c for c in pool if c not in planned], rng.randint(0, 2))
                for hour, customer_id in enumerate(chosen + off, start=8):
                    visit(rep, customer_id, day, hour, rng.choice(["record", "tick", "none", "none"]))
                if chosen and rng.random() < 0.3:  # back at the same customer in the evening
                    visit(rep, chosen[0], day, 19, rng.choice(["record", "none"]))

        for index, customer_id in enumerate(rng.sample(sorted(ledger.owner), 8)):
            complaint_id = new_id()
            received = TODAY - dt.timedelta(days=index)  # half of them in the week, half before
            fields = {
                "customer_id": customer_id,
                "category": "delivery",
                "severity": rng.choice(["high", "medium", "low"]),
                "description": "送货晚了",
                "received_at": local_time(received, 9),
            }
            rep = next(r for r in ledger.reps.values() if r.territory == ledger.customer_territory[customer_id])
            put_complaint(session, rep, complaint_id, fields, today=TODAY)
            for status in rng.choice([[], ["investigating"], ["investigating", "resolved"]]):
                put_complaint(session, boss, complaint_id, {"status": status}, today=TODAY)
            ledger.complaint_ids.append(complaint_id)
    return ledger


@pytest.fixture
def ledger(client: Client, engine: Engine, settings: Settings) -> Ledger:
    return build(engine, settings)


# --- the expectations, from the ledger alone -------------------------------------------------------------


def expected(ledger: Ledger, engine: Engine, settings: Settings, scope: str, period: Period) -> dict[str, object]:
    """scope: "company", a territory name, or a rep username."""
    rep = ledger.reps.get(scope)

    def rep_in(rep_id: str) -> bool:
        if rep:
            return rep_id == rep.id
        return scope == "company" or ledger.territory_of[rep_id] == scope

    def customer_in(customer_id: str) -> bool:
        if rep:
            return ledger.owner[customer_id] == rep.id
        return scope == "company" or ledger.customer_territory[customer_id] == scope

    until = min(period.end, TODAY)
    planned = visited = ordered = 0
    for (rep_id, day), customers in ledger.plans.items():
        if not (rep_in(rep_id) and period.start <= day <= until):
            continue
        seen = {c for r, d, c, _ in ledger.visits if r == rep_id and d == day}
        bought = {c for r, d, c, o in ledger.visits if r == rep_id and d == day and o}
        planned += len(customers)
        visited += len(seen & set(customers))
        ordered += len(bought & set(customers))
    in_period = [v for v in ledger.visits if rep_in(v[0]) and period.start <= v[1] <= until]
    orders = [o for o in ledger.orders if rep_in(o[0]) and period.start <= o[1] <= until]

    order_days: dict[str, list[dt.date]] = {}
    for _, day, customer_id, _ in ledger.orders:
        order_days.setdefault(customer_id, []).append(day)
    new = sum(1 for c, days in order_days.items() if customer_in(c) and period.start <= min(days) <= until)
    eve = period.start - dt.timedelta(days=1)
    active = churned = 0
    for customer_id, days in order_days.items():
        if not customer_in(customer_id):
            continue
        at_start = lifecycle_status([d for d in days if d <= eve], eve, "prospect", RULES)
        at_end = lifecycle_status([d for d in days if d <= until], until, "prospect", RULES)
        if at_start in (CustomerStatus.NEW, CustomerStatus.ACTIVE):
            active += 1
            churned += at_end in (CustomerStatus.DORMANT, CustomerStatus.LOST)

    with read_session(engine) as session:
        complaints = [session.get(Complaint, cid) for cid in ledger.complaint_ids]
    hours: dict[str, list[float]] = {"responded_at": [], "resolved_at": []}
    received = 0
    for complaint in complaints:
        assert complaint is not None
        got = dt.datetime.fromisoformat(complaint.received_at)
        if not (customer_in(complaint.customer_id) and period.start <= got.date() <= until):
            continue
        received += 1
        for stamp in hours:
            if getattr(complaint, stamp):
                hours[stamp].append((dt.datetime.fromisoformat(getattr(complaint, stamp)) - got).total_seconds() / 3600)
    return {
        "planned": planned,
        "visited_on_route": visited,
        "ordered_on_route": ordered,
        "visits": len(in_period),
        "orders": len(orders),
        "amount": round(sum(o[3] for o in orders), 2),
        "new_customers": new,
        "active_at_start": active,
        "churned": churned,
        "complaints": received,
        "response_hours": sum(hours["responded_at"]) / len(hours["responded_at"]) if hours["responded_at"] else None,
        "resolution_hours": sum(hours["resolved_at"]) / len(hours["resolved_at"]) if hours["resolved_at"] else None,
    }


def actual(engine: Engine, scope: Scope, period: Period) -> dict[str, object]:
    with read_session(engine) as session:
        board = dashboard(session, scope, period, rules=RULES, now=NOW)
    return {
        "planned": board.tally.planned,
        "visited_on_route": board.tally.visited_on_route,
        "ordered_on_route": board.tally.ordered_on_route,
        "visits": board.visits,
        "orders": board.orders,
        "amount": board.amount,
        "new_customers": board.new_customers,
        "active_at_start": board.churn.active_at_start,
        "churned": board.churn.churned,
        "complaints": board.complaints.received,
        "response_hours": board.complaints.response_hours,
        "resolution_hours": board.complaints.resolution_hours,
    }


def scope_of(engine: Engine, name: str) -> Scope:
    with read_session(engine) as session:
        boss = Actor.of(session.exec(select(User).where(User.username == "boss")).one())
        if name == "company":
            return resolve_scope(session, boss, None, None)
        if name in ("东片", "西片"):
            return resolve_scope(session, boss, name, None)
        return resolve_scope(session, boss, None, name)


def test_the_dashboard_figures_match_the_records(ledger: Ledger, engine: Engine, settings: Settings) -> None:
    """Every period kind around TODAY (a week and a month with days still to come) for every kind of scope:
    the company, a territory of two reps, a rep alone."""
    mismatches = []
    for kind in PeriodKind:
        for scope in ("company", "东片", "rb", "ra2"):
            period = period_of(kind, TODAY)
            want = expected(ledger, engine, settings, scope, period)
            got = actual(engine, scope_of(engine, scope), period)
            for name in ("response_hours", "resolution_hours"):
                if want[name] is not None and got[name] == pytest.approx(want[name], abs=0.01):
                    got[name] = want[name]
            if got != want:
                mismatches.append(
                    f"{kind} {scope}: " + ", ".join(f"{k} {got[k]} != {v}" for k, v in want.items() if got[k] != v)
                )
            assert want["planned"] and want["visits"], "the scenario should give every scope something to count"
    assert not mismatches, "\n".join(mismatches)


def test_the_scenario_exercises_every_definition(ledger: Ledger, engine: Engine, settings: Settings) -> None:
    """A guard on the test itself: the random fortnight has what each measure needs to be non-trivial."""
    month = expected(ledger, engine, settings, "company", period_of(PeriodKind.MONTH, TODAY))
    assert month["new_customers"] and month["churned"] and month["active_at_start"]
    assert month["response_hours"] is not None and month["resolution_hours"] is not None
    assert any(day > TODAY for _, day in ledger.plans), "days still to come are planned (and must not count)"


def test_a_period_still_to_come_counts_nothing(ledger: Ledger, engine: Engine) -> None:
    following = period_of(PeriodKind.WEEK, TODAY).next()
    got = actual(engine, Scope(), following)
    assert got["planned"] == got["visits"] == got["orders"] == got["new_customers"] == got["churned"] == 0


def test_the_trend_lines_stop_at_today(ledger: Ledger, engine: Engine) -> None:
    week = period_of(PeriodKind.WEEK, TODAY)
    with read_session(engine) as session:
        board = dashboard(session, Scope(), week, rules=RULES, now=NOW)
    completion = next(trend for trend in board.trends if trend.measure == "completion")
    for values in completion.values.values():
        assert [v is None for v in values] == [day > TODAY for day in week.days]


def test_the_reps_day_puts_the_plan_against_the_visits(ledger: Ledger, engine: Engine, settings: Settings) -> None:
    rep = ledger.reps["ra1"]
    day = TODAY - dt.timedelta(days=1)
    with read_session(engine) as session:
        user = session.get(User, rep.id)
        assert user is not None
        result = rep_day(session, user, day, settings.tz)
    visits = [v for v in ledger.visits if v[0] == rep.id and v[1] == day]
    planned = ledger.plans[(rep.id, day)]
    assert [stop.customer_id for stop in result.stops] == planned
    assert [row.visit.customer_id for row in result.visits] == [v[2] for v in visits]  # check-in order
    assert [row.planned_position for row in result.visits] == [
        planned.index(v[2]) + 1 if v[2] in planned else None for v in visits
    ]
    assert all(row.duration_minutes == 25 for row in result.visits)
    assert result.tally.planned == len(planned)
    assert result.tally.visited_on_route == len({v[2] for v in visits} & set(planned))


# --- the pages -----------------------------------------------------------------------------------------------


def sign_in(app: Litestar, client: Client, username: str, role: Role, territory: str | None = None) -> None:
    with write_session(app.state.engine) as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            user = create_user(session, username=username, password=PASSWORD, role=role, territory=territory)
        user_id = user.id
    client.cookies.clear()
    client.cookies.set(TOKEN_COOKIE, app.state.jwt_auth.create_token(identifier=user_id))


async def test_a_team_supervisor_sees_their_team_only(app: Litestar, client: Client, seeded: World) -> None:
    sign_in(app, client, "sup.east", Role.SUPERVISOR, "东片")
    page = await client.get("/dashboard", params={"period": "month", "day": TODAY.isoformat()})
    assert page.status_code == 200
    assert 'data-testid="dashboard-rep-rep.a"' in page.text and 'data-testid="dashboard-rep-rep.b"' not in page.text
    assert "范围：东片" in page.text
    refused = await client.get("/dashboard", params={"territory": "西片"})
    assert refused.status_code == 403 and "您只能查看自己负责的片区" in refused.text
    # Another team's rep is unknown to this supervisor (issue 5: 404, not 403, which would say they exist).
    assert (await client.get("/dashboard", params={"rep": "rep.b"})).status_code == 404
    assert (await client.get("/reps/rep.b/day")).status_code == 404
    assert (await client.get("/reps/rep.a/day", params={"day": TODAY.isoformat()})).status_code == 200


async def test_a_supervisor_of_a_team_with_no_one_yet_sees_an_empty_dashboard(
    app: Litestar, client: Client, seeded: World
) -> None:
    sign_in(app, client, "sup.new", Role.SUPERVISOR, "南片")
    page = await client.get("/dashboard")
    assert page.status_code == 200 and "范围：南片" in page.text
    assert 'data-testid="tile-visits" data-value="0"' in page.text


async def test_an_admin_sees_every_territory(app: Litestar, client: Client, seeded: World) -> None:
    sign_in(app, client, "root", Role.ADMIN)
    page = await client.get("/dashboard", params={"period": "week", "day": TODAY.isoformat(), "lang": "en"})
    assert page.status_code == 200
    assert 'data-testid="dashboard-rep-rep.a"' in page.text and 'data-testid="dashboard-rep-rep.b"' in page.text
    assert "Scope: the whole company" in page.text and "16 Mar 2026" in page.text
    west = await client.get("/dashboard", params={"territory": "西片"})
    assert west.status_code == 200 and 'data-testid="dashboard-rep-rep.a"' not in west.text
    assert (await client.get("/reps/rep.b/day")).status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/dashboard", {"period": "year"}, 400),
        ("/dashboard", {"day": "27/11/2026"}, 400),
        ("/dashboard", {"territory": "x" * 61}, 400),
        ("/dashboard", {"territory": "北\x00片"}, 400),
        ("/dashboard", {"territory": "南片"}, 404),
        ("/dashboard", {"rep": "nobody"}, 404),
        ("/reps/nobody/day", {}, 404),
        ("/reps/rep.a/day", {"day": "tomorrow"}, 400),
    ],
)
async def test_bad_input_gets_a_clear_refusal(
    app: Litestar, client: Client, seeded: World, path: str, params: dict[str, str], status: int
) -> None:
    sign_in(app, client, "root", Role.ADMIN)
    response = await client.get(path, params=params)
    assert response.status_code == status
    assert 'data-testid="error-message"' in response.text


async def test_the_tiles_from_other_domains_show_when_their_module_is_there(
    app: Litestar, client: Client, seeded: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(app, client, "root", Role.ADMIN)
    page = await client.get("/dashboard")
    assert 'data-testid="funnel" data-available="true"' in page.text  # server/domains/pipeline is in the tree
    assert 'data-testid="tile-targets" data-available="true"' in page.text
    monkeypatch.setattr(hooks, "_provider", lambda module, function: None)  # as before those domains existed
    page = await client.get("/dashboard")
    assert 'data-testid="tile-targets" data-available="false"' in page.text
    assert 'data-testid="funnel" data-available="false"' in page.text
    assert "暂未启用" in page.text


def test_a_missing_domain_module_is_no_provider() -> None:
    assert hooks._provider("server.domains.no_such_domain.service", "anything") is None
    assert hooks._provider("server.domains.reports.service", "no_such_function") is None
