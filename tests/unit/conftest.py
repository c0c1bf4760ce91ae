"""Fixtures the unit tests share (plain helpers: tests/unit/helpers.py). The suite's clock: tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from client.storage.store import LocalStore
from client.storage.vault import StoreCipher


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    """The phone's store, empty, in the test's folder (a file that needs another store defines its own)."""
    opened = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    yield opened
    opened.close()
