"""An XLSX file is a zip of XML parts: 48 KB on disk can inflate to millions of empty rows or shared strings,
which openpyxl would read in full (it loads every shared string, and its sheet parser keeps each row's
cells). Before openpyxl opens a file, `check_package` checks the zip's member sizes (nothing is inflated
when they sum over the cap; zipfile never inflates a member past its stated size, its CRC fails first) and
then streams every part through expat, keeping no tree, counting rows (empty ones too), cells, shared
strings and elements, and stops at the first cap it passes: the rest of the file is never read."""

from __future__ import annotations

import zipfile
import zlib
from pyexpat import XML_PARAM_ENTITY_PARSING_NEVER, ExpatError, ParserCreate
from typing import Any

from server.domains.imports.problems import UnreadableFile

MEGABYTE = 1024 * 1024
MAX_UNPACKED_BYTES = 32 * MEGABYTE  # all parts inflated; a 2000-row sheet with its strings is a few MB
MAX_PARTS = 1000
MAX_SHEET_ROWS = 10_000  # rows a sheet holds or skips, empty ones and the header included
MAX_SHEET_CELLS = 200_000  # cells of one sheet, empty ones included (2000 rows of 40 columns are 80 000)
MAX_SHARED_STRINGS = 100_000
MAX_SHEET_ELEMENTS = 1_000_000  # every element of a sheet or of the shared strings (cells, values, runs...)
MAX_OTHER_ELEMENTS = 100_000  # of any other part (styles, workbook, themes), which openpyxl reads whole
CHUNK_BYTES = 64 * 1024


def check_package(archive: zipfile.ZipFile) -> None:
    """Raise UnreadableFile when the package passes a cap; read nothing when its stated sizes do."""
    members = [member for member in archive.infolist() if not member.is_dir()]
    if len(members) > MAX_PARTS:
        raise UnreadableFile("too_complex")
    if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        raise UnreadableFile("unpacked_too_large", limit=MAX_UNPACKED_BYTES // MEGABYTE)
    counts = _Counts()
    for member in members:
        try:
            with archive.open(member) as stream:
                counts.scan(stream)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
            raise UnreadableFile("not_a_table") from None


class _Counts:
    """Counts what one part after another holds; shared strings add up over the whole package."""

    def __init__(self) -> None:
        self.strings = 0
        self.root: str | None = None
        self.rows = self.cells = self.elements = 0

    def scan(self, stream: Any) -> None:
        self.root, self.rows, self.cells, self.elements = None, 0, 0, 0
        parser = ParserCreate(namespace_separator=" ")
        parser.SetParamEntityParsing(XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = _no_doctype  # no part of a workbook has one; entities could expand
        parser.StartElementHandler = self._start
        try:
            while chunk := stream.read(CHUNK_BYTES):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except ExpatError:
            # Not XML (an image), or broken XML: openpyxl cannot read past the same spot, whose elements
            # were counted; a part it needs and cannot read makes it refuse the file.
            return

    def _start(self, name: str, _attributes: Any) -> None:
        local = name.rpartition(" ")[2]
        if self.root is None:
            self.root = local
        self.elements += 1
        if self.root == "worksheet":
            if local == "row":
                self.rows += 1
                if self.rows > MAX_SHEET_ROWS:
                    raise UnreadableFile("sheet_too_long", limit=MAX_SHEET_ROWS)
            elif local == "c":
                self.cells += 1
                if self.cells > MAX_SHEET_CELLS:
                    raise UnreadableFile("too_many_cells", limit=MAX_SHEET_CELLS)
        elif self.root == "sst" and local == "si":
            self.strings += 1
            if self.strings > MAX_SHARED_STRINGS:
                raise UnreadableFile("too_many_strings", limit=MAX_SHARED_STRINGS)
        limit = MAX_SHEET_ELEMENTS if self.root in ("worksheet", "sst") else MAX_OTHER_ELEMENTS
        if self.elements > limit:
            raise UnreadableFile("too_complex")


def _no_doctype(*_args: Any) -> None:
    raise UnreadableFile("not_a_table")
