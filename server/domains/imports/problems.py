"""What can be wrong with an import file: one problem (row, column, code), or a file refused as a whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: `row` as the spreadsheet numbers it (the header is row 1), `column` as
    the file names it; `code` picks the message (web.import.problem.<code>), `values` fill it in."""

    row: int | None
    column: str | None
    code: str
    values: dict[str, Any] = field(default_factory=dict)


class UnreadableFile(Exception):
    """The file as a whole cannot be read (format, encoding, size): nothing row by row to report."""

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code)
        self.problem = Problem(None, None, code, values)
