"""Issue 15, item 1: a crafted XLSX uploaded to /customers/import is refused early with a clear message in the
page's language and nothing stored, and the file is read outside the write transaction: while it is being
read, another write (a phone's push) goes through instead of waiting for it."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.engine import Engine

import server.domains.imports.reading as reading
from server.db import write_session
from tests.integration.conftest import World
from tests.integration.test_server_import_export_admin import GOOD, confirm, counts, upload
from tests.integration.test_server_web import web_login

Client = AsyncTestClient[Litestar]
SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>客户名称</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>客户类型</t></is></c></row>'
)


def crafted_xlsx(rows: Iterable[bytes]) -> bytes:
    """A workbook saved by openpyxl whose sheet is replaced by `rows`, written chunk by chunk."""
    workbook = Workbook()
    workbook.active.append(["客户名称", "客户类型"])
    saved = io.BytesIO()
    workbook.save(saved)
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            if member.filename != SHEET:
                target.writestr(member, source.read(member))
        with target.open(SHEET, "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode())
            sheet.write(HEADER.encode())
            for chunk in rows:
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def empty_rows(count: int, piece: bytes = b"<row/>") -> Iterator[bytes]:
    while count > 0:
        yield piece * min(count, 100_000)
        count -= 100_000


@pytest.mark.parametrize(
    ("rows", "lang", "message"),
    [
        (empty_rows(5_000_000, b"<row></row>"), "zh-CN", "解压后超过 32 MB"),
        (empty_rows(5_000_000, b"<row></row>"), "en", "unpacks to more than 32 MB"),
        (empty_rows(1_000_000), "zh-CN", "超过 10000 行（空行也算在内）"),
        (empty_rows(1_000_000), "en", "more than 10000 rows (empty rows count too)"),
    ],
    ids=["inflated-zh", "inflated-en", "empty-rows-zh", "empty-rows-en"],
)
async def test_a_crafted_xlsx_is_refused_clearly_in_the_pages_language_and_nothing_is_kept(
    client: Client, seeded: World, engine: Engine, rows: Iterator[bytes], lang: str, message: str
) -> None:
    content = crafted_xlsx(rows)
    assert len(content) < 200_000  # small on disk
    await web_login(client, "boss")
    await client.get(f"/customers/import?lang={lang}")  # the language is remembered in a cookie
    before = counts(engine)
    response = await upload(client, content, name="customers.xlsx")
    assert response.status_code == 422
    assert message in response.text
    assert "import-confirm" not in response.text
    assert counts(engine) == before  # no customer, no change, no kept file


class WriteWhileReading:
    """Wraps the CSV reader: while the file is being read, another thread's write must get through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, engine: Engine) -> None:
        self.engine = engine
        self.reads: list[bool] = []  # per read: did the other write finish meanwhile?
        real = reading._csv_rows

        def reading_while_writing(text_: str) -> Any:
            done = threading.Event()

            def write() -> None:
                with write_session(self.engine) as session:
                    session.execute(text("SELECT 1"))
                done.set()

            writer = threading.Thread(target=write, daemon=True)  # not joined: it may wait for this very thread
            writer.start()
            self.reads.append(done.wait(timeout=10))  # blocked while this read holds the write lock
            return real(text_)

        monkeypatch.setattr(reading, "_csv_rows", reading_while_writing)


async def test_the_file_is_read_outside_the_write_transaction_on_check_and_on_confirm(
    client: Client, seeded: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await web_login(client, "boss")
    spy = WriteWhileReading(monkeypatch, engine)
    checked = await upload(client, GOOD.encode())
    assert checked.status_code == 200, checked.text
    done = await confirm(client, checked.text)
    assert done.status_code == 303
    assert spy.reads == [True, True]  # read once to check, once again to store; never holding the lock
