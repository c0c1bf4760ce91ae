"""Lists longer than a page (issue #5: pages stay fast with 5,000 customers and 200,000 visits; bench/pages.py
measures them): the orders page lists the newest orders but counts and totals the whole period, and a list
exported as a file holds every matching row, whatever the page size."""

from __future__ import annotations

import csv
import io

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine

import server.domains.customers.listing as listing
import server.web.development as development
from server.db import write_session
from server.domains.products.service import put_product
from shared.ids import new_id
from tests.integration.conftest import World, local_time, login, make_op, push_body, visit_fields
from tests.integration.test_server_orders import order_fields
from tests.integration.test_server_web import by_testid, web_login

Client = AsyncTestClient[Litestar]


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


async def test_the_orders_page_counts_and_totals_the_whole_period_beyond_the_rows_it_lists(
    client: Client, seeded: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(development, "PAGE_ORDERS", 2)
    with write_session(engine) as session:
        product = put_product(
            session, seeded.supervisor, new_id(), {"name": "碘伏消毒液", "unit": "瓶", "unit_price": 10.0}
        ).id
    ops = []
    for index, customer_id in enumerate(seeded.customers_a[:3]):
        visit_id = new_id()
        at = local_time(seeded.today, 9 + index)
        ops.append(make_op(2 * index + 1, "visit", visit_id, visit_fields(customer_id, seeded.today, 9 + index)))
        ops.append(
            make_op(
                2 * index + 2, "order", new_id(), order_fields(customer_id, visit_id, [(product, 1 + index, 10.0)], at)
            )
        )
    headers = await login(client, "rep.a")
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=headers)).status_code == 200

    await web_login(client, "boss")
    page = await client.get("/orders")
    assert page.status_code == 200
    assert by_testid(page.text, "order-count") == "3"
    assert by_testid(page.text, "orders-total") == "¥60.00"  # 10 + 20 + 30, not only the two rows listed
    assert page.text.count('data-testid="order-row-') == 2 and "orders-shown" in page.text
    english = await client.get("/orders", params={"lang": "en"})
    assert "The newest 2 of 3 orders are listed" in english.text
    exported = await client.get("/orders", params={"format": "csv"})
    assert len(csv_rows(exported.content)) == 1 + 3  # the header and every order of the period


async def test_a_customer_list_exported_holds_every_page_in_the_lists_order(
    client: Client, seeded: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "PER_PAGE", 2)
    await web_login(client, "boss")
    exported = await client.get("/customers", params={"format": "csv"})
    assert exported.status_code == 200
    names = [row[0] for row in csv_rows(exported.content)[1:]]
    assert names == [f"东片诊所{i}" for i in range(4)] + [f"西片药店{i}" for i in range(2)]  # territory, then name
