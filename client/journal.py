"""A durable TinyDB storage whose saves cost one fsynced append, however large the store grows.

TinyDB's JSON storage rewrites the whole database on every write. `JournalStorage` keeps the
database in memory, on disk as a snapshot (`store.json`) plus a journal (`journal.log`):

- `commit(changes)` appends one line holding a batch of puts and deletes and fsyncs it. The batch is
  atomic: a line is applied whole or, if a crash tore it, not at all. When `commit` returns, the
  batch survives a crash or a pulled battery.
- `write(data)` (TinyDB's own seam, also used for compaction) writes a new snapshot to a temporary
  file, fsyncs it, renames it over the old one, fsyncs the folder, then empties the journal.
- Opening replays the journal over the snapshot. Every line carries a CRC32; replay stops at the
  first torn or corrupt line and cuts the file there, so recovery after a crash needs nobody.
  Replaying a line twice (a crash between snapshot and truncation) is harmless: each change is a
  whole-document put or a delete.

One process writes a store: an exclusive `flock` on `store.lock` refuses a second one.
"""

from __future__ import annotations

import fcntl
import json
import os
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from tinydb.storages import Storage

Tables = dict[str, dict[str, Any]]
Change = tuple[Literal["put"], str, str, dict[str, Any]] | tuple[Literal["del"], str, str, None]

SNAPSHOT = "store.json"
JOURNAL = "journal.log"
LOCK = "store.lock"


class StoreLocked(RuntimeError):
    """Another process has this store open."""


class CorruptSnapshot(RuntimeError):
    """The snapshot cannot be read; it is never replaced silently (it is written atomically)."""


def _encode(changes: list[Change]) -> bytes:
    body = json.dumps(changes, ensure_ascii=False, separators=(",", ":")).encode()
    return b"%08x %s\n" % (zlib.crc32(body), body)


def _decode(line: bytes) -> list[Change] | None:
    """The changes of one journal line, or None if the line is torn or corrupt."""
    if not line.endswith(b"\n") or len(line) < 10 or line[8:9] != b" ":
        return None
    body = line[9:-1]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        changes = json.loads(body)
    except ValueError:
        return None
    return changes if isinstance(changes, list) else None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def apply_changes(tables: Tables, changes: Iterable[Change]) -> None:
    for action, table, doc_id, doc in changes:
        if action == "put":
            tables.setdefault(table, {})[doc_id] = doc
        else:
            tables.get(table, {}).pop(doc_id, None)


class JournalStorage(Storage):
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self.folder / LOCK, "a+b")  # noqa: SIM115 - held for the storage's lifetime
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise StoreLocked(f"{self.folder} is open in another process") from None
        self._tables: Tables = self._load_snapshot()
        self.journal_lines = self._replay_journal()
        self._journal = open(self.folder / JOURNAL, "ab")  # noqa: SIM115 - appended to until close

    # ---- TinyDB's seam ----------------------------------------------------------------------

    def read(self) -> Tables:
        return self._tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Make `data` the whole database: a new snapshot, then an empty journal."""
        self._tables = data
        snapshot = self.folder / SNAPSHOT
        temporary = snapshot.with_suffix(".tmp")
        with open(temporary, "wb") as file:
            file.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, snapshot)
        _fsync_dir(self.folder)
        self._journal.truncate(0)
        self._journal.flush()
        os.fsync(self._journal.fileno())
        self.journal_lines = 0

    def close(self) -> None:
        if not self._journal.closed:
            self._journal.close()
        if not self._lock_file.closed:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()

    # ---- the fast path ----------------------------------------------------------------------

    def commit(self, changes: list[Change]) -> None:
        """Durably apply a batch of changes: all of them or, after a crash, none."""
        if not changes:
            return
        self._journal.write(_encode(changes))
        self._journal.flush()
        os.fsync(self._journal.fileno())
        apply_changes(self._tables, changes)
        self.journal_lines += 1

    def compact(self) -> None:
        """Fold the journal into the snapshot (costs a full rewrite: call it off the save path)."""
        self.write(self._tables)

    # ---- opening ----------------------------------------------------------------------------

    def _load_snapshot(self) -> Tables:
        path = self.folder / SNAPSHOT
        if not path.exists():
            return {}
        try:
            data = json.loads(path.read_bytes())
        except ValueError as error:
            raise CorruptSnapshot(f"{path} cannot be read: {error}") from error
        if not isinstance(data, dict):
            raise CorruptSnapshot(f"{path} does not hold a database")
        return data

    def _replay_journal(self) -> int:
        path = self.folder / JOURNAL
        if not path.exists():
            return 0
        good_end = 0
        lines = 0
        with open(path, "rb") as file:
            for line in file:
                changes = _decode(line)
                if changes is None:
                    break  # a torn tail: its commit never returned, so nobody was told it was saved
                apply_changes(self._tables, changes)
                good_end += len(line)
                lines += 1
        if good_end != path.stat().st_size:
            with open(path, "r+b") as file:
                file.truncate(good_end)
                os.fsync(file.fileno())
        return lines
