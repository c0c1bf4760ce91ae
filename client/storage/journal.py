"""A durable, encrypted TinyDB storage whose saves cost one fsynced append, however large the store grows.

TinyDB's JSON storage rewrites the whole database on every write. `JournalStorage` keeps the
database in memory, on disk as a snapshot (`store.sealed`) plus a journal (`journal.sealed`), every
byte of both sealed with the store's data key (AES-256-GCM, `client.storage.vault.StoreCipher`):

- `commit(changes)` appends one line holding a batch of puts and deletes and fsyncs it. The line is
  the batch's JSON sealed with a fresh nonce, base64, then a newline. The batch is atomic: a line is
  applied whole or, if a crash tore it, not at all. When `commit` returns, the batch survives a
  crash or a pulled battery.
- `write(data)` (TinyDB's own seam, also used for compaction) writes a new snapshot (the JSON,
  zlib-compressed, then sealed) to a temporary file, fsyncs it, renames it over the old one, fsyncs
  the folder, then empties the journal.
- Opening replays the journal over the snapshot. A line opens only at its own position after its
  own snapshot (both are in the associated data), so a line changed, cut, dropped, moved or taken
  from another journal anywhere but at the end is detected: the store refuses to open
  (`CorruptStore`) rather than load less than was saved. Only the last line may fail: that is a
  crash's torn tail (its commit never returned, so nobody was told it was saved), and the file is
  cut there, so recovery needs nobody.
  A journal left behind by a crash between a new snapshot and the journal's truncation is
  recognised (its lines belong to the previous snapshot, which the new one already holds) and
  emptied.
- A store written before encryption (`store.json`, `journal.log`, in plain text) is imported once
  into the sealed files, then its plain files are removed.

One process writes a store: an exclusive `flock` on `store.lock` refuses a second one.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import secrets
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from tinydb.storages import Storage

from client.storage.files import fsync_folder, made_durable, write_atomically
from client.storage.vault import StoreCipher, StoreTampered

Tables = dict[str, dict[str, Any]]
Change = tuple[Literal["put"], str, str, dict[str, Any]] | tuple[Literal["del"], str, str, None]

SNAPSHOT = "store.sealed"
JOURNAL = "journal.sealed"
LOCK = "store.lock"
PLAIN_SNAPSHOT = "store.json"  # the store before encryption: imported once, then removed
PLAIN_JOURNAL = "journal.log"
SNAPSHOT_MAGIC = b"ROUTECRM-STORE-1\n"
SNAPSHOT_CONTEXT = b"snapshot"


class StoreLocked(RuntimeError):
    """Another process has this store open."""


class CorruptStore(RuntimeError):
    """A store file was changed or damaged (beyond a crash's torn tail), or sealed with another key.

    The store is never opened with less than was saved, nor repaired silently."""


def wait_for_turn() -> None:
    """Another commit is under way on a suspended stack (the PWA only: its seal and its flush are awaited, and
    meanwhile the sync or another handler may run on the worker's one thread, where the store's `RLock` does not
    keep it out): let the worker run until that commit returns. Where this stack cannot be suspended, waiting
    would never end: refuse the commit instead (the caller shows the error; nothing was written)."""
    from client.browser import yield_to_other_stacks

    yield_to_other_stacks()


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _line_context(generation: str, index: int) -> bytes:
    return b"journal %s %d" % (generation.encode(), index)


def apply_changes(tables: Tables, changes: Iterable[Change]) -> None:
    for action, table, doc_id, doc in changes:
        if action == "put":
            tables.setdefault(table, {})[doc_id] = doc
        else:
            tables.get(table, {}).pop(doc_id, None)


def sealed_files(folder: str | Path) -> list[Path]:
    """The store's sealed files that exist in `folder` (what a lost key leaves unreadable)."""
    return [path for name in (SNAPSHOT, JOURNAL) if (path := Path(folder) / name).exists()]


def has_plain_store(folder: str | Path) -> bool:
    """Whether `folder` holds a store written before encryption, still to be imported."""
    return not sealed_files(folder) and any((Path(folder) / name).exists() for name in (PLAIN_SNAPSHOT, PLAIN_JOURNAL))


class JournalStorage(Storage):
    def __init__(self, folder: str | Path, cipher: StoreCipher) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._cipher = cipher
        self._committing = False  # a commit is under way (see wait_for_turn)
        self._lock_file = open(self.folder / LOCK, "a+b")  # noqa: SIM115 - held for the storage's lifetime
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise StoreLocked(f"{self.folder} is open in another process") from None
        try:
            importing = has_plain_store(self.folder)
            self._generation, self._previous, self._tables = self._load_snapshot()
            self.journal_lines = self._replay_journal()
            if importing:
                self._tables = _load_plain_store(self.folder)
            self._journal = open(self.folder / JOURNAL, "ab")  # noqa: SIM115 - appended to until close
            if importing:
                self.write(self._tables)
            self._remove_plain_files()
        except BaseException:
            self._unlock()
            raise

    # ---- TinyDB's seam ----------------------------------------------------------------------

    def read(self) -> Tables:
        return self._tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Make `data` the whole database: a new snapshot, then an empty journal."""
        while self._committing:  # as in commit: never in the middle of another stack's commit (the PWA)
            wait_for_turn()
        self._committing = True
        try:
            self._tables = data
            generation = secrets.token_hex(8)
            body = _dumps({"generation": generation, "previous": self._generation, "tables": data})
            sealed = self._cipher.seal(zlib.compress(body, 1), SNAPSHOT_CONTEXT)
            write_atomically(self.folder / SNAPSHOT, SNAPSHOT_MAGIC + sealed)
            self._generation, self._previous = generation, self._generation
            self._journal.truncate(0)
            self._journal.flush()
            os.fsync(self._journal.fileno())
            made_durable(self.folder)
            self.journal_lines = 0
        finally:
            self._committing = False

    def close(self) -> None:
        if not self._journal.closed:
            self._journal.close()
        self._unlock()

    def _unlock(self) -> None:
        if not self._lock_file.closed:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()

    # ---- the fast path ----------------------------------------------------------------------

    def commit(self, changes: list[Change]) -> None:
        """Durably apply a batch of changes: all of them or, after a crash, none."""
        if not changes:
            return
        while self._committing:  # only in the PWA, where a commit's stack can be suspended (wait_for_turn)
            wait_for_turn()
        self._committing = True
        try:
            sealed = self._cipher.seal(_dumps(changes), _line_context(self._generation, self.journal_lines))
            self._journal.write(base64.b64encode(sealed) + b"\n")
            self._journal.flush()
            os.fsync(self._journal.fileno())
            made_durable(self.folder)  # in the PWA: on IndexedDB before the app says 已保存
            apply_changes(self._tables, changes)
            self.journal_lines += 1
        finally:
            self._committing = False

    def compact(self) -> None:
        """Fold the journal into the snapshot (costs a full rewrite: call it off the save path)."""
        self.write(self._tables)

    # ---- opening ----------------------------------------------------------------------------

    def _load_snapshot(self) -> tuple[str, str | None, Tables]:
        """The snapshot's generation, the one before it, and its tables ("", None, {} without one)."""
        path = self.folder / SNAPSHOT
        if not path.exists():
            return "", None, {}
        raw = path.read_bytes()
        if not raw.startswith(SNAPSHOT_MAGIC):
            raise CorruptStore(f"{path} is not a sealed store snapshot")
        try:
            snapshot = json.loads(zlib.decompress(self._cipher.open(raw[len(SNAPSHOT_MAGIC) :], SNAPSHOT_CONTEXT)))
        except StoreTampered:
            raise CorruptStore(f"{path} failed authentication: changed, damaged, or sealed with another key") from None
        return str(snapshot["generation"]), snapshot["previous"], snapshot["tables"]

    def _open_line(self, line: bytes, generation: str, index: int) -> list[Change] | None:
        """The changes of one journal line, or None if it does not open at this position."""
        if not line.endswith(b"\n"):
            return None
        try:
            body = self._cipher.open(base64.b64decode(line[:-1], validate=True), _line_context(generation, index))
        except (binascii.Error, StoreTampered):
            return None
        changes = json.loads(body)
        return changes if isinstance(changes, list) else None

    def _replay_journal(self) -> int:
        """Apply the journal's lines; returns how many there are (after cutting a torn tail)."""
        path = self.folder / JOURNAL
        if not path.exists():
            return 0
        with open(path, "rb") as file:
            lines = file.readlines()
        if lines and self._previous is not None and self._open_line(lines[0], self._previous, 0) is not None:
            lines = []  # the previous snapshot's journal (a crash before its truncation): the snapshot holds it
        good: list[bytes] = []
        for index, line in enumerate(lines):
            changes = self._open_line(line, self._generation, index)
            if changes is None:
                if index == len(lines) - 1:
                    break  # a torn tail: its commit never returned, so nobody was told it was saved
                raise CorruptStore(f"{path} line {index + 1} of {len(lines)} failed authentication")
            apply_changes(self._tables, changes)
            good.append(line)
        good_end = sum(map(len, good))
        if good_end != path.stat().st_size:
            with open(path, "r+b") as file:
                file.truncate(good_end)
                os.fsync(file.fileno())
        return len(good)

    def _remove_plain_files(self) -> None:
        """After an import (or a crash right after one): the plain text files go."""
        removed = False
        for name in (PLAIN_SNAPSHOT, PLAIN_JOURNAL):
            if (self.folder / name).exists() and (self.folder / SNAPSHOT).exists():
                (self.folder / name).unlink()
                removed = True
        if removed:
            fsync_folder(self.folder)


def _load_plain_store(folder: Path) -> Tables:
    """A store as written before encryption: a JSON snapshot and a journal of CRC32-checked lines."""
    tables: Tables = {}
    snapshot = folder / PLAIN_SNAPSHOT
    if snapshot.exists():
        try:
            tables = json.loads(snapshot.read_bytes())
        except ValueError as error:
            raise CorruptStore(f"{snapshot} cannot be read: {error}") from error
    journal = folder / PLAIN_JOURNAL
    if journal.exists():
        with open(journal, "rb") as file:
            for line in file:
                body = line[9:-1]
                try:
                    if not line.endswith(b"\n") or line[8:9] != b" " or int(line[:8], 16) != zlib.crc32(body):
                        break  # that version's torn tail
                    changes = json.loads(body)
                except ValueError:
                    break
                apply_changes(tables, changes)
    return tables
