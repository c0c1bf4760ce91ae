"""Who may do what, for every HTTP route of the app: the route table is read from `app.routes`, and each
route must have a row in POLICY (a new endpoint without one fails the test, naming it).

Each route is tried by every caller: anonymous, a rep, a supervisor, an admin; a route that acts on a record
(a customer in its path, or a push writing about one) is tried on a record of the caller's own territory and
on one of another territory. The web view is driven as a browser drives it (the token cookie, CSRF token),
the API as the phone does (Authorization: Bearer).

Adding a route: add a row `(METHOD, "/path/{as:declared}"): Rule(...)` to POLICY; see Rule for the outcomes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from server.actor import Actor
from server.auth import TOKEN_COOKIE
from server.db import write_session
from server.domains.users.service import create_user
from shared.enums import Role
from shared.ids import new_id
from sync.protocol import SCHEMA_VERSION
from tests.integration.conftest import PASSWORD, TERRITORY_A, World, make_op, push_body

Client = AsyncTestClient[Litestar]

CALLERS = ("anonymous", "rep", "supervisor", "admin")
SIGNED_IN = CALLERS[1:]

# Outcomes: an HTTP status, or one of these.
Outcome = int | str
LOGIN_REDIRECT = "redirect to /login"  # a web page asked for without signing in
OPEN = "open"  # anyone gets the same answer, never 401/403 nor a redirect to /login
REDIRECT = "redirect"  # 3xx elsewhere than /login: the action was done (post/redirect/get)


@dataclass(frozen=True)
class Rule:
    """The expected outcome per caller; `other` overrides it when the record is in another territory."""

    expect: Mapping[str, Outcome]
    other: Mapping[str, Outcome] = field(default_factory=dict)
    record: str | None = None  # "customer_id" (path), "push" (a note about a customer in the pushed body)
    sample_path: str | None = None  # for parameters that are not records (a file name)
    body: str | None = None  # name of the body builder (see `request_for`)

    def outcome(self, caller: str, territory: str) -> Outcome:
        if territory == "other" and caller in self.other:
            return self.other[caller]
        return self.expect[caller]


def everyone(outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(CALLERS, outcome)


# Signed-in API users: the rep and the supervisor sync; an admin has a token too (the API does not refuse it).
API: dict[str, Outcome] = {"anonymous": 401, "rep": 200, "supervisor": 200, "admin": 200}
# The supervisor web view: reps use the app (403); admins see what supervisors see.
SUPERVISOR_PAGE: dict[str, Outcome] = {"anonymous": LOGIN_REDIRECT, "rep": 403, "supervisor": 200, "admin": 200}
SUPERVISOR_ACTION: dict[str, Outcome] = {
    "anonymous": LOGIN_REDIRECT,
    "rep": 403,
    "supervisor": REDIRECT,
    "admin": REDIRECT,
}
# API endpoints for supervisors only (the catalogue, recomputing tiers, credit ratings).
SUPERVISOR_API: dict[str, Outcome] = {"anonymous": 401, "rep": 403, "supervisor": 200, "admin": 200}
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"  # a well-formed id of no record
ADMIN_PAGE: dict[str, Outcome] = {"anonymous": LOGIN_REDIRECT, "rep": 403, "supervisor": 403, "admin": 200}
SCHEMA_PAGE = everyone(OPEN)

# Who sees what (server/domains/teams.py, docs/security.md): reps reach their own territory; the supervisor
# here names a territory (sup.a, 东片), so another team's record is unknown to them (404, not 403: the answer
# must not say it exists); admins (and a supervisor without a territory) reach the whole company. The `other`
# columns say so; lists, counts and exports leaving the other team out are checked below the matrix.
TEAM_RECORD = {"supervisor": 404}
POLICY: dict[tuple[str, str], Rule] = {
    # API
    ("GET", "/health"): Rule(everyone(200)),
    ("GET", "/metrics"): Rule(everyone(200)),  # public by design: the proxy keeps it to the internal network
    ("POST", "/api/auth/login"): Rule(everyone(200), body="api_login"),
    ("POST", "/api/auth/refresh"): Rule(everyone(401), body="refresh"),  # public: the refresh token is the key
    ("POST", "/api/auth/logout"): Rule({**API, "rep": 204, "supervisor": 204, "admin": 204}, body="logout"),
    ("GET", "/api/devices"): Rule(SUPERVISOR_API),
    ("POST", "/api/devices/{device_id:str}/revoke"): Rule(
        {**SUPERVISOR_API, "supervisor": 404, "admin": 404}, sample_path="/api/devices/no-such-phone/revoke"
    ),
    ("GET", "/devices"): Rule(SUPERVISOR_PAGE),
    ("POST", "/devices/{device_id:str}/revoke"): Rule(
        {**SUPERVISOR_ACTION, "supervisor": 404, "admin": 404}, sample_path="/devices/no-such-phone/revoke", body="form"
    ),
    ("GET", "/quarantine"): Rule(ADMIN_PAGE),
    ("POST", "/quarantine/{quarantine_id:int}/accept"): Rule(
        {**ADMIN_PAGE, "admin": 404}, sample_path="/quarantine/999999/accept", body="form"
    ),
    ("POST", "/quarantine/{quarantine_id:int}/drop"): Rule(
        {**ADMIN_PAGE, "admin": 404}, sample_path="/quarantine/999999/drop", body="form"
    ),
    ("GET", "/api/auth/me"): Rule(API),
    ("POST", "/api/sync/pull"): Rule(API, body="pull"),
    ("POST", "/api/sync/push"): Rule(API, other={"rep": 403, "supervisor": 403}, record="push", body="push"),
    # web view: sign-in and out
    ("GET", "/login"): Rule(everyone(200)),
    ("POST", "/login"): Rule(
        {"anonymous": 401, "rep": 403, "supervisor": REDIRECT, "admin": REDIRECT}, body="web_login"
    ),
    ("POST", "/logout"): Rule(everyone(LOGIN_REDIRECT), body="logout_form"),  # the cookie dropped, back to sign-in
    # web view: supervisors' pages
    ("GET", "/"): Rule({**SUPERVISOR_PAGE, "supervisor": REDIRECT, "admin": REDIRECT}),
    ("GET", "/board"): Rule(SUPERVISOR_PAGE),
    ("GET", "/customers"): Rule(SUPERVISOR_PAGE),
    ("GET", "/customers/{customer_id:str}"): Rule(SUPERVISOR_PAGE, TEAM_RECORD, record="customer_id"),
    ("GET", "/complaints"): Rule(SUPERVISOR_PAGE),
    ("GET", "/review"): Rule(SUPERVISOR_PAGE),
    ("GET", "/plans"): Rule(SUPERVISOR_PAGE),
    ("POST", "/plans"): Rule(SUPERVISOR_ACTION, body="plan"),
    # The week planner's add/move/remove (the plan form adds the customer), the work queues (issue 5).
    ("POST", "/plans/stops"): Rule(SUPERVISOR_ACTION, body="plan"),
    ("POST", "/plans/order"): Rule(SUPERVISOR_ACTION, body="plan"),
    ("POST", "/plans/week"): Rule(SUPERVISOR_ACTION, body="plan"),
    ("GET", "/queues"): Rule(SUPERVISOR_PAGE),
    ("POST", "/queues/conflicts/{conflict_id:str}/reviewed"): Rule(
        {**SUPERVISOR_ACTION, "supervisor": 404, "admin": 404},
        sample_path=f"/queues/conflicts/{UNKNOWN_ID}/reviewed",
        body="form",
    ),
    # Queue actions (issue 5): a complaint moved forward with a note, a refused op marked reviewed.
    ("POST", "/queues/complaints/{complaint_id:str}/status"): Rule(
        {**SUPERVISOR_ACTION, "supervisor": 404, "admin": 404},
        sample_path=f"/queues/complaints/{UNKNOWN_ID}/status",
        body="form",
    ),
    ("POST", "/queues/refused/{op_id:str}/reviewed"): Rule(
        {**SUPERVISOR_ACTION, "supervisor": 404, "admin": 404},
        sample_path=f"/queues/refused/{UNKNOWN_ID}/reviewed",
        body="form",
    ),
    ("GET", "/audit"): Rule(ADMIN_PAGE),
    # The product catalogue, orders, competitor reports, tiers, lifecycle and credit (issue 4).
    ("GET", "/api/products"): Rule(API),
    ("POST", "/api/products"): Rule({**SUPERVISOR_API, "supervisor": 201, "admin": 201}, body="product"),
    ("PUT", "/api/products/{product_id:str}"): Rule(
        {**SUPERVISOR_API, "supervisor": 404, "admin": 404}, sample_path=f"/api/products/{UNKNOWN_ID}", body="product"
    ),
    ("GET", "/api/orders"): Rule(API),
    ("GET", "/api/orders/{order_id:str}"): Rule(
        {**API, "rep": 404, "supervisor": 404, "admin": 404}, sample_path=f"/api/orders/{UNKNOWN_ID}"
    ),
    ("GET", "/api/competitor-reports"): Rule(API),
    # Visit photos (issue 4): the upload is the taking rep's (tests/integration/test_server_photos.py tries the
    # territories); the web view shows a territory's photos to its supervisors.
    ("GET", "/api/photos/{photo_id:str}/upload"): Rule(
        {**API, "rep": 404, "supervisor": 404, "admin": 404}, sample_path=f"/api/photos/{UNKNOWN_ID}/upload"
    ),
    ("PUT", "/api/photos/{photo_id:str}/chunks/{start:int}"): Rule(
        {**API, "rep": 404, "supervisor": 404, "admin": 404}, sample_path=f"/api/photos/{UNKNOWN_ID}/chunks/0"
    ),
    ("GET", "/photos/{photo_id:str}"): Rule(
        {**SUPERVISOR_PAGE, "supervisor": 404, "admin": 404}, sample_path=f"/photos/{UNKNOWN_ID}"
    ),
    ("GET", "/photos/{photo_id:str}/thumbnail"): Rule(
        {**SUPERVISOR_PAGE, "supervisor": 404, "admin": 404}, sample_path=f"/photos/{UNKNOWN_ID}/thumbnail"
    ),
    ("POST", "/api/customers/tiers/recompute"): Rule(SUPERVISOR_API),
    ("POST", "/api/customers/lifecycle/recompute"): Rule(SUPERVISOR_API),
    ("GET", "/api/customers/{customer_id:str}/credit-rating"): Rule(SUPERVISOR_API, TEAM_RECORD, record="customer_id"),
    ("PUT", "/api/customers/{customer_id:str}/credit-rating"): Rule(
        SUPERVISOR_API, TEAM_RECORD, record="customer_id", body="credit"
    ),
    # Personal data (issue 7): export and erasure are for admins only, supervisors included in the refusal.
    ("GET", "/api/privacy/customers/{customer_id:str}/export"): Rule(
        {**ADMIN_PAGE, "anonymous": 401}, record="customer_id"
    ),
    ("POST", "/api/privacy/customers/{customer_id:str}/erase"): Rule(
        {**ADMIN_PAGE, "anonymous": 401}, record="customer_id"
    ),
    ("GET", "/api/privacy/key-persons/{key_person_id:str}/export"): Rule(
        {**ADMIN_PAGE, "anonymous": 401, "admin": 404}, sample_path=f"/api/privacy/key-persons/{UNKNOWN_ID}/export"
    ),
    ("POST", "/api/privacy/key-persons/{key_person_id:str}/erase"): Rule(
        {**ADMIN_PAGE, "anonymous": 401, "admin": 404}, sample_path=f"/api/privacy/key-persons/{UNKNOWN_ID}/erase"
    ),
    ("GET", "/orders"): Rule(SUPERVISOR_PAGE),
    ("GET", "/products"): Rule(SUPERVISOR_PAGE),
    # The development pipeline (issue 4): read by everyone signed in (reps: their territory), probabilities
    # set by admins; opportunities and stage events are written by sync push.
    ("GET", "/api/pipeline/opportunities"): Rule(API),
    ("GET", "/api/pipeline/opportunities/{opportunity_id:str}"): Rule(
        {**API, "rep": 404, "supervisor": 404, "admin": 404}, sample_path=f"/api/pipeline/opportunities/{UNKNOWN_ID}"
    ),
    ("GET", "/api/pipeline/funnel"): Rule(API),
    ("GET", "/api/pipeline/losses"): Rule(API),
    ("GET", "/api/pipeline/probabilities"): Rule(API),
    ("PUT", "/api/pipeline/probabilities"): Rule({**ADMIN_PAGE, "anonymous": 401}, body="probabilities"),
    ("GET", "/pipeline"): Rule(SUPERVISOR_PAGE),
    ("POST", "/pipeline/probabilities"): Rule(
        {"anonymous": LOGIN_REDIRECT, "rep": 403, "supervisor": 403, "admin": REDIRECT}, body="probabilities_form"
    ),
    ("GET", "/pipeline/{opportunity_id:str}"): Rule(
        {**SUPERVISOR_PAGE, "supervisor": 404, "admin": 404}, sample_path=f"/pipeline/{UNKNOWN_ID}"
    ),
    ("POST", "/products"): Rule(SUPERVISOR_ACTION, body="product_form"),
    ("POST", "/products/{product_id:str}"): Rule(
        {**SUPERVISOR_ACTION, "supervisor": 404, "admin": 404}, sample_path=f"/products/{UNKNOWN_ID}", body="form"
    ),
    ("GET", "/visits/flagged"): Rule(SUPERVISOR_PAGE),
    # 日报 / 周报 and leaderboards (issue 16): the team's reports; a comment on another team's report is unknown
    # (tests/integration/test_work_reports.py tries one).
    ("GET", "/reports"): Rule(SUPERVISOR_PAGE),
    ("GET", "/attendance"): Rule(SUPERVISOR_PAGE),
    ("GET", "/reports/leaderboard"): Rule(SUPERVISOR_PAGE),
    ("POST", "/reports/{report_id:str}/comment"): Rule(
        {**SUPERVISOR_ACTION, "supervisor": 404, "admin": 404},
        sample_path=f"/reports/{UNKNOWN_ID}/comment",
        body="form",
    ),
    # The dashboard and a rep's day (issue 5): a supervisor whose account names a territory sees that team
    # (rep.a is in 东片, sup.a's own); tests/integration/test_reports.py tries the other team's rep.
    ("GET", "/dashboard"): Rule(SUPERVISOR_PAGE),
    ("GET", "/reps/{rep:str}/day"): Rule(SUPERVISOR_PAGE, sample_path="/reps/rep.a/day"),
    ("POST", "/customers/tiers"): Rule(SUPERVISOR_ACTION, body="form"),
    ("POST", "/customers/{customer_id:str}/credit"): Rule(
        SUPERVISOR_ACTION, TEAM_RECORD, record="customer_id", body="credit_form"
    ),
    # Ownership (issue #19): the pool, a customer's release / assignment, the handover of a rep's customers.
    ("GET", "/pool"): Rule(SUPERVISOR_PAGE),
    ("GET", "/handover"): Rule(SUPERVISOR_PAGE),
    ("POST", "/handover"): Rule(SUPERVISOR_ACTION, body="handover_form"),
    ("POST", "/customers/{customer_id:str}/release"): Rule(
        SUPERVISOR_ACTION, TEAM_RECORD, record="customer_id", body="form"
    ),
    # Another team's customer: a team's supervisor does not see it; an admin does, and rep.a (of 东片) cannot own it.
    ("POST", "/customers/{customer_id:str}/assign"): Rule(
        SUPERVISOR_ACTION, {"supervisor": 404, "admin": 422}, record="customer_id", body="assign_form"
    ),
    # Approvals (issue #19): the team's queue; a decision on an unknown (or another team's) request is 404.
    ("GET", "/approvals"): Rule(SUPERVISOR_PAGE),
    ("POST", "/approvals/{request_id:str}/decide"): Rule(
        {**SUPERVISOR_ACTION, "supervisor": 404, "admin": 404},
        sample_path=f"/approvals/{UNKNOWN_ID}/decide",
        body="form",
    ),
    # A supervisor's edit of a customer's archive, merged like a phone's edit (issue 5).
    ("POST", "/customers/{customer_id:str}"): Rule(
        SUPERVISOR_ACTION, TEAM_RECORD, record="customer_id", body="customer_edit_form"
    ),
    # Campaigns and monthly targets (issue 4): planned and set by supervisors, read by reps, participation synced.
    ("GET", "/api/campaigns"): Rule(API),
    ("POST", "/api/campaigns"): Rule({**SUPERVISOR_API, "supervisor": 201, "admin": 201}, body="campaign"),
    ("GET", "/api/campaigns/{campaign_id:str}"): Rule(
        {**API, "rep": 404, "supervisor": 404, "admin": 404}, sample_path=f"/api/campaigns/{UNKNOWN_ID}"
    ),
    ("PUT", "/api/campaigns/{campaign_id:str}"): Rule(
        {**SUPERVISOR_API, "supervisor": 404, "admin": 404},
        sample_path=f"/api/campaigns/{UNKNOWN_ID}",
        body="campaign_update",
    ),
    ("GET", "/api/campaigns/{campaign_id:str}/results"): Rule(
        {**API, "rep": 404, "supervisor": 404, "admin": 404}, sample_path=f"/api/campaigns/{UNKNOWN_ID}/results"
    ),
    ("GET", "/api/campaigns/{campaign_id:str}/participation"): Rule(
        {**API, "rep": 404, "supervisor": 404, "admin": 404}, sample_path=f"/api/campaigns/{UNKNOWN_ID}/participation"
    ),
    ("GET", "/api/targets"): Rule(API),
    ("PUT", "/api/targets"): Rule(SUPERVISOR_API, body="target"),
    ("GET", "/campaigns"): Rule(SUPERVISOR_PAGE),
    ("GET", "/campaigns/new"): Rule(SUPERVISOR_PAGE),
    ("POST", "/campaigns"): Rule(SUPERVISOR_ACTION, body="campaign_form"),
    ("GET", "/campaigns/{campaign_id:str}"): Rule(
        {**SUPERVISOR_PAGE, "supervisor": 404, "admin": 404}, sample_path=f"/campaigns/{UNKNOWN_ID}"
    ),
    ("POST", "/campaigns/{campaign_id:str}"): Rule(
        {**SUPERVISOR_ACTION, "supervisor": 404, "admin": 404}, sample_path=f"/campaigns/{UNKNOWN_ID}", body="form"
    ),
    ("GET", "/targets"): Rule(SUPERVISOR_PAGE),
    ("POST", "/targets"): Rule(SUPERVISOR_ACTION, body="targets_form"),
    # Customer import (issue 5): a form without a file is answered with the report (422); an unknown batch 404.
    ("GET", "/customers/import"): Rule(SUPERVISOR_PAGE),
    # The duplicates queue (查重, issue #19): an unknown or another team's pair is not found.
    ("GET", "/customers/duplicates"): Rule(SUPERVISOR_PAGE),
    ("POST", "/customers/duplicates/{pair_id:str}/dismiss"): Rule(
        {**SUPERVISOR_ACTION, "supervisor": 404, "admin": 404},
        sample_path=f"/customers/duplicates/{UNKNOWN_ID}/dismiss",
        body="form",
    ),
    ("POST", "/customers/duplicates/{pair_id:str}/merge"): Rule(
        {**SUPERVISOR_ACTION, "supervisor": 404, "admin": 404},
        sample_path=f"/customers/duplicates/{UNKNOWN_ID}/merge",
        body="form",
    ),
    ("GET", "/customers/import/sample.csv"): Rule(SUPERVISOR_PAGE),  # a sample file in the supervisor's territory
    ("POST", "/customers/import"): Rule({**SUPERVISOR_ACTION, "supervisor": 422, "admin": 422}, body="form"),
    ("POST", "/customers/import/{batch_id:str}/confirm"): Rule(
        {**SUPERVISOR_ACTION, "supervisor": 404, "admin": 404},
        sample_path=f"/customers/import/{UNKNOWN_ID}/confirm",
        body="form",
    ),
    # Users and territories (issue 5): admins only; the bare form is refused (400/422), unknown users 404.
    ("GET", "/admin/users"): Rule(ADMIN_PAGE),
    ("POST", "/admin/users"): Rule({**ADMIN_PAGE, "admin": 400}, body="form"),
    ("POST", "/admin/users/{user_id:str}/password"): Rule(
        {**ADMIN_PAGE, "admin": 404}, sample_path=f"/admin/users/{UNKNOWN_ID}/password", body="form"
    ),
    ("POST", "/admin/users/{user_id:str}/active"): Rule(
        {**ADMIN_PAGE, "admin": 404}, sample_path=f"/admin/users/{UNKNOWN_ID}/active", body="form"
    ),
    ("POST", "/admin/users/{user_id:str}/sessions/end"): Rule(
        {**ADMIN_PAGE, "admin": 404}, sample_path=f"/admin/users/{UNKNOWN_ID}/sessions/end", body="form"
    ),
    ("POST", "/admin/users/{user_id:str}/territory"): Rule(
        {**ADMIN_PAGE, "admin": 404}, sample_path=f"/admin/users/{UNKNOWN_ID}/territory", body="form"
    ),
    ("POST", "/admin/users/{user_id:str}/base"): Rule(
        {**ADMIN_PAGE, "admin": 404}, sample_path=f"/admin/users/{UNKNOWN_ID}/base", body="form"
    ),
    ("GET", "/admin/territories"): Rule(ADMIN_PAGE),
    ("POST", "/admin/territories"): Rule({**ADMIN_PAGE, "admin": 422}, body="form"),
    ("GET", "/admin/holidays"): Rule(ADMIN_PAGE),
    ("POST", "/admin/holidays"): Rule({**ADMIN_PAGE, "admin": 422}, body="form"),  # an empty form: refused
    ("POST", "/admin/holidays/{holiday_id:str}/delete"): Rule(
        {**ADMIN_PAGE, "admin": 404}, sample_path=f"/admin/holidays/{UNKNOWN_ID}/delete", body="form"
    ),
    # static files and the API documentation: public
    ("GET", "/static/{file_path:path}"): Rule(everyone(200), sample_path="/static/app.css"),
    ("HEAD", "/static/{file_path:path}"): Rule(everyone(200), sample_path="/static/app.css"),
    # the rep's PWA (server/web/pwa.py): code, no data; the tests' settings have no build, so 503 with the how-to
    ("GET", "/app"): Rule(everyone(503)),
    ("GET", "/app/{file_path:path}"): Rule(everyone(503), sample_path="/app/index.html"),
    ("HEAD", "/app/{file_path:path}"): Rule(everyone(503), sample_path="/app/index.html"),
    # The web app manifest: a browser fetches it without cookies, the sign-in page links it too.
    ("GET", "/manifest.webmanifest"): Rule(everyone(OPEN)),
    ("GET", "/schema"): Rule(SCHEMA_PAGE),
    ("GET", "/schema/openapi.json"): Rule(everyone(200)),
    ("GET", "/schema/openapi.yaml"): Rule(everyone(200)),
    ("GET", "/schema/openapi.yml"): Rule(everyone(200)),
    ("GET", "/schema/swagger"): Rule(SCHEMA_PAGE),
    ("GET", "/schema/redoc"): Rule(SCHEMA_PAGE),
    ("GET", "/schema/rapidoc"): Rule(SCHEMA_PAGE),
    ("GET", "/schema/elements"): Rule(SCHEMA_PAGE),
    ("GET", "/schema/{path:str}"): Rule(SCHEMA_PAGE, sample_path="/schema/no-such-page"),
}


def route_table(app: Litestar) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, as declared; OPTIONS (answered by Litestar for CORS) left out."""
    table = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                if method != "OPTIONS":
                    table.add((method, route.path))
    return sorted(table, key=lambda key: (key[1], key[0]))


def test_every_route_has_a_policy_row(app: Litestar) -> None:
    missing = [f"{method} {path}" for method, path in route_table(app) if (method, path) not in POLICY]
    assert not missing, (
        "routes without a row in tests/integration/test_authz_matrix.py POLICY (say who may call them): "
        + ", ".join(missing)
    )
    stale = [f"{method} {path}" for method, path in POLICY if (method, path) not in route_table(app)]
    assert not stale, "POLICY rows for routes the app no longer has: " + ", ".join(stale)


@dataclass
class Cast:
    """The callers, and a record of each territory."""

    actors: dict[str, Actor]
    tokens: dict[str, str]
    own_customer: str  # in TERRITORY_A: the rep's and the supervisor's
    other_customer: str  # in TERRITORY_B


@pytest.fixture
def cast(app: Litestar, seeded: World) -> Cast:
    with write_session(app.state.engine) as session:
        supervisor = Actor.of(
            create_user(session, username="sup.a", password=PASSWORD, role=Role.SUPERVISOR, territory=TERRITORY_A)
        )
        admin = Actor.of(create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN))
    actors = {"rep": seeded.rep_a, "supervisor": supervisor, "admin": admin}
    tokens = {name: app.state.jwt_auth.create_token(identifier=actor.id) for name, actor in actors.items()}
    return Cast(actors, tokens, seeded.customers_a[0], seeded.customers_b[0])


def concrete_path(path: str, rule: Rule, customer_id: str) -> str:
    if rule.sample_path:
        return rule.sample_path
    if rule.record == "customer_id":
        return path.replace("{customer_id:str}", customer_id)
    assert "{" not in path, f"{path}: give the rule a sample_path or a record"
    return path


async def csrf_token(client: Client) -> str:
    page = await client.get("/login")
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, "the login form carries no CSRF token"
    return match.group(1)


async def request_for(
    client: Client, cast: Cast, rule: Rule, caller: str, customer_id: str
) -> tuple[dict[str, str], dict[str, Any]]:
    """Headers and httpx arguments for this caller: a browser's cookie for pages, a bearer token for the API."""
    client.cookies.clear()
    headers: dict[str, str] = {}
    kwargs: dict[str, Any] = {}
    token = cast.tokens.get(caller)
    username = cast.actors[caller].username if caller in cast.actors else ""
    if rule.body in ("logout", "logout_form") and caller in cast.actors:  # signing out ends the session: a new one
        token = client.app.state.jwt_auth.create_token(identifier=cast.actors[caller].id)
    if token is not None:  # as a browser signed in to the web view carries it, also when it loads the form:
        client.cookies.set(TOKEN_COOKIE, token)  # a form's CSRF token is made for the sign-in it is used in
    if rule.body in (
        "form",
        "logout_form",
        "web_login",
        "plan",
        "product_form",
        "credit_form",
        "handover_form",
        "assign_form",
        "customer_edit_form",
        "campaign_form",
        "targets_form",
        "probabilities_form",
    ):
        form: dict[str, Any] = {"_csrf_token": await csrf_token(client)}  # sets the CSRF cookie too
        if rule.body == "campaign_form":
            form |= {"campaign_type": "promotion", "name": "促销", "territory": TERRITORY_A, "cost": "100"}
            form |= {"starts_on": "2026-11-01", "ends_on": "2026-11-30", "customer_id": [customer_id]}
        if rule.body == "targets_form":
            rep_id = cast.actors["rep"].id
            form |= {"month": "2026-11", f"sales_amount_{rep_id}": "1000", f"new_customers_{rep_id}": "1"}
            form |= {f"visits_{rep_id}": "20"}
        if rule.body == "probabilities_form":
            form |= {"identify": "10", "information": "25", "assessment": "50"}
            form |= {"relationship": "75", "closing": "90", "repeat": "100"}
        if rule.body == "product_form":
            form |= {"name": f"测试品 {new_id()[:8]}", "unit_price": "12.50", "spec": "10支/盒", "unit": "盒"}
        if rule.body == "credit_form":
            form |= {"rating": "good", "reason": "按时回款"}
        if rule.body == "handover_form":  # tier A: none of rep.a's customers (the seeded ones have no tier)
            form |= {"from_rep": cast.actors["rep"].id, "targets": "pool", "tier": "A", "reason": "片区调整"}
        if rule.body == "assign_form":
            form |= {"rep_id": cast.actors["rep"].id, "reason": "就近"}
        if rule.body == "customer_edit_form":  # the seeded customers have no contact person yet
            form |= {"contact_person": "王院长", "seen_contact_person": "", "clock_contact_person": ""}
        if rule.body == "web_login":
            form |= {"username": username, "password": PASSWORD if username else "", "next": "/board"}
        if rule.body == "plan":
            form |= {"rep": cast.actors["rep"].username, "day": "2026-11-27", "customer_id": [customer_id]}
            form["week"] = "2026-11-23"  # the week suggestion's form (POST /plans/week)
        kwargs["data"] = form
    elif rule.body == "refresh":
        kwargs["json"] = {"refresh_token": "no-such-refresh-token"}
    elif rule.body == "api_login":
        kwargs["json"] = {"username": username or cast.actors["rep"].username, "password": PASSWORD}
    elif rule.body == "product":
        kwargs["json"] = {"name": f"测试品 {new_id()[:8]}", "unit_price": 12.5}
    elif rule.body == "credit":
        kwargs["json"] = {"rating": "good"}
    elif rule.body == "campaign":
        kwargs["json"] = {
            "campaign_type": "order_meeting",
            "name": "订货会",
            "territory": TERRITORY_A,
            "starts_on": "2026-11-01",
            "ends_on": "2026-11-30",
            "cost": 500,
            "customer_ids": [customer_id],
        }
    elif rule.body == "campaign_update":
        kwargs["json"] = {"name": "订货会"}
    elif rule.body == "target":
        rep_id = cast.actors["rep"].id
        kwargs["json"] = {"rep_id": rep_id, "month": "2026-11", "sales_amount": 1000, "new_customers": 1, "visits": 20}
    elif rule.body == "probabilities":
        kwargs["json"] = {"identify": 10, "information": 25, "assessment": 50}
        kwargs["json"] |= {"relationship": 75, "closing": 90, "repeat": 100}
    elif rule.body == "pull":
        kwargs["json"] = {"cursor": 0, "schema_version": SCHEMA_VERSION}
    elif rule.body == "push":
        device = f"device-{new_id()}"  # a new device per call: each push is its seq 1
        fields = {"customer_id": customer_id, "text": "拜访记录", "created_at": "2026-11-27T09:00:00+08:00"}
        kwargs["json"] = push_body([make_op(1, "note", new_id(), fields, device_id=device)], device_id=device)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers, kwargs


def matches(outcome: Outcome, status: int, location: str) -> bool:
    if outcome == LOGIN_REDIRECT:
        return 300 <= status < 400 and location.startswith("/login")
    if outcome == REDIRECT:
        return 300 <= status < 400 and not location.startswith("/login")
    if outcome == OPEN:
        return status not in (401, 403) and not location.startswith("/login")
    return status == outcome


async def test_the_authorization_matrix(app: Litestar, client: Client, cast: Cast) -> None:
    failures: list[str] = []
    tried = 0
    for method, path in route_table(app):
        rule = POLICY.get((method, path))
        if rule is None:
            continue  # reported by test_every_route_has_a_policy_row
        territories = ("own", "other") if rule.record else ("own",)
        for caller in CALLERS:
            for territory in territories:
                customer_id = cast.own_customer if territory == "own" else cast.other_customer
                url = concrete_path(path, rule, customer_id)
                headers, kwargs = await request_for(client, cast, rule, caller, customer_id)
                response = await client.request(method, url, headers=headers, follow_redirects=False, **kwargs)
                tried += 1
                expected = rule.outcome(caller, territory)
                location = response.headers.get("location", "")
                if not matches(expected, response.status_code, location):
                    failures.append(
                        f"{method} {url} as {caller} ({territory} territory): expected {expected}, "
                        f"got {response.status_code} {location or response.text[:120]!r}"
                    )
    assert not failures, f"{len(failures)} of {tried} calls broke the policy:\n" + "\n".join(failures)


# Lists, the queue and exports: the other team's customers are absent for the territory supervisor (sup.a);
# tests/integration/test_team_scope.py fills each list with both teams' visits, orders, complaints and more.
TEAM_LISTS = (
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
    "/plans",
    "/pipeline",
    "/campaigns",
    "/campaigns/new",
    "/targets",
    "/devices",
    "/dashboard",
)


async def test_lists_and_exports_leave_out_another_teams_customers(client: Client, cast: Cast) -> None:
    other_name, own_name = "西片药店0", "东片诊所0"  # cast.other_customer, cast.own_customer (conftest `seeded`)
    for caller in ("supervisor", "admin"):
        client.cookies.clear()
        client.cookies.set(TOKEN_COOKIE, cast.tokens[caller])
        for url in TEAM_LISTS:
            response = await client.get(url)
            assert response.status_code == 200, f"{url} as {caller}: {response.status_code}"
            text = response.content.decode("utf-8-sig")
            if caller == "supervisor":
                assert other_name not in text, f"{url} shows the other team's customer to {caller}"
            if url.startswith("/customers"):  # the list and its export: the own team's, the other's for admins
                assert own_name in text and (other_name in text) == (caller == "admin"), f"{url} as {caller}"


@pytest.mark.parametrize("target", ["//evil.example/board", "/\\evil.example", "/\\/evil.example", "/\t/evil.example"])
async def test_sign_in_never_redirects_to_another_site(client: Client, cast: Cast, target: str) -> None:
    """Found reviewing the sign-in: `next` was any path starting with one "/", and browsers read "/\\host"
    (and "/<tab>/host") as "//host": a link to our sign-in page could land the supervisor on another site."""
    client.cookies.clear()
    form = {"username": "sup.a", "password": PASSWORD, "next": target, "_csrf_token": await csrf_token(client)}
    response = await client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/board"
    page = await client.get("/login", params={"next": target})
    assert 'name="next" value="/board"' in page.text


async def test_a_web_cookie_never_drives_the_api(client: Client, cast: Cast) -> None:
    """The API takes the bearer header only: a page on another site cannot make a signed-in browser sync."""
    client.cookies.clear()
    client.cookies.set(TOKEN_COOKIE, cast.tokens["supervisor"])
    response = await client.post("/api/sync/pull", json={"cursor": 0, "schema_version": SCHEMA_VERSION})
    assert response.status_code == 401
    assert (await client.get("/board")).status_code == 200  # the same cookie opens the web view
