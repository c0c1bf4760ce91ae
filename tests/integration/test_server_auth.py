"""Sign-in and the token: the API answers 401 JSON without a valid Bearer token."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from sync.protocol import SCHEMA_VERSION
from tests.integration.conftest import PASSWORD, TERRITORY_A, World, login


async def test_login_returns_a_token_and_the_user(client: AsyncTestClient[Litestar], seeded: World) -> None:
    response = await client.post("/api/auth/login", json={"username": "rep.a", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token"].count(".") == 2  # a JWT
    assert body["user"] == {
        "id": seeded.rep_a.id,
        "username": "rep.a",
        "display_name": "rep.a",
        "role": "rep",
        "territory": TERRITORY_A,
    }
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["user"]["id"] == seeded.rep_a.id


@pytest.mark.parametrize(("username", "password"), [("rep.a", "wrong-password"), ("nobody", PASSWORD), ("", "")])
async def test_login_refuses_bad_credentials(
    client: AsyncTestClient[Litestar], seeded: World, username: str, password: str
) -> None:
    response = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert "token" not in response.json()


async def test_login_with_a_malformed_body_is_400_json(client: AsyncTestClient[Litestar], seeded: World) -> None:
    response = await client.post("/api/auth/login", json={"username": "rep.a"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("path", ["/api/sync/pull", "/api/sync/push"])
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic cmVwLmE6c2VjcmV0"}],
    ids=["none", "garbage", "basic"],
)
async def test_the_api_needs_a_valid_token(
    client: AsyncTestClient[Litestar], seeded: World, path: str, headers: dict[str, str]
) -> None:
    response = await client.post(path, json={"cursor": 0, "schema_version": SCHEMA_VERSION}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_a_token_signed_with_another_key_is_refused(
    client: AsyncTestClient[Litestar], seeded: World, app: Litestar
) -> None:
    from server.auth import make_jwt_auth
    from server.settings import Settings

    other = make_jwt_auth(Settings(database_url="sqlite://", secret_key="another-key-another-key-another-key"))
    forged = other.create_token(identifier=seeded.supervisor.id)
    response = await client.post(
        "/api/sync/pull",
        json={"cursor": 0, "schema_version": SCHEMA_VERSION},
        headers={"Authorization": f"Bearer {forged}"},
    )
    assert response.status_code == 401


async def test_the_api_ignores_the_web_cookie(client: AsyncTestClient[Litestar], seeded: World) -> None:
    """A browser's cookie must never drive a sync request (no cross-site pushes)."""
    headers = await login(client, "boss")
    token = headers["Authorization"].removeprefix("Bearer ")
    client.cookies.set("token", token)
    response = await client.post("/api/sync/pull", json={"cursor": 0, "schema_version": SCHEMA_VERSION})
    assert response.status_code == 401


async def test_a_deactivated_user_is_locked_out_at_once(
    client: AsyncTestClient[Litestar], seeded: World, app: Litestar
) -> None:
    from server.db import write_session
    from server.models import User

    headers = await login(client, "rep.a")
    with write_session(app.state.engine) as session:
        user = session.get(User, seeded.rep_a.id)
        assert user is not None
        user.active = False
    response = await client.post(
        "/api/sync/pull", json={"cursor": 0, "schema_version": SCHEMA_VERSION}, headers=headers
    )
    assert response.status_code == 401


async def test_health_and_openapi_need_no_token(client: AsyncTestClient[Litestar]) -> None:
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok"}
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200
    assert "/api/sync/push" in schema.json()["paths"]
