"""The API's documentation at /schema: a page of our own, rendered on the server from the OpenAPI schema.

Litestar's Swagger, Redoc and friends load their scripts from a CDN and start them with an inline script; the
Content-Security-Policy (script-src 'self', nothing from other origins: server/app.py) rightly refuses both, so
those pages stayed blank. This page needs no script and nothing from elsewhere: every operation by tag, with
its summary, body and answers, and links to the schema itself (/schema/openapi.json and .yaml) for any
OpenAPI viewer or client generator. /schema/swagger and /schema/redoc show the same page (old links).
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin, YamlRenderPlugin

METHODS = ("get", "post", "put", "patch", "delete")


class ApiDocsPage(OpenAPIRenderPlugin):
    def __init__(self) -> None:
        super().__init__(path=["/", "/swagger", "/redoc", "/elements", "/rapidoc"])

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return docs_page(openapi_schema).encode("utf-8")


def _operations(schema: dict[str, Any]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in sorted(schema.get("paths", {}).items()):
        for method in METHODS:
            operation = item.get(method)
            if operation is not None:
                tag = (operation.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((method.upper(), path, operation))
    return by_tag


def _row(method: str, path: str, operation: dict[str, Any]) -> str:
    summary = operation.get("summary") or ""
    description = operation.get("description") or ""
    body = operation.get("requestBody", {}).get("content", {})
    answers = ", ".join(sorted(operation.get("responses", {})))
    token = "no" if operation.get("security") == [{}] else "Bearer"
    return (
        f'<tr id="{escape(method.lower() + path)}"><td><code>{method}</code></td><td><code>{escape(path)}</code></td>'
        f"<td><strong>{escape(summary)}</strong><br>{escape(description).replace(chr(10), '<br>')}</td>"
        f"<td>{escape(', '.join(body)) or '—'}</td><td>{token}</td><td>{escape(answers)}</td></tr>"
    )


def docs_page(schema: dict[str, Any]) -> str:
    info = schema.get("info", {})
    title = f"{info.get('title', 'API')} {info.get('version', '')}".strip()
    sections = []
    for tag, operations in sorted(_operations(schema).items()):
        rows = "".join(_row(*operation) for operation in operations)
        sections.append(
            f'<section class="card"><h2>{escape(tag)}</h2><div class="table-scroll"><table class="grid">'
            "<thead><tr><th>method</th><th>path</th><th>what</th><th>body</th><th>token</th><th>answers</th></tr>"
            f"</thead><tbody>{rows}</tbody></table></div></section>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="/static/app.css"></head><body><main>'
        f"<h1>{escape(title)}</h1>"
        '<p>The schema: <a href="/schema/openapi.json">/schema/openapi.json</a> and '
        '<a href="/schema/openapi.yaml">/schema/openapi.yaml</a>, for any OpenAPI viewer or client generator. '
        "Sign in with <code>POST /api/auth/login</code> and send the token as <code>Authorization: Bearer</code>; "
        "every error answer is <code>{&quot;error&quot;: {&quot;code&quot;, &quot;message&quot;, &quot;path&quot;, "
        "&quot;details&quot;}}</code>.</p>" + "".join(sections) + "</main></body></html>"
    )


def render_plugins() -> list[OpenAPIRenderPlugin]:
    return [ApiDocsPage(), JsonRenderPlugin(), YamlRenderPlugin()]
