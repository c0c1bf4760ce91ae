"""Issue 17, the server's part: flags with reasons, never refusals, through the real push API.

Visits made with no location and of 0 minutes reach /visits/flagged with their reasons in zh-CN and en;
overlapping visits and impossible travel are flagged whichever of the pair arrives first; a visit entered
long after, a photo taken outside its visit; the export carries the reasons; the dashboard counts per rep."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine

from server.db import read_session, write_session
from server.domains.customers.service import put_customer
from server.models import Visit
from shared.ids import new_id
from tests.integration.conftest import TERRITORY_A, World, customer_fields, local_time, login, make_op, push_body
from tests.integration.test_server_web import by_testid, web_login

Client = AsyncTestClient[Litestar]

pytestmark = pytest.mark.usefixtures("company_afternoon")  # check-ins "today" at 10:00 are in the past

HOME = (38.7526, 115.2400)
FAR_TOWN = (39.2026, 115.2400)  # 50 km north


def place(where: tuple[float, float]) -> dict[str, Any]:
    return {"check_in_lat": where[0], "check_in_lng": where[1], "check_in_accuracy": 12.0}


def clinic(engine: Engine, world: World, name: str, where: tuple[float, float]) -> str:
    with write_session(engine) as session:
        fields = customer_fields(name, lat=where[0], lng=where[1])
        return put_customer(session, world.supervisor, new_id(), fields, server_fields={"territory": TERRITORY_A}).id


def day_visit(customer_id: str, day: dt.date, start: tuple[int, int], end: tuple[int, int] | None, **extra: Any) -> Any:
    fields = {"customer_id": customer_id, "visit_type": "day", "check_in_at": local_time(day, *start), **extra}
    if end is not None:
        fields["check_out_at"] = local_time(day, *end)
    return fields


async def push(client: Client, headers: dict[str, str], ops: list[dict[str, Any]]) -> None:
    response = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert response.status_code == 200, response.text


def flags_of(engine: Engine, *visit_ids: str) -> list[dict[str, Any]]:
    with read_session(engine) as session:
        visits = [session.get(Visit, visit_id) for visit_id in visit_ids]
        return [
            dict(zip(v.flags or [], [(v.flag_figures or {}).get(c) for c in v.flags or []], strict=True))
            for v in visits
            if v
        ]


async def test_no_location_and_zero_minutes_are_flagged_with_their_reasons_in_both_languages(
    client: Client, seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    customer = clinic(engine, seeded, "固店村卫生室", HOME)
    day = seeded.today
    blind, instant, call = new_id(), new_id(), new_id()
    ops = [
        make_op(1, "visit", blind, day_visit(customer, day, (10, 0), (10, 20))),  # no GPS fix
        make_op(2, "visit", instant, day_visit(customer, day, (11, 0), (11, 0), **place(HOME))),  # 0 minutes
        make_op(3, "visit", call, {"customer_id": customer, "visit_type": "phone", "check_in_at": local_time(day, 12)}),
    ]
    await push(client, headers, ops)
    assert flags_of(engine, blind, instant, call) == [
        {"no_location": {}},
        {"too_short": {"minutes": 0.0, "limit_minutes": 5}},
        {},  # a call needs no location
    ]

    await web_login(client, "boss")
    page = (await client.get("/visits/flagged?lang=zh-CN")).text
    assert by_testid(page, "flagged-count") == "2" and f"flagged-visit-{call}" not in page
    assert by_testid(page, f"visit-flag-{blind}-no_location") == "签到无定位"
    assert by_testid(page, f"visit-flag-reason-{blind}-no_location") == "非电话拜访，签到时没有位置"
    assert by_testid(page, f"visit-flag-{instant}-too_short") == "拜访时间过短"
    assert by_testid(page, f"visit-flag-reason-{instant}-too_short") == "0 分钟（本类至少 5 分钟）"
    page = (await client.get("/visits/flagged?lang=en")).text
    assert by_testid(page, f"visit-flag-{blind}-no_location") == "No location at check-in"
    assert by_testid(page, f"visit-flag-reason-{instant}-too_short") == "0 min (this type: at least 5 min)"

    card = (await client.get(f"/customers/{customer}?lang=zh-CN")).text
    assert by_testid(card, f"visit-flag-reason-{instant}-too_short") == "0 分钟（本类至少 5 分钟）"
    rep_day = (await client.get(f"/reps/rep.a/day?day={day.isoformat()}")).text
    assert by_testid(rep_day, "day-visit-flag-1-no_location") == "签到无定位"
    assert by_testid(rep_day, "day-visit-flag-reason-2-too_short") == "0 分钟（本类至少 5 分钟）"
    dashboard = (await client.get(f"/dashboard?period=day&day={day.isoformat()}")).text
    assert by_testid(dashboard, "rep-flagged-rep.a") == "2"

    export = await client.get("/visits/flagged?format=csv&lang=en")
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    by_codes = {row["Flag codes"]: row for row in rows}
    assert by_codes["too_short"]["Reasons"] == "Visit too short: 0 min (this type: at least 5 min)"
    assert (
        by_codes["no_location"]["Reasons"] == "No location at check-in: a visit in person checked in without a location"
    )


@pytest.mark.parametrize("later_first", [False, True], ids=["in-order", "later-first"])
async def test_overlapping_visits_are_both_flagged_whichever_arrives_first(
    client: Client, seeded: World, engine: Engine, later_first: bool
) -> None:
    headers = await login(client, "rep.a")
    one, two = clinic(engine, seeded, "东村卫生室", HOME), clinic(engine, seeded, "西村卫生室", HOME)
    early, later = new_id(), new_id()
    ops = [
        make_op(1, "visit", early, day_visit(one, seeded.today, (10, 0), (10, 40), **place(HOME))),
        make_op(2, "visit", later, day_visit(two, seeded.today, (10, 30), (11, 0), **place(HOME))),
    ]
    for op in reversed(ops) if later_first else ops:  # two pushes: the second finds the first in the database
        await push(client, headers, [op])
    first, second = flags_of(engine, early, later)
    assert first == {"overlapping": {"minutes": 10.0, "other_visit_id": later, "other_at": "10:30", "visits": 1}}
    assert second["overlapping"]["other_visit_id"] == early and second["overlapping"]["minutes"] == 10.0


@pytest.mark.parametrize("later_first", [False, True], ids=["in-order", "later-first"])
async def test_impossible_travel_is_flagged_whichever_arrives_first(
    client: Client, seeded: World, engine: Engine, later_first: bool
) -> None:
    headers = await login(client, "rep.a")
    here, there = clinic(engine, seeded, "东村卫生室", HOME), clinic(engine, seeded, "远镇卫生院", FAR_TOWN)
    before, after, calm = new_id(), new_id(), new_id()
    ops = [
        make_op(1, "visit", before, day_visit(here, seeded.today, (10, 0), (10, 10), **place(HOME))),
        make_op(2, "visit", after, day_visit(there, seeded.today, (10, 20), (10, 40), **place(FAR_TOWN))),  # 150 km/h
        make_op(3, "visit", calm, day_visit(here, seeded.today, (11, 30), (11, 45), **place(HOME))),  # 70 min back
    ]
    for op in reversed(ops) if later_first else ops:
        await push(client, headers, [op])
    flags = flags_of(engine, before, after, calm)
    assert flags[0] == {} and flags[2] == {}
    travel = flags[1]["impossible_travel"]
    assert (travel["distance_m"], travel["minutes"], travel["speed_kmh"]) == (50_038, 20.0, 150)
    assert (travel["other_visit_id"], travel["other_at"], travel["limit_kmh"]) == (before, "10:00", 120.0)

    await web_login(client, "boss")
    page = (await client.get("/visits/flagged?lang=en")).text
    assert by_testid(page, f"visit-flag-reason-{after}-impossible_travel") == (
        "50,038 m from the previous check-in (10:00) in 20 min: about 150 km/h (limit 120)"
    )


async def test_a_visit_entered_days_later_and_a_photo_taken_before_the_check_in_are_flagged(
    client: Client, seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    customer = clinic(engine, seeded, "固店村卫生室", HOME)
    old_day = seeded.today - dt.timedelta(days=3)
    old, today = new_id(), new_id()
    made = make_op(1, "visit", old, day_visit(customer, old_day, (10, 0), (10, 30), **place(HOME)))
    made["made_at"] = local_time(old_day, 10, 30)  # saved on the phone at once, sent three days later
    photo = {"customer_id": customer, "visit_id": today, "size": 1000, "sha256": "a" * 64, "content_type": "image/jpeg"}
    ops = [
        made,
        make_op(2, "visit", today, day_visit(customer, seeded.today, (10, 0), (10, 30), **place(HOME))),
        make_op(3, "visit_photo", new_id(), {**photo, "taken_at": local_time(seeded.today, 9, 15)}),
        make_op(4, "visit_photo", new_id(), {**photo, "sha256": "b" * 64, "taken_at": local_time(seeded.today, 10, 5)}),
    ]
    ops[1]["made_at"] = local_time(seeded.today, 10, 30)  # saved after the first (else: clock_set_back)
    await push(client, headers, ops)
    late, with_photo = flags_of(engine, old, today)
    assert set(late) == {"entered_late"} and late["entered_late"]["saved_hours"] == 0.5
    assert late["entered_late"]["hours"] > 72 and late["entered_late"]["limit_hours"] == 24.0
    assert with_photo == {"photo_outside_visit": {"photos": 1, "minutes": 45.0}}

    await web_login(client, "boss")
    page = (await client.get("/visits/flagged?lang=zh-CN")).text
    assert by_testid(page, f"visit-flag-{old}-entered_late") == "事后补录"
    assert "手机上于签到后 0.5 小时保存" in by_testid(page, f"visit-flag-reason-{old}-entered_late")
    assert by_testid(page, f"visit-flag-reason-{today}-photo_outside_visit") == (
        "1 张照片拍于签到前或签出后（最多相差 45 分钟）"
    )


async def test_a_check_in_outside_working_hours_is_flagged(client: Client, seeded: World, engine: Engine) -> None:
    headers = await login(client, "rep.a")
    customer = clinic(engine, seeded, "固店村卫生室", HOME)
    dawn, at_eight = new_id(), new_id()
    await push(
        client,
        headers,
        [
            make_op(1, "visit", dawn, day_visit(customer, seeded.today, (6, 30), (6, 50), **place(HOME))),
            make_op(2, "visit", at_eight, day_visit(customer, seeded.today, (8, 0), (8, 20), **place(HOME))),
        ],
    )
    assert flags_of(engine, dawn, at_eight) == [
        {"outside_hours": {"time": "06:30", "start": "08:00", "end": "18:00"}},
        {},
    ]
