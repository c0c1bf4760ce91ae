"""Durable file writes: the one helper every file the phone keeps goes through (store snapshot, key file, PIN
attempts, photos). A file written here is, after a crash or a pulled battery, either the old one or the new
one, never a torn mix: temporary file, fsync, rename over the old one, fsync of the folder (so the rename
itself survives)."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_folder(folder: Path) -> None:
    """Make the folder's entries (a rename, a new or removed file) durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data`, all or nothing."""
    temporary = path.with_name(f"{path.name}.tmp")
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    fsync_folder(path.parent)
