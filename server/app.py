"""The application factory: `create_app(settings)` wires settings, database, auth, API, web view and errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from litestar import Litestar, MediaType, Response, get
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders, State
from litestar.exceptions import HTTPException
from litestar.openapi.config import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Message, Scope
from sqlalchemy.engine import Engine

from server.auth import make_jwt_auth
from server.db import database_ok, make_engine, migrate_database
from server.domains.sync.controller import SyncController
from server.domains.sync.tombstones import expire_tombstones
from server.domains.users.controller import AuthController
from server.errors import DomainError, handle_error
from server.jobs import Job, JobRunner
from server.settings import Settings
from server.web.controllers import WEB_CONTROLLERS

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = Path(__file__).resolve().parent / "web" / "templates"
WEB_ASSETS = ROOT / "assets" / "web"


@get("/health", sync_to_thread=True, tags=["health"])
def health(state: State) -> Response[dict[str, str]]:
    ok = database_ok(state.engine)
    return Response(
        {"status": "ok" if ok else "degraded", "database": "ok" if ok else "unreachable"},
        status_code=200 if ok else 503,
        media_type=MediaType.JSON,
    )


# No inline scripts or styles anywhere, nothing from other origins, never inside a frame.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


async def add_security_headers(message: Message, scope: Scope) -> None:
    """On every response, errors and static files included (a before_send hook sees them all)."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in SECURITY_HEADERS.items():
            if name not in headers:
                headers[name] = value


SCHEDULED_JOBS = [Job("expire_tombstones", dt.timedelta(hours=24), expire_tombstones)]


def create_app(settings: Settings, *, engine: Engine | None = None) -> Litestar:
    engine = engine or make_engine(settings.database_url)
    jwt_auth = make_jwt_auth(settings)

    jobs = JobRunner(engine, settings, SCHEDULED_JOBS)

    def on_startup() -> None:
        migrate_database(engine)  # alembic upgrade head; several processes starting at once take turns
        if settings.run_jobs:
            jobs.start()

    def on_shutdown() -> None:
        if settings.run_jobs:
            jobs.stop()
        engine.dispose()

    handlers: dict[Any, Any] = {DomainError: handle_error, HTTPException: handle_error}
    return Litestar(
        route_handlers=[
            health,
            AuthController,
            SyncController,
            *WEB_CONTROLLERS,
            create_static_files_router(path="/static", directories=[WEB_ASSETS], include_in_schema=False),
        ],
        state=State({"engine": engine, "settings": settings, "jwt_auth": jwt_auth}),
        on_app_init=[jwt_auth.on_app_init],
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        exception_handlers=handlers,
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_httponly=True,
            cookie_secure=settings.secure_cookies,
            exclude=[r"^/api/", r"^/health$", r"^/schema", r"^/static/"],
        ),
        openapi_config=OpenAPIConfig(title="RouteCRM", version="0.1.0", path="/schema"),
        before_send=[add_security_headers],
        debug=False,
    )


def create_app_from_env() -> Litestar:
    """For `uvicorn --factory server.app:create_app_from_env` (several worker processes)."""
    return create_app(Settings.from_env())
