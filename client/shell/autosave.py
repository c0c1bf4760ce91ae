"""Nothing typed is lost: the form on screen is kept in the local store as the rep types.

A rep records a visit at a counter, often interrupted; the app may be killed, or the battery may die, with
text typed and not yet saved. So the form being typed (the visit, a note on the customer card, a new
prospect or a customer's edit) is written to the store's metadata a moment after the last keystroke
(`DEBOUNCE_S`): one fsynced journal line, sealed like every byte of the store. When the app starts again and
is unlocked, the same screen opens with the same text. The draft goes when its form is saved, or when the
rep leaves the form (asked first while it holds changes: `FormDraft.differs`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from client.browser import IN_BROWSER
from client.shell.state import AppState, Screen
from client.storage.store import FORM_DRAFT as FORM_DRAFT  # the store's metadata key (a merge re-points it)

DEBOUNCE_S = 0.6
PROSPECT_FIELDS = ("name", "kind", "address", "phone", "contact_person", "door_hours")


@dataclass(frozen=True)
class FormDraft:
    """What the rep typed into the form on `screen`: `target` is the record it belongs to (a visit once checked
    in, the customer a note or an edit is about; None for a new prospect), `customer_id` the visit's customer."""

    screen: str
    target: str | None
    values: dict[str, Any] = field(default_factory=dict)
    customer_id: str | None = None

    def as_meta(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_meta(cls, value: object) -> FormDraft | None:
        if not isinstance(value, dict) or not isinstance(value.get("values"), dict):
            return None
        try:
            return cls(str(value["screen"]), value.get("target"), dict(value["values"]), value.get("customer_id"))
        except KeyError:
            return None


def draft_of(state: AppState) -> FormDraft | None:
    """The form on screen as a draft; None on a screen without a form."""
    if state.screen is Screen.VISIT and state.visit.customer is not None:
        visit = state.visit.visit
        return FormDraft(
            Screen.VISIT.value,
            str(visit["id"]) if visit else None,
            dict(state.visit.values),
            str(state.visit.customer["id"]),
        )
    if state.screen is Screen.CUSTOMER and state.customer_id:
        return FormDraft(Screen.CUSTOMER.value, state.customer_id, {"note": state.note_draft})
    if state.screen is Screen.REPORT and state.report.starts_on:
        report = state.report
        values = {"summary": report.summary, "next_focus": report.next_focus}
        return FormDraft(Screen.REPORT.value, f"{report.period}:{report.starts_on}", values)
    if state.screen is Screen.PROSPECT and state.prospect.draft is None:
        values = {name: getattr(state.prospect, name) for name in PROSPECT_FIELDS}
        return FormDraft(Screen.PROSPECT.value, state.prospect.customer_id, values)
    return None


def apply_draft(state: AppState, draft: FormDraft) -> None:
    """Put the draft's typed values back into the form its screen has just loaded."""
    if draft.screen == Screen.VISIT.value:
        state.visit.values.update(draft.values)
    elif draft.screen == Screen.CUSTOMER.value:
        state.note_draft = str(draft.values.get("note") or "")
    elif draft.screen == Screen.REPORT.value:
        state.report.summary = str(draft.values.get("summary") or "")
        state.report.next_focus = str(draft.values.get("next_focus") or "")
    elif draft.screen == Screen.PROSPECT.value:
        for name in PROSPECT_FIELDS:
            if isinstance(draft.values.get(name), str):
                setattr(state.prospect, name, draft.values[name])


def has_typing(draft: FormDraft | None, clean: FormDraft | None) -> bool:
    """Whether the form holds something typed since it was opened (or last saved)."""
    if draft is None:
        return False
    if draft.screen == Screen.CUSTOMER.value:
        return bool(str(draft.values.get("note") or "").strip())
    return clean is None or draft != clean


class Debouncer:
    """Calls `action` once, `delay` seconds after the last `touch()` (on a timer thread)."""

    def __init__(self, action: Callable[[], None], delay: float = DEBOUNCE_S) -> None:
        self.action, self.delay = action, delay
        self._timer: threading.Timer | asyncio.TimerHandle | None = None
        self._lock = threading.Lock()

    def touch(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            if IN_BROWSER:  # no threads in Pyodide: the event loop's timer (client/browser.py)
                self._timer = asyncio.get_event_loop().call_later(self.delay, self.action)
                return
            timer = threading.Timer(self.delay, self.action)
            timer.daemon = True
            timer.start()
            self._timer = timer

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
