"""Stand-ins and readers the unit tests share (fixtures are in conftest.py next to this file)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import flet as ft

from client.storage.store import LocalStore
from client.sync_runner import SyncStatus
from shared.enums import RecordKind
from shared.ids import new_id
from sync.protocol import Change

Now = TypeVar("Now")


class FakeClock(Generic[Now]):
    """A clock the test sets: calling it says `now` (a datetime or a monotonic float, as the code under test reads)."""

    def __init__(self, now: Now) -> None:
        self.now = now

    def __call__(self) -> Now:
        return self.now


class Page:
    """Enough of a Flet page for handlers that render: updates are counted, nothing is drawn."""

    def __init__(self) -> None:
        self.updates = 0
        self.title = ""
        self.web = True

    def update(self) -> None:
        self.updates += 1


class Runner:
    status = SyncStatus()

    def add_listener(self, listener: Any) -> None: ...
    def remove_listener(self, listener: Any) -> None: ...
    def notify_saved(self) -> None: ...


class Recorder:
    """Actions that record what was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.calls.append((name, args))


def pulled(store: LocalStore, kind: RecordKind, data: dict[str, object]) -> str:
    """A record of `kind` the phone received from the server; its new id."""
    record_id = new_id()
    seq = store.pull_cursor() + 1
    store.apply_pull_page([Change(seq, kind, record_id, False, data)], seq)
    return record_id


def walk(node: Any) -> Iterator[Any]:
    """A control and every control under it, through `content` and `controls`."""
    yield node
    value = getattr(node, "content", None)
    if isinstance(value, ft.Control):
        yield from walk(value)
    for child in getattr(node, "controls", None) or []:
        yield from walk(child)


def texts(control: Any) -> list[str]:
    """Every string a control tree shows (Text values, button contents, field labels)."""
    found: list[str] = []
    if isinstance(control, ft.Text) and control.value:
        found.append(str(control.value))
    for attribute in ("content", "label"):
        value = getattr(control, attribute, None)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, ft.Control):
            found += texts(value)
    for child in getattr(control, "controls", None) or []:
        found += texts(child)
    return found


def buttons(control: Any) -> dict[str, Any]:
    """The buttons of a control tree by their text."""
    found: dict[str, Any] = {}
    if isinstance(control, ft.Button | ft.TextButton | ft.OutlinedButton) and isinstance(control.content, str):
        found[control.content] = control
    content = getattr(control, "content", None)
    if isinstance(content, ft.Control):
        found |= buttons(content)
    for child in getattr(control, "controls", None) or []:
        found |= buttons(child)
    return found
