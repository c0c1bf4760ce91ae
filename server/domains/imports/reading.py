"""Reading an uploaded customer file into rows of text: CSV (UTF-8 with or without BOM, or GBK as Chinese
Excel saves it) or XLSX. Limits keep a file small enough to check and store in one request: the upload's
size, then, counted while the file is read, its rows (empty ones too), columns and, for an XLSX, what its
zip inflates to (xlsx_limits.py). No database here: a file is read before any transaction begins."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from server.domains.imports.problems import Problem, UnreadableFile
from server.domains.imports.xlsx_limits import MAX_SHEET_ROWS, check_package

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000  # data rows, the header not counted
MAX_COLUMNS = 40
ENCODINGS = ("auto", "utf-8", "gbk")
XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number in the file, cells as text), empty rows left out
    encoding: str | None  # the text encoding a CSV was read with; None for XLSX


def read_table(content: bytes, encoding: str = "auto") -> Table:
    if len(content) > MAX_FILE_BYTES:
        raise UnreadableFile("file_too_large", limit=MAX_FILE_BYTES // (1024 * 1024))
    if not content.strip():
        raise UnreadableFile("empty_file")
    if content.startswith(XLSX_MAGIC):
        header, rows = _xlsx_rows(content)
        used = None
    else:
        text, used = _decode(content, encoding)
        header, rows = _csv_rows(text)
    header = [cell.strip() for cell in header]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise UnreadableFile("empty_file")
    if len(header) > MAX_COLUMNS:
        raise UnreadableFile("too_many_columns", limit=MAX_COLUMNS)
    return Table(header, rows, used)


def _decode(content: bytes, encoding: str) -> tuple[str, str]:
    if encoding not in ENCODINGS:
        raise UnreadableFile("unknown_encoding")
    tried = ["utf-8", "gbk"] if encoding == "auto" else [encoding]
    for name in tried:
        try:
            # utf-8-sig drops a BOM; gb18030 reads GBK and its extensions (Excel's "CSV" on Chinese Windows)
            return content.decode("utf-8-sig" if name == "utf-8" else "gb18030"), name
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("wrong_encoding", encoding=encoding)


def _csv_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if "\x00" in text:  # no text table holds one (a binary file, or a NUL typed in): nothing could store it
        raise UnreadableFile("nul_character")
    first_line = text.split("\n", 1)[0]
    # Comma as Excel writes it; a header with tabs (or semicolons) and no comma says that is the separator.
    delimiter = next((sep for sep in (",", "\t", ";") if sep in first_line), ",")
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    try:
        header = next(reader, [])
        rows = _bounded(reader)
    except csv.Error:
        raise UnreadableFile("not_a_table") from None
    return header, rows


def _xlsx_rows(content: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook  # only imports that read XLSX pay for it

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            check_package(archive)  # before openpyxl, which loads every shared string
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, OSError):
        raise UnreadableFile("not_a_table") from None
    try:
        sheet = workbook.worksheets[0]
        # Rows a sheet skips come out empty; openpyxl stops parsing after max_row.
        values = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1, max_row=MAX_SHEET_ROWS + 1)
        header = _trimmed(next(values, ()))
        rows = _bounded(_trimmed(row) for row in values)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, OSError):
        raise UnreadableFile("not_a_table") from None
    finally:
        workbook.close()
    return header, rows


def _bounded(rows: Any) -> list[tuple[int, list[str]]]:
    """Non-empty rows numbered as the file numbers them (the header is row 1); over MAX_ROWS is refused, and so
    is a file past MAX_SHEET_ROWS rows, empty ones included (they cost as much to read)."""
    kept: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(rows, start=2):
        if number > MAX_SHEET_ROWS:
            raise UnreadableFile("sheet_too_long", limit=MAX_SHEET_ROWS)
        if not any(str(cell).strip() for cell in cells):
            continue
        if len(kept) == MAX_ROWS:
            raise UnreadableFile("too_many_rows", limit=MAX_ROWS)
        kept.append((number, list(cells)))
    return kept


def _trimmed(row: Any) -> list[str]:
    """An XLSX row as text, without the empty cells the sheet pads it with on the right."""
    cells = [_cell_text(cell) for cell in row]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _cell_text(value: object) -> str:
    """A cell as the supervisor sees it: 13800138000 not 13800138000.0, dates as ISO text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


__all__ = ["ENCODINGS", "MAX_COLUMNS", "MAX_FILE_BYTES", "MAX_ROWS", "Problem", "Table", "UnreadableFile", "read_table"]
