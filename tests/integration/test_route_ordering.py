"""Issue #18 on the server: a rep's day ordered from their base inside the customers' door hours, saved so
that the rep's phone pulls the new order; door hours travel with the customer and bad ones are refused."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from server.db import read_session, write_session
from server.domains.customers.models import Customer
from server.domains.routes.ordering import DayKm, best_day, km_per_rep, order_day_plan, planned_day
from server.domains.routes.planning import next_week
from server.domains.routes.service import get_route_plan, set_route_plan
from server.domains.users.models import User
from server.domains.users.service import create_user
from server.settings import Settings, door_hours_by_kind
from shared.enums import Role
from shared.ids import new_id
from shared.route_order import Missed, RouteRules
from sync.protocol import SCHEMA_VERSION
from tests.integration.conftest import (
    PASSWORD,
    TERRITORY_A,
    World,
    customer_fields,
    login,
    make_op,
    pull_all,
    push_body,
    row_counts,
    visit_fields,
)
from tests.integration.test_server_customer_edit import edit_form, post_form, stored
from tests.integration.test_server_import_export_admin import confirm, upload
from tests.integration.test_server_web import by_testid, csrf_token, web_login

Client = AsyncTestClient[Litestar]
BASE = (38.85, 115.49)
EVERY_WEEKDAY = {str(weekday): ["08:00-18:00"] for weekday in range(1, 8)}


def place(engine: Engine, world: World, layout: dict[str, tuple[float, dict[str, object] | None]]) -> list[str]:
    """Put rep A's base at BASE and their 4 customers due north of it (degrees of latitude, door hours);
    plan them today in the order given. Returns the ids by name."""
    ids = dict(zip(layout, world.customers_a, strict=False))
    with write_session(engine) as session:
        rep = session.get(User, world.rep_a.id)
        assert rep is not None
        rep.base_lat, rep.base_lng = BASE
        for name, (north, hours) in layout.items():
            customer = session.get(Customer, ids[name])
            assert customer is not None
            customer.lat, customer.lng, customer.door_hours = BASE[0] + north, BASE[1], hours
        set_route_plan(session, world.supervisor, world.rep_a.id, world.today, list(ids.values()))
    return list(ids.values())


def test_the_best_order_goes_out_and_back_and_keeps_a_morning_only_pharmacy_in_its_window(
    seeded: World, engine: Engine, settings: Settings
) -> None:
    today = seeded.today.isoweekday()
    morning_only = {"weekly": {str(today): ["08:00-09:45"]}}
    ids = place(engine, seeded, {"near": (0.02, None), "far": (0.2, morning_only), "middle": (0.1, None)})
    near, far, middle = ids
    with read_session(engine) as session:
        as_planned = planned_day(session, settings, seeded.rep_a.id, seeded.today)
        best = best_day(session, settings, seeded.rep_a.id, seeded.today)
    assert as_planned.plan.order == [near, far, middle]
    assert [arrival.stop.id for arrival in as_planned.plan.missed] == [far]  # 08:00 + near and its 25 min: too late
    assert best.plan.order == [far, middle, near] and not best.plan.missed
    first = best.plan.arrivals[0]
    assert first.arrive < 9 * 60 + 45 and first.leave <= 9 * 60 + 45  # served inside 08:00-09:45
    assert best.base == BASE and best.plan.km > 2 * 0.2 * 111 * settings.route_road_factor * 0.99


def test_a_closed_day_is_a_stop_that_cannot_fit_with_its_reason(
    seeded: World, engine: Engine, settings: Settings
) -> None:
    closed_today = {"weekly": EVERY_WEEKDAY, "closed": [seeded.today.isoformat()]}
    ids = place(engine, seeded, {"open": (0.05, None), "closed": (0.06, closed_today)})
    with read_session(engine) as session:
        best = best_day(session, settings, seeded.rep_a.id, seeded.today)
    assert [(arrival.stop.id, arrival.missed) for arrival in best.plan.missed] == [(ids[1], Missed.CLOSED)]


async def test_an_appointment_is_kept_at_its_time_and_shown_on_the_planner(
    client: Client, seeded: World, engine: Engine, settings: Settings
) -> None:
    day = seeded.today.isoformat()
    booked = {"appointments": {day: ["13:00-13:40"]}}  # a customer near the base, seen at 13:00 as agreed
    near, far = place(engine, seeded, {"near": (0.01, booked), "far": (0.1, None)})
    with read_session(engine) as session:
        best = best_day(session, settings, seeded.rep_a.id, seeded.today)
    assert not best.plan.missed
    (kept,) = [arrival for arrival in best.plan.arrivals if arrival.stop.id == near]
    assert kept.start >= 13 * 60 and kept.leave <= 13 * 60 + 40
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    html = (await client.get(f"/plans?rep=rep.a&day={day}")).text
    assert by_testid(html, f"appointment-{day}-{near}") == "预约 13:00-13:40"
    assert f'data-testid="appointment-{day}-{far}"' not in html


async def test_a_saved_order_reaches_the_reps_phone_at_its_next_sync(
    client: Client, seeded: World, engine: Engine, settings: Settings
) -> None:
    today = seeded.today.isoweekday()
    ids = place(engine, seeded, {"near": (0.02, None), "far": (0.2, {"weekly": {str(today): ["08:00-09:45"]}})})
    headers = await login(client, "rep.a")
    _, cursor = await pull_all(client, headers)
    with write_session(engine) as session:
        plan, _ = order_day_plan(session, seeded.supervisor, settings, seeded.rep_a.id, seeded.today)
    assert plan.customer_ids == [ids[1], ids[0]]
    changes, _ = await pull_all(client, headers, cursor)
    (pulled,) = [change for change in changes if change["kind"] == "route_plan"]
    assert pulled["data"]["customer_ids"] == [ids[1], ids[0]]


async def test_door_hours_sync_with_the_customer_and_unreadable_ones_are_refused_and_store_nothing(
    client: Client, seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    hours = {"weekly": {"1": ["08:00-10:00", "14:00-17:00"]}, "closed": ["2026-12-25"]}
    customer_id = new_id()
    ok = make_op(1, "customer", customer_id, customer_fields("新开药店", door_hours=hours))
    pushed = await client.post("/api/sync/push", json=push_body([ok]), headers=headers)
    assert pushed.status_code == 200, pushed.text
    with read_session(engine) as session:
        stored = session.get(Customer, customer_id)
        assert stored is not None and stored.door_hours == hours

    before = row_counts(engine)
    bad = make_op(2, "customer", new_id(), customer_fields("另一家", door_hours={"weekly": {"1": ["10:00-08:00"]}}))
    refused = await client.post("/api/sync/push", json=push_body([bad]), headers=headers)
    assert refused.status_code == 422, refused.text
    assert "ends before it starts" in refused.text and "door_hours" in refused.text
    after = row_counts(engine)
    assert {table: count for table, count in after.items() if table != "rejected_ops"} == {
        table: count for table, count in before.items() if table != "rejected_ops"
    }


async def test_the_planner_shows_arrivals_and_km_and_saves_the_best_order(
    client: Client, seeded: World, engine: Engine
) -> None:
    today = seeded.today.isoweekday()
    near, far = place(engine, seeded, {"near": (0.02, None), "far": (0.2, {"weekly": {str(today): ["08:00-09:45"]}})})
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    day = seeded.today.isoformat()
    planner = await client.get(f"/plans?rep=rep.a&day={day}")
    assert planner.status_code == 200, planner.text
    html = planner.text
    assert by_testid(html, f"eta-{day}-{near}").startswith("约 08:")  # the base is 2 km away
    assert by_testid(html, f"missed-{day}-{far}") == "错过接待时间"
    assert re.match(r"约 \d+ 公里，路上约 \d+ 分钟", by_testid(html, f"day-route-{day}"))
    assert "按最优顺序排" in by_testid(html, f"order-{day}")

    saved = await client.post(
        "/plans/order",
        data={"rep": "rep.a", "day": day, "_csrf_token": csrf_token(html)},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    with read_session(engine) as session:
        stored = get_route_plan(session, seeded.rep_a.id, seeded.today)
    assert stored is not None and stored.customer_ids == [far, near]
    after = (await client.get(saved.headers["location"])).text
    assert f'data-testid="missed-{day}-{far}"' not in after and f'data-testid="order-{day}"' not in after


async def test_a_supervisor_types_door_hours_on_the_customer_page_and_unreadable_ones_store_nothing(
    client: Client, seeded: World, engine: Engine
) -> None:
    customer_id = seeded.customers_a[0]
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    form = await edit_form(client, customer_id)
    assert form["door_hours"] == ""
    typed = "1-5 08:30-11:30 14:30-17:00; 休 2026-12-25"
    saved = await post_form(client, customer_id, form | {"door_hours": typed})
    assert saved.status_code == 303, saved.text
    customer = stored(engine, customer_id)
    assert customer.door_hours == {
        "weekly": {str(day): ["08:30-11:30", "14:30-17:00"] for day in range(1, 6)},
        "closed": ["2026-12-25"],
    }
    page = (await client.get(f"/customers/{customer_id}")).text
    assert by_testid(page, "customer-door-hours") == "1-5 08:30-11:30 14:30-17:00; closed 2026-12-25"

    form = await edit_form(client, customer_id)
    refused = await post_form(client, customer_id, form | {"door_hours": "1-5 11:30-08:30"})
    assert refused.status_code == 400, refused.text
    assert "ends before it starts" in by_testid(refused.text, "customer-edit-error-door_hours")
    assert stored(engine, customer_id).door_hours == customer.door_hours


async def test_an_admin_sets_a_reps_base_and_a_territorys_speed_that_the_order_uses(
    client: Client, seeded: World, engine: Engine, settings: Settings
) -> None:
    with write_session(engine) as session:
        create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN)
    assert (await web_login(client, "admin")).status_code == 303  # type: ignore[attr-defined]
    users = (await client.get("/admin/users")).text
    token = csrf_token(users)

    refused = await client.post(
        f"/admin/users/{seeded.rep_a.id}/base", data={"lat": "95", "lng": "115.49", "_csrf_token": token}
    )
    assert refused.status_code == 422 and "lat must be between -90 and 90 degrees" in refused.text
    half = await client.post(f"/admin/users/{seeded.rep_a.id}/base", data={"lat": "38.85", "_csrf_token": token})
    assert half.status_code == 422 and "give both latitude and longitude" in half.text
    with read_session(engine) as session:
        rep = session.get(User, seeded.rep_a.id)
        assert rep is not None and (rep.base_lat, rep.base_lng) == (None, None)

    saved = await client.post(
        f"/admin/users/{seeded.rep_a.id}/base",
        data={"lat": "38.85", "lng": "115.49", "_csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    speed = await client.post(
        "/admin/territories",
        data={"name": TERRITORY_A, "description": "", "travel_speed_kmh": "15", "_csrf_token": token},
        follow_redirects=False,
    )
    assert speed.status_code == 303, speed.text
    slow = await client.post(
        "/admin/territories", data={"name": TERRITORY_A, "travel_speed_kmh": "fast", "_csrf_token": token}
    )
    assert slow.status_code == 422 and "the average speed is a number of km/h" in slow.text

    place(engine, seeded, {"near": (0.1, None)})  # about 14.5 km by road from the base
    with read_session(engine) as session:
        ordered = planned_day(session, settings, seeded.rep_a.id, seeded.today)
    assert ordered.base == BASE
    (arrival,) = ordered.plan.arrivals
    assert arrival.arrive - 8 * 60 == pytest.approx(arrival.km / 15 * 60)  # at the territory's 15 km/h

    # The rep's phone orders its day with the same rules: at sign-in and with every pull
    signed_in = await client.post("/api/auth/login", json={"username": "rep.a", "password": PASSWORD})
    rules = RouteRules.from_dict(signed_in.json()["route_rules"])
    assert rules.speed_kmh == 15 and rules.road_factor == settings.route_road_factor
    assert rules.plan_minutes == settings.visit_plan_minutes
    headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    pulled = await client.post(
        "/api/sync/pull", json={"cursor": 0, "limit": 10, "schema_version": SCHEMA_VERSION}, headers=headers
    )
    assert RouteRules.from_dict(pulled.json()["route_rules"]) == rules
    other = await login(client, "rep.b")  # another territory: the company's speed
    pulled_b = await client.post(
        "/api/sync/pull", json={"cursor": 0, "limit": 10, "schema_version": SCHEMA_VERSION}, headers=other
    )
    assert RouteRules.from_dict(pulled_b.json()["route_rules"]).speed_kmh == settings.route_speed_kmh


async def test_the_reps_day_compares_the_planned_km_with_the_km_between_check_ins(
    client: Client, seeded: World, engine: Engine, settings: Settings
) -> None:
    near, far = place(engine, seeded, {"near": (0.02, None), "far": (0.2, None)})
    headers = await login(client, "rep.a")
    at = {near: BASE[0] + 0.02, far: BASE[0] + 0.2}
    ops = [
        make_op(
            seq, "visit", new_id(), visit_fields(cid, seeded.today, 9 + seq, check_in_lat=at[cid], check_in_lng=BASE[1])
        )
        for seq, cid in enumerate([far, near], start=1)  # far first: the same two legs, the other way round
    ]
    pushed = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert pushed.status_code == 200, pushed.text
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    page = (await client.get(f"/reps/rep.a/day?day={seeded.today.isoformat()}")).text
    road_km = 0.18 * 111.19 * settings.route_road_factor
    tile = re.search(r'data-testid="day-km".*?tile-value">约 (\d+) 公里.*?计划顺序约 (\d+) 公里', page, re.S)
    assert tile, page
    assert int(tile.group(1)) == round(road_km) == int(tile.group(2))

    # The dashboard sums the days of its period up to today: yesterday's plan counts, tomorrow's does not
    day = dt.timedelta(days=1)
    with write_session(engine) as session:
        set_route_plan(session, seeded.supervisor, seeded.rep_a.id, seeded.today - day, [near, far])
        set_route_plan(session, seeded.supervisor, seeded.rep_a.id, seeded.today + day, [near, far, near])
    with read_session(engine) as session:
        km = km_per_rep(session, settings, [seeded.rep_a.id, seeded.rep_b.id], seeded.today - day, seeded.today)
    assert km[seeded.rep_a.id].planned == pytest.approx(2 * km[seeded.rep_a.id].travelled)  # type: ignore[operator]
    assert km[seeded.rep_a.id].travelled == pytest.approx(road_km, rel=0.01)
    assert km[seeded.rep_b.id] == DayKm(None, None)
    dashboard = (await client.get(f"/dashboard?period=7d&day={seeded.today.isoformat()}")).text
    assert by_testid(dashboard, "rep-km-rep.a") == f"{round(2 * road_km)} / {round(road_km)} 公里"
    assert by_testid(dashboard, "rep-km-rep.b") == "—"


async def test_door_hours_come_in_with_the_customer_file_and_unreadable_ones_are_reported(
    client: Client, seeded: World, engine: Engine
) -> None:
    await web_login(client, "boss")
    bad = "客户名称,客户类型,片区,接待时间\n新华药店,药店,东片,1-5 11:30-08:30\n"
    refused = await upload(client, bad.encode())
    assert refused.status_code == 422 and 'data-code="door_hours"' in refused.text
    assert "接待时间无法识别" in refused.text and "ends before it starts" in refused.text

    good = "客户名称,客户类型,片区,接待时间\n新华药店,药店,东片,1-7 08:00-10:00\n河西诊所,诊所,东片,\n"
    checked = await upload(client, good.encode())
    assert checked.status_code == 200, checked.text
    assert (await confirm(client, checked.text)).status_code == 303
    with read_session(engine) as session:
        pharmacy = session.exec(select(Customer).where(Customer.name == "新华药店")).one()
        clinic = session.exec(select(Customer).where(Customer.name == "河西诊所")).one()
    assert pharmacy.door_hours == {"weekly": {str(day): ["08:00-10:00"] for day in range(1, 8)}, "closed": []}
    assert clinic.door_hours is None


def shown(page: str, testid: str, tag: str) -> str:
    """The text of the element with this testid (its tag given), markup and extra blanks removed."""
    match = re.search(rf'data-testid="{re.escape(testid)}"[^>]*>(.*?)</{tag}>', page, re.S)
    assert match, f"no {tag} with data-testid={testid}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()).replace(" 、 ", "、")


async def test_the_week_suggestion_puts_due_customers_on_days_and_taking_it_saves_them(
    client: Client, seeded: World, engine: Engine
) -> None:
    monday = next_week(seeded.today)
    closed_all_week = {"weekly": {"7": ["08:00-09:00"]}}  # receives reps on Sundays only: not a working day
    with write_session(engine) as session:
        rep = session.get(User, seeded.rep_a.id)
        assert rep is not None
        rep.base_lat, rep.base_lng = BASE
        for index, customer_id in enumerate(seeded.customers_a):
            customer = session.get(Customer, customer_id)
            assert customer is not None
            customer.tier, customer.lat, customer.lng = "A", BASE[0] + 0.02 * (index + 1), BASE[1]
            customer.door_hours = closed_all_week if index == 3 else None
            customer.owner_rep_id = seeded.rep_b.id if index == 2 else None  # another rep's customer
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    week = monday.isoformat()
    closed = (await client.get(f"/plans?rep=rep.a&week={week}")).text
    assert 'data-testid="week-fill"' not in closed and 'data-testid="fill-open"' in closed
    html = (await client.get(f"/plans?rep=rep.a&week={week}&fill=1")).text
    near, middle = seeded.customers_a[:2]
    assert by_testid(html, "fill-take") == "采用建议（加入 2 位客户）"  # never visited: due at once, Monday
    monday_line, left_out = shown(html, f"fill-{week}", "li"), shown(html, "fill-left-out", "p")
    assert "东片诊所0、东片诊所1" in monday_line
    assert "东片诊所2" not in shown(html, "week-fill", "section")  # another rep's customer
    assert "东片诊所3 当天不接待" in left_out

    taken = await client.post(
        "/plans/week", data={"rep": "rep.a", "week": week, "_csrf_token": csrf_token(html)}, follow_redirects=False
    )
    assert taken.status_code == 303, taken.text
    with read_session(engine) as session:
        stored = get_route_plan(session, seeded.rep_a.id, monday)
    assert stored is not None and sorted(stored.customer_ids) == sorted([near, middle])  # out and back: either way
    after = (await client.get(taken.headers["location"])).text
    assert by_testid(after, "week-saved") == "已按建议保存 1 天的计划，业务员下次同步时收到。"
    again = (await client.get(f"/plans?rep=rep.a&week={week}&fill=1")).text
    assert 'data-testid="fill-take"' not in again and 'data-testid="fill-nothing"' in again


async def test_a_customer_without_hours_of_its_own_is_planned_with_its_kinds_default(
    client: Client, app: Litestar, seeded: World, engine: Engine, settings: Settings
) -> None:
    near, far = place(engine, seeded, {"near": (0.02, None), "far": (0.2, {"weekly": EVERY_WEEKDAY})})
    clinics_closed_today = f"clinic=1-7 08:00-18:00; 休 {seeded.today.isoformat()}"
    with_default = replace(settings, door_hours_by_kind=door_hours_by_kind(clinics_closed_today))
    with read_session(engine) as session:
        plain = best_day(session, settings, seeded.rep_a.id, seeded.today)
        defaulted = best_day(session, with_default, seeded.rep_a.id, seeded.today)
    assert not plain.plan.missed
    assert [(arrival.stop.id, arrival.missed) for arrival in defaulted.plan.missed] == [(near, Missed.CLOSED)]

    app.state.settings = with_default
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    shown_near = by_testid((await client.get(f"/customers/{near}")).text, "customer-door-hours")
    assert shown_near == f"1-7 08:00-18:00; closed {seeded.today.isoformat()}（未设置，按客户类型默认）"
    assert by_testid((await client.get(f"/customers/{far}")).text, "customer-door-hours") == "1-7 08:00-18:00"
