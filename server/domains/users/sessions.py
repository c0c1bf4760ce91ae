"""Sign-in sessions in the database: short access tokens name a session; refresh tokens rotate.

- Signing in opens a session (`open_session`). A phone gets an access token (a JWT, minutes) and a refresh
  token (opaque, stored as its SHA-256 only); a browser gets a cookie token that lasts its session.
- Every request reads the user, the session and the device in one query (`actor_of_token`): a revoked or
  expired session, a disabled user, or a revoked device stops a token at once, in every server process.
- `refresh` trades a refresh token for a new pair. Each refresh token is good once: a second use means it
  was copied, and the whole session is revoked (the phone signs in again; its unsent work is kept).
  One exception, for a phone that lost the answer (a dropped connection, or a crash before it stored the
  new token): within `REFRESH_GRACE` of its use, while the token it issued was never used, the previous
  token is accepted once more; it gets a fresh pair and the unused successor is used up (so whoever holds
  that one, if it ever shows up, revokes the session). Outside the grace, a second time, or after the
  successor was used, reuse revokes the session as before.
- `revoke_session` is sign-out; `revoke_user_sessions` ends all of a user's (password reset, CLI).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from server.actor import Actor
from server.clock import utc_now
from server.db import write_session
from server.domains.audit.service import audit
from server.domains.devices.models import Device
from server.domains.users.models import AuthSession, RefreshToken, User
from server.errors import DomainError, Forbidden, Unauthorized
from server.settings import Settings
from shared.enums import Role
from shared.errors import ErrorCode

API_SESSION = "api"
WEB_SESSION = "web"
REFRESH_GRACE = dt.timedelta(seconds=60)  # a phone retries a lost refresh within its backoff (at most 30 s)


def _now() -> dt.datetime:
    return utc_now()


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionGrant:
    """A session just opened or refreshed: its id, and the refresh token to hand out (None for the web)."""

    session_id: str
    refresh_token: str | None


def device_revoked_error(device_id: str) -> Forbidden:
    return Forbidden(
        "this phone was revoked by an administrator: its unsent work was received for review; the app wipes its data",
        code=ErrorCode.DEVICE_REVOKED,
        details={"device_id": device_id},
    )


def _issue_refresh_token(session: Session, session_id: str, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(RefreshToken(token_hash=hash_refresh_token(token), session_id=session_id, issued_at=_iso(now)))
    return token


def _lost_answer(session: Session, stored: RefreshToken, now: dt.datetime, grace: dt.timedelta) -> RefreshToken | None:
    """The unused successor of a token used moments ago, if this second use may be the phone retrying a
    refresh whose answer it never kept (once per token); else None: the second use is a reuse."""
    if stored.used_at is None or stored.grace_used_at is not None or stored.successor_hash is None:
        return None
    if now - dt.datetime.fromisoformat(stored.used_at) > grace:
        return None
    successor = session.get(RefreshToken, stored.successor_hash)
    if successor is None or successor.used_at is not None:
        return None
    return successor


def open_session(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    lifetime: dt.timedelta,
    device_id: str | None = None,
) -> SessionGrant:
    """A new session for a signed-in user (call in the sign-in's write session)."""
    now = _now()
    row = AuthSession(
        user_id=actor.id, device_id=device_id, kind=kind, created_at=_iso(now), expires_at=_iso(now + lifetime)
    )
    session.add(row)
    refresh_token = _issue_refresh_token(session, row.id, now) if kind == API_SESSION else None
    return SessionGrant(row.id, refresh_token)


@dataclass(frozen=True)
class RefreshOutcome:
    """A refresh's result. On reuse the session's revocation must commit, so the error is returned, and
    raised after the write session: `outcome.raise_if_refused()`."""

    actor: Actor | None = None
    grant: SessionGrant | None = None
    error: DomainError | None = None

    def raise_if_refused(self) -> tuple[Actor, SessionGrant]:
        if self.error is not None:
            raise self.error
        assert self.actor is not None and self.grant is not None
        return self.actor, self.grant


def refresh(
    session: Session, refresh_token: str, lifetime: dt.timedelta, ip: str | None, grace: dt.timedelta = REFRESH_GRACE
) -> RefreshOutcome:
    """Use a refresh token once: the next one, and the actor for the next access token (in a write session)."""
    now = _now()
    stored = session.get(RefreshToken, hash_refresh_token(refresh_token))
    if stored is None:
        return RefreshOutcome(error=Unauthorized("unknown refresh token: sign in again"))
    row = session.get(AuthSession, stored.session_id)
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not user.active:
        return RefreshOutcome(error=Unauthorized("this sign-in is no longer valid: sign in again"))
    successor = _lost_answer(session, stored, now, grace) if row.revoked_at is None else None
    if stored.used_at is not None and successor is None:
        if row.revoked_at is None:
            _revoke(session, row, "refresh_reuse", now)
            audit(
                session,
                "refresh_reuse",
                actor_id=user.id,
                actor_name=user.username,
                ip=ip,
                details={"session_id": row.id, "device_id": row.device_id},
            )
        return RefreshOutcome(
            error=Unauthorized("this refresh token was used before: the sign-in is revoked, sign in again")
        )
    if row.revoked_at is not None or row.expires_at <= _iso(now):
        return RefreshOutcome(error=Unauthorized("this sign-in has ended: sign in again"))
    device = session.get(Device, row.device_id) if row.device_id else None
    if device is not None and device.revoked_at is not None:
        return RefreshOutcome(error=device_revoked_error(device.id))
    # Write sessions take the write lock, so nobody else marks this token between the read and here.
    if successor is not None:  # the answer to its first use was lost: that answer's token is used up
        successor.used_at = _iso(now)
        session.add(successor)
        stored.grace_used_at = _iso(now)
        audit(
            session,
            "refresh_grace",
            actor_id=user.id,
            actor_name=user.username,
            ip=ip,
            details={"session_id": row.id, "device_id": row.device_id},
        )
    else:
        stored.used_at = _iso(now)
    row.expires_at = _iso(now + lifetime)  # sliding: a rep who syncs now and then stays signed in
    session.add(row)
    if device is not None:
        device.last_seen_at = _iso(now)
        session.add(device)
    next_token = _issue_refresh_token(session, row.id, now)
    stored.successor_hash = hash_refresh_token(next_token)
    session.add(stored)
    return RefreshOutcome(Actor.of(user), SessionGrant(row.id, next_token))


def _revoke(session: Session, row: AuthSession, reason: str, now: dt.datetime) -> None:
    row.revoked_at, row.revoked_reason = _iso(now), reason
    session.add(row)


def revoke_session(session: Session, session_id: str, reason: str = "sign_out") -> AuthSession | None:
    """Sign-out: the session's tokens stop working at once. The session, or None if it was not open."""
    row = session.get(AuthSession, session_id)
    if row is None or row.revoked_at is not None:
        return None
    _revoke(session, row, reason, _now())
    return row


def revoke_user_sessions(session: Session, user_id: str, reason: str) -> int:
    """End every open session of a user (their phones sign in again; unsent work stays on them)."""
    open_rows = session.exec(
        select(AuthSession).where(AuthSession.user_id == user_id, col(AuthSession.revoked_at).is_(None))
    ).all()
    now = _now()
    for row in open_rows:
        _revoke(session, row, reason, now)
    return len(open_rows)


@dataclass(frozen=True)
class TokenCheck:
    """What the one per-request query found: the actor, or why the token is refused."""

    actor: Actor | None
    device_revoked: bool = False


def actor_of_token(session: Session, user_id: str, session_id: str | None) -> TokenCheck:
    """The user, session and device of a token in one query. A token without a session is refused."""
    if not session_id:
        return TokenCheck(None)
    found = session.execute(_TOKEN_QUERY, {"session_id": session_id, "user_id": user_id}).first()
    if found is None:
        return TokenCheck(None)
    username, display_name, role, territory, active, kind, device_id, revoked_at, expires_at, device_revoked_at = found
    if not active or revoked_at is not None or expires_at <= _iso(_now()):
        return TokenCheck(None)
    revoked = device_revoked_at is not None
    actor = Actor(
        user_id,
        username,
        display_name,
        Role(role),
        territory,
        session_id=session_id,
        device_id=device_id,
        device_revoked=revoked,
        session_kind=kind,
    )
    return TokenCheck(actor, device_revoked=revoked)


def _token_query() -> Select[Any]:
    """The columns `actor_of_token` needs, as one statement built once: every request runs it, and building
    it and loading three ORM objects cost more than the query itself."""
    users, sessions = cast(Table, User.__table__), cast(Table, AuthSession.__table__)  # type: ignore[attr-defined]
    devices = cast(Table, Device.__table__)  # type: ignore[attr-defined]
    u, s, d = users.c, sessions.c, devices.c
    return (
        sa_select(u.username, u.display_name, u.role, u.territory, u.active)
        .add_columns(s.kind, s.device_id, s.revoked_at, s.expires_at, d.revoked_at)  # user, session, device
        .select_from(users.join(sessions, s.user_id == u.id).outerjoin(devices, d.id == s.device_id))
        .where(s.id == bindparam("session_id"), u.id == bindparam("user_id"))
    )


_TOKEN_QUERY = _token_query()


def sessions_of_device(session: Session, device_id: str) -> list[AuthSession]:
    return list(session.exec(select(AuthSession).where(AuthSession.device_id == device_id)).all())


# Ended sessions are kept this long (who signed in when stays in the audit log for good), then deleted.
KEEP_ENDED_SESSIONS = dt.timedelta(days=30)


def forget_ended_sessions(engine: Engine, settings: Settings, now: dt.datetime) -> int:
    """The daily job: delete sessions expired or revoked more than 30 days ago, and their refresh tokens."""
    cutoff = _iso(now - KEEP_ENDED_SESSIONS)
    ended = (col(AuthSession.expires_at) < cutoff) | (col(AuthSession.revoked_at) < cutoff)
    with write_session(engine) as session:
        ids = list(session.exec(select(AuthSession.id).where(ended)).all())
        if ids:
            session.exec(delete(RefreshToken).where(col(RefreshToken.session_id).in_(ids)))
            session.exec(delete(AuthSession).where(col(AuthSession.id).in_(ids)))
    return len(ids)
