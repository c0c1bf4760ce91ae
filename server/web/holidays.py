"""/admin/holidays: the company's holiday list (节日) for the phones' care reminders. Admins add a holiday on a
date or on a day of every year, with a note on what to do, and remove one; every change is audited and
reaches every phone with its next pull (server/domains/holidays)."""

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
from server.domains.holidays.models import CompanyHoliday
from server.domains.holidays.service import add_holiday, holiday_list, remove_holiday
from server.domains.users.signin import client_address
from server.errors import DomainError
from server.web.i18n import lang_of
from server.web.pages import WebRequest, admins_only, page
from shared.i18n import t

FORM_FIELDS = ("name", "day", "month_day", "note")


def holidays_page(request: WebRequest, engine: Engine, status_code: int = 200, **context: Any) -> Template:
    with read_session(engine) as session:
        holidays, built_in = holiday_list(session)
    defaults: dict[str, Any] = {"error": None, "done": None, "form": {}}
    return page(
        request, "admin_holidays.html", status_code, holidays=holidays, built_in=built_in, **{**defaults, **context}
    )


def _error_text(request: WebRequest, error: DomainError) -> str:
    """The page's words for a refused holiday; the service's message for anything else."""
    key = f"web.holidays.error.{(error.path or '').rpartition('.')[2]}"
    text = t(key, lang_of(request))
    return error.message if text == key else text


def _audit(request: WebRequest, session: Session, action: str, holiday: CompanyHoliday) -> None:
    """In the change's transaction: the change and its audit row are stored together or not at all."""
    details = {"holiday_id": holiday.id, "name": holiday.name, "day": holiday.day or holiday.month_day}
    actor = request.user
    audit(session, action, actor_id=actor.id, actor_name=actor.username, ip=client_address(request), details=details)


class HolidayPages(Controller):
    path = "/admin/holidays"
    guards = (admins_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("", sync_to_thread=True)
    def index(self, request: WebRequest, engine: DatabaseEngine, done: FromQuery[str | None] = None) -> Template:
        return holidays_page(request, engine, done=done if done in ("added", "removed") else None)

    @post("", sync_to_thread=True)
    def add(self, request: WebRequest, engine: DatabaseEngine, data: URLEncodedBody[dict[str, str]]) -> Response[Any]:
        fields = {name: data.get(name, "").strip() or None for name in FORM_FIELDS}
        try:
            with write_session(engine) as session:
                _audit(request, session, "holiday_added", add_holiday(session, request.user, fields))
        except DomainError as error:
            return holidays_page(request, engine, error.status_code, error=_error_text(request, error), form=data)
        return Redirect("/admin/holidays?done=added", status_code=303)

    @post("/{holiday_id:str}/delete", sync_to_thread=True)
    def remove(self, request: WebRequest, engine: DatabaseEngine, holiday_id: FromPath[str]) -> Response[Any]:
        with write_session(engine) as session:
            _audit(request, session, "holiday_removed", remove_holiday(session, request.user, holiday_id))  # or 404
        return Redirect("/admin/holidays?done=removed", status_code=303)
