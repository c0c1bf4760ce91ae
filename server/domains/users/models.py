"""People who sign in: reps (on phones), supervisors and admins (in the web view)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Field, SQLModel

from shared.enums import Role
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


@dataclass(frozen=True)
class Actor:
    """Who is making a request, as services need it; built from the token's user on every request."""

    id: str
    username: str
    display_name: str
    role: Role
    territory: str | None

    @property
    def is_rep(self) -> bool:
        return self.role == Role.REP

    def as_dict(self) -> dict[str, str | None]:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role.value,
            "territory": self.territory,
        }

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.username, user.display_name, Role(user.role), user.territory)


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins in the current window for one username ("user:<name>") or address ("addr:<ip>")."""

    __tablename__ = "sign_in_throttle"

    key: str = Field(primary_key=True, max_length=120)
    failures: int = 0
    window_start: str = Field(max_length=40)
    locked_until: str | None = Field(default=None, max_length=40)
