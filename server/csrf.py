"""CSRF protection of the web view's forms, tied to the sign-in.

Litestar's CSRF middleware is a double submit: any cookie-and-token pair it ever made passes, whoever's
session it is used in, so a pair an attacker made on their own visit passes once its cookie is planted in a
victim's browser (a sibling subdomain can set cookies). Here the token is an HMAC, under SECRET_KEY, of the
sign-in it is used in: the session id in the web's token cookie (its signature checked; an expired one still
names its session), or, before sign-in (the sign-in form itself), a random value kept in the `csrftoken`
cookie. A token made for one session is refused in any other, and a sign-in or sign-out changes the token.
Forms carry it as `_csrf_token` (templates: `csrf_input`), scripts as the `X-CSRFToken` header.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from server.auth import session_of_cookie

ANONYMOUS_COOKIE = "csrftoken"
HEADER = "x-csrftoken"
FIELD = "_csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXCLUDED = ("/api/", "/health", "/schema", "/static/", "/metrics")


def csrf_token(secret: str, binding: str) -> str:
    return hmac.new(secret.encode(), f"csrf|{binding}".encode(), hashlib.sha256).hexdigest()


class SessionCsrfMiddleware:
    def __init__(self, app: ASGIApp, secret: str, secure: bool) -> None:
        self.app, self.secret, self.secure = app, secret, secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != ScopeType.HTTP or path.startswith(EXCLUDED):
            await self.app(scope, receive, send)
            return
        request: Any = scope["litestar_app"].request_class(scope=scope, receive=receive)
        session_id = session_of_cookie(request, self.secret)
        anonymous = request.cookies.get(ANONYMOUS_COOKIE, "")
        binding = f"session:{session_id}" if session_id else (f"anon:{anonymous}" if len(anonymous) >= 32 else "")
        state = ScopeState.from_scope(scope)
        if request.method in SAFE_METHODS:
            new_cookie = None
            if not binding:
                new_cookie = secrets.token_urlsafe(32)
                binding = f"anon:{new_cookie}"
            state.csrf_token = csrf_token(self.secret, binding)
            await self.app(scope, receive, self._setting_cookie(send, new_cookie) if new_cookie else send)
            return
        sent = request.headers.get(HEADER)
        content_type, _ = request.content_type
        if not sent and content_type in {RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART}:
            sent = (await request.form()).get(FIELD)  # kept in the scope: the handler reads the same form
        if not binding or not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token(self.secret, binding)):
            raise PermissionDeniedException("CSRF token verification failed")
        state.csrf_token = sent
        await self.app(scope, receive, send)

    def _setting_cookie(self, send: Send, value: str) -> Send:
        cookie = Cookie(key=ANONYMOUS_COOKIE, value=value, path="/", secure=self.secure, httponly=True, samesite="lax")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message).add("set-cookie", cookie.to_header(header=""))
            await send(message)

        return send_with_cookie


def csrf_middleware(secret: str, secure: bool) -> DefineMiddleware:
    return DefineMiddleware(SessionCsrfMiddleware, secret=secret, secure=secure)
