"""Small helpers every feature's form handlers share: a refusal as the form's problems, an amount as typed."""

from __future__ import annotations

from client.services import FormProblems
from client.storage.store import InvalidRecord
from shared.i18n import t


def problems(error: FormProblems | InvalidRecord, lang: str) -> dict[str, str]:
    """The field -> message map a form shows under its fields."""
    if isinstance(error, FormProblems):
        return {name: t(key, lang) for name, key in error.problems.items()}
    return {problem.field: problem.problem for problem in error.errors}


def format_amount(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return ""
