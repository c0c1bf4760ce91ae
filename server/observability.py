"""What an operator watches: Prometheus metrics at /metrics and one JSON object per log line.

Metrics are per process (each server process is a scrape target, as usual behind a balancer); the request
counters and latency histograms come from Litestar's Prometheus plugin, labelled by route template so the
number of series stays bounded. Logs: `LOG_FORMAT=json` makes uvicorn's and the app's logs JSON lines that
a collector can read without parsing text; access lines carry method, path, status and client as fields.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

METRICS_PATH = "/metrics"
# Seconds; sync requests are expected well under 300 ms, a first pull of a territory a few seconds.
LATENCY_BUCKETS: list[str | float] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]


class MetricsController(PrometheusController):
    path = METRICS_PATH
    include_in_schema = False


def metrics_config() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="routecrm",
        prefix="routecrm",
        group_path=True,  # /customers/{customer_id:str}, not one series per customer
        exclude_unhandled_paths=True,
        exclude=[METRICS_PATH, "/static/"],
        buckets=LATENCY_BUCKETS,
    )


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the access fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, http_version, status = record.args
            line.update(
                message=f"{method} {path} {status}",
                client=client,
                method=method,
                path=path,
                http_version=http_version,
                status=status,
            )
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def uvicorn_log_config(log_format: str, level: str = "info") -> dict[str, Any]:
    """A logging.config dict for uvicorn.run: uvicorn's own loggers and the app's (`server.*`) on stderr."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonLogFormatter"}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}
    loggers = {name: {"handlers": ["default"], "level": level.upper(), "propagate": False} for name in LOGGERS}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": loggers,
    }


LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "server", "litestar")
