"""What a push needs of each kind of record a phone writes: the model its records are stored in, and the
handlers that apply an op of that kind. Each domain that syncs says this in its own `sync.py`;
server/sync_kinds.py puts them together, so the sync service names no domain."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel import Session, SQLModel

from server.actor import Actor
from server.changes.merging import Edit
from server.clock import accepted_clock
from server.settings import Settings
from shared.enums import RecordKind
from sync.protocol import Op


@dataclass(frozen=True)
class Applying:
    """One op of a push being applied, and what its handler may need: `path` names the op in errors."""

    session: Session
    settings: Settings
    actor: Actor
    op: Op
    path: str
    # The op was stamped after the phone's clock was set back (server/domains/chain/op_clock.py): the figures of the
    # visit flag `clock_set_back`; None for every other op.
    clock_set_back: dict[str, Any] | None = None

    def edit(self) -> Edit:
        """The op as an edit of fields that merge by their clocks (customers, key persons, complaints...)."""
        op = self.op
        # An op without a clock (an app from before clocks) writes over what is there, as it always did.
        base = op.base if op.hlc is not None else None
        return Edit(clock=accepted_clock(op.hlc), base=base, op_id=op.op_id, device_id=op.device_id)

    def clock(self) -> str | None:
        """The op's clock as the server keeps it; None for an app from before clocks (the domain decides)."""
        return accepted_clock(self.op.hlc) if self.op.hlc is not None else None


@dataclass(frozen=True)
class KindHandler:
    """How ops of one kind are applied: `put` stores the op's fields, `delete` (deletable kinds only)
    tombstones the record; `model` is where the push looks its records up (read once for the whole push)."""

    model: type[SQLModel]
    put: Callable[[Applying], None]
    delete: Callable[[Applying], None] | None = None


SyncKinds = Mapping[RecordKind, KindHandler]


# ---- handlers for the usual service functions -------------------------------------------------------


class PutsFields(Protocol):
    """A domain's `put_x(session, actor, x_id, fields, *, path)`."""

    def __call__(
        self, session: Session, actor: Actor, record_id: str, fields: Mapping[str, Any], /, *, path: str
    ) -> object: ...


class PutsEdit(Protocol):
    """A domain's `put_x(session, actor, x_id, fields, *, path, edit)`: fields that merge by their clocks."""

    def __call__(
        self, session: Session, actor: Actor, record_id: str, fields: Mapping[str, Any], /, *, path: str, edit: Edit
    ) -> object: ...


class Deletes(Protocol):
    """A domain's `delete_x(session, actor, x_id, *, path)`."""

    def __call__(self, session: Session, actor: Actor, record_id: str, /, *, path: str) -> object: ...


def put_fields(put: PutsFields) -> Callable[[Applying], None]:
    """The handler that puts the op's fields with `put`."""

    def handler(applying: Applying) -> None:
        op = applying.op
        put(applying.session, applying.actor, op.record_id, op.fields, path=applying.path)

    return handler


def put_edit(put: PutsEdit) -> Callable[[Applying], None]:
    """The handler that puts the op's fields with `put`, as an edit merged by the fields' clocks."""

    def handler(applying: Applying) -> None:
        op = applying.op
        put(applying.session, applying.actor, op.record_id, op.fields, path=applying.path, edit=applying.edit())

    return handler


def delete_record(delete: Deletes) -> Callable[[Applying], None]:
    """The handler that deletes the op's record with `delete`."""

    def handler(applying: Applying) -> None:
        delete(applying.session, applying.actor, applying.op.record_id, path=applying.path)

    return handler
