"""Admin pages: users (create, reset a password, deactivate / reactivate, end all sign-ins, move to a
territory) and territories. A reset and a deactivation end every sign-in of the user. Passwords go through
the users service (its policy); a rep moved to another territory gets their phones resynced in full
(server/domains/territories). Every change is audited."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.engine import Engine
from sqlmodel import Session

from server.db import read_session, write_session
from server.dependencies import DatabaseEngine, api_dependencies
from server.domains.audit.service import audit
from server.domains.ownership.service import unhanded_of_inactive
from server.domains.territories.service import assign_territory, known_territories, list_territories, put_territory
from server.domains.users.resets import end_sessions_of
from server.domains.users.service import (
    active_users,
    create_user,
    find_user,
    list_users,
    password_problem,
    set_active,
    set_base,
    set_password,
)
from server.domains.users.signin import client_address
from server.errors import DomainError, NotFound, ValidationFailed
from server.web.i18n import lang_of
from server.web.pages import WebRequest, admins_only, page
from shared.enums import Role
from shared.i18n import t


def users_page(request: WebRequest, engine: Engine, status_code: int = 200, **context: Any) -> Template:
    with read_session(engine) as session:
        users = list_users(session)
        territories = known_territories(session)
        unhanded = {user.id: count for user, count in unhanded_of_inactive(session, request.user)}
    defaults: dict[str, Any] = {"error": None, "done": None, "form": {}}
    return page(
        request,
        "admin_users.html",
        status_code,
        users=users,
        territories=territories,
        unhanded=unhanded,  # deactivated reps' customers not yet handed over (/handover)
        roles=[role.value for role in Role],
        **{**defaults, **context},
    )


def error_text(request: WebRequest, error: DomainError, password: str = "", username: str = "") -> str:
    """The password policy's message in the page's language; others as the service says them."""
    if error.path == "password":
        return password_problem(password, username, lang_of(request)) or error.message
    return error.message


def _audit(request: WebRequest, session: Session, action: str, details: dict[str, Any]) -> None:
    actor = request.user
    audit(session, action, actor_id=actor.id, actor_name=actor.username, ip=client_address(request), details=details)


class AdminPages(Controller):
    path = "/admin"
    guards = (admins_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/users", sync_to_thread=True)
    def users(self, request: WebRequest, engine: DatabaseEngine, done: FromQuery[str | None] = None) -> Template:
        return users_page(request, engine, done=done)

    @post("/users", sync_to_thread=True)
    def create(
        self, request: WebRequest, engine: DatabaseEngine, data: URLEncodedBody[dict[str, str]]
    ) -> Response[Any]:
        username, password = data.get("username", "").strip(), data.get("password", "")
        try:
            role = Role(data.get("role", ""))
        except ValueError:
            return users_page(request, engine, 400, error=t("web.admin.error.role", lang_of(request)), form=data)
        try:
            with write_session(engine) as session:
                territory = data.get("territory", "").strip() or None
                if territory is not None and territory not in known_territories(session):
                    raise ValidationFailed(f"no territory named {territory}", path="territory")
                user = create_user(
                    session,
                    username=username,
                    password=password,
                    role=role,
                    display_name=data.get("display_name", "").strip()[:60] or None,
                    territory=territory,
                )
                _audit(
                    request, session, "user_created", {"user_id": user.id, "role": role.value, "territory": territory}
                )
        except DomainError as error:
            message = error_text(request, error, password, username)
            return users_page(request, engine, error.status_code, error=message, form=data)
        return Redirect("/admin/users?done=created", status_code=303)

    @post("/users/{user_id:str}/password", sync_to_thread=True)
    def reset_password(
        self, request: WebRequest, engine: DatabaseEngine, user_id: FromPath[str], data: URLEncodedBody[dict[str, str]]
    ) -> Response[Any]:
        password = data.get("password", "")
        try:
            with write_session(engine) as session:
                user = set_password(session, user_id, password, by=request.user)  # audited as password_changed
        except DomainError as error:
            with read_session(engine) as session:
                found = find_user(session, user_id)
            if found is None:
                raise
            return users_page(
                request, engine, error.status_code, error=error_text(request, error, password, found.username)
            )
        return Redirect(f"/admin/users?done=password#user-{user.id}", status_code=303)

    @post("/users/{user_id:str}/active", sync_to_thread=True)
    def set_active(
        self, request: WebRequest, engine: DatabaseEngine, user_id: FromPath[str], data: URLEncodedBody[dict[str, str]]
    ) -> Response[Any]:
        """Deactivate (signing in stops, every sign-in ends) or reactivate an account."""
        active = data.get("active") == "1"
        if not active and user_id == request.user.id:
            return users_page(request, engine, 400, error=t("web.admin.error.self", lang_of(request)))
        with write_session(engine) as session:
            user = set_active(session, user_id, active)
            if user is not None:
                _audit(request, session, "user_reactivated" if active else "user_deactivated", {"user_id": user.id})
        return Redirect(f"/admin/users?done={'reactivated' if active else 'deactivated'}", status_code=303)

    @post("/users/{user_id:str}/sessions/end", sync_to_thread=True)
    def end_sessions(self, request: WebRequest, engine: DatabaseEngine, user_id: FromPath[str]) -> Response[Any]:
        """End every sign-in of the user (a lost phone, a leaver): their phones and browsers sign in again."""
        with write_session(engine) as session:
            user = find_user(session, user_id)
            if user is None:
                raise NotFound("no such user", path="user_id")
            end_sessions_of(session, user, by=request.user, ip=client_address(request))
        return Redirect(f"/admin/users?done=sessions#user-{user_id}", status_code=303)

    @post("/users/{user_id:str}/territory", sync_to_thread=True)
    def move(
        self, request: WebRequest, engine: DatabaseEngine, user_id: FromPath[str], data: URLEncodedBody[dict[str, str]]
    ) -> Response[Any]:
        """Assign a territory; a rep's phones then pull everything again (the old territory's records go)."""
        try:
            with write_session(engine) as session:
                user, old = assign_territory(session, user_id, data.get("territory"))
                if old != user.territory:
                    details = {"user_id": user.id, "from": old, "to": user.territory}
                    _audit(request, session, "user_territory_changed", details)
        except NotFound:
            raise
        except DomainError as error:
            return users_page(request, engine, error.status_code, error=error.message)
        return Redirect("/admin/users?done=territory", status_code=303)

    @post("/users/{user_id:str}/base", sync_to_thread=True)
    def set_base(
        self, request: WebRequest, engine: DatabaseEngine, user_id: FromPath[str], data: URLEncodedBody[dict[str, str]]
    ) -> Response[Any]:
        """Where a rep's day starts and ends, for ordering routes (docs/routes.md)."""
        try:
            with write_session(engine) as session:
                user = set_base(session, user_id, data.get("lat"), data.get("lng"))
                details = {"user_id": user.id, "lat": user.base_lat, "lng": user.base_lng}
                _audit(request, session, "user_base_changed", details)
        except NotFound:
            raise
        except DomainError as error:
            return users_page(request, engine, error.status_code, error=error.message)
        return Redirect(f"/admin/users?done=base#user-{user_id}", status_code=303)

    @get("/territories", sync_to_thread=True)
    def territories(self, request: WebRequest, engine: DatabaseEngine, done: FromQuery[bool] = False) -> Template:
        return self._territories_page(request, engine, done=done)

    @post("/territories", sync_to_thread=True)
    def save_territory(
        self, request: WebRequest, engine: DatabaseEngine, data: URLEncodedBody[dict[str, str]]
    ) -> Response[Any]:
        try:
            with write_session(engine) as session:
                territory = put_territory(
                    session, data.get("name", ""), data.get("description"), data.get("travel_speed_kmh")
                )
                details = {
                    "name": territory.name,
                    "description": territory.description,
                    "travel_speed_kmh": territory.travel_speed_kmh,
                }
                _audit(request, session, "territory_saved", details)
        except DomainError as error:
            return self._territories_page(request, engine, 422, error=error.message)
        return Redirect("/admin/territories?done=1", status_code=303)

    @staticmethod
    def _territories_page(request: WebRequest, engine: Engine, status_code: int = 200, **context: Any) -> Template:
        with read_session(engine) as session:
            described = {territory.name: territory for territory in list_territories(session)}
            names = known_territories(session)
            people = active_users(session)
        rows = [
            {
                "name": name,
                "description": described[name].description if name in described else None,
                "travel_speed_kmh": described[name].travel_speed_kmh if name in described else None,
                "reps": [user for user in people if user.territory == name and user.role == Role.REP.value],
                "supervisors": [user for user in people if user.territory == name and user.role != Role.REP.value],
            }
            for name in names
        ]
        return page(
            request,
            "admin_territories.html",
            status_code,
            territories=rows,
            **{"error": None, "done": False, **context},
        )
