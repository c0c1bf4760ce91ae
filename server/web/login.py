"""Sign-in and sign-out of the supervisor web view: a session in the database, its token in a cookie."""

from __future__ import annotations

import math
import re
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.security.jwt import JWTCookieAuth, Token

from server.actor import Actor
from server.auth import TOKEN_COOKIE, sign_out_web
from server.db import write_session
from server.dependencies import AppSettings, DatabaseEngine, api_dependencies
from server.domains.users.sessions import WEB_SESSION, SessionGrant, open_session
from server.domains.users.signin import client_address, hashing_limiter, sign_in
from server.settings import Settings
from server.web.i18n import lang_of
from server.web.pages import page
from shared.enums import Role
from shared.i18n import t

# A path on this site only: browsers read "//host" and "/\\host" as another site (an open redirect after sign-in).
SAFE_NEXT = re.compile(r"/(?![/\\])[^\\\x00-\x1f\x7f]*")


def safe_next(target: str | None) -> str:
    return target if target and SAFE_NEXT.fullmatch(target) else "/board"


class LoginController(Controller):
    path = "/"
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/login")
    async def login_form(self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Template:
        return page(request, "login.html", next=safe_next(next), error=None, username="")

    @post("/login")
    async def login(
        self,
        request: Request[Any, Any, Any],
        state: State,
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        username, password = str(data.get("username", "")), str(data.get("password", ""))
        target = safe_next(data.get("next"))
        lang = lang_of(request)
        outcome = await sign_in(state.engine, username, password, client_address(request), hashing_limiter(state))
        if outcome.locked_for is not None:
            error = t("web.login.locked", lang, minutes=math.ceil(outcome.locked_for / 60))
            return page(request, "login.html", 429, next=target, error=error, username=username)
        actor = outcome.actor
        if actor is None:
            return page(request, "login.html", 401, next=target, error=t("web.login.failed", lang), username=username)
        if actor.role == Role.REP:
            return page(
                request, "error.html", 403, status=403, code="forbidden", message=t("web.error.reps_use_app", lang)
            )
        settings: Settings = state.settings

        def open_web_session() -> SessionGrant:
            with write_session(state.engine) as session:  # a session in the database: /logout ends it at once
                return open_session(session, actor, kind=WEB_SESSION, lifetime=settings.web_session_lifetime)

        grant = await anyio.to_thread.run_sync(open_web_session)
        jwt_auth: JWTCookieAuth[Actor, Token] = state.jwt_auth
        token = jwt_auth.create_token(
            identifier=actor.id,
            token_expiration=settings.web_session_lifetime,
            token_extras={"sid": grant.session_id},
        )
        return Redirect(
            target,
            status_code=303,
            cookies=[
                Cookie(
                    key=TOKEN_COOKIE,
                    value=token,
                    httponly=True,
                    samesite="lax",
                    secure=settings.secure_cookies,
                    path="/",
                    max_age=int(settings.web_session_lifetime.total_seconds()),
                )
            ],
        )

    @post("/logout", exclude_from_auth=True, sync_to_thread=True)
    def logout(self, request: Request[Any, Any, Any], settings: AppSettings, engine: DatabaseEngine) -> Redirect:
        # The session ends in the database: a copy of the cookie stops working too.
        sign_out_web(request, engine, settings.secret_key)
        response = Redirect("/login", status_code=303)
        response.delete_cookie(TOKEN_COOKIE, path="/")
        return response
