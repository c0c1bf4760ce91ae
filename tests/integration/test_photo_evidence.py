"""Issue 17, photo evidence, through the real push API (docs/photos.md): a photo's source and place reach the
server; a photo far from the customer, a gallery photo where the visit type needs a live one, a 陈列 campaign's
visit without a photo are flagged with their reasons on /visits/flagged, a rep's day, the customer page, the
export and the dashboard; a photo from an older phone (no source, no place) is still taken and reads 来源未知."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine

from server.db import read_session, write_session
from server.domains.campaigns.service import put_campaign
from server.models import VisitPhoto
from server.settings import Settings
from shared.ids import new_id
from tests.integration.conftest import TERRITORY_A, World, local_time, login, make_op
from tests.integration.test_server_web import by_testid, web_login
from tests.integration.test_visit_flags import HOME, clinic, day_visit, flags_of, place, push

Client = AsyncTestClient[Litestar]

pytestmark = pytest.mark.usefixtures("company_afternoon")

TWO_KM_NORTH = (HOME[0] + 0.018, HOME[1])  # about 2,002 m


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, photo_required={"day": "live"}, photo_required_campaigns={"display": "live"})


def photo_fields(customer: str, visit: str, taken: str, sha: str, **extra: Any) -> dict[str, Any]:
    fields = {"customer_id": customer, "visit_id": visit, "size": 1000, "sha256": sha * 64}
    return {**fields, "content_type": "image/jpeg", "taken_at": taken, **extra}


async def test_photo_flags_through_push_and_on_every_page(client: Client, seeded: World, engine: Engine) -> None:
    headers = await login(client, "rep.a")
    customer = clinic(engine, seeded, "固店村卫生室", HOME)
    day = seeded.today
    gallery, far, old_phone, live = new_id(), new_id(), new_id(), new_id()
    gallery_photo = new_id()
    visits = [(gallery, (10, 0)), (far, (11, 0)), (old_phone, (13, 0)), (live, (14, 0))]
    ops = [
        make_op(i + 1, "visit", vid, day_visit(customer, day, start, (start[0], 30), **place(HOME)))
        for i, (vid, start) in enumerate(visits)
    ]
    at = local_time
    old_photo = new_id()
    ops += [
        make_op(
            11, "visit_photo", gallery_photo, photo_fields(customer, gallery, at(day, 10, 5), "a", source="gallery")
        ),
        make_op(
            12,
            "visit_photo",
            new_id(),
            photo_fields(customer, far, at(day, 11, 5), "b", source="live", lat=TWO_KM_NORTH[0], lng=HOME[1]),
        ),
        make_op(13, "visit_photo", old_photo, photo_fields(customer, old_phone, at(day, 13, 5), "c")),  # no source
        make_op(
            14,
            "visit_photo",
            new_id(),
            photo_fields(customer, live, at(day, 14, 5), "d", source="live", lat=HOME[0], lng=HOME[1], accuracy=8.0),
        ),
    ]
    await push(client, headers, ops)
    gallery_flags, far_flags, old_flags, live_flags = flags_of(engine, gallery, far, old_phone, live)
    assert gallery_flags == {"gallery_photo": {"photos": 1}}
    assert far_flags == {"photo_far_from_customer": {"photos": 1, "distance_m": 2002, "limit_m": 500}}
    assert old_flags == {} and live_flags == {}
    with read_session(engine) as session:
        stored = session.get(VisitPhoto, old_photo)
        assert stored is not None and (stored.source, stored.lat) == (None, None)

    await web_login(client, "boss")
    flagged = (await client.get("/visits/flagged?lang=zh-CN")).text
    assert by_testid(flagged, f"visit-flag-{gallery}-gallery_photo") == "相册照片代替现场拍摄"
    assert by_testid(flagged, f"visit-flag-reason-{gallery}-gallery_photo") == "1 张照片来自相册，本次拜访要求现场拍摄"
    assert by_testid(flagged, f"visit-flag-reason-{far}-photo_far_from_customer") == (
        "1 张照片拍于距客户 2,002 米处（限 500 米）"
    )
    card = (await client.get(f"/customers/{customer}?lang=zh-CN")).text
    assert by_testid(card, f"visit-photo-source-{old_photo}") == "来源未知"
    assert by_testid(card, f"visit-photo-source-{gallery_photo}") == "相册选取"
    assert "相册照片代替现场拍摄" in card and "拍照位置远离客户" in card
    rep_day = (await client.get(f"/reps/rep.a/day?day={day.isoformat()}&lang=zh-CN")).text
    assert "相册照片代替现场拍摄" in rep_day and "1 张照片拍于距客户 2,002 米处（限 500 米）" in rep_day
    export = await client.get("/visits/flagged?format=csv&lang=en")
    assert export.status_code == 200
    text = export.text
    assert "1 photo(s) from the gallery; this visit needs one taken live" in text
    assert "gallery_photo" in text and "photo_far_from_customer" in text
    dashboard = (await client.get(f"/dashboard?period=day&day={day.isoformat()}")).text
    assert by_testid(dashboard, "rep-flagged-rep.a") == "2"


async def test_a_display_campaign_visit_without_a_photo_is_flagged_until_one_arrives(
    client: Client, seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    customer = clinic(engine, seeded, "固店村卫生室", HOME)
    day = seeded.today
    campaign = new_id()
    with write_session(engine) as session:
        fields = {"campaign_type": "display", "name": "冬季陈列", "territory": TERRITORY_A}
        fields |= {"starts_on": day.isoformat(), "ends_on": day.isoformat(), "customer_ids": [customer], "cost": 0}
        put_campaign(session, seeded.supervisor, campaign, fields)
    visit = new_id()
    result = {"campaign_id": campaign, "customer_id": customer, "visit_id": visit, "participated": True}
    await push(
        client,
        headers,
        [
            make_op(
                1, "visit", visit, {**day_visit(customer, day, (10, 0), (10, 30), **place(HOME)), "visit_type": "home"}
            ),
            make_op(2, "campaign_result", new_id(), {**result, "recorded_at": local_time(day, 10, 20)}),
        ],
    )
    assert flags_of(engine, visit) == [{"photo_missing": {"required": "live"}}]
    photo = photo_fields(customer, visit, local_time(day, 10, 25), "e", source="live", lat=HOME[0], lng=HOME[1])
    await push(client, headers, [make_op(3, "visit_photo", new_id(), photo)])
    assert flags_of(engine, visit) == [{}]
