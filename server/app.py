"""The application factory: `create_app(settings)` wires settings, database, auth, API, web view and errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Litestar, MediaType, Response, get
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.openapi.config import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy.engine import Engine

from server.auth import make_jwt_auth
from server.db import create_tables, database_ok, make_engine
from server.domains.sync.controller import SyncController
from server.domains.users.controller import AuthController
from server.errors import DomainError, handle_error
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


def create_app(settings: Settings, *, engine: Engine | None = None) -> Litestar:
    engine = engine or make_engine(settings.database_url)
    jwt_auth = make_jwt_auth(settings)

    def on_startup() -> None:
        create_tables(engine)  # migrations come later; create_all only adds what is missing

    def on_shutdown() -> None:
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
        debug=False,
    )


def create_app_from_env() -> Litestar:
    """For `uvicorn --factory server.app:create_app_from_env` (several worker processes)."""
    return create_app(Settings.from_env())
