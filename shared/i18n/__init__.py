"""The one translation catalogue: every user-visible string, in zh-CN and en.

The catalogue is split by who shows the string (common, client, web) only to keep files short;
`t()` looks keys up in all of them. Keys are dotted English names, e.g. "visit.save".
"""

from __future__ import annotations

from enum import StrEnum

from shared.i18n import (
    account,
    approvals,
    attendance,
    campaigns,
    chain,
    client,
    common,
    complaints,
    devices,
    duplicates,
    holidays,
    ownership,
    pin,
    pipeline,
    planner,
    pwa,
    reports,
    teams,
    visits,
    web,
    work_reports,
)

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"

CATALOGUE: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
for _part in (
    common,
    client,
    web,
    reports,
    planner,
    devices,
    campaigns,
    pipeline,
    pin,
    holidays,
    teams,
    complaints,
    account,
    visits,
    work_reports,
    attendance,
    ownership,
    duplicates,
    chain,
    approvals,
    pwa,
):
    for _lang in LANGUAGES:
        CATALOGUE[_lang].update(_part.MESSAGES[_lang])


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text of `key` in `lang`; a missing key shows as the key itself, never crashes a screen."""
    messages = CATALOGUE.get(lang) or CATALOGUE[DEFAULT_LANGUAGE]
    template = messages.get(key) or CATALOGUE["en"].get(key) or key
    return template.format(**values) if values else template


def label(member: StrEnum, lang: str = DEFAULT_LANGUAGE) -> str:
    """The display name of an enum member, e.g. VisitType.EARLY -> "早访"."""
    return t(f"enum.{type(member).__name__}.{member.value}", lang)
