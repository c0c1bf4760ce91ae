"""Issue 16, the supervisor's desk on a phone (server side; the layout itself is checked in a real browser by
tests/e2e/test_responsive_pages.py): the grouped navigation, the web app manifest and its icons, the
customer's edit form closed until asked for, and the import page's sample file, which must pass the import's
own check as it is downloaded."""

from __future__ import annotations

import csv
import io
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy.engine import Engine

from server.db import write_session
from server.domains.imports.validation import COLUMNS
from server.domains.users.service import create_user
from shared.enums import Role
from tests.integration.conftest import PASSWORD, TERRITORY_A, World
from tests.integration.test_server_import_export_admin import upload
from tests.integration.test_server_web import web_login

Client = AsyncTestClient[Litestar]


def nav_links(page: str) -> list[str]:
    """The test ids of the navigation's links, in order (the menu of groups, not the queue's count)."""
    nav = page[page.index('<nav id="site-nav"') : page.index("</nav>")]
    return re.findall(r'data-testid="(nav-[\w-]+)">', nav)


async def test_the_navigation_groups_a_supervisors_pages_and_marks_the_current_one(
    client: Client, seeded: World
) -> None:
    await web_login(client, "boss")
    board = (await client.get("/board")).text
    groups = re.findall(r'data-testid="nav-group-(\w+)"', board)
    assert groups == ["today", "customers", "planning", "results", "review", "admin"]
    links = nav_links(board)
    assert {"nav-board", "nav-customers", "nav-import", "nav-dashboard", "nav-campaigns", "nav-devices"} <= set(links)
    assert not {"nav-audit", "nav-admin", "nav-holidays", "nav-quarantine"} & set(links)  # admins only
    assert 'aria-current="page" data-testid="nav-board"' in board
    assert 'data-testid="nav-queues"' in board  # the queue's count, outside the menu
    # The import page is its own entry, not "customers"; a rep's day belongs to the dashboard.
    imports = (await client.get("/customers/import")).text
    assert 'aria-current="page" data-testid="nav-import"' in imports
    assert 'aria-current="page" data-testid="nav-customers"' not in imports
    day = (await client.get("/reps/rep.a/day")).text
    assert 'aria-current="page" data-testid="nav-dashboard"' in day


async def test_an_admin_sees_the_admin_pages_in_the_menu(client: Client, seeded: World, engine: Engine) -> None:
    with write_session(engine) as session:
        create_user(session, username="root", password=PASSWORD, role=Role.ADMIN)
    await web_login(client, "root")
    links = nav_links((await client.get("/admin/holidays")).text)
    assert {"nav-audit", "nav-admin", "nav-holidays", "nav-quarantine"} <= set(links)


async def test_the_manifest_names_the_desk_in_the_pages_language_and_its_icons_are_there(client: Client) -> None:
    login = (await client.get("/login?lang=en")).text
    assert '<link rel="manifest" href="/manifest.webmanifest?lang=en">' in login
    for lang, name in (("zh-CN", "RouteCRM 终端拜访"), ("en", "RouteCRM")):
        answer = await client.get("/manifest.webmanifest", params={"lang": lang})  # no cookie: browsers send none
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/manifest+json")
        manifest = answer.json()
        assert (manifest["name"], manifest["lang"], manifest["display"]) == (name, lang, "standalone")
        assert manifest["start_url"] == "/board"
        sizes = set()
        for icon in manifest["icons"]:
            image = await client.get(icon["src"])
            assert image.status_code == 200 and image.headers["content-type"] == "image/png"
            width, height = Image.open(io.BytesIO(image.content)).size
            assert f"{width}x{height}" == icon["sizes"]
            sizes.add(icon["sizes"])
        assert {"192x192", "512x512"} <= sizes  # what a browser asks for to install
        assert any(icon["purpose"] == "maskable" for icon in manifest["icons"])


async def test_the_customers_edit_form_opens_on_demand_and_by_itself_after_an_error(
    client: Client, seeded: World
) -> None:
    await web_login(client, "boss")
    customer_id = seeded.customers_a[0]
    page = (await client.get(f"/customers/{customer_id}")).text
    assert re.search(r'<details class="card edit-panel" id="edit" data-testid="customer-edit">', page)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert token
    fields = dict(re.findall(r'<input type="hidden" name="((?:seen|clock)_\w+)" value="([^"]*)"', page))
    failed = await client.post(
        f"/customers/{customer_id}", data={"_csrf_token": token.group(1), **fields, "name": "", "kind": "clinic"}
    )
    assert failed.status_code == 400
    assert 'data-testid="customer-edit" open>' in failed.text  # the errors are in sight


async def sample_of(client: Client, lang: str) -> tuple[bytes, list[list[str]]]:
    answer = await client.get("/customers/import/sample.csv", params={"lang": lang})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.content.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese right
    return answer.content, list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


async def test_the_sample_import_file_has_every_column_and_passes_the_check(
    client: Client, seeded: World, engine: Engine
) -> None:
    with write_session(engine) as session:
        create_user(session, username="sup.east", password=PASSWORD, role=Role.SUPERVISOR, territory=TERRITORY_A)
    for username, lang in (("boss", "zh-CN"), ("sup.east", "en")):  # the company's supervisor, a territory's
        await web_login(client, username)
        page = (await client.get("/customers/import", params={"lang": lang})).text
        assert 'href="/customers/import/sample.csv" download data-testid="import-sample"' in page
        content, rows = await sample_of(client, lang)
        header, *data = rows
        assert len(header) == len(COLUMNS) and len(data) == 2
        for shown in header:  # each header the page lists as one the import reads
            assert f">{shown}</td>" in page, shown
        if username == "sup.east":
            assert {row[header.index("area")] for row in data} == {TERRITORY_A}
        checked = await upload(client, content, name="sample.csv")
        assert checked.status_code == 200, re.findall(r'data-code="(\w+)"', checked.text)
        assert 'data-testid="import-clean"' in checked.text
