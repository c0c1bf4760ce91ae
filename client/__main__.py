"""`python -m client --server URL [--data-dir DIR] [--port 8550] [--host 127.0.0.1] [--lang zh-CN|en] [--web]`.

See `client.config` for the options and where the data folder is. `--web` serves the app to a browser
fully offline (no CDN); without it the app runs as a normal Flet app.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

import flet as ft

from client.app import build_core, make_main
from client.config import parse_args


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    core = build_core(config)
    try:
        if config.web:
            os.environ.setdefault("FLET_FORCE_WEB_SERVER", "true")  # serve only; never try to open a browser
            ft.run(
                make_main(core),
                view=ft.AppView.WEB_BROWSER,
                host=config.host,
                port=config.port,
                no_cdn=True,
                assets_dir=str(config.assets_dir),
            )
        else:
            ft.run(make_main(core), assets_dir=str(config.assets_dir))
    finally:
        core.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
