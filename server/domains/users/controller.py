"""POST /api/auth/login and GET /api/auth/me."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import JSONBody
from litestar.security.jwt import JWTCookieAuth, Token
from msgspec import Meta, Struct

from server.db import write_session
from server.domains.users.models import Actor
from server.domains.users.signin import client_address, sign_in
from server.errors import Unauthorized, error_responses

MAX_PASSWORD_LENGTH = 1024  # argon2 hashes any length; a bound keeps a sign-in cheap
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL (the username is stored by sign-in throttling)


class LoginRequest(Struct, forbid_unknown_fields=True):
    """Unknown fields and wrong types are refused (400 invalid_request), like every API body."""

    username: Annotated[str, Meta(max_length=60, pattern=NO_NUL)]
    password: Annotated[str, Meta(max_length=MAX_PASSWORD_LENGTH)]


class UserOut(Struct):
    id: str
    username: str
    display_name: str
    role: str
    territory: str | None


class LoginAnswer(Struct):
    token: str
    user: UserOut


class MeAnswer(Struct):
    user: UserOut


def user_out(actor: Actor) -> UserOut:
    return UserOut(actor.id, actor.username, actor.display_name, actor.role.value, actor.territory)


class AuthController(Controller):
    path = "/api/auth"
    tags = ("auth",)

    @post(
        "/login",
        status_code=200,
        sync_to_thread=True,
        security=[{}],  # the one API call without a token
        responses=error_responses(400, 401, 413, 429),
    )
    def login(self, request: Request[Any, Any, Any], data: JSONBody[LoginRequest], state: State) -> LoginAnswer:
        """Exchange a username and password for a token: send it as `Authorization: Bearer <token>`.

        Repeated failures lock the username (and the address) out for a while: 429 with Retry-After."""
        with write_session(state.engine) as session:
            outcome = sign_in(session, data.username, data.password, client_address(request))
        outcome.raise_if_locked()
        actor = outcome.actor
        if actor is None:
            raise Unauthorized("wrong username or password")
        jwt_auth: JWTCookieAuth[Actor, Token] = state.jwt_auth
        token = jwt_auth.create_token(identifier=actor.id)
        return LoginAnswer(token=token, user=user_out(actor))

    @get("/me", responses=error_responses(401))
    async def me(self, request: Request[Actor, Token, Any]) -> MeAnswer:
        return MeAnswer(user=user_out(request.user))
