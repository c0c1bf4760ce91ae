"""Issue #7: the phone's store encrypted at rest, its key under the rep's PIN (client/storage/: vault.py,
journal.py).

The store's own durability (saves survive SIGKILL, compaction, torn tails) is tested in test_client_store.py
over the same encrypted storage."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import zlib
from pathlib import Path

import pytest

from client.features.photos.service import PhotoFiles
from client.storage.journal import JOURNAL, PLAIN_JOURNAL, PLAIN_SNAPSHOT, SNAPSHOT, CorruptStore, JournalStorage
from client.storage.store import LocalStore
from client.storage.vault import (
    ATTEMPTS_FILE,
    FREE_ATTEMPTS,
    KEY_FILE,
    InvalidPin,
    KdfParams,
    PinDelayed,
    StoreCipher,
    Vault,
    WrongPin,
)
from shared.enums import RecordKind
from shared.ids import new_id
from tests.unit.helpers import FakeClock

CHEAP_KDF = KdfParams(time_cost=1, memory_cost=8, parallelism=1)  # the real cost is for phones, not tests
PHONE = "13912345678"
NAME = "望都县康宁诊所"


class Clock(FakeClock[float]):
    def __init__(self) -> None:
        super().__init__(1_000_000.0)


def store_with_a_customer(folder: Path, cipher: StoreCipher) -> str:
    store = LocalStore(folder, cipher)
    customer_id = new_id()
    store.save(RecordKind.CUSTOMER, customer_id, {"name": NAME, "kind": "clinic", "phone": PHONE})
    store.close()
    return customer_id


def every_file(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def decoded(data: bytes) -> bytes:
    """The bytes, and whatever base64 (per line) and zlib (after a header line) would make of them: an
    encoding is not encryption, so plain text under one counts as plain text."""
    forms = [data]
    for line in data.splitlines():
        with contextlib.suppress(binascii.Error, ValueError):
            forms.append(base64.b64decode(line, validate=True))
    for form in list(forms):
        for start in (0, form.find(b"\n") + 1):
            with contextlib.suppress(zlib.error):
                forms.append(zlib.decompress(form[start:]))
    return b"\0".join(forms)


def test_no_file_in_the_store_folder_holds_a_customers_phone_or_name(tmp_path: Path) -> None:
    vault = Vault(tmp_path, CHEAP_KDF)
    cipher = StoreCipher.new()
    vault.set_pin("2468", cipher)
    customer_id = store_with_a_customer(tmp_path, cipher)
    store = LocalStore(tmp_path, cipher)  # reopening folds the journal into a snapshot
    store.save(RecordKind.CUSTOMER, customer_id, {"contact_person": "李医生"})  # and a journal line after it
    store.close()
    files = {name: decoded(data) for name, data in every_file(tmp_path).items()}
    assert {SNAPSHOT, JOURNAL, KEY_FILE} <= set(files)
    for needle in (PHONE, NAME, "李医生"):
        for encoding in ("utf-8", "utf-16-le"):
            assert not [name for name, data in files.items() if needle.encode(encoding) in data], needle
        assert not [name for name, data in files.items() if json.dumps(needle).encode() in data], needle
    assert cipher.key not in b"".join(files.values())  # the data key is never written unwrapped
    reopened = LocalStore(tmp_path, vault.unlock("2468"))
    assert reopened.get(RecordKind.CUSTOMER, customer_id)["phone"] == PHONE
    reopened.close()


def test_the_right_pin_opens_the_store_and_a_wrong_one_is_refused(tmp_path: Path) -> None:
    vault = Vault(tmp_path, CHEAP_KDF)
    cipher = StoreCipher.new()
    vault.set_pin("135790", cipher)
    assert vault.has_pin()
    with pytest.raises(WrongPin) as wrong:
        vault.unlock("135791")
    assert wrong.value.failures == 1 and wrong.value.wait == 0
    assert vault.unlock("135790").key == cipher.key
    with pytest.raises(InvalidPin):
        vault.set_pin("12ab", cipher)
    with pytest.raises(InvalidPin):
        vault.set_pin("123", cipher)


def test_a_store_sealed_with_another_key_does_not_open(tmp_path: Path) -> None:
    store_with_a_customer(tmp_path, StoreCipher.new())
    with pytest.raises(CorruptStore):
        LocalStore(tmp_path, StoreCipher.new())


def test_wrong_pins_are_limited_with_growing_delays_that_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    Vault(tmp_path, CHEAP_KDF, clock).set_pin("1111", StoreCipher.new())
    waits: list[float] = []
    for _ in range(FREE_ATTEMPTS + 1):
        clock.now += waits[-1] if waits else 0  # each try once the previous delay has passed
        vault = Vault(tmp_path, CHEAP_KDF, clock)  # a new process each time: the counter is on disk
        with pytest.raises(WrongPin) as wrong:
            vault.unlock("0000")
        waits.append(wrong.value.wait)
    assert waits[: FREE_ATTEMPTS - 1] == [0] * (FREE_ATTEMPTS - 1)
    assert 0 < waits[-2] < waits[-1]
    with pytest.raises(PinDelayed):  # too soon: not even tried, even with the right PIN
        Vault(tmp_path, CHEAP_KDF, clock).unlock("1111")
    clock.now += waits[-1]
    Vault(tmp_path, CHEAP_KDF, clock).unlock("1111")  # the delay has passed
    assert json.loads((tmp_path / ATTEMPTS_FILE).read_text())["failures"] == 0  # a right PIN resets it


def test_a_clock_set_back_does_not_lengthen_the_wait(tmp_path: Path) -> None:
    clock = Clock()
    vault = Vault(tmp_path, CHEAP_KDF, clock)
    vault.set_pin("1111", StoreCipher.new())
    for _ in range(FREE_ATTEMPTS):
        with pytest.raises(WrongPin):
            vault.unlock("0000")
    wait = vault.wait_seconds()
    clock.now -= 10 * 24 * 3600
    assert 0 < vault.wait_seconds() <= wait


def test_a_tampered_snapshot_is_detected(tmp_path: Path) -> None:
    cipher = StoreCipher.new()
    store_with_a_customer(tmp_path, cipher)
    LocalStore(tmp_path, cipher).close()  # compacts: the data is in the snapshot now
    raw = bytearray((tmp_path / SNAPSHOT).read_bytes())
    raw[-40] ^= 0x01
    (tmp_path / SNAPSHOT).write_bytes(bytes(raw))
    with pytest.raises(CorruptStore, match="failed authentication"):
        LocalStore(tmp_path, cipher)


def test_a_journal_line_dropped_or_moved_in_the_middle_is_detected(tmp_path: Path) -> None:
    cipher = StoreCipher.new()
    storage = JournalStorage(tmp_path, cipher)
    for note in "1234":
        storage.commit([("put", "note", note, {"text": note})])
    storage.close()
    lines = (tmp_path / JOURNAL).read_bytes().splitlines(keepends=True)
    for changed in ([lines[0], lines[2], lines[3]], [lines[1], lines[0], lines[2], lines[3]]):
        (tmp_path / JOURNAL).write_bytes(b"".join(changed))
        with pytest.raises(CorruptStore):
            JournalStorage(tmp_path, cipher)


def test_a_journal_left_by_a_crash_right_after_a_new_snapshot_is_not_replayed(tmp_path: Path) -> None:
    """A crash between the new snapshot's rename and the journal's truncation leaves the old journal."""
    cipher = StoreCipher.new()
    storage = JournalStorage(tmp_path, cipher)
    storage.commit([("put", "note", "1", {"text": "first"})])
    storage.commit([("put", "note", "1", {"text": "kept"})])
    stale = (tmp_path / JOURNAL).read_bytes()
    storage.compact()
    storage.close()
    (tmp_path / JOURNAL).write_bytes(stale)
    again = JournalStorage(tmp_path, cipher)
    assert again.read() == {"note": {"1": {"text": "kept"}}} and again.journal_lines == 0
    assert (tmp_path / JOURNAL).stat().st_size == 0
    again.close()


def test_a_journal_from_an_older_snapshot_is_detected(tmp_path: Path) -> None:
    cipher = StoreCipher.new()
    storage = JournalStorage(tmp_path, cipher)
    storage.commit([("put", "note", "1", {"text": "old"})])
    storage.commit([("put", "note", "2", {"text": "old"})])
    old_journal = (tmp_path / JOURNAL).read_bytes()
    storage.compact()
    storage.commit([("put", "note", "1", {"text": "new"})])
    storage.compact()
    storage.close()
    (tmp_path / JOURNAL).write_bytes(old_journal)  # two snapshots old: its lines do not belong here
    with pytest.raises(CorruptStore):
        JournalStorage(tmp_path, cipher)


def test_a_store_written_before_encryption_is_imported_and_its_plain_files_removed(tmp_path: Path) -> None:
    customer_id, note_id = new_id(), new_id()
    (tmp_path / PLAIN_SNAPSHOT).write_text(
        json.dumps({"customer": {customer_id: {"id": customer_id, "name": NAME, "phone": PHONE}}}, ensure_ascii=False)
    )
    body = json.dumps([["put", "outbox", "1", {"seq": 1, "record_id": note_id}]]).encode()
    (tmp_path / PLAIN_JOURNAL).write_bytes(b"%08x %s\n" % (zlib.crc32(body), body) + b"0badc0de [torn")
    cipher = StoreCipher.new()
    storage = JournalStorage(tmp_path, cipher)
    assert storage.read()["customer"][customer_id]["phone"] == PHONE
    assert storage.read()["outbox"] == {"1": {"seq": 1, "record_id": note_id}}  # waiting ops are not lost
    storage.close()
    assert not (tmp_path / PLAIN_SNAPSHOT).exists() and not (tmp_path / PLAIN_JOURNAL).exists()
    assert not [name for name, data in every_file(tmp_path).items() if PHONE.encode() in decoded(data)]
    assert JournalStorage(tmp_path, cipher).read()["customer"][customer_id]["name"] == NAME


def test_photos_are_sealed_with_the_store_key_and_a_changed_photo_is_not_shown(tmp_path: Path) -> None:
    cipher = StoreCipher.new()
    files = PhotoFiles(tmp_path, cipher)
    photo_id = new_id()
    photo = b"\xff\xd8\xff\xe0" + NAME.encode() + bytes(2_000)
    files.write(photo_id, photo)
    assert not [name for name, data in every_file(tmp_path).items() if NAME.encode() in decoded(data)]
    assert files.read(photo_id) == photo
    assert PhotoFiles(tmp_path, StoreCipher.new()).read(photo_id) is None  # another key
    other_id = new_id()
    files.path(photo_id).rename(files.path(other_id))  # a photo's file under another photo's name
    assert files.read(other_id) is None
