"""Issue 5: a supervisor whose account names a territory sees their team only, on every page, list, count
and export, and in what they pull; a company-wide supervisor and an admin see both teams. Queue actions:
a complaint moved forward with a note, a refused op marked reviewed with a comment (server/web/queues.py).

The world: two teams (东片: rep.a, sup.east; 西片: rep.b, sup.west) each with a flagged visit, an order, a
complaint, an opportunity, a campaign, an edit conflict and a refused op; boss (no territory) and admin.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from server.actor import Actor
from server.changes.models import FieldConflict, RejectedOp
from server.clock import now_iso
from server.db import read_session, write_session
from server.domains.audit.models import AuditEvent
from server.domains.campaigns.service import put_campaign
from server.domains.products.service import put_product
from server.domains.users.service import create_user
from server.models import Complaint, ComplaintStep, Customer
from shared.enums import Role
from shared.ids import new_id
from tests.integration.conftest import (
    DEVICE_A,
    DEVICE_B,
    PASSWORD,
    TERRITORY_A,
    TERRITORY_B,
    World,
    local_time,
    login,
    make_op,
    pull_all,
    push_body,
    visit_fields,
)
from tests.integration.test_server_web import csrf_token, web_login

Client = AsyncTestClient[Litestar]


@dataclass
class Team:
    territory: str
    supervisor: str  # username
    customer_id: str
    customer_name: str
    complaint_id: str
    opportunity_id: str
    campaign_id: str
    campaign_name: str
    conflict_id: str
    refused_op_id: str


async def team_records(client: Client, engine: Engine, world: World, product_id: str, *, east: bool) -> Team:
    """A team's records, pushed by its rep as a phone does (the refused op: a note on the other team's customer)."""
    rep, device = ("rep.a", DEVICE_A) if east else ("rep.b", DEVICE_B)
    territory = TERRITORY_A if east else TERRITORY_B
    customer_id = (world.customers_a if east else world.customers_b)[0]
    other_customer = (world.customers_b if east else world.customers_a)[0]
    headers = await login(client, rep)
    visit_id, complaint_id, opportunity_id = new_id(), new_id(), new_id()
    at = local_time(world.today, 9)
    ops = [
        make_op(
            1, "visit", visit_id, visit_fields(customer_id, world.today, 9, check_in_mocked=True), device_id=device
        ),
        make_op(
            2,
            "order",
            new_id(),
            {
                "customer_id": customer_id,
                "visit_id": visit_id,
                "lines": [{"product_id": product_id, "quantity": 2, "unit_price": 10.0}],
                "amount": 20.0,
                "ordered_at": at,
            },
            device_id=device,
        ),
        make_op(
            3,
            "complaint",
            complaint_id,
            {
                "customer_id": customer_id,
                "category": "quality",
                "severity": "high",
                "description": f"{territory}的投诉",
                "received_at": at,
            },
            device_id=device,
        ),
        make_op(4, "opportunity", opportunity_id, {"customer_id": customer_id, "opened_at": at}, device_id=device),
    ]
    response = await client.post("/api/sync/push", json=push_body(ops, device_id=device), headers=headers)
    assert response.status_code == 200, response.text
    refused = make_op(
        5, "note", new_id(), {"customer_id": other_customer, "text": "记一笔", "created_at": at}, device_id=device
    )
    response = await client.post("/api/sync/push", json=push_body([refused], device_id=device), headers=headers)
    assert response.status_code == 403, response.text
    campaign_id, conflict_id = new_id(), new_id()
    campaign_name = f"{territory}订货会"
    with write_session(engine) as session:
        admin = Actor("system", "system", "system", Role.ADMIN, None)
        fields = {
            "campaign_type": "order_meeting",
            "name": campaign_name,
            "territory": territory,
            "starts_on": world.today.isoformat(),
            "ends_on": world.today.isoformat(),
            "customer_ids": [customer_id],
            "cost": 100,
        }
        put_campaign(session, admin, campaign_id, fields)
        session.add(
            FieldConflict(
                id=conflict_id,
                kind="customer",
                record_id=customer_id,
                field="phone",
                kept_value="1",
                lost_value="2",
                kept_clock="c",
                op_id=new_id(),
                device_id=device,
                territory=territory,
                created_at=now_iso(),
            )
        )
        name = session.get(Customer, customer_id).name  # type: ignore[union-attr]
    return Team(
        territory,
        "sup.east" if east else "sup.west",
        customer_id,
        name,
        complaint_id,
        opportunity_id,
        campaign_id,
        campaign_name,
        conflict_id,
        refused["op_id"],
    )


@pytest.fixture
async def teams(client: Client, engine: Engine, seeded: World) -> tuple[Team, Team]:
    with write_session(engine) as session:
        create_user(session, username="sup.east", password=PASSWORD, role=Role.SUPERVISOR, territory=TERRITORY_A)
        create_user(session, username="sup.west", password=PASSWORD, role=Role.SUPERVISOR, territory=TERRITORY_B)
        create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN)
        boss = seeded.supervisor
        product_id = put_product(session, boss, new_id(), {"name": "注射器", "unit_price": 10.0, "active": True}).id
    east = await team_records(client, engine, seeded, product_id, east=True)
    west = await team_records(client, engine, seeded, product_id, east=False)
    return east, west


# Lists and exports, and what each shows of a team's records.
LISTS = [
    "/customers",
    "/customers?format=csv",
    "/board",
    "/complaints",
    "/complaints?format=csv",
    "/orders",
    "/orders?format=csv",
    "/visits/flagged",
    "/visits/flagged?format=csv",
    "/queues",
    "/review",
    "/pipeline",
]


async def signed_in(client: Client, username: str) -> None:
    client.cookies.clear()
    response = await web_login(client, username)
    assert response.status_code == 303  # type: ignore[attr-defined]


async def form_token(client: Client, path: str = "/queues") -> str:
    return csrf_token((await client.get(path)).text)


@pytest.mark.parametrize("east_side", [True, False], ids=["sup.east", "sup.west"])
async def test_a_team_supervisor_sees_their_team_only_on_every_list_and_export(
    client: Client, teams: tuple[Team, Team], east_side: bool
) -> None:
    own, other = teams if east_side else teams[::-1]
    await signed_in(client, own.supervisor)
    for url in LISTS:
        response = await client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        assert own.customer_name in response.text, f"{url} misses the team's own customer"
        assert other.customer_name not in response.text, f"{url} shows the other team's customer"
    campaigns = await client.get("/campaigns")
    assert own.campaign_name in campaigns.text and other.campaign_name not in campaigns.text
    plans = await client.get("/plans")
    assert ("rep.b" in plans.text) != east_side  # the rep picker offers the team's reps only
    # The nav's count and the queue's: a complaint, a conflict, a refused op and a flagged check-in.
    queues = await client.get("/queues")
    assert re.search(r'data-testid="queue-total">4<', queues.text)
    board = await client.get("/board")  # every page's nav
    assert re.search(r'data-testid="nav-queue-count">4<', board.text)


async def test_an_export_has_the_team_rows_only(client: Client, teams: tuple[Team, Team]) -> None:
    east, _ = teams
    await signed_in(client, east.supervisor)
    text = (await client.get("/customers?format=csv")).content.decode("utf-8-sig")
    names = [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]]
    assert names == [f"东片诊所{i}" for i in range(4)]
    await signed_in(client, "boss")
    text = (await client.get("/customers?format=csv")).content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) - 1 == 6


@pytest.mark.parametrize("username", ["boss", "admin"])
async def test_a_company_wide_supervisor_and_an_admin_see_both_teams(
    client: Client, teams: tuple[Team, Team], username: str
) -> None:
    east, west = teams
    await signed_in(client, username)
    for url in LISTS:
        response = await client.get(url)
        assert east.customer_name in response.text and west.customer_name in response.text, url
    queues = await client.get("/queues")
    assert re.search(r'data-testid="queue-total">8<', queues.text)
    assert re.search(r'data-testid="nav-queue-count">8<', queues.text)
    for team in teams:
        assert (await client.get(f"/customers/{team.customer_id}")).status_code == 200
        assert (await client.get(f"/pipeline/{team.opportunity_id}")).status_code == 200
        assert (await client.get(f"/campaigns/{team.campaign_id}")).status_code == 200


async def test_another_teams_records_are_not_found_and_its_forms_refused(
    client: Client, engine: Engine, teams: tuple[Team, Team]
) -> None:
    east, west = teams
    await signed_in(client, east.supervisor)
    for url in (f"/customers/{west.customer_id}", f"/pipeline/{west.opportunity_id}", f"/campaigns/{west.campaign_id}"):
        assert (await client.get(url)).status_code == 404, url
    assert (await client.get(f"/customers/{east.customer_id}")).status_code == 200
    token = await form_token(client)
    posts = {
        f"/customers/{west.customer_id}": {
            "contact_person": "王院长",
            "seen_contact_person": "",
            "clock_contact_person": "",
        },
        f"/customers/{west.customer_id}/credit": {"rating": "poor", "reason": "拖欠"},
        f"/campaigns/{west.campaign_id}": {"name": "改名"},
        "/plans": {"rep": "rep.b", "day": "2026-11-30", "customer_id": west.customer_id},
        "/plans/stops": {"rep": "rep.b", "day": "2026-11-30", "customer_id": west.customer_id},
        f"/queues/conflicts/{west.conflict_id}/reviewed": {},
        f"/queues/complaints/{west.complaint_id}/status": {"status": "investigating", "note": "已联系"},
        f"/queues/refused/{west.refused_op_id}/reviewed": {"comment": "已处理"},
    }
    for url, form in posts.items():
        response = await client.post(url, data={**form, "_csrf_token": token}, follow_redirects=False)
        assert response.status_code == 404, f"{url}: {response.status_code}"
    with read_session(engine) as session:
        customer = session.get(Customer, west.customer_id)
        assert customer is not None and customer.contact_person is None and customer.credit_rating is None
        complaint = session.get(Complaint, west.complaint_id)
        assert complaint is not None and complaint.status == "received"
        assert session.get(FieldConflict, west.conflict_id).reviewed is False  # type: ignore[union-attr]
        refused = session.exec(select(RejectedOp).where(RejectedOp.op_id == west.refused_op_id)).one()
        assert refused.reviewed_at is None


async def test_a_team_supervisor_pulls_their_team_only(client: Client, teams: tuple[Team, Team]) -> None:
    east, west = teams
    for username, seen in (("sup.east", {TERRITORY_A}), ("boss", {TERRITORY_A, TERRITORY_B})):
        changes, _ = await pull_all(client, await login(client, username))
        customers = {c["data"]["territory"] for c in changes if c["kind"] == "customer"}
        complaints = {c["record_id"] for c in changes if c["kind"] == "complaint"}
        assert customers == seen, username
        assert (west.complaint_id in complaints) == (TERRITORY_B in seen)
        assert east.complaint_id in complaints
        plans = [c for c in changes if c["kind"] == "route_plan" and c["data"]]
        assert plans, "the team's reps' plans reach their supervisor"


async def test_a_complaint_is_moved_forward_from_the_queue_with_a_note(
    client: Client, engine: Engine, teams: tuple[Team, Team]
) -> None:
    east, _ = teams
    await signed_in(client, east.supervisor)
    url = f"/queues/complaints/{east.complaint_id}/status"
    # Without the form's CSRF token: refused, nothing changed.
    response = await client.post(url, data={"status": "resolved", "note": "换货"}, follow_redirects=False)
    assert response.status_code == 403
    token = await form_token(client)
    bad = [
        ({"status": "resolved", "note": "  "}, "请写明处理说明"),
        ({"status": "received", "note": "退回"}, "只能往前推进"),
        ({"status": "done", "note": "好"}, "下一步状态"),
        ({"status": "resolved", "note": "长" * 501}, "最多 500 个字"),
    ]
    for form, message in bad:
        response = await client.post(url, data={**form, "_csrf_token": token}, follow_redirects=False)
        assert response.status_code == 422 and message in response.text, (form, response.text[:300])
    with read_session(engine) as session:
        assert session.get(Complaint, east.complaint_id).status == "received"  # type: ignore[union-attr]

    form = {"status": "resolved", "note": "已换货，客户认可", "_csrf_token": token}
    response = await client.post(url, data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    page = await client.get(response.headers["location"])
    assert "投诉已推进到“已解决”" in page.text or "投诉已推进到" in page.text
    assert f'data-testid="complaint-row-{east.complaint_id}"' not in page.text  # resolved: out of the queue
    assert re.search(r'data-testid="queue-complaints">0<', page.text)
    with read_session(engine) as session:
        complaint = session.get(Complaint, east.complaint_id)
        assert complaint is not None and complaint.status == "resolved"
        steps = session.exec(select(ComplaintStep).where(ComplaintStep.complaint_id == east.complaint_id)).all()
        assert [(step.status, step.note) for step in steps] == [("resolved", "已换货，客户认可")]  # synced to phones
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "complaint_status_changed")).one()
        assert event.actor_name == "sup.east"
        assert event.details == {"complaint_id": east.complaint_id, "from": "received", "to": "resolved"}


async def test_a_refused_op_is_marked_reviewed_from_the_queue_and_kept_in_history(
    client: Client, engine: Engine, teams: tuple[Team, Team]
) -> None:
    east, _ = teams
    await signed_in(client, east.supervisor)
    url = f"/queues/refused/{east.refused_op_id}/reviewed"
    assert (await client.post(url, data={"comment": "已告知"}, follow_redirects=False)).status_code == 403
    token = await form_token(client)
    response = await client.post(url, data={"comment": " ", "_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 422 and "请写明处理意见" in response.text
    queues = await client.get("/queues")
    assert f'data-testid="queue-refused-{east.refused_op_id}"' in queues.text

    response = await client.post(
        url, data={"comment": "客户不在本片区，已告知业务员", "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    queues = await client.get(response.headers["location"])
    assert f'data-testid="queue-refused-{east.refused_op_id}"' not in queues.text
    assert re.search(r'data-testid="queue-refused">0<', queues.text)
    history = await client.get("/review")
    assert f'data-testid="refused-row-{east.refused_op_id}"' in history.text
    assert "客户不在本片区，已告知业务员" in history.text
    with read_session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "refused_op_reviewed")).one()
        assert event.details is not None and event.details["op_id"] == east.refused_op_id
        assert "comment" not in event.details  # kept on the op, where an erasure reaches it


async def test_reviewing_a_conflict_from_the_queue_is_audited(
    client: Client, engine: Engine, teams: tuple[Team, Team]
) -> None:
    east, _ = teams
    await signed_in(client, east.supervisor)
    token = await form_token(client)
    url = f"/queues/conflicts/{east.conflict_id}/reviewed"
    response = await client.post(url, data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    with read_session(engine) as session:
        assert session.get(FieldConflict, east.conflict_id).reviewed is True  # type: ignore[union-attr]
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "conflict_reviewed")).one()
        assert event.details == {"conflict_id": east.conflict_id, "record_id": east.customer_id}


async def test_recomputing_tiers_shows_a_team_supervisor_their_teams_counts(
    client: Client, engine: Engine, teams: tuple[Team, Team]
) -> None:
    east, _ = teams
    with read_session(engine) as session:
        everyone = len(session.exec(select(Customer)).all())
        own = len(session.exec(select(Customer).where(Customer.territory == east.territory)).all())
    assert 0 < own < everyone
    for username, expected in (("sup.east", own), ("boss", everyone)):
        await signed_in(client, username)
        token = await form_token(client, "/customers")
        response = await client.post("/customers/tiers", data={"_csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303
        counts = dict(re.findall(r"[?&]([abc])=(\d+)", response.headers["location"]))
        assert sum(int(count) for count in counts.values()) == expected, (username, counts)


async def test_planning_another_teams_customer_is_answered_as_an_unknown_one(
    client: Client, engine: Engine, teams: tuple[Team, Team]
) -> None:
    """Issue 15, item 9: a plan naming another team's customer for one's own rep answered 422 naming it."""
    east, west = teams
    await signed_in(client, east.supervisor)
    answers = {}
    for case, customer_id in (("other team", west.customer_id), ("unknown", new_id())):
        for url, form in (
            ("/plans", {"rep": "rep.a", "day": "2026-11-30", "customer_id": customer_id}),
            ("/plans/stops", {"rep": "rep.a", "day": "2026-11-30", "customer_id": customer_id, "action": "add"}),
        ):
            token = await form_token(client)
            response = await client.post(url, data={**form, "_csrf_token": token}, follow_redirects=False)
            assert west.customer_name not in response.text, f"{url} ({case}) names the customer"
            answers[(case, url)] = (response.status_code, response.text.replace(customer_id, "<id>"))
    for url in ("/plans", "/plans/stops"):
        assert answers[("other team", url)] == answers[("unknown", url)], url
        assert answers[("unknown", url)][0] in (404, 422)
