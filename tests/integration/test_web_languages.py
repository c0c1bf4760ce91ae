"""Every supervisor page renders in zh-CN and in en, with no translation key left raw, no Chinese UI text on an
English page (Chinese data is fine: names, addresses, notes), no English UI text on a Chinese page, and dates
written as the page's language writes them.

The pages come from the app's route table (GET routes of the web view, as tests/integration/
test_authz_matrix.py reads it), so a new page is covered without editing this file; a page with a path
parameter needs a sample value in the `site` fixture (the test names the parameter if one is missing); a route
that is not a page of text goes in NOT_PAGES with the reason. The data is the demo county (server/demo.py),
read as an admin, who may open every page. An element marked with a `lang` attribute of its own is in that
language on purpose (the language switch, the Chinese column names of the import page) and not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient
from sqlalchemy import JSON, String, Text
from sqlalchemy import select as columns_of
from sqlmodel import SQLModel, select
from sqlmodel.sql.sqltypes import AutoString

from server.actor import Actor
from server.app import create_app
from server.auth import TOKEN_COOKIE
from server.db import make_engine, read_session, write_session
from server.demo import seed_demo
from server.domains.users.service import create_user
from server.models import Campaign, Customer, Opportunity
from server.settings import Settings
from shared.enums import Role
from shared.holidays import default_holidays
from shared.i18n import CATALOGUE, LANGUAGES

# Routes that answer with something other than an HTML page of text (an image), with the reason.
NOT_PAGES = {
    "/": "a redirect to /board",
    "/metrics": "Prometheus metrics for the scraper",
    "/manifest.webmanifest": "the web app manifest (JSON; its name in both languages: test_web_desk_on_a_phone.py)",
    "/customers/import/sample.csv": "a sample CSV file to download (its headers: test_web_desk_on_a_phone.py)",
    "/photos/{photo_id:str}": "a photo (image bytes)",
    "/photos/{photo_id:str}/thumbnail": "a photo thumbnail (image bytes)",
    "/app": "the rep's app as a PWA: Flutter's page, drawn on a canvas (docs/pwa.md; tests/e2e/test_pwa.py)",
    "/app/{file_path:path}": "the PWA's files: scripts, WebAssembly, fonts, the service worker (test_pwa_serving.py)",
}
# More states of some pages than their bare address shows: periods, filters, notices after a save.
VARIANTS: dict[str, list[str]] = {
    "/dashboard": ["period=day", "period=week", "period=month", "rep=li.rep", "territory=望都东片"],
    "/customers": ["overdue=yes", "q=卫生", "tier=A&kind=clinic", "tiers=true&a=1&b=2&c=3", "page=2"],
    "/plans": ["rep=li.rep", "rep=li.rep&q=卫生"],
    "/orders": ["since=2020-01-01"],
    "/pipeline": ["outcome=lost", "saved=true"],
    "/targets": ["saved=true"],
    "/products": ["saved=true"],
    "/admin/territories": ["done=true"],
}
# Pages that write dates for their language (server/domains/reports/formats.py): each must show one.
DATED_PAGES = {"/dashboard", "/reps/{rep:str}/day"}
# The lists that download as files (`?format=csv`): their header row is in the reader's language.
EXPORTS = ["/customers", "/orders", "/complaints", "/visits/flagged", "/audit"]

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
EN_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")
ZH_DATE = re.compile(r"\d{4}年\d{1,2}月")
KEY_PREFIXES = sorted({key.split(".", 1)[0] for key in CATALOGUE["en"]})
RAW_KEY = re.compile(r"\b(?:" + "|".join(map(re.escape, KEY_PREFIXES)) + r")\.[A-Za-z_]+(?:\.[A-Za-z0-9_]+)*")


def web_pages(app: Litestar) -> list[str]:
    """The GET routes of the web view (not the API, the API documentation or the static files)."""
    paths = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(("/static", "/schema")):
            continue
        for handler in route.route_handlers:
            if "GET" in handler.http_methods and not handler.resolve_include_in_schema():
                paths.add(route.path)
    return sorted(paths)


def _pages() -> list[str]:
    """Read at collection, so that each page is a test of its own (the app is not started: no database)."""
    settings = Settings(database_url="sqlite://", secret_key="k" * 40, timezone="Asia/Shanghai", run_jobs=False)
    app = create_app(settings)
    try:
        return web_pages(app)
    finally:
        app.state.engine.dispose()


PAGES = _pages()


class VisibleText(HTMLParser):
    """The text a reader sees: text nodes and the attributes a browser shows (titles, placeholders, buttons).

    An element marked with a `lang` of its own is in that language on purpose and left out: the language
    switch ("中文" on an English page), the Chinese column names a customer file may use (import page)."""

    SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self, lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.parts: list[str] = []
        self._hidden: list[str] = []  # the open elements whose text is not read (script, style, other lang)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "style") or (tag != "html" and found.get("lang") not in (None, self.lang)):
            self._hidden.append(tag)
            return
        if self._hidden:
            return
        self.parts += [value for name, value in attrs if name in self.SHOWN_ATTRIBUTES and value]
        if tag == "input" and found.get("type") in ("submit", "button") and found.get("value"):
            self.parts.append(str(found["value"]))

    def handle_endtag(self, tag: str) -> None:
        if self._hidden and self._hidden[-1] == tag:
            self._hidden.pop()

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str, lang: str) -> list[str]:
    parser = VisibleText(lang)
    parser.feed(html)
    return parser.parts


@dataclass
class Site:
    client: TestClient[Litestar]
    samples: dict[str, str]
    data: str  # every text value in the database, joined: what may be Chinese on an English page


TEXT_TYPES = (String, Text, JSON, AutoString)


def data_text(settings: Settings) -> str:
    """Every string column of every table: customer names, addresses, notes, territory and rep names..."""
    engine = make_engine(settings.database_url)
    values: list[str] = []
    try:
        with engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                columns = [
                    column for column in table.columns if isinstance(column.type, String | Text | JSON | AutoString)
                ]
                if columns:
                    for row in connection.execute(columns_of(*columns)):
                        values += [str(value) for value in row if value]
    finally:
        engine.dispose()
    # Holiday names are records too (a company's list, phones receive them); the built-in list is its default.
    values += [holiday.name for holiday in default_holidays()]
    return "\n".join(values)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from argon2 import PasswordHasher

    import server.domains.users.service as users

    folder: Path = tmp_path_factory.mktemp("languages")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'server.db'}",
        secret_key="test-secret-key-for-signing-tokens-0123456789",
        timezone="Asia/Shanghai",
        data_dir=folder,
        run_jobs=False,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        app = create_app(settings)
        with TestClient(app=app) as client:  # startup migrates the new database
            seed_demo(app.state.engine, settings)
            with write_session(app.state.engine) as session:
                admin = Actor.of(create_user(session, username="admin", password="secret-pass-1", role=Role.ADMIN))
            with read_session(app.state.engine) as session:
                samples = {
                    "customer_id": session.exec(select(Customer.id).order_by(Customer.name)).first(),
                    "campaign_id": session.exec(select(Campaign.id).order_by(Campaign.name)).first(),
                    "opportunity_id": session.exec(select(Opportunity.id).order_by(Opportunity.id)).first(),
                }
            client.cookies.set(TOKEN_COOKIE, app.state.jwt_auth.create_token(identifier=admin.id))
            yield Site(
                client, {"rep": "li.rep", **{name: str(value) for name, value in samples.items()}}, data_text(settings)
            )


def address(path: str, samples: dict[str, str]) -> str:
    """The page's path with a sample value for each parameter."""

    def sample(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in samples, f"{path}: add a sample value for {{{name}}} to the samples of the `site` fixture"
        return samples[name]

    return re.sub(r"\{(\w+):\w+\}", sample, path)


def page_addresses(path: str) -> list[str]:
    return [path, *(f"{path}?{query}" for query in VARIANTS.get(path, []))]


def with_lang(url: str, lang: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}lang={lang}"


def problems_of(texts: list[str], lang: str, data: str) -> list[str]:
    """What is wrong with a page's visible text in `lang`."""
    found: list[str] = []
    for text in texts:
        found += [f"raw key {key!r}" for key in RAW_KEY.findall(text)]
        if lang == "en":
            found += [f"Chinese UI text {run!r} in {text!r}" for run in CJK.findall(text) if run not in data]
            found += [f"a Chinese date in {text!r}" for _ in ZH_DATE.findall(text) if text not in data]
        else:
            found += [f"an English month in {text!r}" for _ in EN_MONTHS.findall(text) if text not in data]
    return found


def english_ui_on_chinese_page(texts: list[str], data: str) -> list[str]:
    """English catalogue texts (two words or more) that show on a Chinese page: a key missing from zh-CN, or
    a string written in a template instead of the catalogue."""
    shown = "\n".join(texts)
    found = []
    for key, english in CATALOGUE["en"].items():
        if "{" in english or len(english.split()) < 2 or CATALOGUE["zh-CN"].get(key) == english:
            continue
        if english in shown and english not in data:
            found.append(f"English text of {key!r}: {english!r}")
    return found


@pytest.mark.parametrize("path", [path for path in PAGES if path not in NOT_PAGES])
def test_every_page_in_both_languages(site: Site, path: str) -> None:
    failures: list[str] = []
    for url in page_addresses(address(path, site.samples)):
        for lang in LANGUAGES:
            response = site.client.get(with_lang(url, lang))
            if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
                failures.append(f"{url} ({lang}): {response.status_code} {response.text[:200]!r}")
                continue
            if f'<html lang="{lang}">' not in response.text:
                failures.append(f"{url} ({lang}): the page is not marked as {lang}")
            texts = visible_text(response.text, lang)
            found = problems_of(texts, lang, site.data)
            dates = ZH_DATE if lang == "zh-CN" else EN_MONTHS
            if path in DATED_PAGES and not any(dates.search(text) for text in texts):
                found.append(f"no date written as {lang} writes dates")
            if lang == "zh-CN":
                found += english_ui_on_chinese_page(texts, site.data)
            failures += [f"{url} ({lang}): {problem}" for problem in dict.fromkeys(found)]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", EXPORTS)
def test_exports_have_headers_in_the_readers_language(site: Site, path: str) -> None:
    headers = {}
    for lang in LANGUAGES:
        response = site.client.get(path, params={"format": "csv", "lang": lang})
        assert response.status_code == 200, response.text[:200]
        headers[lang] = response.content.decode("utf-8-sig").splitlines()[0]
    assert not CJK.findall(headers["en"]), headers["en"]
    assert CJK.findall(headers["zh-CN"]), headers["zh-CN"]
    assert not RAW_KEY.findall(headers["en"] + headers["zh-CN"])


def test_the_language_chosen_is_remembered(site: Site) -> None:
    """`?lang=en` once, then the next pages without it stay English (a cookie); and back."""
    site.client.get("/board", params={"lang": "en"})
    assert '<html lang="en">' in site.client.get("/customers").text
    site.client.get("/board", params={"lang": "zh-CN"})
    assert '<html lang="zh-CN">' in site.client.get("/customers").text


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_home_address_keeps_the_language_asked(site: Site, lang: str) -> None:
    answer = site.client.get("/", params={"lang": lang})
    assert f'<html lang="{lang}">' in answer.text and answer.url.path == "/board"


def test_every_web_page_is_checked() -> None:
    """The route table gives the pages: a sanity check that it found the supervisor's pages at all."""
    assert {"/board", "/dashboard", "/customers", "/customers/{customer_id:str}", "/plans"} <= set(PAGES)
    assert not [path for path in NOT_PAGES if path not in PAGES], "NOT_PAGES names a route the app no longer has"


@pytest.mark.parametrize(
    ("url", "zh", "en"),
    [
        ("/board?day=27.11.2026", "日期格式应为 2026-11-27", "A day looks like 2026-11-27"),
        ("/customers?overdue=maybe", "只能选是或否", "Overdue is yes or no"),
        ("/customers?rep=nobody", "没有这个业务员", "There is no such rep"),
        ("/customers?format=pdf", "只能是 csv 或 xlsx", "The export format is csv or xlsx"),
    ],
)
def test_a_bad_address_is_explained_in_the_pages_language(site: Site, url: str, zh: str, en: str) -> None:
    for lang, expected in (("zh-CN", zh), ("en", en)):
        answer = site.client.get(f"{url}&lang={lang}")
        assert answer.status_code in (400, 404, 422), (url, answer.status_code)
        assert expected in answer.text, (url, lang)
