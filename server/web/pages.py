"""What every supervisor page module uses: the request type, the guards, a rendered page (and the error page),
and the `day` parameter. Page modules import this module; server/web/controllers.py assembles their routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import MediaType, Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Template
from litestar.security.jwt import Token

from server.actor import Actor
from server.clock import today
from server.errors import DomainError, Forbidden
from server.settings import Settings
from server.web.i18n import LANG_COOKIE, lang_of, page_context
from shared.enums import Role
from shared.i18n import LANGUAGES, t

WebRequest = Request[Actor, Token, Any]


def supervisors_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if not isinstance(user, Actor) or user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden(t("web.error.reps_use_app", lang_of(connection)))


def admins_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if not isinstance(user, Actor) or user.role != Role.ADMIN:
        raise Forbidden(t("web.error.admins_only", lang_of(connection)))


def page(request: Request[Any, Any, Any], template: str, status_code: int = 200, **context: Any) -> Template:
    """A rendered page; `?lang=xx` on any page is remembered in a cookie for the next ones."""
    asked = request.query_params.get("lang")
    cookies = [Cookie(key=LANG_COOKIE, value=asked, path="/", samesite="lax", max_age=365 * 86400)]
    return Template(
        template_name=template,
        context={**page_context(request), **context},
        status_code=status_code,
        media_type=MediaType.HTML,
        cookies=cookies if asked in LANGUAGES else None,
    )


def error_page(request: Request[Any, Any, Any], status: int, code: str, message: str, key: str | None) -> Template:
    """The error page of a web request (server/errors.py `error_handler`); a message with an i18n `key` is
    shown in the page's language."""
    context = page_context(request)
    if key:
        message = context["t"](key)
    return Template(
        template_name="error.html",
        context={**context, "status": status, "code": code, "message": message},
        status_code=status,
        media_type=MediaType.HTML,
    )


def parse_day(value: str | None, settings: Settings) -> dt.date:
    if not value:
        return today(settings.tz)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError("day must look like 2026-11-27", path="day", key="web.error.bad_day") from None
