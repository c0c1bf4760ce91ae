"""Accounts: creation, password checks (argon2), lookup."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from server.domains.users.models import Actor, User
from server.errors import Conflict, ValidationFailed
from shared.enums import Role

_hasher = PasswordHasher()
# Verifying against this when the user is unknown costs the same time, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("routecrm-no-such-user")

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str | None = None,
    territory: str | None = None,
) -> User:
    username = username.strip()
    if not username or len(username) > 60:
        raise ValidationFailed("username must have 1 to 60 characters", path="username")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"password must have at least {MIN_PASSWORD_LENGTH} characters", path="password")
    if role == Role.REP and not territory:
        raise ValidationFailed("a rep needs a territory", path="territory")
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"user {username!r} exists already", path="username")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role.value,
        display_name=display_name or username,
        territory=territory or None,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, else None."""
    user = session.exec(select(User).where(User.username == username.strip())).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()
    return user


def get_actor(session: Session, user_id: str) -> Actor | None:
    user = session.get(User, user_id)
    return Actor.of(user) if user and user.active else None


def list_reps(session: Session, territory: str | None = None) -> list[User]:
    query = select(User).where(User.role == Role.REP.value, User.active == True)  # noqa: E712
    if territory:
        query = query.where(User.territory == territory)
    return list(session.exec(query.order_by(User.username)).all())


def count_users(session: Session) -> int:
    return len(session.exec(select(User.id)).all())
