"""The rep's app as a PWA at /app/, on the same origin as the sync API (docs/pwa.md).

`make pwa` (scripts/build_pwa.py) writes the static app to a folder (PWA_DIR, default build/pwa); when it
holds a build the server serves it here, else every /app/ path answers 503 saying how to build it. The routes
are the same either way (GET /app, GET and HEAD /app/{file_path:path}). Open to everyone: the app is code and
carries no data; the rep signs in from it against /api/.

The app's pages need more than the supervisor pages' Content-Security-Policy: WebAssembly (Pyodide, CanvasKit)
is compiled ('wasm-unsafe-eval'), Pyodide builds functions from text ('unsafe-eval'), Flutter sets inline styles
and fonts arrive as data. Nothing from other origins, as everywhere else. Cache-Control `no-cache`: the
browser asks again each time, the service worker (sw.js) is what keeps the app for offline use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import MediaType, Response, Router, get, head
from litestar.params import FromPath
from litestar.static_files import create_static_files_router

from shared.i18n import t

APP_PATH = "/app"
APP_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' data: blob:; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
APP_CACHE_CONTROL = "no-cache"


def is_built(folder: Path | None) -> bool:
    return folder is not None and (folder / "index.html").is_file() and (folder / "sw.js").is_file()


def _not_built() -> Response[str]:
    return Response(
        f"{t('pwa.not_built', 'zh-CN')}\n{t('pwa.not_built', 'en')}\n",
        status_code=503,
        media_type=MediaType.TEXT,
    )


@get(APP_PATH, exclude_from_auth=True, include_in_schema=False)
async def app_not_built() -> Response[str]:
    return _not_built()


@get(APP_PATH + "/{file_path:path}", exclude_from_auth=True, include_in_schema=False)
async def app_file_not_built(file_path: FromPath[Path]) -> Response[str]:
    return _not_built()


@head(APP_PATH + "/{file_path:path}", exclude_from_auth=True, include_in_schema=False)
async def app_file_not_built_head(file_path: FromPath[Path]) -> Response[None]:
    return Response(None, status_code=503)


def pwa_routes(folder: Path | None) -> list[Any]:
    """The static app at /app/ when `folder` holds a build, else the answer saying to build it."""
    if is_built(folder):
        assert folder is not None
        router: Router = create_static_files_router(
            path=APP_PATH,
            directories=[folder],
            html_mode=True,
            name="pwa",
            include_in_schema=False,
            opt={"exclude_from_auth": True},
        )
        return [router]
    return [app_not_built, app_file_not_built, app_file_not_built_head]
