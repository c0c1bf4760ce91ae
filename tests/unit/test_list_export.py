"""The list export's cells (server/web/exports.py): text a spreadsheet would run as a formula is quoted,
numbers stay numbers, CSV carries a BOM, XLSX reads back as text."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from server.web.exports import safe_cell, table_bytes


@pytest.mark.parametrize("text", ["=1+1", "+86 138", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_starts_like_a_formula_is_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "text",
    [" =1+1", "  +86 138", "\n=1+1", "\r\n@SUM(A1)", "\u3000=cmd", "＝1+1", "＋86", "－2+3", "＠SUM(A1)", " \t=x"],
)
def test_a_formula_behind_spaces_or_a_newline_or_in_full_width_is_quoted_too(text: str) -> None:
    """Issue 15, item 13: a leading space or newline, and the full-width ＝ a Chinese keyboard types, slipped by."""
    assert safe_cell(text) == "'" + text


def test_other_cells() -> None:
    assert safe_cell(" 新华药店") == " 新华药店" and safe_cell("A=B") == "A=B"
    assert safe_cell("新华药店") == "新华药店"
    assert safe_cell(-12.5) == -12.5 and safe_cell(3) == 3
    assert safe_cell(None) == "" and safe_cell(True) == "✓" and safe_cell(False) == ""
    assert safe_cell(dt.datetime(2026, 11, 27, 9, 5)) == "2026-11-27 09:05"


def test_csv_and_xlsx_hold_the_same_cells() -> None:
    header, rows = ["名称", "金额"], [["=cmd|' /C calc'!A0", 12.5], ["药店", -3]]
    csv_text = table_bytes("csv", header, rows)
    assert csv_text.startswith(b"\xef\xbb\xbf")
    assert csv_text.decode("utf-8-sig").splitlines()[1] == "'=cmd|' /C calc'!A0,12.5"
    sheet = load_workbook(io.BytesIO(table_bytes("xlsx", header, rows))).worksheets[0]
    cell = sheet["A2"]
    assert cell.value == "'=cmd|' /C calc'!A0" and cell.data_type == "s"  # a string, not a formula
    assert [c.value for c in sheet[3]] == ["药店", -3]
