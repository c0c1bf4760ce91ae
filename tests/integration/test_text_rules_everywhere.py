"""Issue 15, item 12: text no database can hold (a NUL; a lone surrogate, which has no UTF-8 form) is refused
on every write path with the same rule: the supervisor's web forms, the JSON API, the push and the customer
import. A NUL typed into the customer form was stored on SQLite and pulled by phones; on PostgreSQL it
answered 500. Runs on PostgreSQL too (scripts/test-postgres.sh)."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from server.db import read_session, write_session
from server.domains.users.service import create_user
from server.models import ChangeLog, Customer, Territory
from shared.enums import Role
from shared.records import unstorable_text
from tests.integration.conftest import PASSWORD, World, login, pull_all
from tests.integration.test_server_customer_edit import edit_form, post_form, stored
from tests.integration.test_server_web import csrf_token, web_login

Client = AsyncTestClient[Litestar]


def change_count(engine: Engine) -> int:
    with read_session(engine) as session:
        return int(session.exec(select(func.count()).select_from(ChangeLog)).one())


def test_the_one_rule_names_what_cannot_be_stored() -> None:
    assert unstorable_text("0312-7721234") is None and unstorable_text("王院长 😀") is None
    assert "NUL" in (unstorable_text("0312\x00777") or "")
    assert "surrogate" in (unstorable_text("half \ud83d an emoji") or "")


async def test_a_nul_typed_into_the_customer_form_is_refused_and_never_reaches_a_phone(
    client: Client, seeded: World, engine: Engine
) -> None:
    customer_id = seeded.customers_a[0]
    rep = await login(client, "rep.a")
    _, cursor = await pull_all(client, rep)
    before = change_count(engine)
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    form = await edit_form(client, customer_id)
    response = await post_form(client, customer_id, form | {"phone": "0312\x00777"})
    assert response.status_code == 400, response.text  # the form again, its problem beside the field
    assert "NUL" in response.text
    assert stored(engine, customer_id).phone is None
    assert change_count(engine) == before
    changes, _ = await pull_all(client, rep, cursor)
    assert changes == []


async def test_an_import_with_a_nul_in_a_cell_is_refused_and_stores_nothing(
    client: Client, seeded: World, engine: Engine
) -> None:
    with read_session(engine) as session:
        customers = session.exec(select(func.count()).select_from(Customer)).one()
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    form = await client.get("/customers/import")
    content = "客户名称,客户类型,电话,片区\n新华药店,药店,0312\x00777,东片\n".encode()
    response = await client.post(
        "/customers/import",
        data={"_csrf_token": csrf_token(form.text), "encoding": "auto"},
        files={"file": ("customers.csv", content, "text/csv")},
    )
    assert response.status_code in (200, 422), response.text
    assert "NUL" in response.text and "/confirm" not in response.text
    with read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(Customer)).one() == customers


async def test_the_json_api_refuses_a_nul(client: Client, seeded: World) -> None:
    with write_session(client.app.state.engine) as session:
        create_user(session, username="root", password=PASSWORD, role=Role.ADMIN)
    headers = await login(client, "root")
    response = await client.post("/api/products", json={"name": "注射器\x00", "unit_price": 1.5}, headers=headers)
    assert response.status_code in (400, 422), response.text


@pytest.mark.parametrize("description", ["南部\x00乡镇"])
async def test_free_text_outside_the_record_schemas_is_checked_before_it_is_stored(
    client: Client, seeded: World, engine: Engine, description: str
) -> None:
    """A form whose text no record schema checks (a territory's description) meets the same rule when it is
    stored: refused (422), not stored on SQLite, not a 500 on PostgreSQL."""
    with write_session(engine) as session:
        create_user(session, username="root", password=PASSWORD, role=Role.ADMIN)
    assert (await web_login(client, "root")).status_code == 303  # type: ignore[attr-defined]
    page = await client.get("/admin/territories")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    response = await client.post(
        "/admin/territories",
        data={"name": "南片", "description": description, "_csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 422, response.text
    with read_session(engine) as session:
        assert session.get(Territory, "南片") is None
