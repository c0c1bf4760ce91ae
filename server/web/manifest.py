"""The web app manifest, so a supervisor can put the desk on the phone's home screen (Add to Home screen).

Its name and description are in the page's language: base.html links `/manifest.webmanifest?lang=<page's>`,
since a browser fetches the manifest without cookies. Open to everyone, as the sign-in page links it too.
The icons are drawn by server/web/app_icons.py and served as static files.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from server.web.i18n import lang_of
from shared.i18n import t

MANIFEST_PATH = "/manifest.webmanifest"
MANIFEST_MEDIA_TYPE = "application/manifest+json"
THEME_COLOUR = "#102a43"  # the bar's navy (assets/web/app.css)
BACKGROUND_COLOUR = "#f5f7f9"
ICONS = [
    {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {"src": "/static/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
]


def web_app_manifest(lang: str) -> dict[str, Any]:
    return {
        "id": "/board",
        "name": t("app.name", lang),
        "short_name": t("web.app.short_name", lang),
        "description": t("web.app.description", lang),
        "lang": lang,
        "dir": "ltr",
        "start_url": "/board",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": ICONS,
    }


class WebAppManifest(Controller):
    path = MANIFEST_PATH
    include_in_schema = False

    @get("/", exclude_from_auth=True)
    async def manifest(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        return Response(
            web_app_manifest(lang_of(request)),
            media_type=MANIFEST_MEDIA_TYPE,
            headers={"Cache-Control": "public, max-age=86400"},
        )
