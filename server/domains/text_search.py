"""Text search in lists: what the user typed is matched as text, never as a LIKE pattern.

`q=%` listed every customer (% and _ are LIKE's wildcards) and on PostgreSQL `q=\\` found nothing (its LIKE's
default escape character). `contains` escapes both wildcards and its own escape character. A NUL is dropped
from what was typed: no stored text holds one, and PostgreSQL refuses it even as a query's parameter.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import col


def typed_text(typed: str) -> str:
    """What was typed in a search box, ready to match: trimmed, without NUL."""
    return typed.replace("\x00", "").strip()


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """`column` holds `text` (taken literally): LIKE '%text%' with %, _ and the escape character escaped."""
    return col(column).contains(text, autoescape=True)
