"""People who sign in: reps (on phones), supervisors and admins (in the web view)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from shared.ids import new_id


class UserBase(SQLModel):
    username: str = Field(max_length=60, unique=True, index=True)
    display_name: str = Field(max_length=60)
    role: str = Field(max_length=20)  # shared.enums.Role
    territory: str | None = Field(default=None, max_length=60)  # None: the whole company (admin, head supervisor)
    active: bool = True


class User(UserBase, table=True):
    __tablename__ = "users"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    password_hash: str = Field(max_length=200)
    # Where a rep's day starts and ends (home or depot), for ordering the day's route; None: not set.
    base_lat: float | None = None
    base_lng: float | None = None


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins in the current window for one username ("user:<name>") or address ("addr:<ip>")."""

    __tablename__ = "sign_in_throttle"

    key: str = Field(primary_key=True, max_length=120)
    failures: int = 0
    window_start: str = Field(max_length=40)
    locked_until: str | None = Field(default=None, max_length=40)


class AuthSession(SQLModel, table=True):
    """One sign-in (a phone's or a browser's). Access tokens name it (claim `sid`) and are accepted only
    while it is neither revoked nor expired, so signing out stops them at once, in every server process.

    A phone's session slides: each refresh moves `expires_at` forward by the refresh lifetime."""

    __tablename__ = "auth_sessions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(max_length=36, index=True)
    device_id: str | None = Field(default=None, max_length=64, index=True)  # None: the web view, or no device sent
    kind: str = Field(max_length=10)  # "api" (phone, refresh tokens) or "web" (cookie)
    created_at: str = Field(max_length=40)
    expires_at: str = Field(max_length=40)
    revoked_at: str | None = Field(default=None, max_length=40)
    revoked_reason: str | None = Field(default=None, max_length=40)  # sign_out, refresh_reuse, ...


class RefreshToken(SQLModel, table=True):
    """A refresh token, kept only as its SHA-256. Each is good for one use: using it issues the next one.
    A token used twice means a copy exists (stolen, or a replay): the whole session is revoked, except once
    within a short grace after its use while its successor was never used (the phone lost the answer;
    server/domains/users/sessions.py)."""

    __tablename__ = "refresh_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    session_id: str = Field(max_length=36, index=True)
    issued_at: str = Field(max_length=40)
    used_at: str | None = Field(default=None, max_length=40)
    successor_hash: str | None = Field(default=None, max_length=64)  # the token its use issued
    grace_used_at: str | None = Field(default=None, max_length=40)  # its one use within the grace
