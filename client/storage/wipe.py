"""Wiping a revoked phone: close the local store, then delete everything in its folder.

Called by the sync runner (its `on_revoked`) only after the server has received every op still waiting
(into its quarantine, for an admin to accept or drop), so nothing the rep did is lost. Drafts the server
refused are kept on the server too (rejected ops). After the wipe the app shows that the phone was
revoked; opening the app again starts empty, as a new install with a new device id.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from client.storage.files import made_durable

logger = logging.getLogger(__name__)


def wipe_local_data(folder: str | Path, close_store: Callable[[], object]) -> list[str]:
    """Close the store, then remove the folder's contents (the folder itself stays). The names removed."""
    try:
        close_store()
    except Exception:  # a store that fails to close is wiped all the same
        logger.exception("closing the store before the wipe failed")
    root = Path(folder)
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for entry in sorted(root.iterdir()):
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry.name)
        except OSError:
            logger.exception("could not remove %s during the wipe", entry)
    made_durable(root)  # in the PWA: the removals reach IndexedDB now, not at the next save
    return removed
