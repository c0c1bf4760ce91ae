"""The rep's day map's tile source (MAP_TILE_URL) and what it adds to the Content-Security-Policy.

Empty (the default): the map is drawn on a plain background and the browser fetches nothing. Set: a URL
template with {z}, {x} and {y} (and optionally {s} for a subdomain), e.g. 天地图's Web Mercator layer or
a tile server on the company's network; its origin, and only it, is allowed as an image source.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# A host name, possibly with Leaflet's {s} (a subdomain letter or digit) in its first label.
_HOST = re.compile(r"^(?:[a-z0-9-]*\{s\}[a-z0-9-]*\.)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9-]+$")


def tile_image_source(url: str) -> str | None:
    """The CSP source its tiles load from: None for no tiles or tiles on this server (a path, 'self' covers
    it), "https://*.tiles.example.cn" for "https://{s}.tiles.example.cn/...". A URL that is no tile
    template, or could widen the policy beyond one origin, is refused (ValueError) when the server starts."""
    if not url:
        return None
    if not all(part in url for part in ("{z}", "{x}", "{y}")):
        raise ValueError("MAP_TILE_URL must contain {z}, {x} and {y}")
    if any(ch.isspace() or ch in ";,'\"" for ch in url):
        raise ValueError("MAP_TILE_URL must not contain spaces, quotes, commas or semicolons")
    if url.startswith("/") and not url.startswith("//"):
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise ValueError("MAP_TILE_URL must be an http(s) URL or a path on this server")
    if "{" in host.replace("{s}", "") or not _HOST.match(host):
        raise ValueError("MAP_TILE_URL's host may hold only {s}, in its first label")
    if "{s}" in host:
        host = "*." + host.split(".", 1)[1]
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def content_security_policy(base: str, tile_url: str) -> str:
    """`base` with the tile source added to img-src (the only directive tiles need: Leaflet draws <img>s)."""
    source = tile_image_source(tile_url)
    if source is None:
        return base
    directives = [part.strip() for part in base.split(";")]
    return "; ".join(f"{part} {source}" if part.startswith("img-src ") else part for part in directives)
