"""`python -m client --server URL [--data-dir DIR] [--port 8550] [--host 127.0.0.1] [--lang zh-CN|en] [--web]`.

See `client.config` for the options and where the data folder is. `--web` serves the app to a browser
fully offline (no CDN); without it the app runs as a normal Flet app.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from collections.abc import Sequence

import flet as ft

from client import browser, clock
from client.config import parse_args
from client.features.photos.service import INCOMING_FOLDER
from client.shell.lock import PhoneLock
from client.storage.files import set_durability_hook
from shared.clock import Clock


def main(argv: Sequence[str] | None = None) -> int:
    if browser.IN_BROWSER:
        return main_in_browser()
    config = parse_args(argv)
    clock.install(Clock(offset=config.clock_offset))  # the company's zone follows once the store is open
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    lock = PhoneLock(config)  # the store opens once the rep's PIN unlocks it (client/shell/lock.py)
    lock.start()
    try:
        if config.web:
            os.environ.setdefault("FLET_FORCE_WEB_SERVER", "true")  # serve only; never try to open a browser
            os.environ.setdefault("FLET_SECRET_KEY", secrets.token_hex(32))  # signs this process's upload URLs
            ft.run(
                lock.main,
                view=ft.AppView.WEB_BROWSER,
                host=config.host,
                port=config.port,
                no_cdn=True,
                assets_dir=str(config.assets_dir),
                upload_dir=str(
                    config.data_dir / INCOMING_FOLDER
                ),  # the photo picker's files (features/photos/picker.py)
            )
        else:
            ft.run(lock.main, assets_dir=str(config.assets_dir))
    finally:
        lock.close()
    return 0


def main_in_browser() -> int:
    """The PWA (docs/pwa.md): the store on IndexedDB, the server the app came from, requests over fetch.

    `ft.run` returns at once in Pyodide (the page's worker keeps the app), so nothing is closed here."""
    folder = browser.open_durable_folder()
    set_durability_hook(browser.flush_durable_folder)
    config = parse_args(["--server", browser.page_origin(), "--data-dir", str(folder)], env={})
    clock.install(Clock(offset=config.clock_offset))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    lock = PhoneLock(config, transport=browser.FetchTransport())
    lock.start()
    ft.run(lock.main)
    return 0


if __name__ == "__main__":
    sys.exit(main())
