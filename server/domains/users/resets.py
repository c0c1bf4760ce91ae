"""An operator's account rescue from the command line (`python -m server reset-password USERNAME`,
`python -m server sessions revoke USERNAME`): a new password under the policy, and every sign-in of the
user ended at once (their phones sign in again; unsent work stays on the phones). Both are audited as
done by the command line ("cli"), since nobody is signed in there; an admin ends sign-ins on the web's users
page too (`end_sessions_of`, audited as that admin)."""

from __future__ import annotations

from sqlmodel import Session, select

from server.actor import Actor
from server.domains.audit.service import audit
from server.domains.users.models import User
from server.domains.users.service import check_password_policy, hash_password
from server.domains.users.sessions import revoke_user_sessions
from server.errors import NotFound

CLI_ACTOR = "cli"


def user_named(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user is None:
        raise NotFound(f"no user {username.strip()!r}", path="username")
    return user


def reset_password(session: Session, username: str, password: str) -> int:
    """Set a new password (the policy applies) and end the user's sessions; how many were ended."""
    user = user_named(session, username)
    check_password_policy(password, user.username)
    user.password_hash = hash_password(password)
    session.add(user)
    ended = revoke_user_sessions(session, user.id, "password_reset")
    audit(
        session,
        "password_reset",
        actor_name=CLI_ACTOR,
        details={"user_id": user.id, "username": user.username, "sessions_ended": ended},
    )
    return ended


def end_sessions(session: Session, username: str) -> int:
    """End every open session of the user (a lost phone, a leaver); how many were ended."""
    return end_sessions_of(session, user_named(session, username))


def end_sessions_of(session: Session, user: User, by: Actor | None = None, ip: str | None = None) -> int:
    """End every open session of the user, audited as done by `by` (an admin on the web) or the command line."""
    ended = revoke_user_sessions(session, user.id, "revoked_by_operator" if by is None else "revoked_by_admin")
    audit(
        session,
        "sessions_revoked",
        actor_id=by.id if by else None,
        actor_name=by.username if by else CLI_ACTOR,
        ip=ip,
        details={"user_id": user.id, "username": user.username, "sessions_ended": ended},
    )
    return ended
