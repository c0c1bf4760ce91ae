"""Sign-in: signed JWTs (Litestar's JWTCookieAuth), a Bearer header for the API, a cookie for the web.

Each token names a session in the database (claim `sid`, server/domains/users/sessions.py). On every
request one query reads the user, the session and the phone, so a deactivated user, a signed-out session
or a revoked phone is locked out at once, and any number of server processes check tokens without sharing
memory. A phone's access token is short (ACCESS_TOKEN_MINUTES): an expired one is answered 401
`token_expired` and the phone refreshes it (POST /api/auth/refresh). A revoked phone is answered 403
`device_revoked` on everything except its push, which is received into quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio.to_thread
import jwt
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTCookieAuth, JWTCookieAuthenticationMiddleware, Token
from sqlalchemy.engine import Engine

from server.actor import Actor
from server.db import read_session, write_session
from server.domains.audit.service import audit
from server.domains.users.sessions import (
    API_SESSION,
    actor_of_token,
    device_revoked_error,
    open_session,
    revoke_session,
)
from server.errors import Unauthorized
from server.settings import Settings
from shared.enums import Role
from shared.errors import ErrorCode

TOKEN_COOKIE = "token"

# Paths anyone may open: sign-in, health, metrics (the proxy keeps /metrics to the internal network), API docs,
# static files.
PUBLIC_PATHS = [
    r"^/api/auth/login$",
    r"^/api/auth/refresh$",
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

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        try:
            return await super().authenticate_token(encoded_token, connection)
        except NotAuthorizedException:
            if _only_expired(encoded_token, self.token_secret, self.algorithm):
                raise Unauthorized(
                    "the access token has expired: refresh it (POST /api/auth/refresh)", code=ErrorCode.TOKEN_EXPIRED
                ) from None
            raise


def _only_expired(encoded_token: str, secret: str, algorithm: str) -> bool:
    """True if the token is genuine and fails only because it is too old."""
    try:
        jwt.decode(encoded_token, secret, algorithms=[algorithm])
    except jwt.ExpiredSignatureError:
        return True
    except jwt.InvalidTokenError:
        return False
    return False


# The one route a revoked phone may still call: its push is received into quarantine (never applied).
QUARANTINE_PATH = "/api/sync/push"


async def _retrieve_actor(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Actor | None:
    engine: Engine = connection.app.state.engine
    session_id = token.extras.get("sid")

    def lookup() -> Actor | None:
        with read_session(engine) as session:
            check = actor_of_token(session, token.sub, session_id if isinstance(session_id, str) else None)
        return check.actor

    actor = await anyio.to_thread.run_sync(lookup)
    if actor is not None and actor.device_revoked and connection.url.path != QUARANTINE_PATH:
        raise device_revoked_error(actor.device_id or "")
    return actor


@dataclass
class SessionJWTAuth(JWTCookieAuth[Actor, Token]):
    """JWTCookieAuth whose tokens always name a session: `create_token` without one (tests, scripts) opens
    an API session for the user first, so no token can bypass sign-out."""

    engine: Engine | None = None
    session_lifetime: timedelta = timedelta(days=30)

    def create_token(
        self,
        identifier: str,
        token_expiration: timedelta | None = None,
        token_issuer: str | None = None,
        token_audience: str | None = None,
        token_unique_jwt_id: str | None = None,
        token_extras: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> str:
        extras = dict(token_extras or {})
        if "sid" not in extras and self.engine is not None:
            with write_session(self.engine) as session:
                actor = Actor(identifier, "", "", Role.REP, None)  # only the id is used
                extras["sid"] = open_session(
                    session, actor, kind=API_SESSION, lifetime=self.session_lifetime
                ).session_id
        return super().create_token(
            identifier,
            token_expiration,
            token_issuer,
            token_audience,
            token_unique_jwt_id,
            extras,
            **kwargs,
        )


def make_jwt_auth(settings: Settings, engine: Engine | None = None) -> SessionJWTAuth:
    return SessionJWTAuth(
        retrieve_user_handler=_retrieve_actor,
        token_secret=settings.secret_key,
        default_token_expiration=settings.access_token_lifetime,
        key=TOKEN_COOKIE,
        samesite="lax",
        secure=settings.secure_cookies,
        exclude=PUBLIC_PATHS,
        authentication_middleware_class=RouteCrmAuthMiddleware,
        engine=engine,
        session_lifetime=settings.token_lifetime,
    )


def session_of_cookie(connection: ASGIConnection[Any, Any, Any, Any], secret: str) -> str | None:
    """The session id in the web cookie's token (for sign-out, which works even with an expired token)."""
    encoded = connection.cookies.get(TOKEN_COOKIE, "")
    if not encoded:
        return None
    try:  # an expired token still names its session: signing out ends it all the same
        claims = jwt.decode(encoded, secret, algorithms=["HS256"], options={"verify_exp": False})
    except jwt.InvalidTokenError:
        return None
    extras = claims.get("extras")
    session_id = extras.get("sid") if isinstance(extras, dict) else None
    return session_id if isinstance(session_id, str) else None


def sign_out_web(connection: ASGIConnection[Any, Any, Any, Any], engine: Engine, secret: str) -> None:
    """Web sign-out: end the cookie's session in the database (audited), so a copy of the cookie is useless."""
    session_id = session_of_cookie(connection, secret)
    if session_id is None:
        return
    with write_session(engine) as session:
        ended = revoke_session(session, session_id)
        if ended is not None:
            address = connection.client.host if connection.client else None
            audit(session, "sign_out", actor_id=ended.user_id, ip=address, details={"session_id": session_id})
