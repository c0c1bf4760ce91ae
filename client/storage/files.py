"""Durable file writes: the one helper every file the phone keeps goes through (store snapshot, key file, PIN
attempts, photos). A file written here is, after a crash or a pulled battery, either the old one or the new
one, never a torn mix: temporary file, fsync, rename over the old one, fsync of the folder (so the rename
itself survives)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

# Called after each fsync that makes a write durable, with the folder written to: in the PWA the folder is on
# IndexedDB and this flushes it there (client/browser.py); elsewhere there is nothing more to do.
_durability_hook: Callable[[Path], None] | None = None


def set_durability_hook(hook: Callable[[Path], None] | None) -> None:
    global _durability_hook
    _durability_hook = hook


def made_durable(folder: Path) -> None:
    """What was fsynced in `folder` is kept (in the PWA: flushed to IndexedDB before this returns)."""
    if _durability_hook is not None:
        _durability_hook(folder)


def fsync_folder(folder: Path) -> None:
    """Make the folder's entries (a rename, a new or removed file) durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    made_durable(folder)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data`, all or nothing."""
    temporary = path.with_name(f"{path.name}.tmp")
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    fsync_folder(path.parent)
