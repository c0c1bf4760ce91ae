"""Signing in, with brute force held off: failed attempts are counted in the database, per account (the
username typed, lower-cased) and per address, so every server process behind the balancer sees the same counts.

After `MAX_USER_FAILURES` failures for a username (or `MAX_ADDRESS_FAILURES` from one address) within
`WINDOW`, sign-in is refused for `LOCKOUT`, even with the right password, and the refusal says for how
long. A success clears the username's count. Every attempt lands in the audit log.

The password is never hashed inside a transaction: argon2 costs tens of milliseconds of CPU and 64 MiB, and
the write lock (on PostgreSQL shared by every process) would make every push wait behind it. A sign-in is
three short steps around the hashing:

1. a write transaction counts the attempt as a failure before the password is checked (refused at once when
   locked out), so attempts in flight count too: twenty guesses at once at one account are hashed five times;
2. the account is read in a read session, and the password verified outside any session, at most
   `HASHING_SLOTS` at a time per process (the others wait without holding a worker thread);
3. a write transaction records the outcome: a success clears the account's count and takes back the
   address's provisional failure, rehashes under new parameters, and is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
from litestar.connection import ASGIConnection
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from server.actor import Actor
from server.clock import utc_now
from server.db import read_session, write_session
from server.domains.audit.service import audit
from server.domains.users.models import SignInThrottle, User
from server.domains.users.service import PasswordCheck, check_password
from server.errors import TooManyAttempts
from shared.records import unstorable_text

MAX_USER_FAILURES = 5
MAX_ADDRESS_FAILURES = 30
WINDOW = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)
# Password verifications running at once in one process. Each argon2 verification uses 4 lanes and 64 MiB:
# two keep a small server's cores for the syncs during the morning rush of sign-ins.
HASHING_SLOTS = 2
_LIMITER = "sign_in_hashing"


def _now() -> dt.datetime:
    return utc_now()


@dataclass(frozen=True)
class SignInOutcome:
    actor: Actor | None  # None: wrong credentials, or locked out
    locked_for: int | None = None  # seconds until sign-in is allowed again

    def raise_if_locked(self) -> None:
        if self.locked_for is not None:
            minutes = math.ceil(self.locked_for / 60)
            raise TooManyAttempts(
                f"too many failed sign-ins: try again in {minutes} minutes", retry_after=self.locked_for
            )


@dataclass(frozen=True)
class _Account:
    """What sign-in reads before hashing: the account and the hash it was checked against."""

    id: str
    password_hash: str


def hashing_limiter(state: MutableMapping[str, Any]) -> anyio.CapacityLimiter:
    """The app's limiter on password hashing (made in the app's event loop, on first use)."""
    limiter = state.get(_LIMITER)
    if limiter is None:
        limiter = state[_LIMITER] = anyio.CapacityLimiter(HASHING_SLOTS)
    return limiter


async def sign_in(
    engine: Engine, username: str, password: str, address: str | None, limiter: anyio.CapacityLimiter
) -> SignInOutcome:
    """Check the credentials unless the username or address is locked out; count and audit the attempt.
    Raise after it if locked out: `outcome.raise_if_locked()`."""
    locked_for = await anyio.to_thread.run_sync(_begin_attempt, engine, username, address)
    if locked_for is not None:
        return SignInOutcome(None, locked_for=locked_for)
    account = await anyio.to_thread.run_sync(_account_named, engine, username)
    stored_hash = account.password_hash if account else None
    check = await anyio.to_thread.run_sync(check_password, stored_hash, password, limiter=limiter)
    actor = await anyio.to_thread.run_sync(_finish_attempt, engine, username, address, account, check)
    return SignInOutcome(actor)


def _keys(username: str, address: str | None) -> list[tuple[str, int]]:
    name = username.strip().lower()[:60]
    return [(f"user:{name}", MAX_USER_FAILURES)] + ([(f"addr:{address}", MAX_ADDRESS_FAILURES)] if address else [])


def logged_name(session: Session, username: str) -> str:
    """The username for the audit log: as typed when it names an account; else masked, since a password typed
    into the username box must not land in the log: its first two characters and a short digest (repeated
    attempts with one name still look alike). Nothing a database cannot store is kept."""
    name = username.strip()[:60]
    if name and session.exec(select(User.id).where(User.username == name)).first() is not None:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    shown = "".join(char for char in name[:2] if char.isprintable() and not unstorable_text(char))
    return f"{shown}…#{digest}"


def _begin_attempt(engine: Engine, username: str, address: str | None) -> int | None:
    """Seconds the username or address is locked out for (the refusal audited); else None, the attempt
    counted as a failure until `_finish_attempt` learns otherwise."""
    now, keys = _now(), _keys(username, address)
    with write_session(engine) as session:
        throttles = {key: session.get(SignInThrottle, key) for key, _ in keys}
        locked = [
            t.locked_until for t in throttles.values() if t and t.locked_until and t.locked_until > now.isoformat()
        ]
        if locked:
            audit(session, "sign_in_locked", actor_name=logged_name(session, username), ip=address)
            wait = dt.datetime.fromisoformat(max(locked)) - now
            return math.ceil(wait.total_seconds())
        for key, limit in keys:
            _count_failure(session, throttles[key], key, limit, now)
    return None


def _account_named(engine: Engine, username: str) -> _Account | None:
    with read_session(engine) as session:
        user = session.exec(select(User).where(User.username == username.strip())).first()
    return _Account(user.id, user.password_hash) if user is not None else None


def _finish_attempt(
    engine: Engine, username: str, address: str | None, account: _Account | None, check: PasswordCheck
) -> Actor | None:
    """Record the outcome: the signed-in actor, or None (the failure already counted)."""
    keys = _keys(username, address)
    with write_session(engine) as session:
        user = session.get(User, account.id) if account is not None and check.ok else None
        # A password changed (or an account deactivated) while this one was being checked: not signed in.
        if user is None or not user.active or account is None or user.password_hash != account.password_hash:
            audit(session, "sign_in_failed", actor_name=logged_name(session, username), ip=address)
            return None
        user_throttle = session.get(SignInThrottle, keys[0][0])
        if user_throttle is not None:
            session.delete(user_throttle)
        for key, limit in keys[1:]:
            _take_back_failure(session, key, limit)
        if check.new_hash is not None:
            user.password_hash = check.new_hash
            session.add(user)
        actor = Actor.of(user)
        audit(session, "sign_in", actor_id=actor.id, actor_name=actor.username, ip=address)
    return actor


def _count_failure(session: Session, throttle: SignInThrottle | None, key: str, limit: int, now: dt.datetime) -> None:
    if throttle is None or dt.datetime.fromisoformat(throttle.window_start) + WINDOW < now:
        throttle = throttle or SignInThrottle(key=key, failures=0, window_start=now.isoformat())
        throttle.failures, throttle.window_start, throttle.locked_until = 0, now.isoformat(), None
    throttle.failures += 1
    if throttle.failures >= limit:
        throttle.locked_until = (now + LOCKOUT).isoformat()
    session.add(throttle)


def _take_back_failure(session: Session, key: str, limit: int) -> None:
    """A success was counted as a failure in advance: take it back (and the lockout it may have set)."""
    throttle = session.get(SignInThrottle, key)
    if throttle is None or throttle.failures <= 0:
        return
    throttle.failures -= 1
    if throttle.failures < limit:
        throttle.locked_until = None
    session.add(throttle)


def client_address(request: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The caller's address (behind a reverse proxy, run uvicorn with --proxy-headers so it is the real one)."""
    return request.client.host if request.client else None
