"""Typed settings, read from the environment once (`Settings.from_env`) and passed in; never built at import."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_DATABASE_URL = "sqlite:///./data/routecrm.db"
DEFAULT_TIMEZONE = "Asia/Shanghai"
SECRET_KEY_FILE = "secret_key"


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    timezone: str = DEFAULT_TIMEZONE
    data_dir: Path = field(default_factory=lambda: Path("data"))
    token_lifetime: timedelta = timedelta(days=30)  # reps work offline for days; a token must outlive that
    secure_cookies: bool = False  # set COOKIE_SECURE=1 behind HTTPS
    tombstone_days: int = 90  # deletes travel to phones for this long; an older cursor must resync fully
    run_jobs: bool = True  # scheduled jobs (each runs once across all server processes)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("DATA_DIR") or "data")
        data_dir.mkdir(parents=True, exist_ok=True)
        timezone = env.get("TIMEZONE") or DEFAULT_TIMEZONE
        ZoneInfo(timezone)  # fail at start, not at the first visit, on a misspelt zone
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=env.get("SECRET_KEY") or stored_secret_key(data_dir),
            timezone=timezone,
            data_dir=data_dir,
            token_lifetime=timedelta(days=int(env.get("TOKEN_DAYS") or 30)),
            secure_cookies=(env.get("COOKIE_SECURE") or "").lower() in {"1", "true", "yes"},
            tombstone_days=int(env.get("TOMBSTONE_DAYS") or 90),
            run_jobs=(env.get("RUN_JOBS") or "1").lower() not in {"0", "false", "no"},
        )


def stored_secret_key(data_dir: Path) -> str:
    """The signing key kept in DATA_DIR/secret_key (mode 0600), generated on first run and reused after.

    Several server processes sharing one DATA_DIR share the key; across machines, set SECRET_KEY.
    """
    path = data_dir / SECRET_KEY_FILE
    try:
        existing = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key)
        out.flush()
        os.fsync(out.fileno())
    return key
