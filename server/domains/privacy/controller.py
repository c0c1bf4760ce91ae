"""Personal data on the API, for admins only: export what is held about a person, erase it everywhere.

Admins only (not supervisors): an export hands over everything about a person and an erasure cannot be
undone, so both stay with the accounts that also see the audit log where they are recorded.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import Token

from server.actor import Actor
from server.db import write_session
from server.dependencies import AppSettings, CurrentActor, DatabaseEngine, api_dependencies
from server.domains.guards import RecordIdPath, known_query
from server.domains.privacy import service as privacy
from server.errors import Forbidden, error_responses
from shared.enums import Role


def admins(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if not isinstance(user, Actor) or user.role != Role.ADMIN:
        raise Forbidden("only admins may export or erase personal data")


def _ip(request: Request[Actor, Token, Any]) -> str | None:
    return request.client.host if request.client else None


class PrivacyController(Controller):
    path = "/api/privacy"
    tags = ("privacy",)
    dependencies = api_dependencies()

    @get(
        "/key-persons/{key_person_id:str}/export",
        sync_to_thread=True,
        guards=[admins, known_query()],
        responses=error_responses(400, 401, 403, 404),
    )
    def export_key_person(
        self,
        request: Request[Actor, Token, Any],
        actor: CurrentActor,
        engine: DatabaseEngine,
        key_person_id: RecordIdPath,
    ) -> dict[str, Any]:
        """Everything held about a key person (关键人), their conflicts and refused ops; the export is audited."""
        with write_session(engine) as session:  # audited; in the handler's thread (server/dependencies.py)
            return privacy.export_key_person(session, actor, key_person_id, ip=_ip(request))

    @get(
        "/customers/{customer_id:str}/export",
        sync_to_thread=True,
        guards=[admins, known_query()],
        responses=error_responses(400, 401, 403, 404),
    )
    def export_customer(
        self,
        request: Request[Actor, Token, Any],
        actor: CurrentActor,
        engine: DatabaseEngine,
        customer_id: RecordIdPath,
    ) -> dict[str, Any]:
        """A customer's personal data: record, key persons, notes, visits' text, complaints, conflicts, refused ops."""
        with write_session(engine) as session:  # audited; in the handler's thread (server/dependencies.py)
            return privacy.export_customer(session, actor, customer_id, ip=_ip(request))

    @post(
        "/key-persons/{key_person_id:str}/erase",
        status_code=200,
        sync_to_thread=True,
        guards=[admins, known_query()],
        responses=error_responses(400, 401, 403, 404),
    )
    def erase_key_person(
        self,
        request: Request[Actor, Token, Any],
        actor: CurrentActor,
        engine: DatabaseEngine,
        settings: AppSettings,
        key_person_id: RecordIdPath,
    ) -> dict[str, Any]:
        """Delete the key person (phones drop them on their next pull) and scrub every copy; safe to repeat."""
        with write_session(engine) as session:
            return privacy.erase_key_person(session, actor, key_person_id, settings, ip=_ip(request))

    @post(
        "/customers/{customer_id:str}/erase",
        status_code=200,
        sync_to_thread=True,
        guards=[admins, known_query()],
        responses=error_responses(400, 401, 403, 404),
    )
    def erase_customer(
        self,
        request: Request[Actor, Token, Any],
        actor: CurrentActor,
        engine: DatabaseEngine,
        settings: AppSettings,
        customer_id: RecordIdPath,
    ) -> dict[str, Any]:
        """Blank the customer's contact person, phone and address, delete its key persons, scrub every copy."""
        with write_session(engine) as session:
            return privacy.erase_customer(session, actor, customer_id, settings, ip=_ip(request))
