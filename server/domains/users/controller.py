"""POST /api/auth/login and GET /api/auth/me."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import JSONBody
from litestar.security.jwt import JWTCookieAuth, Token

from server.db import write_session
from server.domains.users.models import Actor
from server.domains.users.signin import client_address, sign_in
from server.errors import Unauthorized


@dataclass
class LoginRequest:
    username: str
    password: str


class AuthController(Controller):
    path = "/api/auth"
    tags = ("auth",)

    @post("/login", status_code=200, sync_to_thread=True)
    def login(self, request: Request[Any, Any, Any], data: JSONBody[LoginRequest], state: State) -> dict[str, Any]:
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
        return {"token": token, "user": actor.as_dict()}

    @get("/me")
    async def me(self, request: Request[Actor, Token, Any]) -> dict[str, Any]:
        return {"user": request.user.as_dict()}
