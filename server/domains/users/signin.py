"""Signing in, with brute force held off: failed attempts are counted in the database, per username and
per address, so every server process behind the balancer sees the same counts.

After `MAX_USER_FAILURES` failures for a username (or `MAX_ADDRESS_FAILURES` from one address) within
`WINDOW`, sign-in is refused for `LOCKOUT`, even with the right password, and the refusal says for how
long. A success clears the username's count. Every attempt lands in the audit log.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from sqlmodel import Session

from server.clock import utc_now
from server.domains.audit.service import audit
from server.domains.users.models import Actor, SignInThrottle
from server.domains.users.service import authenticate
from server.errors import TooManyAttempts

MAX_USER_FAILURES = 5
MAX_ADDRESS_FAILURES = 30
WINDOW = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)


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


def sign_in(session: Session, username: str, password: str, address: str | None) -> SignInOutcome:
    """Check the credentials unless the username or address is locked out; count and audit the attempt.

    Call inside a write session: the counts and the audit entry commit with it (also when locked out,
    so return the outcome and raise after the session: `outcome.raise_if_locked()`)."""
    now, name = _now(), username.strip().lower()[:60]
    keys = [(f"user:{name}", MAX_USER_FAILURES)] + ([(f"addr:{address}", MAX_ADDRESS_FAILURES)] if address else [])
    throttles = {key: session.get(SignInThrottle, key) for key, _ in keys}
    locked = [t.locked_until for t in throttles.values() if t and t.locked_until and t.locked_until > now.isoformat()]
    if locked:
        audit(session, "sign_in_locked", actor_name=name, ip=address)
        wait = dt.datetime.fromisoformat(max(locked)) - now
        return SignInOutcome(None, locked_for=math.ceil(wait.total_seconds()))
    user = authenticate(session, username, password)
    if user is None:
        for key, limit in keys:
            _count_failure(session, throttles[key], key, limit, now)
        audit(session, "sign_in_failed", actor_name=name, ip=address)
        return SignInOutcome(None)
    user_throttle = throttles[keys[0][0]]
    if user_throttle is not None:
        session.delete(user_throttle)
    actor = Actor.of(user)
    audit(session, "sign_in", actor_id=actor.id, actor_name=actor.username, ip=address)
    return SignInOutcome(actor)


def _count_failure(session: Session, throttle: SignInThrottle | None, key: str, limit: int, now: dt.datetime) -> None:
    if throttle is None or dt.datetime.fromisoformat(throttle.window_start) + WINDOW < now:
        throttle = throttle or SignInThrottle(key=key, failures=0, window_start=now.isoformat())
        throttle.failures, throttle.window_start, throttle.locked_until = 0, now.isoformat(), None
    throttle.failures += 1
    if throttle.failures >= limit:
        throttle.locked_until = (now + LOCKOUT).isoformat()
    session.add(throttle)


def client_address(request: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The caller's address (behind a reverse proxy, run uvicorn with --proxy-headers so it is the real one)."""
    return request.client.host if request.client else None
