"""The last check before a row is stored: no text column (nor text inside a JSON column) holds what no
database can hold (`shared.records.unstorable_text`: a NUL, a lone surrogate).

Record fields meet the rule where they are validated (shared/records.py `text`: pushes, web forms, the JSON
API, imports); this catches every other path (a territory's description, a queue's note, a review comment,
...) when the ORM flushes, so a NUL is refused (422 naming the column) instead of being kept on SQLite and
pulled by phones, or answering 500 on PostgreSQL. Rows inserted in bulk by the push (`insert_rows`) were
checked by the protocol already.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlmodel import Session

from server.errors import ValidationFailed
from shared.records import unstorable_text

MAX_DEPTH = 32  # JSON columns hold records checked for nesting already; this only bounds the walk


def _problem_in(value: Any, depth: int = 0) -> str | None:
    if isinstance(value, str):
        return unstorable_text(value)
    if depth >= MAX_DEPTH:
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _problem_in(key, depth + 1) or _problem_in(item, depth + 1)
            if problem:
                return problem
    elif isinstance(value, list | tuple):
        for item in value:
            problem = _problem_in(item, depth + 1)
            if problem:
                return problem
    return None


def refuse_unstorable_text(session: Session, _context: Any, _instances: Any) -> None:
    for row in (*session.new, *session.dirty):
        state = inspect(row)
        for attribute in state.mapper.column_attrs:
            if row in session.dirty and not state.attrs[attribute.key].history.has_changes():
                continue
            problem = _problem_in(getattr(row, attribute.key, None))
            if problem is not None:
                table = state.mapper.local_table.name
                raise ValidationFailed(
                    f"{attribute.key} {problem}",
                    path=f"{table}.{attribute.key}",
                    key="web.error.unstorable_text",
                )


def install() -> None:
    """Check every flush of every session (idempotent: create_app calls it)."""
    if not event.contains(Session, "before_flush", refuse_unstorable_text):
        event.listen(Session, "before_flush", refuse_unstorable_text)
