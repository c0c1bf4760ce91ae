"""What an operator sees: Prometheus metrics per route template, JSON log lines, logged unexpected errors."""

from __future__ import annotations

import json
import logging
import logging.config
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

import server.app
from server.observability import JsonLogFormatter, uvicorn_log_config
from sync.protocol import SCHEMA_VERSION
from tests.integration.conftest import World, login


def _sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one series in Prometheus' text format, 0 if absent."""
    for line in metrics.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_by_route_template(client: AsyncTestClient[Litestar], seeded: World) -> None:
    headers = await login(client, "rep.a")
    pull = {"path": "/api/sync/pull", "method": "POST", "status_code": "200"}
    before = _sample((await client.get("/metrics")).text, "routecrm_requests_total", **pull)
    for customer_id in seeded.customers_a[:2]:
        await client.get(f"/customers/{customer_id}", headers=headers)
    for _ in range(3):
        await client.post("/api/sync/pull", json={"cursor": 0, "schema_version": SCHEMA_VERSION}, headers=headers)

    response = await client.get("/metrics")
    assert response.status_code == 200, "metrics are open to the scraper without a token"
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    assert _sample(after, "routecrm_requests_total", **pull) == before + 3
    assert _sample(after, "routecrm_request_duration_seconds_count", **pull) >= 3
    # Two customers, one series: labels are route templates, so the number of series stays bounded.
    assert seeded.customers_a[0] not in after, "an id leaked into a metric label"
    assert re.search(r'routecrm_requests_total\{[^}]*path="/customers/\{customer_id', after)


async def test_an_unexpected_error_is_logged_and_answered_without_its_text(
    client: AsyncTestClient[Litestar], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_engine: object) -> bool:
        raise RuntimeError("secret detail 42")

    monkeypatch.setattr(server.app, "check_database", broken)
    with caplog.at_level(logging.ERROR, logger="server.errors"):
        response = await client.get("/health")
    assert response.status_code == 500
    assert "secret detail 42" not in response.text
    [record] = [r for r in caplog.records if r.name == "server.errors"]
    assert record.exc_info is not None and "secret detail 42" in str(record.exc_info[1])
    assert "GET /health" in record.getMessage()


async def test_metrics_are_not_in_the_api_schema(client: AsyncTestClient[Litestar]) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/metrics" not in schema["paths"]


def test_json_log_lines_carry_access_fields() -> None:
    access = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/health", "1.1", 200),
        None,
    )
    line = json.loads(JsonLogFormatter().format(access))
    assert line["method"] == "GET" and line["path"] == "/health" and line["status"] == 200
    assert line["level"] == "info" and line["logger"] == "uvicorn.access" and line["time"].endswith("+00:00")

    try:
        raise ValueError("boom 你好")
    except ValueError:
        import sys

        failed = logging.LogRecord("server.jobs", logging.ERROR, __file__, 1, "job %s failed", ("x",), sys.exc_info())
    line = json.loads(JsonLogFormatter().format(failed))
    assert line["message"] == "job x failed" and "boom 你好" in line["exception"]


def test_uvicorn_log_config_is_valid_for_both_formats() -> None:
    for log_format in ("text", "json"):
        config = uvicorn_log_config(log_format)
        logging.config.dictConfig(config)  # raises on a bad config
        assert config["loggers"]["uvicorn.access"]["handlers"] == ["default"]
