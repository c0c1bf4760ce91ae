"""The supervisor's targets page: a month's grid of reps (admins: every rep; supervisors: their team), each
row the targets and what the records say so far (完成率)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.engine import Engine

from server.clock import today
from server.db import read_session, write_session
from server.dependencies import AppSettings, DatabaseEngine, api_dependencies
from server.domains.targets.service import month_of, parse_month, set_target, target_achievement, team_reps
from server.errors import DomainError, ValidationFailed
from server.settings import Settings
from server.web.pages import WebRequest, page, supervisors_only

MEASURES = ("sales_amount", "new_customers", "visits")


def chosen_month(month: str | None, settings: Settings) -> str:
    if not month:
        return month_of(today(settings.tz))
    parse_month(month)  # a bad month is a 422 naming it
    return month


def neighbour(month: str, step: int) -> str:
    first, last = parse_month(month)
    return month_of(last + dt.timedelta(days=1)) if step > 0 else month_of(first - dt.timedelta(days=1))


def _number(text: str, path: str, *, whole: bool) -> float | int:
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        raise ValidationFailed(f"{path} must be a {'whole number' if whole else 'number'}", path=path) from None
    return value


class TargetPages(Controller):
    path = "/targets"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    def _grid(
        self,
        request: WebRequest,
        engine: Engine,
        month: str,
        *,
        saved: bool = False,
        error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        with read_session(engine) as session:
            reps = team_reps(session, request.user)
            rows = target_achievement(session, [rep.id for rep in reps], month)
        return page(
            request,
            "targets.html",
            status_code,
            month=month,
            previous=neighbour(month, -1),
            following=neighbour(month, 1),
            reps=reps,
            rows=rows,
            saved=saved,
            error=error,
        )

    @get("", sync_to_thread=True)
    def grid(
        self,
        request: WebRequest,
        settings: AppSettings,
        engine: DatabaseEngine,
        month: FromQuery[str | None] = None,
        saved: FromQuery[bool] = False,
    ) -> Template:
        return self._grid(request, engine, chosen_month(month, settings), saved=saved)

    @post("", sync_to_thread=True)
    def save(self, request: WebRequest, engine: DatabaseEngine, data: URLEncodedBody[dict[str, str]]) -> Any:
        """Save the grid: each rep row with all three figures filled sets that rep's targets; empty rows stay."""
        month = str(data.get("month") or "")
        parse_month(month)
        try:
            with write_session(engine) as session:
                for rep in team_reps(session, request.user):
                    texts = {name: str(data.get(f"{name}_{rep.id}") or "").strip() for name in MEASURES}
                    if not any(texts.values()):
                        continue
                    label = rep.display_name
                    missing = [name for name, text in texts.items() if not text]
                    if missing:
                        raise ValidationFailed(f"{label}: fill in all three targets or none", path=missing[0])
                    set_target(
                        session,
                        request.user,
                        rep.id,
                        month,
                        sales_amount=float(_number(texts["sales_amount"], f"{label} sales_amount", whole=False)),
                        new_customers=int(_number(texts["new_customers"], f"{label} new_customers", whole=True)),
                        visits=int(_number(texts["visits"], f"{label} visits", whole=True)),
                        path=label,
                    )
        except DomainError as error:
            if error.status_code == 403:
                raise
            return self._grid(request, engine, month, error=error.message, status_code=422)
        return Redirect(f"/targets?month={month}&saved=1", status_code=303)
