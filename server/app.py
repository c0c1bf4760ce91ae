"""The application factory: `create_app(settings)` wires settings, database, auth, API, web view and errors."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from litestar import Litestar, MediaType, Request, Response, get
from litestar.config.compression import CompressionConfig
from litestar.datastructures import MutableScopeHeaders, State
from litestar.exceptions import HTTPException, InternalServerException
from litestar.logging.config import LoggingConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.template.config import TemplateConfig
from litestar.types import Message, Scope
from sqlalchemy.engine import Engine

from server import api_docs
from server.auth import make_jwt_auth
from server.changes.tombstones import expire_tombstones
from server.clock import install as install_clock
from server.csrf import csrf_middleware
from server.db import make_engine, migrate_database
from server.domains.campaigns.controller import CampaignController
from server.domains.development.controller import CustomerDevelopmentController
from server.domains.development.service import lifecycle_job, tiers_job
from server.domains.devices.controller import DeviceController
from server.domains.health.service import check_database
from server.domains.orders.controller import OrderController
from server.domains.ownership.service import pool_return_job
from server.domains.photos.controller import PhotoController
from server.domains.pipeline.controller import PipelineController
from server.domains.privacy.controller import PrivacyController
from server.domains.products.controller import ProductController
from server.domains.storable import install as install_text_check
from server.domains.sync.controller import SyncController
from server.domains.targets.controller import TargetController
from server.domains.users.controller import AuthController
from server.domains.users.sessions import forget_ended_sessions
from server.domains.work_reports.service import leaderboards_job
from server.errors import DomainError, error_handler
from server.jobs import Job, JobRunner
from server.observability import JsonLogFormatter, MetricsController, metrics_config
from server.request_encoding import gzip_requests
from server.settings import Settings
from server.sync_kinds import SYNC_KINDS
from server.web.controllers import WEB_CONTROLLERS
from server.web.map_tiles import content_security_policy
from server.web.number_filters import register_number_filters
from server.web.pages import error_page
from server.web.pwa import APP_CACHE_CONTROL, APP_CONTENT_SECURITY_POLICY, APP_PATH, pwa_routes
from server.web.queue_counts import register_template_globals

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = Path(__file__).resolve().parent / "web" / "templates"
WEB_ASSETS = ROOT / "assets" / "web"
logger = logging.getLogger("server.errors")


@get(
    "/health",
    sync_to_thread=True,
    tags=["health"],
    security=[{}],  # open to the balancer, no token
    responses={
        503: ResponseSpec(data_container=dict[str, str], description="the database is unreachable or takes no write")
    },
)
def health(state: State) -> Response[dict[str, str]]:
    """200 when the database is reachable and takes a write (a heartbeat row is written and committed), else
    503 saying which: `unreachable` or `not_writable` (a full or read-only disk)."""
    check = check_database(state.engine)
    if not check.ok:
        logger.warning("health: the database is %s: %s", check.state, check.reason)
    return Response(
        {"status": "ok" if check.ok else "degraded", "database": check.state},
        status_code=200 if check.ok else 503,
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


def security_headers_hook(settings: Settings) -> Callable[[Message, Scope], Awaitable[None]]:
    """The headers on every response, errors and static files included (a before_send hook sees them all).
    A map tile server (MAP_TILE_URL) adds its origin to img-src, and nothing else."""
    added = {
        **SECURITY_HEADERS,
        "Content-Security-Policy": content_security_policy(CONTENT_SECURITY_POLICY, settings.map_tile_url),
    }

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            headers = MutableScopeHeaders.from_message(message)
            path = str(scope.get("path", ""))
            if path == APP_PATH or path.startswith(APP_PATH + "/"):  # the rep's PWA (server/web/pwa.py)
                for name, value in (
                    ("Content-Security-Policy", APP_CONTENT_SECURITY_POLICY),
                    ("Cache-Control", APP_CACHE_CONTROL),
                ):
                    if name not in headers:
                        headers[name] = value
            for name, value in added.items():
                if name not in headers:
                    headers[name] = value
            # Pages, exports and API answers hold personal data: no browser or proxy keeps them (the back
            # button after sign-out on a shared computer). Static files may be cached.
            if "cache-control" not in headers and not str(scope.get("path", "")).startswith("/static/"):
                headers["Cache-Control"] = "no-store"

    return add_security_headers


def configure_templates(engine: JinjaTemplateEngine) -> None:
    register_template_globals(engine)
    register_number_filters(engine)


handle_error = error_handler(error_page)  # API answers in JSON, web pages as the error page


def handle_unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A bug: its traceback goes to the log; the caller gets our error format without the exception's text."""
    if isinstance(exc, HTTPException | DomainError):  # a 500 raised on purpose
        return handle_error(request, exc)
    logger.error("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    return handle_error(request, InternalServerException("unexpected server error; it has been logged"))


# Any body larger is refused with 413 too_large before it is read whole; the push allows 2 MiB (its own limit),
# a supervisor's route plan form of 1,000 customers is about 50 KiB.
MAX_BODY_BYTES = 256 * 1024
# Answers are gzipped when the caller accepts it (phones' httpx always has: `Accept-Encoding: gzip`), above
# 500 bytes: a pull page of visits shrinks about sixfold, and a phone in a village health room has 384 kbit/s
# or less (docs/benchmarks.md, section 7). Level 6, zlib's default: nearly level 9's size at a fraction of its
# CPU. Photos and their thumbnails are JPEG, PNG or WebP already: not compressed again.
COMPRESSION = CompressionConfig(
    backend="gzip", minimum_size=500, gzip_compress_level=6, exclude=["^/api/photos/", "^/photos/"]
)

SCHEDULED_JOBS = [
    Job("expire_tombstones", dt.timedelta(hours=24), expire_tombstones),
    # Lifecycle first: time alone makes customers dormant, then lost. Tiers from the last year's orders.
    Job("customer_lifecycle", dt.timedelta(hours=24), lifecycle_job),
    Job("value_tiers", dt.timedelta(hours=24), tiers_job),
    # After tiers: an owned customer without a visit or order for its tier's POOL_RETURN_DAYS goes to the pool.
    Job("pool_return", dt.timedelta(hours=24), pool_return_job),
    Job("forget_ended_sessions", dt.timedelta(hours=24), forget_ended_sessions),
    Job("leaderboards", dt.timedelta(minutes=15), leaderboards_job),  # only with LEADERBOARD_ON_PHONE
]


def create_app(settings: Settings, *, engine: Engine | None = None) -> Litestar:
    security_headers = security_headers_hook(settings)  # first: a bad MAP_TILE_URL stops the start
    install_clock(settings.clock)
    install_text_check()  # no NUL or lone surrogate reaches a row, whatever the path (server/domains/storable.py)
    engine = engine or make_engine(settings.database_url)
    jwt_auth = make_jwt_auth(settings, engine)

    jobs = JobRunner(engine, settings, SCHEDULED_JOBS)

    def on_startup() -> None:
        migrate_database(engine)  # alembic upgrade head; several processes starting at once take turns
        if settings.run_jobs:
            jobs.start()

    def on_shutdown() -> None:
        if settings.run_jobs:
            jobs.stop()
        engine.dispose()

    handlers: dict[Any, Any] = {
        DomainError: handle_error,
        HTTPException: handle_error,
        HTTP_500_INTERNAL_SERVER_ERROR: handle_unexpected_error,
    }
    logging_config = LoggingConfig(configure_root_logger=False)
    if settings.log_format == "json":
        logging_config = LoggingConfig(configure_root_logger=False, formatters={"standard": {"()": JsonLogFormatter}})
    return Litestar(
        route_handlers=[
            health,
            MetricsController,
            AuthController,
            DeviceController,
            SyncController,
            ProductController,
            OrderController,
            PipelineController,
            PhotoController,
            CustomerDevelopmentController,
            PrivacyController,
            CampaignController,
            TargetController,
            *WEB_CONTROLLERS,
            create_static_files_router(path="/static", directories=[WEB_ASSETS], include_in_schema=False),
            *pwa_routes(settings.pwa_dir),
        ],
        state=State({"engine": engine, "settings": settings, "jwt_auth": jwt_auth, "sync_kinds": SYNC_KINDS}),
        on_app_init=[jwt_auth.on_app_init],
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        exception_handlers=handlers,
        template_config=TemplateConfig(
            directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=configure_templates
        ),
        openapi_config=OpenAPIConfig(
            title="RouteCRM", version="0.1.0", path="/schema", render_plugins=api_docs.render_plugins()
        ),
        before_send=[security_headers],
        # CSRF tokens tied to the sign-in (server/csrf.py), not Litestar's double submit.
        middleware=[
            gzip_requests,  # first: whatever reads a sync body after it reads it plain
            metrics_config().middleware,
            csrf_middleware(settings.secret_key, settings.secure_cookies),
        ],
        logging_config=logging_config,
        request_max_body_size=MAX_BODY_BYTES,
        compression_config=COMPRESSION,
        debug=False,
    )


def create_app_from_env() -> Litestar:
    """For `uvicorn --factory server.app:create_app_from_env` (several worker processes)."""
    return create_app(Settings.from_env())
