"""Stateless sign-in: signed JWTs (Litestar's JWTCookieAuth), a Bearer header for the API, a cookie for the web.

The user behind a token is read from the database on every request, so a deactivated user is locked
out at once, and any number of server processes can check tokens without sharing memory.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTCookieAuth, JWTCookieAuthenticationMiddleware, Token
from sqlalchemy.engine import Engine

from server.db import read_session
from server.domains.users.models import Actor
from server.domains.users.service import get_actor
from server.settings import Settings

TOKEN_COOKIE = "token"

# Paths anyone may open: sign-in, health, metrics (the proxy keeps /metrics to the internal network), API docs,
# static files.
PUBLIC_PATHS = [
    r"^/api/auth/login$",
    r"^/health$",
    r"^/metrics$",
    r"^/schema",
    r"^/static/",
    r"^/login$",
    r"^/favicon\.ico$",
]


class RouteCrmAuthMiddleware(JWTCookieAuthenticationMiddleware):
    """The API accepts only `Authorization: Bearer`, so a browser's cookie can never drive a sync request."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        if connection.url.path.startswith("/api/"):
            header = connection.headers.get(self.auth_header, "")
            scheme, _, encoded = header.partition(" ")
            if scheme.lower() != "bearer" or not encoded:
                raise NotAuthorizedException("sign in first: send Authorization: Bearer <token>")
            return await self.authenticate_token(encoded_token=encoded, connection=connection)
        return await super().authenticate_request(connection)


async def _retrieve_actor(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Actor | None:
    engine: Engine = connection.app.state.engine

    def lookup() -> Actor | None:
        with read_session(engine) as session:
            return get_actor(session, token.sub)

    return await anyio.to_thread.run_sync(lookup)


def make_jwt_auth(settings: Settings) -> JWTCookieAuth[Actor, Token]:
    return JWTCookieAuth[Actor, Token](
        retrieve_user_handler=_retrieve_actor,
        token_secret=settings.secret_key,
        default_token_expiration=settings.token_lifetime,
        key=TOKEN_COOKIE,
        samesite="lax",
        secure=settings.secure_cookies,
        exclude=PUBLIC_PATHS,
        authentication_middleware_class=RouteCrmAuthMiddleware,
    )
