"""Scenario: the supervisor's pages with 5,000 customers, 200,000 visits and 100,000 orders (issue #5).

A company is built once and cached: the demo county (server/demo.py, through the services) plus eight more
territories with five reps and a territory supervisor each, their customers, a year of route plans, visits
and orders, inserted as rows (the services would take an hour for 200,000 visits); then the lifecycle and
the A/B/C tiers are computed by the server's own jobs. Each GET page of the web view is then timed
in-process (Litestar's test client over the app, no network), signed in as an admin (the whole company)
and as a territory supervisor (one team), against /login and /health measured in the same run: targets
are ratios to those, so they hold on a faster or slower machine.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import postgres
from bench.report import Section, Table, Target, fmt, percentile

CACHE_ENV = "ROUTECRM_BENCH_CACHE"  # where built datasets are kept (default ~/.cache/routecrm-bench)
DATABASE_ENV = "ROUTECRM_BENCH_DATABASE_URL"  # a throwaway PostgreSQL database, as for the load scenario
DATASET = "pages-v1"  # change when the dataset's shape changes: a new file is built
MAX_AGE_DAYS = 7  # older data is rebuilt: "today" pages (board, overdue, queues) need recent visits
SECRET = "bench-secret-key-not-for-production-0123456789abcdef"

TERRITORIES = ("清苑片区", "满城片区", "徐水片区", "定兴片区", "高碑店片区", "涿州片区", "安国片区", "博野片区")
REPS_PER_TERRITORY = 5
CUSTOMERS_PER_TERRITORY = 610  # + the demo's 123: about 5,000
DAYS = 400  # of history before the anchor day
STOPS = 16  # customers on a rep's daily route
VISITED_SHARE = 0.86  # of the planned stops; one off-route visit most days
ORDER_SHARE = 0.5  # of visits
FLAGGED_SHARE = 0.03
KINDS = (("village_clinic", 40), ("clinic", 25), ("pharmacy", 20), ("township_hospital", 5), ("retailer", 10))
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐韩冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "建国秀英志强桂兰红梅海涛丽娟国庆春生玉珍振华淑芬立新雪梅文斌"
KIND_WORDS = {
    "village_clinic": "村卫生室",
    "clinic": "诊所",
    "pharmacy": "大药房",
    "township_hospital": "卫生院",
    "retailer": "便利店",
}
TZ_OFFSET = "+08:00"  # the demo's time zone (Asia/Shanghai), as phones write it


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "routecrm-bench")


def _settings(database_url: str, data_dir: Path) -> Any:
    from server.settings import Settings

    return Settings(
        database_url=database_url, secret_key=SECRET, timezone="Asia/Shanghai", data_dir=data_dir, run_jobs=False
    )


# ---------------------------------------------------------------------------------------------- the dataset


@dataclass
class Dataset:
    anchor: dt.date  # "today" of the data: the last day with visits
    customers: int
    visits: int
    orders: int
    plans: int
    build_s: float  # 0 when it came from the cache
    database_url: str


def _marker(anchor: dt.date) -> str:
    return f"{DATASET} anchor {anchor.isoformat()}"


def _stored_anchor(engine: Any) -> dt.date | None:
    """The anchor day of a dataset already in this database, if it is this version's."""
    from sqlalchemy import inspect, text

    if "territories" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as connection:
        description = connection.execute(
            text("SELECT description FROM territories WHERE name = :name"), {"name": TERRITORIES[0]}
        ).scalar()
    prefix = f"{DATASET} anchor "
    if not description or not str(description).startswith(prefix):
        return None
    return dt.date.fromisoformat(str(description)[len(prefix) :])


def _counts(engine: Any) -> tuple[int, int, int, int]:
    from sqlalchemy import text

    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() or 0)
            for table in ("customers", "visits", "orders", "route_plans")
        )


def ensure_dataset(database_url: str | None) -> Dataset:
    """The company's database: the cached SQLite file (or the PostgreSQL database) if it holds this
    dataset built within MAX_AGE_DAYS, else built now."""
    from server.clock import today
    from server.db import make_engine

    if database_url is None:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{folder / (DATASET + '.db')}"
    settings = _settings(database_url, cache_dir())
    engine = make_engine(database_url)
    try:
        anchor = _stored_anchor(engine)
        now = today(settings.tz)
        build_s = 0.0
        if anchor is None or (now - anchor).days > MAX_AGE_DAYS:
            started = time.perf_counter()
            engine.dispose()
            _wipe(database_url)
            engine = make_engine(database_url)
            build(engine, settings, now)
            build_s = time.perf_counter() - started
            anchor = now
        else:
            from server.db import migrate_database

            migrate_database(engine)  # a dataset cached before the latest migrations gets their tables and columns
        customers, visits, orders, plans = _counts(engine)
    finally:
        engine.dispose()
    return Dataset(anchor, customers, visits, orders, plans, build_s, database_url)


def _wipe(database_url: str) -> None:
    if database_url.startswith("sqlite:///"):
        path = Path(database_url[len("sqlite:///") :])
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()
        return
    postgres.wipe(database_url)


def build(engine: Any, settings: Any, anchor: dt.date) -> None:
    """The demo county through the services, then the eight territories as rows, then lifecycle and tiers."""
    from argon2 import PasswordHasher
    from sqlalchemy import text

    import server.domains.users.service as users
    from server.db import migrate_database
    from server.demo import seed_demo

    production_hasher = users._hasher
    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # nobody signs in with these
    try:
        migrate_database(engine)
        print("   building the dataset: the demo county...", flush=True)
        seed_demo(engine, settings)
        print("   ... eight more territories, a year of visits and orders (rows)...", flush=True)
        _add_company(engine, settings, anchor, random.Random(20261127))
    finally:
        users._hasher = production_hasher
    print("   ... lifecycle and tiers (the server's jobs)...", flush=True)
    _lifecycle_and_tiers(engine, settings, anchor)
    with engine.begin() as connection:  # the query planner's statistics, as an operator would keep them
        connection.exec_driver_sql("ANALYZE")
    with engine.begin() as connection:  # last: a build that stopped half-way is not taken for a dataset
        connection.execute(
            text("UPDATE territories SET description = :marker WHERE name = :name"),
            {"marker": _marker(anchor), "name": TERRITORIES[0]},
        )


def _at(day: dt.date, minutes: int) -> str:
    return f"{day.isoformat()}T{minutes // 60:02d}:{minutes % 60:02d}:00{TZ_OFFSET}"


def _add_company(engine: Any, settings: Any, anchor: dt.date, rng: random.Random) -> None:
    from sqlalchemy import insert
    from sqlmodel import select

    from server.db import write_session
    from server.domains.users.service import create_user
    from server.models import Customer, Order, Product, RoutePlan, SalesTarget, Territory, Visit
    from shared.enums import Role
    from shared.ids import new_id

    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with write_session(engine) as session:
        create_user(session, username="bench.admin", password="bench-pass-1", role=Role.ADMIN, display_name="管理员")
        products = [(product.id, product.unit_price) for product in session.exec(select(Product)).all()]
        reps: dict[str, list[str]] = {}
        for number, territory in enumerate(TERRITORIES, start=1):
            create_user(
                session,
                username=f"sup.{number:02d}",
                password="bench-pass-1",
                role=Role.SUPERVISOR,
                display_name=f"{territory.removesuffix('片区')}主管",
                territory=territory,
            )
            reps[territory] = [
                create_user(
                    session,
                    username=f"rep.{number:02d}.{index}",
                    password="bench-pass-1",
                    role=Role.REP,
                    display_name=rng.choice(SURNAMES) + GIVEN[2 * rng.randrange(len(GIVEN) // 2) :][:2],
                    territory=territory,
                ).id
                for index in range(1, REPS_PER_TERRITORY + 1)
            ]
    with engine.begin() as connection:
        connection.execute(
            insert(Territory),
            [{"name": name, "description": None, "created_at": stamp} for name in TERRITORIES],
        )
    kinds, weights = [kind for kind, _ in KINDS], [weight for _, weight in KINDS]
    customers_of: dict[str, list[str]] = {}  # rep id -> the customers they own
    places: dict[str, tuple[float, float]] = {}
    customer_rows = []
    for number, territory in enumerate(TERRITORIES):
        centre = (38.9 + 0.25 * (number % 4), 115.2 + 0.35 * (number // 4))
        for index in range(CUSTOMERS_PER_TERRITORY):
            rep_id = reps[territory][index % REPS_PER_TERRITORY]
            kind = rng.choices(kinds, weights)[0]
            customer_id = new_id()
            place = (round(centre[0] + rng.uniform(-0.1, 0.1), 6), round(centre[1] + rng.uniform(-0.1, 0.1), 6))
            village = f"{rng.choice(SURNAMES)}{rng.choice(('庄', '营', '村', '屯', '家寨'))}"
            customer_rows.append(
                {
                    "id": customer_id,
                    "name": f"{territory.removesuffix('片区')}{village}{KIND_WORDS[kind]}{index:03d}",
                    "kind": kind,
                    "address": f"河北省保定市{territory.removesuffix('片区')}{village} {rng.randint(1, 200)} 号",
                    "phone": f"13{rng.randint(100_000_000, 999_999_999)}",
                    "lat": place[0],
                    "lng": place[1],
                    "status": "prospect",
                    "importance": rng.choices(["key", "normal", "potential"], [20, 60, 20])[0],
                    "contact_person": rng.choice(SURNAMES) + GIVEN[2 * rng.randrange(len(GIVEN) // 2) :][:2],
                    "created_at": _at(anchor - dt.timedelta(days=rng.randint(DAYS, DAYS + 400)), 600),
                    "territory": territory,
                    "owner_rep_id": rep_id,
                    "updated_at": stamp,
                    "deleted": False,
                    "field_clocks": {},
                }
            )
            customers_of.setdefault(rep_id, []).append(customer_id)
            places[customer_id] = place
    with engine.begin() as connection:
        connection.execute(insert(Customer), customer_rows)

    territory_of = {rep_id: territory for territory, ids in reps.items() for rep_id in ids}
    days = [anchor - dt.timedelta(days=offset) for offset in range(DAYS, -8, -1)]  # to the end of next week
    plan_rows: list[dict[str, Any]] = []
    visit_rows: list[dict[str, Any]] = []
    order_rows: list[dict[str, Any]] = []

    def flush(connection: Any) -> None:
        for model, rows in ((RoutePlan, plan_rows), (Visit, visit_rows), (Order, order_rows)):
            if rows:
                connection.execute(insert(model), rows)
                rows.clear()

    with engine.begin() as connection:
        for day in days:
            if day.weekday() == 6:  # Sundays off
                continue
            for rep_id, own in customers_of.items():
                territory = territory_of[rep_id]
                planned = rng.sample(own, STOPS)
                plan_rows.append(
                    {
                        "id": new_id(),
                        "rep_id": rep_id,
                        "day": day,
                        "customer_ids": planned,
                        "territory": territory,
                        "updated_at": stamp,
                    }
                )
                if day > anchor:
                    continue
                visited = [(cid, True) for cid in planned if rng.random() < VISITED_SHARE]
                if rng.random() < 0.7:
                    visited.append((rng.choice([cid for cid in own if cid not in planned]), False))
                start = 8 * 60 + rng.randint(0, 30)
                for customer_id, on_route in visited:
                    visit_id = new_id()
                    lat, lng = places[customer_id]
                    far = rng.random() < FLAGGED_SHARE
                    ordered = rng.random() < ORDER_SHARE
                    chosen = rng.sample(products, rng.randint(1, 3))
                    picked = [(product_id, rng.randint(2, 20), price) for product_id, price in chosen]
                    lines = [{"product_id": p, "quantity": q, "unit_price": u} for p, q, u in picked]
                    amount = round(sum(q * u for _, q, u in picked), 2)
                    check_out = start + rng.randint(8, 25)  # 16 stops end by 20:00 at the latest
                    visit_rows.append(
                        {
                            "id": visit_id,
                            "customer_id": customer_id,
                            "visit_type": "day",
                            "planned": on_route,
                            "check_in_at": _at(day, start),
                            "check_in_lat": round(lat + (0.02 if far else rng.uniform(-0.0003, 0.0003)), 6),
                            "check_in_lng": round(lng + rng.uniform(-0.0003, 0.0003), 6),
                            "check_in_accuracy": float(rng.randint(5, 40)),
                            "check_out_at": _at(day, check_out),
                            "attitude": rng.choice(["positive", "positive", "neutral", "negative"]),
                            "progress": "关系稳定，正常补货",
                            "ordered": ordered,
                            "order_amount": amount if ordered else None,
                            "rep_id": rep_id,
                            "device_id": f"bench-{rep_id[:8]}",
                            "territory": territory,
                            "visit_day": day,
                            "updated_at": stamp,
                            "flags": ["far_from_customer"] if far else None,
                            "flagged": far,
                        }
                    )
                    if ordered:
                        order_rows.append(
                            {
                                "id": new_id(),
                                "customer_id": customer_id,
                                "visit_id": visit_id,
                                "lines": lines,
                                "amount": amount,
                                "ordered_at": _at(day, check_out),
                                "rep_id": rep_id,
                                "territory": territory,
                                "order_day": day,
                                "created_at": stamp,
                            }
                        )
                    start = check_out + rng.randint(5, 15)
            if len(visit_rows) > 20_000:
                flush(connection)
        flush(connection)
        month = anchor.strftime("%Y-%m")
        connection.execute(
            insert(SalesTarget),
            [
                {
                    "id": new_id(),
                    "rep_id": rep_id,
                    "month": month,
                    "sales_amount": 60_000.0,
                    "new_customers": 3,
                    "visits": 300,
                    "set_by": rep_id,
                    "updated_at": stamp,
                }
                for rep_id in territory_of
            ],
        )


def _lifecycle_and_tiers(engine: Any, settings: Any, anchor: dt.date) -> None:
    from server.db import write_session
    from server.domains.development.service import lifecycle_rules, recompute_tiers, refresh_all_lifecycles, tier_rules

    with write_session(engine) as session:
        refresh_all_lifecycles(session, anchor, lifecycle_rules(settings))
    with write_session(engine) as session:
        recompute_tiers(session, anchor, tier_rules(settings))


# ------------------------------------------------------------------------------------------------ the pages


# Budgets, as multiples of the /login page's median in the same run: /login goes through the same stack
# (routing, the session cookie's check, a template) with no query, so the ratio is what the data costs.
# About 0.25-0.5 s for a list or a record's page here (/login 2.5-5 ms), up to a second or two for a dashboard
# (aggregates over tens of thousands of visits and orders), a few seconds for a download of every customer.
# Medians: with a few rounds on a shared machine a p95 is the slowest sample, i.e. the machine's other work.
LIMITS = {"page": 100.0, "report": 400.0, "export": 1000.0}


@dataclass(frozen=True)
class PageCase:
    name: str
    url: str
    budget: str = "page"  # a key of LIMITS


def page_cases(anchor: dt.date, customer_id: str, rep: str, team: str) -> list[PageCase]:
    day = anchor.isoformat()
    return [
        PageCase("board (today)", f"/board?day={day}"),
        PageCase("dashboard: day", f"/dashboard?period=day&day={day}", budget="report"),
        PageCase("dashboard: week", f"/dashboard?period=week&day={day}", budget="report"),
        PageCase("dashboard: month", f"/dashboard?period=month&day={day}", budget="report"),
        PageCase("dashboard: team, month", f"/dashboard?period=month&day={day}&territory={team}", budget="report"),
        PageCase("dashboard: one rep, week", f"/dashboard?period=week&day={day}&rep={rep}", budget="report"),
        PageCase("dashboard: one rep, month", f"/dashboard?period=month&day={day}&rep={rep}", budget="report"),
        PageCase("rep's day", f"/reps/{rep}/day?day={day}"),
        PageCase("customers: first page", "/customers"),
        PageCase("customers: tier A clinics", "/customers?tier=A&kind=clinic"),
        PageCase("customers: overdue", "/customers?overdue=yes"),
        PageCase("customers: text search", "/customers?q=诊所05"),
        PageCase("customers: page 40", "/customers?page=40"),
        PageCase("customer 360", f"/customers/{customer_id}"),
        PageCase("visits/flagged", "/visits/flagged"),
        PageCase("orders", "/orders"),
        PageCase("complaints", "/complaints"),
        PageCase("queues", "/queues"),
        PageCase("review", "/review"),
        PageCase("plans (week planner)", f"/plans?rep={rep}&week={day}"),
        PageCase("pipeline", "/pipeline"),
        PageCase("campaigns", "/campaigns"),
        PageCase("targets", f"/targets?month={anchor.strftime('%Y-%m')}"),
        PageCase("products", "/products"),
        PageCase("export customers CSV", "/customers?format=csv", budget="export"),
        PageCase("export customers XLSX", "/customers?format=xlsx", budget="export"),
    ]


BASELINES = (PageCase("/login (baseline)", "/login"), PageCase("/health (baseline)", "/health"))


@dataclass
class Timings:
    samples: dict[str, list[float]] = field(default_factory=dict)  # ms, by case name
    failures: list[str] = field(default_factory=list)


@contextmanager
def app_client(database_url: str) -> Iterator[Any]:
    """The app over the dataset (a copy of the SQLite file: exports write audit rows), in-process."""
    from litestar.testing import TestClient

    from server.app import create_app
    from server.db import make_engine

    folder = Path(tempfile.mkdtemp(prefix="routecrm-bench-pages-"))
    try:
        if database_url.startswith("sqlite:///"):
            source = Path(database_url[len("sqlite:///") :])
            for part in ("", "-wal"):  # a WAL not yet folded into the file holds committed rows
                if Path(f"{source}{part}").exists():
                    shutil.copyfile(f"{source}{part}", folder / f"routecrm.db{part}")
            database_url = f"sqlite:///{folder / 'routecrm.db'}"
        engine = make_engine(database_url)
        app = create_app(_settings(database_url, folder), engine=engine)
        with TestClient(app=app, timeout=600) as client:
            yield client
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sign_in_as(client: Any, username: str) -> None:
    """A web session's cookie, made with the app's own signer (no password hashing in the timings)."""
    from sqlmodel import select

    from server.auth import TOKEN_COOKIE
    from server.db import read_session
    from server.models import User

    with read_session(client.app.state.engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
    client.cookies.clear()
    client.cookies.set(TOKEN_COOKIE, client.app.state.jwt_auth.create_token(identifier=user.id))


def time_pages(client: Any, users: dict[str, str], cases: list[PageCase], runs: int, budget_s: float) -> Timings:
    """Each case once untimed per user (warms caches and the template), then `runs` rounds; in a round every
    user sees every case in turn, so that a burst of other work on the machine falls on all pages and both
    users alike. A case past its time budget (seconds, summed) is not run again."""
    timings = Timings()
    for label, username in users.items():
        sign_in_as(client, username)
        for case in cases:
            response = client.get(case.url)
            if response.status_code != 200:
                timings.failures.append(f"{label} {case.url}: {response.status_code} {response.text[:200]!r}")
    spent: dict[str, float] = {}
    for _ in range(runs):
        for label, username in users.items():
            sign_in_as(client, username)
            for case in cases:
                key = f"{label}|{case.name}"
                if spent.get(key, 0.0) > budget_s:
                    continue
                started = time.perf_counter()
                client.get(case.url)
                elapsed = time.perf_counter() - started
                spent[key] = spent.get(key, 0.0) + elapsed
                timings.samples.setdefault(key, []).append(elapsed * 1000)
    return timings


def _samples(dataset: Dataset) -> tuple[str, str, str]:
    """A customer with a long history, a rep of the first new territory and that territory."""
    from sqlalchemy import text

    from server.db import make_engine

    engine = make_engine(dataset.database_url)
    try:
        with engine.connect() as connection:
            customer_id = connection.execute(
                text(
                    "SELECT customer_id FROM visits WHERE territory = :territory"
                    " GROUP BY customer_id ORDER BY COUNT(*) DESC, customer_id LIMIT 1"
                ),
                {"territory": TERRITORIES[0]},
            ).scalar()
    finally:
        engine.dispose()
    return str(customer_id), "rep.01.1", TERRITORIES[0]


def run(quick: bool) -> Section:
    database_url = os.environ.get(DATABASE_ENV)
    backend = "PostgreSQL" if database_url else "SQLite"
    runs = 3 if quick else 9
    section = Section(
        key="pages",
        title="5. Supervisor pages with 5,000 customers",
        method=(
            "A company built once and cached (`bench/pages.py`; SQLite under `~/.cache/routecrm-bench`, or the"
            f" database of `{DATABASE_ENV}`, rebuilt when older than {MAX_AGE_DAYS} days): the demo county"
            f" through the services, plus {len(TERRITORIES)} territories of {REPS_PER_TERRITORY} reps and a"
            f" territory supervisor each, {CUSTOMERS_PER_TERRITORY} customers per territory, a route plan of"
            f" {STOPS} stops per rep and working day over {DAYS} days, the visits ({VISITED_SHARE:.0%} of the"
            f" stops and most days one off the route, {FLAGGED_SHARE:.0%} flagged), an order on half of them;"
            " then the lifecycle and A/B/C tiers by the server's own jobs. Complaints, conflicts, opportunities"
            " and campaigns are the demo county's only (tens of records), so their pages measure the stack more"
            " than their lists. Each supervisor GET page is timed"
            f" in-process (Litestar's test client over `create_app`, {backend}), as an admin (the whole company)"
            f" and as a territory supervisor (`sup.01`, one team of 5 reps): once untimed, then {runs} rounds,"
            " each user and page in turn within a round. The budget of each page is a multiple of the median"
            " of /login in the same run, both sign-ins' samples (the same stack, a template, no query):"
            f" {LIMITS['page']:.0f}× for a list or a record's page, {LIMITS['report']:.0f}× for a dashboard"
            f" (aggregates), {LIMITS['export']:.0f}× for a download of the customer list; the targets hold"
            " each budget's slowest median (a p95 of a few rounds on a shared machine is its slowest sample,"
            " which measures the machine's other work). Timings include rendering the answer and reading it."
        ),
    )
    dataset = ensure_dataset(database_url)
    customer_id, rep, territory = _samples(dataset)
    cases = page_cases(dataset.anchor, customer_id, rep, territory)
    with app_client(dataset.database_url) as client:
        users = {"admin": "bench.admin", "supervisor": "sup.01"}
        timings = time_pages(client, users, [*BASELINES, *cases], runs, 20.0 if quick else 30.0)
    login_ms = percentile(
        [ms for label in ("admin", "supervisor") for ms in timings.samples.get(f"{label}|/login (baseline)", [])], 50
    )
    section.tables.append(
        Table(
            ["", ""],
            [
                ["customers", f"{dataset.customers:,}"],
                ["visits", f"{dataset.visits:,}"],
                ["orders", f"{dataset.orders:,}"],
                ["route plans", f"{dataset.plans:,}"],
                ["anchor day (the data's today)", dataset.anchor.isoformat()],
                ["built in this run", fmt(dataset.build_s, "s") if dataset.build_s else "no (cached)"],
            ],
            title=f"The dataset ({backend})",
        )
    )
    rows = []
    worst = dict.fromkeys(LIMITS, (0.0, ""))  # by budget: the highest p50 ÷ /login p50, and whose
    for case in [*BASELINES, *cases]:
        cells = [case.name]
        ratios = []
        for label in ("admin", "supervisor"):
            values = timings.samples.get(f"{label}|{case.name}", [])
            p50 = percentile(values, 50)
            cells += [fmt(p50, "ms"), fmt(percentile(values, 95), "ms")]
            ratios.append(p50 / login_ms)
            if case not in BASELINES and values and p50 / login_ms > worst[case.budget][0]:
                worst[case.budget] = (p50 / login_ms, f"{case.name}, {label}")
        budget = "" if case in BASELINES else f"≤ {LIMITS[case.budget]:.0f}×"
        cells += [" / ".join(fmt(ratio, "×") for ratio in ratios), budget]
        rows.append(cells)
    section.tables.append(
        Table(
            ["page", "admin p50", "admin p95", "supervisor p50", "supervisor p95", "p50 ÷ /login p50", "budget"],
            rows,
            title=f"Page times ({runs} rounds after one untimed)",
        )
    )
    names = {"page": "slowest list or record page", "report": "slowest dashboard", "export": "slowest download"}
    section.targets += [
        Target(f"pages: {names[budget]} p50 ÷ /login p50", worst[budget][0], limit, "×")
        for budget, limit in LIMITS.items()
    ]
    section.targets.append(Target("pages: pages not answering 200", float(len(timings.failures)), 0, ""))
    section.notes.append(
        f"/login p50 in this run: {fmt(login_ms, 'ms')}, so the budgets are "
        + ", ".join(f"{fmt(login_ms * limit, 'ms')} ({budget})" for budget, limit in LIMITS.items())
        + ". Slowest of each budget: "
        + "; ".join(f"{budget}: {worst[budget][1]}" for budget in LIMITS)
        + "."
    )
    section.notes += [f"Not 200: {failure}" for failure in timings.failures[:5]]
    return section
