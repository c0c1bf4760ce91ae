"""Who is making a request: the signed-in user as every layer of the server needs it.

It sits at the bottom of the server (it imports nothing of it), so the change log under the domains
(`server/changes/`) and every domain can take it without reaching into the users domain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shared.enums import Role


class UserRow(Protocol):
    """What `Actor.of` reads of a user row (`server.domains.users.models.User`)."""

    @property
    def id(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def territory(self) -> str | None: ...


@dataclass(frozen=True)
class Actor:
    """Who is making a request, as services need it; built from the token's user on every request.

    `session_id` and `device_id` say which sign-in (and which phone) the request came with, when known;
    `session_kind` is "api" (a phone's or a script's) or "web" (the web view's, never bound to a phone);
    `device_revoked` is True only on a push from a revoked phone (its ops go to quarantine)."""

    id: str
    username: str
    display_name: str
    role: Role
    territory: str | None
    session_id: str | None = None
    device_id: str | None = None
    device_revoked: bool = False
    session_kind: str | None = None

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
    def of(cls, user: UserRow) -> Actor:
        return cls(user.id, user.username, user.display_name, Role(user.role), user.territory)
