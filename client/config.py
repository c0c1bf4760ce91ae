"""How the rep's app is started, and where it keeps its data.

Start it with::

    python -m client --server URL [--data-dir DIR] [--port 8550] [--host 127.0.0.1]
                     [--lang zh-CN|en] [--sync-interval 30] [--idle-lock 300] [--background-lock 30]
                     [--holidays FILE] [--web]

`--web` serves the app to a browser (Flet web, no CDN, everything offline: for development and the
end-to-end tests); without it the app runs as a normal Flet app (on a phone, or a desktop window).

The data folder (the local store: snapshot, journal, lock file) is, in this order:

1. `--data-dir DIR`;
2. the environment variable `FLET_APP_STORAGE_DATA` (Flet sets it on a phone to the app's private
   storage);
3. a per-user folder: `$XDG_DATA_HOME/routecrm`, by default `~/.local/share/routecrm`.

One process opens a data folder at a time (the store holds a file lock).

The store is encrypted with a key the rep's PIN unlocks (client/storage/vault.py, docs/security.md); the app
locks again after `--idle-lock` seconds without a tap (default 5 minutes), and after `--background-lock`
seconds in the background (default 30; 0: as soon as it is hidden).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.clock import CLOCK_OFFSET_ENV, parse_offset
from shared.holidays import Holiday, load_holidays
from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES

APP_FOLDER = "routecrm"
DEFAULT_PORT = 8550
DEFAULT_HOST = "127.0.0.1"
DEFAULT_SYNC_INTERVAL = 30.0
DEFAULT_IDLE_LOCK = 300.0  # seconds without a tap before the app asks for the PIN again
DEFAULT_BACKGROUND_LOCK = 30.0  # seconds in the background before the app asks for the PIN again (0: at once)
ROOT = Path(__file__).resolve().parents[1]
ASSETS_DIR = ROOT / "assets"


@dataclass(frozen=True)
class ClientConfig:
    server_url: str
    data_dir: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    lang: str = DEFAULT_LANGUAGE
    web: bool = False
    sync_interval: float = DEFAULT_SYNC_INTERVAL
    idle_lock: float = DEFAULT_IDLE_LOCK
    background_lock: float = DEFAULT_BACKGROUND_LOCK
    assets_dir: Path = ASSETS_DIR
    holidays: tuple[Holiday, ...] | None = None  # None: the company's list from the server, else the built-in one
    # Added to the wall clock (ROUTECRM_CLOCK_OFFSET, seconds): tests and demos run the app at another hour.
    clock_offset: dt.timedelta = dt.timedelta(0)


def default_data_dir(env: Mapping[str, str]) -> Path:
    """`FLET_APP_STORAGE_DATA` if set, else `$XDG_DATA_HOME/routecrm` (default `~/.local/share/routecrm`)."""
    if env.get("FLET_APP_STORAGE_DATA"):
        return Path(env["FLET_APP_STORAGE_DATA"])
    xdg = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / APP_FOLDER


def parse_args(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> ClientConfig:
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(prog="python -m client", description="RouteCRM: the rep's app")
    parser.add_argument("--server", default=env.get("ROUTECRM_SERVER", ""), help="sync server URL")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder of the local store")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE)
    parser.add_argument("--web", action="store_true", help="serve to a browser (offline, no CDN)")
    parser.add_argument("--sync-interval", type=float, default=DEFAULT_SYNC_INTERVAL, help="seconds")
    parser.add_argument(
        "--idle-lock", type=float, default=DEFAULT_IDLE_LOCK, help="seconds without a tap before the PIN is asked again"
    )
    parser.add_argument(
        "--background-lock",
        type=float,
        default=DEFAULT_BACKGROUND_LOCK,
        help="seconds in the background before the PIN is asked again (0: at once)",
    )
    parser.add_argument("--holidays", type=Path, default=None, help="JSON list of holidays (shared/holidays.py)")
    args = parser.parse_args(argv)
    holidays = None
    try:
        clock_offset = parse_offset(env.get(CLOCK_OFFSET_ENV))
    except ValueError as error:
        parser.error(str(error))
    if args.holidays is not None:
        try:
            holidays = tuple(load_holidays(args.holidays))
        except ValueError as error:
            parser.error(str(error))
    return ClientConfig(
        server_url=args.server.rstrip("/"),
        data_dir=args.data_dir or default_data_dir(env),
        host=args.host,
        port=args.port,
        lang=args.lang,
        web=args.web,
        sync_interval=max(1.0, args.sync_interval),
        idle_lock=max(1.0, args.idle_lock),
        background_lock=max(0.0, args.background_lock),
        holidays=holidays,
        clock_offset=clock_offset,
    )
