"""The visitor's language (zh-CN by default, `?lang=en` remembered in a cookie) and the template context."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from litestar.connection import ASGIConnection

from server.web.navigation import navigation
from shared.enums import (
    Attitude,
    ComplaintCategory,
    ComplaintStatus,
    CreditRating,
    CustomerKind,
    CustomerStatus,
    Importance,
    KeyPersonRole,
    LossReason,
    PhotoSource,
    PipelineOutcome,
    PipelineStage,
    RecordKind,
    Role,
    Severity,
    StageAction,
    VisitFlag,
    VisitType,
)
from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES, label, t

LANG_COOKIE = "lang"
_ENUMS: dict[str, type[StrEnum]] = {
    "Role": Role,
    "CustomerKind": CustomerKind,
    "CustomerStatus": CustomerStatus,
    "Importance": Importance,
    "VisitType": VisitType,
    "Attitude": Attitude,
    "RecordKind": RecordKind,
    "KeyPersonRole": KeyPersonRole,
    "ComplaintCategory": ComplaintCategory,
    "ComplaintStatus": ComplaintStatus,
    "Severity": Severity,
    "CreditRating": CreditRating,
    "VisitFlag": VisitFlag,
    "PhotoSource": PhotoSource,
    "PipelineStage": PipelineStage,
    "PipelineOutcome": PipelineOutcome,
    "StageAction": StageAction,
    "LossReason": LossReason,
}


def lang_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    asked = connection.query_params.get("lang")
    if asked in LANGUAGES:
        return str(asked)
    stored = connection.cookies.get(LANG_COOKIE)
    return stored if stored in LANGUAGES else DEFAULT_LANGUAGE


def translator(lang: str) -> Callable[..., str]:
    def translate(key: str, **values: object) -> str:
        return t(key, lang, **values)

    return translate


def enum_labeller(lang: str) -> Callable[[str, str | None], str]:
    def enum_label(enum_name: str, value: str | None) -> str:
        if value is None or value == "":
            return "—"
        try:
            return label(_ENUMS[enum_name](value), lang)
        except (KeyError, ValueError):
            return value

    return enum_label


def page_context(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
    lang = lang_of(connection)
    return {
        "lang": lang,
        "other_lang": "en" if lang == "zh-CN" else "zh-CN",
        "t": translator(lang),
        "enum_label": enum_labeller(lang),
        "current_user": connection.scope.get("user"),
        "current_path": connection.url.path,
        "nav": navigation(connection.scope.get("user"), connection.url.path),
    }
