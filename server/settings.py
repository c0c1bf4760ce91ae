"""Typed settings, read from the environment once (`Settings.from_env`) and passed in; never built at import."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from shared.approvals import ApprovalRules, parse_claim_over_limit, parse_flag, parse_percent
from shared.clock import CLOCK_OFFSET_ENV, DEFAULT_TIMEZONE, Clock, parse_offset
from shared.door_hours import DoorHoursError, parse_by_kind, weekdays_of
from shared.enums import CampaignType, CustomerKind, PhotoRequirement, VisitType
from shared.pool import DEFAULT_RETURN_DAYS, parse_return_days
from shared.route_order import DEFAULT_PLAN_MINUTES, ROAD_FACTOR, SPEED_KMH
from shared.visit_rules import DEFAULT_VISIT_MIN_MINUTES

DEFAULT_DATABASE_URL = "sqlite:///./data/routecrm.db"
SECRET_KEY_FILE = "secret_key"
DEFAULT_PWA_DIR = Path(__file__).resolve().parents[1] / "build" / "pwa"  # where `make pwa` writes
MIN_SECRET_KEY_LENGTH = 32  # a key that signs every token: a short one can be guessed


class SettingsError(ValueError):
    """A setting the server cannot start with, said in one line that names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    timezone: str = DEFAULT_TIMEZONE
    data_dir: Path = field(default_factory=lambda: Path("data"))
    # A phone's sign-in (its refresh token) lasts this long after its last refresh: reps work offline for days.
    token_lifetime: timedelta = timedelta(days=30)
    access_token_lifetime: timedelta = timedelta(minutes=15)  # an access token; the phone refreshes it
    web_session_lifetime: timedelta = timedelta(hours=12)  # a browser's sign-in to the web view
    secure_cookies: bool = False  # set COOKIE_SECURE=1 behind HTTPS
    tombstone_days: int = 90  # deletes travel to phones for this long; an older cursor must resync fully
    run_jobs: bool = True  # scheduled jobs (each runs once across all server processes)
    log_format: str = "text"  # "json": one JSON object per log line, for a log collector (LOG_FORMAT)
    # Customer lifecycle (server/domains/development/rules.py): a second order within `active_days` of the
    # one before makes a customer active; no order for more than `dormant_days` makes them dormant, for
    # more than `lost_days` lost.
    lifecycle_active_days: int = 60
    lifecycle_dormant_days: int = 60
    lifecycle_lost_days: int = 180
    # A/B/C value tiers from the last `tier_window_days` of orders: the customers making the first
    # `tier_a_share` of sales are A, up to `tier_b_share` B, the rest C.
    tier_window_days: int = 365
    tier_a_share: float = 0.80
    tier_b_share: float = 0.95
    # A visit's check-in is flagged for the supervisor (never refused) when farther than this from the
    # customer's location, or less precise than this.
    visit_flag_radius_m: float = 500.0
    visit_flag_accuracy_m: float = 200.0
    # More visit flags (docs/visits.md): a visit shorter than its type's minimum (VISIT_MIN_MINUTES,
    # "day=5,phone=0": named types override these), check-ins farther apart than this speed allows
    # (VISIT_MAX_SPEED_KMH), a visit reaching the server this long after its check-in (VISIT_LATE_HOURS), a
    # check-in outside the company's working hours (WORK_HOURS "08:00-18:00", in TIMEZONE).
    visit_min_minutes: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_VISIT_MIN_MINUTES))
    visit_max_speed_kmh: float = 120.0
    visit_late_hours: float = 24.0
    work_hours: tuple[time, time] = (time(8, 0), time(18, 0))
    # Photo evidence (docs/photos.md): a photo taken farther than VISIT_PHOTO_RADIUS_M from the customer is
    # flagged; PHOTO_REQUIRED ("day=live,second=any") and PHOTO_REQUIRED_CAMPAIGNS ("display=live") say which
    # visit types and campaign types need a photo (live: taken with the app's camera). Flags, never refusals.
    visit_photo_radius_m: float = 500.0
    photo_required: Mapping[str, str] = field(default_factory=dict)
    photo_required_campaigns: Mapping[str, str] = field(default_factory=dict)
    # The weekdays reps work (WORK_DAYS "1-6", ISO: 1 = Monday): the planner's week suggestion fills these.
    work_days: frozenset[int] = frozenset(range(1, 7))
    # Added to the wall clock (ROUTECRM_CLOCK_OFFSET, seconds): tests and demos run the server at another hour.
    clock_offset: timedelta = timedelta(0)
    # A rep's day map draws on these tiles ({z}/{x}/{y} URL template, e.g. 天地图 or the company's own tile
    # server); empty: a plain background, nothing fetched. Its origin is added to the CSP's img-src.
    map_tile_url: str = ""
    # Leaderboards (排行榜) on the reps' phones too (LEADERBOARD_ON_PHONE=1): each territory's day, week and month
    # rankings reach its phones as `leaderboard` records (server/domains/work_reports); off, supervisors only.
    leaderboard_on_phone: bool = False
    # Ordering a rep's day (shared/route_order.py): straight-line distance times ROUTE_ROAD_FACTOR, driven at
    # ROUTE_SPEED_KMH (a territory can set its own), and the time planned at each customer by its kind
    # (VISIT_PLAN_MINUTES, e.g. "pharmacy=15,township_hospital=40": named kinds override the defaults).
    route_road_factor: float = ROAD_FACTOR
    route_speed_kmh: float = SPEED_KMH
    visit_plan_minutes: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PLAN_MINUTES))
    # The door hours a customer of a kind is planned with when it has none of its own (DOOR_HOURS_BY_KIND,
    # e.g. "township_hospital=1-5 08:00-11:30 14:30-17:00|pharmacy=1-7 08:00-10:00"); other kinds: all day.
    door_hours_by_kind: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    # The public pool (公海, docs/ownership.md): an owned customer with no visit, order or change of owner for
    # POOL_RETURN_DAYS of its tier (e.g. "A=90,B=60,C=30") goes back to its territory's pool (daily job); a rep
    # may claim POOL_CLAIM_LIMIT customers a month and own POOL_OWNED_LIMIT at most (0: no limit).
    pool_return_days: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_RETURN_DAYS))
    pool_claim_limit: int = 30
    pool_owned_limit: int = 200
    # Approvals (审批, docs/approvals.md): APPROVE_NEW_CUSTOMERS, ORDER_CREDIT_LIMIT_APPROVAL,
    # ORDER_DISCOUNT_APPROVAL_PCT, CREDIT_CHANGE_APPROVAL, POOL_CLAIM_OVER_LIMIT (shared/approvals.py).
    approval_rules: ApprovalRules = field(default_factory=ApprovalRules)
    # The rep's app as a PWA (docs/pwa.md): the folder `make pwa` builds it into (PWA_DIR, default build/pwa
    # beside the code), served at /app/; None or a folder without a build: /app/ says how to build it.
    pwa_dir: Path | None = None

    def __post_init__(self) -> None:
        if not 0 < self.lifecycle_dormant_days < self.lifecycle_lost_days or self.lifecycle_active_days <= 0:
            raise ValueError("lifecycle days: need 0 < LIFECYCLE_DORMANT_DAYS < LIFECYCLE_LOST_DAYS, ACTIVE_DAYS > 0")
        if min(self.token_lifetime, self.access_token_lifetime, self.web_session_lifetime) <= timedelta(0):
            raise ValueError("TOKEN_DAYS, ACCESS_TOKEN_MINUTES and WEB_SESSION_HOURS must be positive")
        if not 0 < self.tier_a_share <= self.tier_b_share <= 1:
            raise ValueError("tier shares: need 0 < TIER_A_SHARE <= TIER_B_SHARE <= 1")
        if self.tier_window_days <= 0 or self.visit_flag_radius_m <= 0 or self.visit_flag_accuracy_m <= 0:
            raise ValueError("TIER_WINDOW_DAYS, VISIT_FLAG_RADIUS_M and VISIT_FLAG_ACCURACY_M must be positive")
        if self.visit_max_speed_kmh <= 0 or self.visit_late_hours <= 0:
            raise ValueError("VISIT_MAX_SPEED_KMH and VISIT_LATE_HOURS must be positive")
        if self.visit_photo_radius_m <= 0:
            raise ValueError("VISIT_PHOTO_RADIUS_M must be positive")
        if not self.work_hours[0] < self.work_hours[1]:
            raise ValueError("WORK_HOURS: the day must start before it ends, e.g. 08:00-18:00")
        if self.route_road_factor < 1 or self.route_speed_kmh <= 0:
            raise ValueError("ROUTE_ROAD_FACTOR must be at least 1 and ROUTE_SPEED_KMH positive")
        if self.pool_claim_limit < 0 or self.pool_owned_limit < 0:
            raise ValueError("POOL_CLAIM_LIMIT and POOL_OWNED_LIMIT must be 0 (no limit) or more")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def clock(self) -> Clock:
        """The process clock these settings describe: the company's zone, the wall time plus `clock_offset`."""
        return Clock(tz=self.tz, offset=self.clock_offset)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("DATA_DIR") or "data")
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SettingsError(f"DATA_DIR {data_dir} cannot be made: {error.strerror or error}") from error
        timezone = env.get("TIMEZONE") or DEFAULT_TIMEZONE
        ZoneInfo(timezone)  # fail at start, not at the first visit, on a misspelt zone
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=_secret_key(env, data_dir),
            timezone=timezone,
            data_dir=data_dir,
            token_lifetime=timedelta(days=int(env.get("TOKEN_DAYS") or 30)),
            access_token_lifetime=timedelta(minutes=int(env.get("ACCESS_TOKEN_MINUTES") or 15)),
            web_session_lifetime=timedelta(hours=int(env.get("WEB_SESSION_HOURS") or 12)),
            secure_cookies=(env.get("COOKIE_SECURE") or "").lower() in {"1", "true", "yes"},
            tombstone_days=int(env.get("TOMBSTONE_DAYS") or 90),
            run_jobs=(env.get("RUN_JOBS") or "1").lower() not in {"0", "false", "no"},
            log_format=_log_format(env.get("LOG_FORMAT") or "text"),
            lifecycle_active_days=int(env.get("LIFECYCLE_ACTIVE_DAYS") or 60),
            lifecycle_dormant_days=int(env.get("LIFECYCLE_DORMANT_DAYS") or 60),
            lifecycle_lost_days=int(env.get("LIFECYCLE_LOST_DAYS") or 180),
            tier_window_days=int(env.get("TIER_WINDOW_DAYS") or 365),
            tier_a_share=float(env.get("TIER_A_SHARE") or 0.80),
            tier_b_share=float(env.get("TIER_B_SHARE") or 0.95),
            visit_flag_radius_m=float(env.get("VISIT_FLAG_RADIUS_M") or 500),
            visit_flag_accuracy_m=float(env.get("VISIT_FLAG_ACCURACY_M") or 200),
            visit_min_minutes=visit_min_minutes(env.get("VISIT_MIN_MINUTES") or ""),
            visit_max_speed_kmh=float(env.get("VISIT_MAX_SPEED_KMH") or 120),
            visit_late_hours=float(env.get("VISIT_LATE_HOURS") or 24),
            work_hours=work_hours(env.get("WORK_HOURS") or "08:00-18:00"),
            visit_photo_radius_m=float(env.get("VISIT_PHOTO_RADIUS_M") or 500),
            photo_required=photo_requirements("PHOTO_REQUIRED", env.get("PHOTO_REQUIRED") or "", VisitType),
            photo_required_campaigns=photo_requirements(
                "PHOTO_REQUIRED_CAMPAIGNS", env.get("PHOTO_REQUIRED_CAMPAIGNS") or "", CampaignType
            ),
            work_days=work_days(env.get("WORK_DAYS") or "1-6"),
            clock_offset=parse_offset(env.get(CLOCK_OFFSET_ENV)),
            map_tile_url=(env.get("MAP_TILE_URL") or "").strip(),
            leaderboard_on_phone=(env.get("LEADERBOARD_ON_PHONE") or "").lower() in {"1", "true", "yes"},
            route_road_factor=float(env.get("ROUTE_ROAD_FACTOR") or ROAD_FACTOR),
            route_speed_kmh=float(env.get("ROUTE_SPEED_KMH") or SPEED_KMH),
            visit_plan_minutes=named_minutes(
                "VISIT_PLAN_MINUTES", env.get("VISIT_PLAN_MINUTES") or "", DEFAULT_PLAN_MINUTES
            ),
            door_hours_by_kind=door_hours_by_kind(env.get("DOOR_HOURS_BY_KIND") or ""),
            pool_return_days=pool_return_days(env.get("POOL_RETURN_DAYS") or ""),
            pool_claim_limit=whole_number("POOL_CLAIM_LIMIT", env.get("POOL_CLAIM_LIMIT") or "30"),
            pool_owned_limit=whole_number("POOL_OWNED_LIMIT", env.get("POOL_OWNED_LIMIT") or "200"),
            approval_rules=approval_rules(env),
            pwa_dir=Path(env.get("PWA_DIR") or DEFAULT_PWA_DIR),
        )


def _secret_key(env: Mapping[str, str], data_dir: Path) -> str:
    """SECRET_KEY when it is set (at least 32 characters: set but empty or short is refused, never replaced
    by a generated key that other processes would not share), else the key kept in DATA_DIR."""
    if "SECRET_KEY" not in env:
        return stored_secret_key(data_dir)
    key = env["SECRET_KEY"]
    if len(key.strip()) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(
            f"SECRET_KEY must have at least {MIN_SECRET_KEY_LENGTH} characters (it has {len(key.strip())}): "
            "make one with python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return key


def stored_secret_key(data_dir: Path) -> str:
    """The signing key kept in DATA_DIR/secret_key (mode 0600), generated on first run and reused after.

    Several server processes sharing one DATA_DIR share the key; across machines, set SECRET_KEY. The file
    appears whole or not at all (written to a temporary file, fsynced, then linked into place), so a start
    on a full disk leaves nothing behind; a key file that is empty or short (left by an older version) is
    refused, not used.
    """
    path = data_dir / SECRET_KEY_FILE
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        try:
            key = _write_new_key(path)
        except OSError as error:
            raise SettingsError(
                f"DATA_DIR {data_dir}: cannot write a new {SECRET_KEY_FILE}: {error.strerror or error}"
            ) from error
    except OSError as error:
        raise SettingsError(f"DATA_DIR {data_dir}: cannot read {SECRET_KEY_FILE}: {error.strerror or error}") from error
    if len(key) < MIN_SECRET_KEY_LENGTH:
        what = "is empty" if not key else f"holds a key shorter than {MIN_SECRET_KEY_LENGTH} characters"
        raise SettingsError(
            f"{path} {what} (an earlier start on a full disk?): delete it to have a new one made, or set SECRET_KEY"
        )
    return key


def _write_new_key(path: Path) -> str:
    """A new key in `path`, or the key another process put there first."""
    key = secrets.token_urlsafe(48)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(key)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)  # atomic, and never over a key another process linked first
        except FileExistsError:
            return path.read_text(encoding="utf-8").strip()
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            os.replace(temporary, path)  # a file system without hard links: atomic still
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the new name is durable too
        finally:
            os.close(directory)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return key


def _log_format(value: str) -> str:
    if value not in {"text", "json"}:
        raise ValueError(f"LOG_FORMAT must be text or json, not {value!r}")
    return value


def visit_min_minutes(value: str) -> dict[str, int]:
    """VISIT_MIN_MINUTES, e.g. "day=5,phone=0": each named visit type's minimum over the defaults."""
    return named_minutes("VISIT_MIN_MINUTES", value, DEFAULT_VISIT_MIN_MINUTES)


def photo_requirements(setting: str, value: str, names: type[StrEnum]) -> dict[str, str]:
    """PHOTO_REQUIRED "day=live,second=any" (visit types) or PHOTO_REQUIRED_CAMPAIGNS "display=live" (campaign
    types): what photo each named type needs (shared.enums.PhotoRequirement)."""
    known, wanted = {member.value for member in names}, {requirement.value for requirement in PhotoRequirement}
    required: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, requirement = (piece.strip() for piece in item.partition("="))
        if name not in known or requirement not in wanted:
            raise SettingsError(
                f"{setting}: {item!r} is not <type>=live or <type>=any (types: {', '.join(sorted(known))})"
            )
        required[name] = requirement
    return required


def named_minutes(setting: str, value: str, defaults: Mapping[str, int]) -> dict[str, int]:
    """A setting like "day=5,phone=0": whole minutes for named keys over the defaults; unknown names refused."""
    minutes_by_name = dict(defaults)
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, minutes = item.partition("=")
        if name.strip() not in minutes_by_name or not minutes.strip().isdigit():
            raise SettingsError(
                f"{setting}: {item!r} is not <name>=<whole minutes> (names: {', '.join(minutes_by_name)})"
            )
        minutes_by_name[name.strip()] = int(minutes)
    return minutes_by_name


def door_hours_by_kind(value: str) -> dict[str, dict[str, object]]:
    """DOOR_HOURS_BY_KIND: "<kind>=<door hours>|..." (shared/door_hours.py parse_by_kind)."""
    try:
        return parse_by_kind(value, (kind.value for kind in CustomerKind))
    except DoorHoursError as error:
        raise SettingsError(f"DOOR_HOURS_BY_KIND: {error}") from None


def pool_return_days(value: str) -> dict[str, int]:
    """POOL_RETURN_DAYS, e.g. "A=90,B=60,C=30" (shared/pool.py parse_return_days)."""
    try:
        return parse_return_days(value)
    except ValueError as error:
        raise SettingsError(f"POOL_RETURN_DAYS: {error}") from None


def approval_rules(env: Mapping[str, str]) -> ApprovalRules:
    """The approval settings (shared/approvals.py); a bad value names its variable."""
    try:
        return ApprovalRules(
            new_customers=parse_flag("APPROVE_NEW_CUSTOMERS", env.get("APPROVE_NEW_CUSTOMERS", ""), False),
            credit_limit=parse_flag("ORDER_CREDIT_LIMIT_APPROVAL", env.get("ORDER_CREDIT_LIMIT_APPROVAL", ""), True),
            discount_pct=parse_percent("ORDER_DISCOUNT_APPROVAL_PCT", env.get("ORDER_DISCOUNT_APPROVAL_PCT", "")),
            credit_change=parse_flag("CREDIT_CHANGE_APPROVAL", env.get("CREDIT_CHANGE_APPROVAL", ""), False),
            claim_over_limit=parse_claim_over_limit(env.get("POOL_CLAIM_OVER_LIMIT", "")),
        )
    except ValueError as error:
        raise SettingsError(str(error)) from None


def whole_number(setting: str, value: str) -> int:
    if not value.strip().isdigit():
        raise SettingsError(f"{setting} must be a whole number (0: no limit), not {value!r}")
    return int(value)


def work_days(value: str) -> frozenset[int]:
    """WORK_DAYS, e.g. "1-6" or "1-5" or "1,2,3,4,5,6": the ISO weekdays reps work (1 = Monday)."""
    try:
        return frozenset(weekdays_of(value))
    except DoorHoursError:
        raise SettingsError(f"WORK_DAYS must read like 1-6 or 1,2,3,4,5 (1 = Monday), not {value!r}") from None


def work_hours(value: str) -> tuple[time, time]:
    """WORK_HOURS, e.g. "08:00-18:00": when the company's working day starts and ends, in TIMEZONE."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError as error:
        raise SettingsError(f"WORK_HOURS must read like 08:00-18:00, not {value!r}") from error
    return start, end
