"""Records that never change once made: competitor reports, visit photos, campaign results, complaint steps,
stage events and orders. A phone whose push answer was lost sends the same record again: the same fields
change nothing; a different value is refused (409, `details.reason`), since such a record is final."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic

from sqlmodel import Session

from server.domains.access import Record, check_fields, lookup
from server.errors import Conflict
from shared.enums import RecordKind


def unequal(record: Any, name: str, value: Any) -> bool:
    """Whether a field sent again holds another value than the stored one."""
    return bool(getattr(record, name) != value)


@dataclass(frozen=True)
class AppendOnly(Generic[Record]):
    """One kind of record that never changes: `message` and `reason` are the 409's when a put changes it;
    `differs` says whether a field sent again holds another value than the stored one (by default: unequal)."""

    kind: RecordKind
    model: type[Record]
    message: str
    reason: str
    differs: Callable[[Record, str, Any], bool] = unequal

    def existing(self, session: Session, record_id: str, fields: Mapping[str, Any], *, path: str) -> Record | None:
        """The record stored before under this id, sent again unchanged; None: a new record. The fields are
        checked first, as a new record's or as a change's; a field with another value than the stored one is
        refused, naming it."""
        record = lookup(session, self.model, record_id)
        check_fields(self.kind, fields, creating=record is None, path=path)
        if record is not None:
            for name, value in fields.items():
                if self.differs(record, name, value):
                    raise Conflict(self.message, path=f"{path}.fields.{name}", details={"reason": self.reason})
        return record
