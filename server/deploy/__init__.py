"""Deployment files the server renders for an operator: the nginx config (docs/deploy.md)."""

from __future__ import annotations

import re
from pathlib import Path

NGINX_TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"
_ADDRESS = re.compile(r"^[\w.\-\[\]:]+$")  # host:port, [::1]:port or a port; nothing nginx would parse as syntax


def nginx_config(
    *,
    upstream: list[str],
    listen: str,
    http_listen: str,
    server_name: str,
    certificate: str,
    certificate_key: str,
    prefix: str,
) -> str:
    """The template with every {{name}} filled in; values that would break the config's syntax are refused."""
    for value in [*upstream, listen, http_listen, server_name]:
        if not _ADDRESS.match(value) and value != "_":
            raise ValueError(f"not an address, port or server name: {value!r}")
    for path in (certificate, certificate_key, prefix):
        if any(char in path for char in ";{}\n\"' "):
            raise ValueError(f"unsupported characters in path: {path!r}")
    if not upstream:
        raise ValueError("at least one --upstream host:port is needed")
    values = {
        "upstreams": "\n".join(f"        server {address} max_fails=3 fail_timeout=10s;" for address in upstream),
        "listen": listen,
        "http_listen": http_listen,
        "server_name": server_name,
        "certificate": certificate,
        "certificate_key": certificate_key,
        "prefix": prefix.rstrip("/"),
    }
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    rendered = re.sub(r"\{\{(\w+)\}\}", lambda match: values[match.group(1)], text)
    return rendered
