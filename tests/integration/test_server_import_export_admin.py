"""Issue 5, the supervisor's desk: importing customers (report first, nothing stored from a rejected file,
all rows in one transaction after the confirmation), exporting lists as CSV/XLSX (BOM, formula cells
escaped, audited), and the admin pages (users, passwords, territories; a rep who moves resyncs in full)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from server.db import read_session, write_session
from server.domains.customers.service import put_customer
from server.models import AuditEvent, ChangeLog, Customer, ImportBatch, User
from shared.enums import Role
from shared.ids import new_id
from sync.protocol import SCHEMA_VERSION
from tests.integration.conftest import TERRITORY_A, TERRITORY_B, World, customer_fields, login, pull_all
from tests.integration.test_server_web import csrf_token, web_login

Client = AsyncTestClient[Litestar]

GOOD = (
    "客户名称,客户类型,地址,电话,片区,客户分类\n"
    "新华药店,药店,新华路8号,13800138000,东片,重点\n"
    "河西诊所,诊所,河西村,,西片,普通\n"
)
BAD = "客户名称,客户类型,地址,电话,片区\n新华药店,药店,新华路8号,13800138000,东片\n河西诊所,医院,河西村,,西片\n"


def counts(engine: Engine) -> tuple[int, int, int]:
    with read_session(engine) as session:
        return (
            session.exec(select(func.count()).select_from(Customer)).one(),
            session.exec(select(func.count()).select_from(ChangeLog)).one(),
            session.exec(select(func.count()).select_from(ImportBatch)).one(),
        )


def audited(engine: Engine, action: str) -> list[AuditEvent]:
    with read_session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


async def upload(client: Client, content: bytes, name: str = "customers.csv", encoding: str = "auto") -> Any:
    form = await client.get("/customers/import")
    assert form.status_code == 200
    return await client.post(
        "/customers/import",
        data={"_csrf_token": csrf_token(form.text), "encoding": encoding},
        files={"file": (name, content, "text/csv")},
    )


async def confirm(client: Client, page: str) -> Any:
    match = re.search(r'action="(/customers/import/[^"]+/confirm)"', page)
    assert match, "no confirmation form"
    return await client.post(match.group(1), data={"_csrf_token": csrf_token(page)}, follow_redirects=False)


async def test_a_file_with_errors_shows_the_report_and_stores_nothing(
    client: Client, seeded: World, engine: Engine
) -> None:
    await web_login(client, "boss")
    before = counts(engine)
    response = await upload(client, BAD.encode("gbk"))
    assert response.status_code == 422
    assert 'data-testid="import-problem"' in response.text and 'data-code="unknown_choice"' in response.text
    assert "“医院”不是可选值" in response.text
    assert "import-confirm" not in response.text
    assert counts(engine) == before  # no customer, no change, not even a kept file


async def test_a_good_file_is_stored_after_the_confirmation_and_reaches_the_territorys_phones(
    client: Client, seeded: World, engine: Engine
) -> None:
    await web_login(client, "boss")
    customers, changes, _ = counts(engine)
    checked = await upload(client, b"\xef\xbb\xbf" + GOOD.encode())
    assert checked.status_code == 200, checked.text
    assert 'data-testid="import-clean"' in checked.text
    assert counts(engine)[:2] == (customers, changes)  # step 1 stores no customer
    done = await confirm(client, checked.text)
    assert done.status_code == 303 and done.headers["location"] == "/customers/import?imported=2"
    assert counts(engine)[:2] == (customers + 2, changes + 2)
    with read_session(engine) as session:
        stored = session.exec(select(Customer).where(Customer.name == "新华药店")).one()
    assert (stored.territory, stored.kind, stored.importance, stored.phone) == (
        TERRITORY_A,
        "pharmacy",
        "key",
        "13800138000",
    )
    assert stored.field_clocks["name"].endswith(f":{seeded.supervisor.id}")  # the supervisor's clock
    [event] = audited(engine, "customers_imported")
    assert event.details and event.details["rows"] == 2 and event.actor_name == "boss"
    rep_changes, _ = await pull_all(client, await login(client, "rep.a"))
    assert "新华药店" in {c["data"]["name"] for c in rep_changes if c["kind"] == "customer"}
    assert "河西诊所" not in {c["data"]["name"] for c in rep_changes if c["kind"] == "customer"}
    await web_login(client, "boss")
    page_now = (await client.get("/customers/import")).text  # this sign-in's CSRF token
    again = await confirm(client, checked.text.replace(csrf_token(checked.text), csrf_token(page_now)))
    assert again.status_code == 409  # a confirmation applies once
    assert counts(engine)[0] == customers + 2


async def test_the_confirmation_checks_again_and_stores_nothing_when_a_duplicate_appeared(
    client: Client, seeded: World, engine: Engine
) -> None:
    await web_login(client, "boss")
    checked = await upload(client, GOOD.encode())
    assert checked.status_code == 200
    with write_session(engine) as session:  # meanwhile a rep's phone created the same pharmacy
        put_customer(session, seeded.rep_a, new_id(), customer_fields("新华药店", phone="138 0013 8000"))
    before = counts(engine)
    response = await confirm(client, checked.text)
    assert response.status_code == 409 and 'data-code="duplicate_stored"' in response.text
    assert counts(engine) == before


async def test_a_supervisor_of_a_territory_imports_only_into_it_and_reps_and_forged_posts_are_refused(
    client: Client, seeded: World, engine: Engine
) -> None:
    with write_session(engine) as session:
        from server.domains.users.service import create_user

        create_user(session, username="sup.east", password="secret-pass-1", role=Role.SUPERVISOR, territory=TERRITORY_A)
    await web_login(client, "sup.east")
    response = await upload(client, GOOD.encode())
    assert response.status_code == 422 and 'data-code="outside_territory"' in response.text
    before = counts(engine)
    no_csrf = await client.post("/customers/import", files={"file": ("a.csv", GOOD.encode(), "text/csv")})
    assert no_csrf.status_code == 403
    assert counts(engine) == before


async def test_lists_export_as_csv_and_xlsx_with_formulas_escaped_and_the_export_audited(
    client: Client, seeded: World, engine: Engine
) -> None:
    with write_session(engine) as session:
        put_customer(
            session,
            seeded.supervisor,
            new_id(),
            customer_fields('=HYPERLINK("http://evil")', phone="+86 138"),
            server_fields={"territory": TERRITORY_B},
        )
    await web_login(client, "boss")
    response = await client.get("/customers?format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "客户名称" or rows[0][0] == "名称"
    names = {row[0] for row in rows[1:]}
    assert "东片诊所0" in names and '\'=HYPERLINK("http://evil")' in names
    assert "'+86 138" in {row[7] for row in rows[1:]}
    xlsx = await client.get("/customers?format=xlsx&lang=en")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Name"
    assert '\'=HYPERLINK("http://evil")' in {row[0] for row in values[1:]}  # text, never a formula
    assert len(values) == len(rows)
    for path in ("/orders", "/complaints", "/visits/flagged", "/audit"):
        exported = await client.get(f"{path}?format=csv")
        assert exported.status_code == (403 if path == "/audit" else 200), path  # the audit log is for admins
    bad = await client.get("/customers?format=pdf")
    assert bad.status_code == 422 and "导出格式只能是 csv 或 xlsx" in bad.text
    events = audited(engine, "list_exported")
    assert [(e.details or {}).get("list") for e in events][:2] == ["customers", "customers"]
    assert events[0].details and events[0].details["rows"] == len(rows) - 1 and events[0].actor_name == "boss"


async def admin_form(client: Client) -> str:
    page = await client.get("/admin/users")
    assert page.status_code == 200, page.text
    return csrf_token(page.text)


async def test_an_admin_creates_a_user_who_can_then_sign_in_resets_and_deactivates(
    client: Client, seeded: World, engine: Engine
) -> None:
    with write_session(engine) as session:
        from server.domains.users.service import create_user

        create_user(session, username="root", password="secret-pass-1", role=Role.ADMIN)
    await web_login(client, "boss")
    assert (await client.get("/admin/users")).status_code == 403  # supervisors do not manage users
    await web_login(client, "root")
    form = {"username": "zhao.sup", "display_name": "赵主管", "role": "supervisor", "territory": TERRITORY_A}
    weak = await client.post(
        "/admin/users", data={**form, "password": "12345678", "_csrf_token": await admin_form(client)}
    )
    assert weak.status_code == 422 and 'data-testid="admin-error"' in weak.text
    created = await client.post(
        "/admin/users",
        data={**form, "password": "long-enough-9", "_csrf_token": await admin_form(client)},
        follow_redirects=False,
    )
    assert created.status_code == 303
    with read_session(engine) as session:
        user = session.exec(select(User).where(User.username == "zhao.sup")).one()
    assert (user.role, user.territory, user.display_name) == ("supervisor", TERRITORY_A, "赵主管")
    assert audited(engine, "user_created")
    client.cookies.clear()
    signed_in = await web_login(client, "zhao.sup", "long-enough-9")
    assert signed_in.status_code == 303  # type: ignore[attr-defined]
    client.cookies.clear()
    await web_login(client, "root")
    reset = await client.post(
        f"/admin/users/{user.id}/password",
        data={"password": "another-pass-7", "_csrf_token": await admin_form(client)},
        follow_redirects=False,
    )
    assert reset.status_code == 303
    off = await client.post(
        f"/admin/users/{user.id}/active",
        data={"active": "0", "_csrf_token": await admin_form(client)},
        follow_redirects=False,
    )
    assert off.status_code == 303 and audited(engine, "user_deactivated")
    client.cookies.clear()
    refused = await web_login(client, "zhao.sup", "another-pass-7")
    assert refused.status_code == 401  # type: ignore[attr-defined]


async def test_a_rep_moved_to_another_territory_gets_a_full_resync_with_only_the_new_territory(
    client: Client, seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    _, cursor = await pull_all(client, headers)
    with write_session(engine) as session:
        from server.domains.users.service import create_user

        create_user(session, username="root", password="secret-pass-1", role=Role.ADMIN)
    await web_login(client, "root")
    moved = await client.post(
        f"/admin/users/{seeded.rep_a.id}/territory",
        data={"territory": TERRITORY_B, "_csrf_token": await admin_form(client)},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert audited(engine, "user_territory_changed")[0].details == {
        "user_id": seeded.rep_a.id,
        "from": TERRITORY_A,
        "to": TERRITORY_B,
    }
    body = {"cursor": cursor, "schema_version": SCHEMA_VERSION}
    stale = await client.post("/api/sync/pull", json=body, headers=headers)
    assert stale.status_code == 410 and stale.json()["error"]["code"] == "resync_required"
    changes, new_cursor = await pull_all_full(client, headers)
    customers = {c["record_id"] for c in changes if c["kind"] == "customer" and not c["deleted"]}
    assert customers == set(seeded.customers_b)
    again = await client.post("/api/sync/pull", json={**body, "cursor": new_cursor}, headers=headers)
    assert again.status_code == 200  # once resynced, pulls go on as before
    other = await login(client, "rep.b")  # a rep who did not move is never sent back
    _, b_cursor = await pull_all(client, other)
    assert (await client.post("/api/sync/pull", json={**body, "cursor": b_cursor}, headers=other)).status_code == 200


async def pull_all_full(client: Client, headers: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    changes: list[dict[str, Any]] = []
    cursor = 0
    while True:
        body = {"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": 2, "full": True}
        page = (await client.post("/api/sync/pull", json=body, headers=headers)).json()
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, cursor


async def test_territories_page_saves_a_territory_that_users_can_then_be_assigned(
    client: Client, seeded: World, engine: Engine
) -> None:
    with write_session(engine) as session:
        from server.domains.users.service import create_user

        create_user(session, username="root", password="secret-pass-1", role=Role.ADMIN)
    await web_login(client, "root")
    page = await client.get("/admin/territories")
    saved = await client.post(
        "/admin/territories",
        data={"name": "南片", "description": "南部乡镇", "_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    listed = await client.get("/admin/territories")
    assert "南部乡镇" in listed.text and 'data-testid="territory-row-南片"' in listed.text
    unknown = await client.post(
        f"/admin/users/{seeded.rep_b.id}/territory",
        data={"territory": "北片", "_csrf_token": await admin_form(client)},
    )
    assert unknown.status_code == 422
    with read_session(engine) as session:
        assert session.exec(select(User.territory).where(col(User.id) == seeded.rep_b.id)).one() == TERRITORY_B


def test_create_user_refuses_an_unknown_territory(
    seeded: World, settings: Any, engine: Engine, monkeypatch: Any, capsys: Any
) -> None:
    """Issue 15, item 13: `python -m server create-user --territory 东片区` (a typo) made a territory nobody
    else has. A user may only name a known territory, as on the admin page; `--new-territory` makes one."""
    from server.__main__ import main as server_cli
    from server.models import Territory

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SECRET_KEY", settings.secret_key)
    base = ["create-user", "--password", "long-enough-9", "--role", "rep"]
    assert server_cli([*base, "--username", "typo.rep", "--territory", "东片区"]) == 2
    err = capsys.readouterr().err
    assert "东片区" in err and TERRITORY_A in err and "--new-territory" in err
    assert server_cli([*base, "--username", "known.rep", "--territory", TERRITORY_A]) == 0
    assert server_cli([*base, "--username", "south.rep", "--territory", "南片", "--new-territory"]) == 0
    with read_session(engine) as session:
        names = {user.username: user.territory for user in session.exec(select(User)).all()}
        assert session.get(Territory, "南片") is not None
    assert "typo.rep" not in names and names["known.rep"] == TERRITORY_A and names["south.rep"] == "南片"
