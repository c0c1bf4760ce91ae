"""A supervisor edits a customer on the web (issue 5): merged by the sync rules (docs/sync-protocol.md, "Merging
edits of a customer"), sent to phones through the change log, written to the audit log; bad input stores nothing.

The page is driven as a browser drives it: the edit form is read from the rendered page (its hidden inputs carry
the values and clocks it was rendered with), fields are changed, and the whole form is posted back.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from server.clock import now_ms
from server.db import read_session, write_session
from server.domains.customers.service import delete_customer
from server.domains.users.service import create_user
from server.models import AuditEvent, ChangeLog, Customer
from server.web.customer_form import MAX_LENGTHS
from shared.enums import RecordKind, Role
from shared.hlc import Hlc
from shared.ids import new_id
from shared.records import validate_fields
from tests.integration.conftest import PASSWORD, World, login, pull_all, push_body, row_counts
from tests.integration.test_server_conflicts import conflicts_of, op_with_clock
from tests.integration.test_server_web import by_testid, csrf_token, web_login

Client = AsyncTestClient[Litestar]
MINUTE_MS = 60_000


class EditFormReader(HTMLParser):
    """What a browser would post from the page's customer edit form: every input, each select's chosen option."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.found = False
        self._inside = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and attributes.get("data-testid") == "customer-edit-form":
            self._inside = self.found = True
        elif not self._inside:
            return
        elif tag == "input" and attributes.get("name"):
            self.fields[str(attributes["name"])] = attributes.get("value") or ""
        elif tag == "select":
            self._select = attributes.get("name")
        elif tag == "option" and self._select and ("selected" in attributes or self._select not in self.fields):
            self.fields[self._select] = attributes.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None


async def edit_form(client: Client, customer_id: str) -> dict[str, str]:
    page = await client.get(f"/customers/{customer_id}")
    assert page.status_code == 200, page.text
    reader = EditFormReader()
    reader.feed(page.text)
    assert reader.found, "the customer page has no edit form"
    return reader.fields


async def post_form(client: Client, customer_id: str, form: dict[str, str]) -> Any:
    return await client.post(f"/customers/{customer_id}", data=form, follow_redirects=False)


def stored(engine: Engine, customer_id: str) -> Customer:
    with read_session(engine) as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        return customer


def change_row(engine: Engine, customer_id: str) -> ChangeLog:
    with read_session(engine) as session:
        [row] = session.exec(
            select(ChangeLog).where(ChangeLog.kind == RecordKind.CUSTOMER.value, ChangeLog.record_id == customer_id)
        ).all()
        return row


def audit_events(engine: Engine, action: str = "customer_edited") -> list[AuditEvent]:
    with read_session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
        return list(session.exec(query).all())


async def phone_edit(client: Client, customer_id: str, fields: dict[str, Any], clock: Hlc, seq: int = 1) -> None:
    """Rep A's phone pushes an edit made without seeing anything newer than what it pulled (base: none)."""
    headers = await login(client, "rep.a")
    ops = [op_with_clock(seq, customer_id, fields, clock, {})]
    response = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "applied"


async def test_a_supervisors_edit_is_stored_sent_to_phones_and_audited(
    client: Client, seeded: World, engine: Engine
) -> None:
    customer_id = seeded.customers_a[0]
    rep = await login(client, "rep.a")
    _, cursor = await pull_all(client, rep)
    before = change_row(engine, customer_id)
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    form = await edit_form(client, customer_id)
    assert form["name"] == "东片诊所0" and form["importance"] == "normal" and form["seen_name"] == "东片诊所0"
    assert before.data is not None and form["clock_name"] == before.data["field_clocks"]["name"]
    form |= {"phone": " 0312-7721234 ", "importance": "key", "contact_person": "王院长"}
    response = await post_form(client, customer_id, form)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/customers/{customer_id}?saved=1"
    page = await client.get(response.headers["location"])
    assert by_testid(page.text, "customer-edit-saved").startswith("已保存")

    customer = stored(engine, customer_id)
    assert (customer.phone, customer.importance, customer.contact_person) == ("0312-7721234", "key", "王院长")
    assert customer.name == "东片诊所0" and customer.status == "active"
    assert customer.field_clocks["phone"].endswith(f"-server:{seeded.supervisor.id}")
    assert customer.field_clocks["name"] == form["clock_name"]  # fields left alone are not written
    after = change_row(engine, customer_id)
    assert (after.seq or 0) > (before.seq or 0) and after.data is not None and after.data["phone"] == "0312-7721234"
    [event] = audit_events(engine)
    assert (event.actor_id, event.actor_name) == (seeded.supervisor.id, "boss")
    assert event.details is not None and event.details["customer_id"] == customer_id
    assert event.details["fields"] == {"phone": "0312-7721234", "importance": "key", "contact_person": "王院长"}
    assert conflicts_of(engine, customer_id) == []

    changes, _ = await pull_all(client, rep, cursor)  # the rep's next pull brings the edit
    [pulled] = [c["data"] for c in changes if c["kind"] == "customer" and c["record_id"] == customer_id]
    assert (pulled["phone"], pulled["importance"], pulled["contact_person"]) == ("0312-7721234", "key", "王院长")

    admin_only = await client.get("/audit")  # the audit page names the action (for admins)
    assert admin_only.status_code == 403
    with write_session(engine) as session:
        create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN)
    await web_login(client, "admin")
    assert "修改客户档案" in (await client.get("/audit")).text


async def test_a_stale_form_wins_over_an_earlier_phone_edit_and_the_phones_value_is_kept(
    client: Client, seeded: World, engine: Engine
) -> None:
    """The phone changed the phone number after the page was rendered, with an earlier clock than the
    supervisor's save: concurrent edits, the later clock wins (the supervisor), the phone's value is a conflict.
    The address the phone changed in the same edit, which the supervisor left alone, stays the phone's."""
    customer_id = seeded.customers_a[1]
    await web_login(client, "boss")
    form = await edit_form(client, customer_id)
    phone_clock = Hlc(now_ms() - MINUTE_MS, 0, "device-a")  # made offline a minute before the supervisor saves
    await phone_edit(client, customer_id, {"phone": "0312-2222222", "address": "望都镇东关"}, phone_clock)
    response = await post_form(client, customer_id, form | {"phone": "0312-1111111"})
    assert response.status_code == 303, response.text
    assert "overrode=phone" in response.headers["location"]
    page = await client.get(response.headers["location"])
    assert "电话" in by_testid(page.text, "customer-edit-overrode")

    customer = stored(engine, customer_id)
    assert (customer.phone, customer.address) == ("0312-1111111", "望都镇东关")
    [conflict] = conflicts_of(engine, customer_id)
    assert (conflict.field, conflict.kept_value, conflict.lost_value) == ("phone", "0312-1111111", "0312-2222222")
    assert conflict.lost_clock == str(phone_clock)
    changes, _ = await pull_all(client, await login(client, "rep.a"))  # the territory's phones receive it
    assert [c["data"]["id"] for c in changes if c["kind"] == "conflict"] == [conflict.id]
    [event] = audit_events(engine)
    assert event.details is not None and event.details["overrode"] == ["phone"]


async def test_a_stale_form_loses_to_a_later_phone_edit_and_the_supervisors_value_is_kept(
    client: Client, seeded: World, engine: Engine
) -> None:
    """The phone's edit carries a later clock (its clock two minutes fast, inside the five the server accepts):
    the phone's value stays and the supervisor's is the conflict's loser. Reloading the page (now seeing the
    phone's value) and saving again applies without a conflict."""
    customer_id = seeded.customers_a[2]
    await web_login(client, "boss")
    form = await edit_form(client, customer_id)
    phone_clock = Hlc(now_ms() + 2 * MINUTE_MS, 0, "device-a")
    await phone_edit(client, customer_id, {"phone": "0312-2222222"}, phone_clock)
    response = await post_form(client, customer_id, form | {"phone": "0312-1111111"})
    assert response.status_code == 303, response.text
    assert "lost=phone" in response.headers["location"]
    page = await client.get(response.headers["location"])
    assert "电话" in by_testid(page.text, "customer-edit-lost")
    assert stored(engine, customer_id).phone == "0312-2222222"
    [conflict] = conflicts_of(engine, customer_id)
    assert (conflict.kept_value, conflict.lost_value) == ("0312-2222222", "0312-1111111")
    assert conflict.lost_by_user_id == seeded.supervisor.id

    fresh = await edit_form(client, customer_id)
    assert fresh["phone"] == "0312-2222222"
    again = await post_form(client, customer_id, fresh | {"phone": "0312-1111111"})
    assert again.status_code == 303 and again.headers["location"] == f"/customers/{customer_id}?saved=1"
    assert stored(engine, customer_id).phone == "0312-1111111"
    assert len(conflicts_of(engine, customer_id)) == 1


async def test_a_stale_form_never_silently_overwrites_another_supervisors_edit(
    client: Client, seeded: World, engine: Engine
) -> None:
    """Each supervisor's edits carry their own clock node: under one shared "server" node, sync.merge would take
    the stale form's base for the current value and overwrite the other supervisor's name without a record."""
    customer_id = seeded.customers_a[3]
    with write_session(engine) as session:
        create_user(session, username="boss2", password=PASSWORD, role=Role.SUPERVISOR, display_name="李经理")
    await web_login(client, "boss")
    stale = await edit_form(client, customer_id)
    await web_login(client, "boss2")
    other = await edit_form(client, customer_id)
    mine, theirs = "东片诊所（张改）", "东片诊所（李改）"
    assert (await post_form(client, customer_id, other | {"name": theirs})).status_code == 303
    await web_login(client, "boss")
    # The stale form's values and clocks, sent in this sign-in (a form's CSRF token is made for its sign-in).
    fresh = await edit_form(client, customer_id)
    response = await post_form(client, customer_id, stale | {"name": mine, "_csrf_token": fresh["_csrf_token"]})
    assert response.status_code == 303
    assert stored(engine, customer_id).name == mine  # the later edit
    [conflict] = conflicts_of(engine, customer_id)
    assert (conflict.field, conflict.kept_value, conflict.lost_value) == ("name", mine, theirs)


async def test_bad_input_shows_the_form_again_with_a_message_per_field_and_stores_nothing(
    client: Client, seeded: World, engine: Engine
) -> None:
    customer_id = seeded.customers_a[0]
    await web_login(client, "boss")
    form = await edit_form(client, customer_id)
    counts, row = row_counts(engine), change_row(engine, customer_id)
    bad = form | {"name": "  ", "kind": "spaceship", "address": "长" * 201, "phone": "0312-7721234"}
    response = await post_form(client, customer_id, bad)
    assert response.status_code == 400
    page = response.text
    assert 'data-testid="customer-edit-failed"' in page
    assert by_testid(page, "customer-edit-error-name") == "名称不能为空。"
    assert by_testid(page, "customer-edit-error-kind") == "请从列表中选择类型。"
    assert by_testid(page, "customer-edit-error-address") == "地址最多 200 个字符。"
    assert 'data-testid="customer-edit-error-phone"' not in page
    shown = EditFormReader()
    shown.feed(page)  # the form keeps what was typed, and the values and clocks it was first rendered with
    assert shown.fields["phone"] == "0312-7721234" and shown.fields["kind"] == "spaceship"
    assert (shown.fields["seen_name"], shown.fields["clock_name"]) == (form["seen_name"], form["clock_name"])

    assert row_counts(engine) == counts and change_row(engine, customer_id).seq == row.seq
    customer = stored(engine, customer_id)
    assert (customer.name, customer.kind, customer.phone) == ("东片诊所0", "clinic", None)
    assert audit_events(engine) == []

    english = await client.post(f"/customers/{customer_id}?lang=en", data=bad, follow_redirects=False)
    assert english.status_code == 400
    assert by_testid(english.text, "customer-edit-error-name") == "Name must not be empty."


async def test_a_form_without_changes_saves_nothing(client: Client, seeded: World, engine: Engine) -> None:
    customer_id = seeded.customers_a[0]
    await web_login(client, "boss")
    form = await edit_form(client, customer_id)
    row = change_row(engine, customer_id)
    response = await post_form(client, customer_id, form | {"name": " 东片诊所0 "})
    assert response.status_code == 303 and response.headers["location"].endswith("?saved=0")
    assert change_row(engine, customer_id).seq == row.seq and audit_events(engine) == []
    assert by_testid((await client.get(response.headers["location"])).text, "customer-edit-unchanged")


async def test_reps_unknown_and_deleted_customers_and_posts_without_csrf_are_refused(
    client: Client, seeded: World, engine: Engine
) -> None:
    customer_id = seeded.customers_a[0]
    await web_login(client, "boss")
    form = await edit_form(client, customer_id)
    counts = row_counts(engine)

    no_csrf = {key: value for key, value in form.items() if key != "_csrf_token"}
    response = await post_form(client, customer_id, no_csrf | {"name": "改名"})
    assert response.status_code == 403

    unknown = new_id()
    response = await post_form(client, unknown, form | {"name": "改名"})
    assert response.status_code == 404  # never a new customer

    client.cookies.clear()
    token = (await login(client, "rep.a"))["Authorization"].removeprefix("Bearer ")
    login_page = await client.get("/login")
    client.cookies.set("token", token)
    rep_form = form | {"name": "改名", "_csrf_token": csrf_token(login_page.text)}
    response = await post_form(client, customer_id, rep_form)  # the rep's own territory, a valid CSRF token
    assert response.status_code == 403
    assert row_counts(engine) == counts and stored(engine, customer_id).name == "东片诊所0"
    assert audit_events(engine) == []

    with write_session(engine) as session:
        delete_customer(session, seeded.supervisor, customer_id)
    client.cookies.clear()
    await web_login(client, "boss")
    page = await client.get(f"/customers/{customer_id}")
    assert 'data-testid="customer-edit-form"' not in page.text
    response = await post_form(client, customer_id, form | {"name": "改名", "_csrf_token": csrf_token(page.text)})
    assert response.status_code == 409


@pytest.mark.parametrize("name", sorted(MAX_LENGTHS))
def test_the_forms_length_limits_are_the_schemas(name: str) -> None:
    limit = MAX_LENGTHS[name]
    assert validate_fields(RecordKind.CUSTOMER, {name: "x" * limit}, creating=False) == []
    assert validate_fields(RecordKind.CUSTOMER, {name: "x" * (limit + 1)}, creating=False) != []
