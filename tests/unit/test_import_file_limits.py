"""Issue 15, item 1: a small crafted XLSX (huge once inflated: millions of empty rows, of shared strings, of
cells, a zip bomb) is refused early and clearly, with memory bounded: the zip's member sizes are checked
before anything is inflated, and rows (empty ones too), cells and shared strings are counted while the parts
stream, so the reader stops at the cap instead of reading the rest."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator

import pytest

from server.domains.imports.reading import MAX_FILE_BYTES, MAX_ROWS, UnreadableFile, read_table

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELS}">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}">'
    '<sheets><sheet name="客户" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELS}">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    '<Relationship Id="rId2" Target="sharedStrings.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
    "</Relationships>"
)
# The header and one customer, as inline strings (no shared strings needed).
HEADER_ROWS = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>名称</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>类型</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>甲诊所</t></is></c>'
    '<c r="B2" t="inlineStr"><is><t>诊所</t></is></c></row>'
)


Chunks = bytes | Iterable["Chunks"]


def chunks(*parts: Chunks) -> Iterator[bytes]:
    for part in parts:
        if isinstance(part, bytes):
            yield part
        else:
            for inner in part:
                yield from chunks(inner)


def repeated(piece: str, times: int, per_chunk: int = 100_000) -> Iterator[bytes]:
    data = piece.encode()
    while times > 0:
        count = min(times, per_chunk)
        yield data * count
        times -= count


def sheet(rows: Chunks = ()) -> Iterator[bytes]:
    return chunks(
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode(),
        rows,
        b"</sheetData></worksheet>",
    )


def shared_strings(items: Chunks = ()) -> Iterator[bytes]:
    return chunks(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode(), items, b"</sst>")


def xlsx(
    sheet_xml: Iterable[bytes] | None = None,
    strings_xml: Iterable[bytes] | None = None,
    extra: dict[str, Iterable[bytes]] | None = None,
) -> bytes:
    """A minimal workbook openpyxl reads; its parts are written chunk by chunk, so a part may inflate to far
    more than the test holds in memory at once."""
    out = io.BytesIO()
    parts: dict[str, Iterable[bytes]] = {
        "[Content_Types].xml": [CONTENT_TYPES.encode()],
        "_rels/.rels": [ROOT_RELS.encode()],
        "xl/workbook.xml": [WORKBOOK.encode()],
        "xl/_rels/workbook.xml.rels": [WORKBOOK_RELS.encode()],
        "xl/worksheets/sheet1.xml": sheet_xml if sheet_xml is not None else sheet([HEADER_ROWS.encode()]),
        "xl/sharedStrings.xml": strings_xml if strings_xml is not None else shared_strings(),
        **(extra or {}),
    }
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            with archive.open(name, "w", force_zip64=True) as member:
                for chunk in data:
                    member.write(chunk)
    content = out.getvalue()
    assert len(content) <= MAX_FILE_BYTES  # small on disk: the upload's own size limit lets it through
    return content


class Inflated:
    """Counts the bytes inflated out of any zip member (the reader's and openpyxl's reads alike)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.bytes = 0
        real_read = zipfile.ZipExtFile.read

        def counting_read(stream: zipfile.ZipExtFile, n: int | None = -1) -> bytes:
            data = real_read(stream, n)
            self.bytes += len(data)
            return data

        monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)


def refusal(content: bytes) -> tuple[str, dict[str, object]]:
    with pytest.raises(UnreadableFile) as caught:
        read_table(content)
    return caught.value.problem.code, caught.value.problem.values


def test_a_small_good_workbook_of_this_shape_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    table = read_table(xlsx())
    assert table.header == ["名称", "类型"] and table.rows == [(2, ["甲诊所", "诊所"])]


def test_a_sheet_of_millions_of_empty_rows_stops_at_the_row_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1.2 million empty rows inflate to 7 MB (under the size cap): the rows are counted as they stream.
    content = xlsx(sheet([HEADER_ROWS.encode(), repeated("<row/>", 1_200_000)]))
    inflated = Inflated(monkeypatch)
    code, values = refusal(content)
    assert code == "sheet_too_long"
    assert isinstance(values["limit"], int) and MAX_ROWS < values["limit"] < 100_000
    assert inflated.bytes < 2_000_000  # stopped at the cap, long before the sheet's 7 MB end


def test_rows_a_sheet_leaves_out_count_too() -> None:
    # Row 1 000 000 after the header: openpyxl would fill in a million empty rows between them.
    content = xlsx(
        sheet([HEADER_ROWS.encode(), b'<row r="1000000"><c r="A1000000" t="inlineStr"><is><t>x</t></is></c></row>'])
    )
    assert refusal(content)[0] == "sheet_too_long"


def test_five_million_empty_rows_are_refused_before_anything_is_inflated(monkeypatch: pytest.MonkeyPatch) -> None:
    content = xlsx(sheet([HEADER_ROWS.encode(), repeated("<row></row>", 5_000_000)]))  # 55 MB inflated
    assert len(content) < 200_000  # small on disk
    inflated = Inflated(monkeypatch)
    code, values = refusal(content)
    assert code == "unpacked_too_large" and values["limit"]
    assert inflated.bytes == 0  # the zip's member sizes said so


def test_millions_of_shared_strings_are_refused_before_anything_is_inflated(monkeypatch: pytest.MonkeyPatch) -> None:
    content = xlsx(strings_xml=shared_strings(repeated("<si><t/></si>", 5_000_000)))
    inflated = Inflated(monkeypatch)
    assert refusal(content)[0] == "unpacked_too_large"
    assert inflated.bytes == 0


def test_too_many_shared_strings_within_the_size_are_refused_before_openpyxl_loads_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import openpyxl

    def no_openpyxl(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("openpyxl loads every shared string: it must not see this file")

    content = xlsx(strings_xml=shared_strings(repeated("<si><t>x</t></si>", 600_000)))  # 10 MB inflated
    monkeypatch.setattr(openpyxl, "load_workbook", no_openpyxl)
    inflated = Inflated(monkeypatch)
    assert refusal(content)[0] == "too_many_strings"
    assert inflated.bytes < 5_000_000


def test_a_row_of_a_million_cells_is_refused_at_the_cell_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    content = xlsx(sheet([HEADER_ROWS.encode(), b'<row r="3">', repeated("<c/>", 1_000_000), b"</row>"]))
    inflated = Inflated(monkeypatch)
    assert refusal(content)[0] == "too_many_cells"
    assert inflated.bytes < 3_000_000


def test_a_zip_bomb_beside_the_sheet_is_refused_before_it_is_inflated(monkeypatch: pytest.MonkeyPatch) -> None:
    content = xlsx(extra={"xl/media/padding.bin": repeated("\0", 100_000_000, per_chunk=10_000_000)})
    inflated = Inflated(monkeypatch)
    assert refusal(content)[0] == "unpacked_too_large"
    assert inflated.bytes == 0


def test_thousands_of_parts_are_refused() -> None:
    content = xlsx(extra={f"xl/media/p{n}.bin": [b"x"] for n in range(5000)})
    assert refusal(content)[0] == "too_complex"


def test_a_document_type_declaration_is_refused() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        f'<sst xmlns="{MAIN}"><si><t>&lol2;</t></si></sst>'
    )
    assert refusal(xlsx(strings_xml=[laughs.encode()]))[0] == "not_a_table"


def test_a_csv_of_millions_of_empty_lines_stops_at_the_row_cap() -> None:
    content = "名称,类型\r\n".encode() + b",\r\n" * 600_000  # under the 2 MB upload limit
    assert len(content) <= MAX_FILE_BYTES
    assert refusal(content)[0] == "sheet_too_long"
