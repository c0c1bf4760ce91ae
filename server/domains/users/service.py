"""Accounts: creation, password checks (argon2), lookup."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from server.actor import Actor
from server.domains.audit.service import audit
from server.domains.users.models import User
from server.domains.users.sessions import revoke_user_sessions
from server.errors import Conflict, NotFound, ValidationFailed
from shared.enums import Role
from shared.errors import ErrorCode
from shared.i18n import t

_hasher = PasswordHasher()
# Verifying against this when the user is unknown costs the same time, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("routecrm-no-such-user")

# The password policy, for new and reset passwords (existing ones keep working; sign-in does not check it).
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes any length; a bound keeps a sign-in cheap
# Passwords that guessing tries first (compared lower-case). Short on purpose: the length rule does the rest.
COMMON_PASSWORDS = frozenset(
    {
        "12345678",
        "123456789",
        "1234567890",
        "87654321",
        "11111111",
        "00000000",
        "88888888",
        "66666666",
        "password",
        "password1",
        "password123",
        "passw0rd",
        "qwertyui",
        "qwerty123",
        "1qaz2wsx",
        "abc12345",
        "abcd1234",
        "a1234567",
        "iloveyou",
        "admin123",
        "administrator",
        "welcome1",
        "letmein1",
        "changeme",
        "routecrm",
        "woaini1314",
        "5201314520",
    }
)


def password_problem(password: str, username: str, lang: str = "en") -> str | None:
    """The rule a new password breaks, said plainly; None if it keeps them all."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return t("password.too_short", lang, min=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return t("password.too_long", lang, max=MAX_PASSWORD_LENGTH)
    if password.strip().lower() == username.strip().lower():
        return t("password.is_username", lang)
    if password.lower() in COMMON_PASSWORDS:
        return t("password.too_common", lang)
    return None


def check_password_policy(password: str, username: str) -> None:
    problem = password_problem(password, username)
    if problem is not None:
        raise ValidationFailed(problem, path="password", code=ErrorCode.WEAK_PASSWORD)


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
    check_password_policy(password, username)
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


def set_password(session: Session, user_id: str, password: str, *, by: Actor | None = None) -> User:
    """A reset (by an admin) or a change: the policy applies, and every sign-in of the user ends (their phones
    sign in again with the new password; unsent work stays on them)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id!r}", path="user_id")
    check_password_policy(password, user.username)
    user.password_hash = hash_password(password)
    session.add(user)
    ended = revoke_user_sessions(session, user.id, "password_reset")
    audit(
        session,
        "password_changed",
        actor_id=by.id if by else user.id,
        actor_name=by.username if by else user.username,
        details={"user_id": user.id, "sessions_ended": ended},
    )
    return user


def set_active(session: Session, user_id: str, active: bool) -> User | None:
    """Deactivate or reactivate an account; the user, or None when nothing changed. Deactivating ends every
    sign-in (not only stops it), so reactivating brings none of the old tokens back."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user", path="user_id")
    if user.active == active:
        return None
    user.active = active
    session.add(user)
    if not active:
        revoke_user_sessions(session, user.id, "user_deactivated")
    return user


@dataclass(frozen=True)
class PasswordCheck:
    ok: bool
    new_hash: str | None = None  # the password hashed again under today's parameters, to store


def check_password(password_hash: str | None, password: str) -> PasswordCheck:
    """Verify a password against a stored hash (no account: against a dummy hash, so the time taken says
    nothing about which usernames exist). Pure CPU (argon2): call it outside any session or lock."""
    try:
        _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return PasswordCheck(False)
    if password_hash is None:
        return PasswordCheck(False)
    return PasswordCheck(True, hash_password(password) if _hasher.check_needs_rehash(password_hash) else None)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, else None (scripts and tests: sign-in hashes outside any
    session, server/domains/users/signin.py)."""
    user = session.exec(select(User).where(User.username == username.strip())).first()
    check = check_password(user.password_hash if user else None, password)
    if user is None or not check.ok or not user.active:
        return None
    if check.new_hash is not None:
        user.password_hash = check.new_hash
        session.add(user)
    return user


def coordinate(text: str | None, low: float, high: float, name: str) -> float | None:
    """A typed latitude or longitude in degrees (None when empty); a clear refusal otherwise."""
    if not (text or "").strip():
        return None
    try:
        value = float(str(text).strip())
    except ValueError:
        raise ValidationFailed(f"{name} must be a number of degrees, like 38.85", path=name) from None
    if not low <= value <= high:
        raise ValidationFailed(f"{name} must be between {low:g} and {high:g} degrees", path=name)
    return value


def set_base(session: Session, user_id: str, lat: str | None, lng: str | None) -> User:
    """Where the rep's day starts and ends (home or depot), for ordering routes; both empty clears it."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user", path="user_id")
    base_lat, base_lng = coordinate(lat, -90, 90, "lat"), coordinate(lng, -180, 180, "lng")
    if (base_lat is None) != (base_lng is None):
        raise ValidationFailed(
            "give both latitude and longitude, or neither", path="lat" if base_lat is None else "lng"
        )
    user.base_lat, user.base_lng = base_lat, base_lng
    session.add(user)
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


def people_by_id(session: Session) -> dict[str, User]:
    """Every user (active or not) by id: the names a page shows beside records (who visited, who lost)."""
    return {user.id: user for user in session.exec(select(User)).all()}


def list_users(session: Session) -> list[User]:
    """Every user, by role then username (the admin's list of users)."""
    return list(session.exec(select(User).order_by(User.role, User.username)).all())


def active_users(session: Session) -> list[User]:
    """The active users, in the database's order (the admin's territories page groups them by territory)."""
    return list(session.exec(select(User).where(User.active == True)).all())  # noqa: E712


def find_user(session: Session, user_id: str) -> User | None:
    """The user with this id, active or not, or None."""
    return session.get(User, user_id)


def user_by_username(session: Session, username: str) -> User | None:
    """The user with exactly this username, active or not, or None."""
    return session.exec(select(User).where(User.username == username)).first()
