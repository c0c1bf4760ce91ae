"""查重 on the phone: before a new prospect is saved, the rep's local customers are checked offline
(shared/duplicates.py) and the likely ones are shown: open that customer, or create the new one anyway.

The check reads the store only; the form's autosave (client/shell/autosave.py) is untouched by it: the
warning is view state, not typing."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import flet as ft

from client.browser import IN_BROWSER
from client.location import LOCATE_TIMEOUT, Location, locate
from client.shell.protocol import Shell
from client.shell.state import ProspectForm, Screen
from client.widgets import muted
from shared.duplicates import distance_reason, likely_duplicates, metres_between, profile, profile_of
from shared.enums import RecordKind
from shared.i18n import t


@dataclass(frozen=True)
class DuplicateCandidate:
    """A local customer the new prospect may be: what the warning shows of it."""

    customer_id: str
    name: str
    address: str
    reasons: str  # "同名、电话相同"
    distance: str | None  # "距您 80 m", when both the phone's and the customer's positions are known


def checked_values(form: ProspectForm) -> str:
    """What the check looked at: the rep's 仍然新建 holds for these values, a change checks again."""
    return "\x1f".join((form.name.strip(), form.address.strip(), form.phone.strip()))


def find_duplicates(
    customers: Iterable[dict[str, Any]], form: ProspectForm, here: Location | None, lang: str, *, limit: int = 3
) -> list[DuplicateCandidate]:
    """The local customers the form's prospect is likely a duplicate of, best first."""
    by_id = {str(record["id"]): record for record in customers if record.get("id") and not record.get("deleted")}
    new = profile(form.name, form.address, form.phone)
    found = likely_duplicates(new, ((key, profile_of(record)) for key, record in by_id.items()), limit=limit)
    candidates = []
    for customer_id, match in found:
        record = by_id[customer_id]
        distance = None
        lat, lng = record.get("lat"), record.get("lng")
        if here is not None and isinstance(lat, int | float) and isinstance(lng, int | float):
            metres = metres_between(here.lat, here.lng, float(lat), float(lng))
            reason = distance_reason(metres, "client.duplicates.distance")
            distance = reason.text(lang)
        candidates.append(
            DuplicateCandidate(
                customer_id, str(record.get("name") or ""), str(record.get("address") or ""), match.text(lang), distance
            )
        )
    return candidates


class DuplicateActions(Protocol):
    def open_duplicate(self, customer_id: str) -> None: ...  # the prospect is that customer: open it instead
    def create_anyway(self) -> None: ...  # 仍然新建: save the prospect as typed


def warning(candidates: list[DuplicateCandidate], lang: str, actions: DuplicateActions) -> ft.Control:
    """可能与…重复: each candidate with its name, address, reasons and distance, and the two choices."""
    rows: list[ft.Control] = [ft.Text(t("client.duplicates.title", lang), weight=ft.FontWeight.BOLD)]
    for candidate in candidates:
        details = [candidate.address, candidate.reasons, candidate.distance or ""]
        rows.append(
            ft.Column(
                [
                    ft.Text(candidate.name, size=16, weight=ft.FontWeight.W_600),
                    *[muted(text) for text in details if text],
                    ft.OutlinedButton(
                        t("client.duplicates.open", lang),
                        icon=ft.Icons.OPEN_IN_NEW,
                        height=48,
                        on_click=lambda e, customer_id=candidate.customer_id: actions.open_duplicate(customer_id),
                    ),
                ],
                spacing=4,
            )
        )
    rows.append(
        ft.Button(
            t("client.duplicates.create_anyway", lang),
            icon=ft.Icons.ADD,
            height=48,
            on_click=lambda e: actions.create_anyway(),
        )
    )
    return ft.Container(
        ft.Column(rows, spacing=10, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
        bgcolor=ft.Colors.AMBER_50,
        border=ft.Border.all(1, ft.Colors.AMBER_700),
        border_radius=8,
        padding=12,
        key="duplicate-warning",
    )


class DuplicateHandlers:
    """The prospect form's duplicate check (part of the customers feature's handlers)."""

    def __init__(self, shell: Shell, save_prospect: Callable[[], None]) -> None:
        self.shell = shell
        self.service = shell.service
        self.save_prospect = save_prospect  # 仍然新建: the form's own save, the check now passed
        self._here: Location | None = None  # where the phone was when the form opened, if it said in time

    def locate_for_duplicates(self) -> None:
        """When the prospect form opens: ask where the phone is, in the background (never waited for)."""
        self._here = None
        on_loop = getattr(self.shell.locator, "on_loop", None)  # client/location/device.DeviceLocator
        if IN_BROWSER and on_loop is not None:  # the PWA: awaited on the page's loop, no thread

            async def ask() -> None:
                self._here = await on_loop(LOCATE_TIMEOUT)

            with contextlib.suppress(Exception):  # the session is gone: no distance shown
                self.shell.page.run_task(ask)
            return

        def worker() -> None:
            self._here = locate(self.shell.locator)

        try:
            self.shell.page.run_thread(worker)
        except Exception:  # no page loop (tests) or the session is gone: no distance shown
            return

    def duplicates_cleared(self, form: ProspectForm) -> bool:
        """Before a new prospect is saved: True when nothing local looks like it (or the rep chose 仍然新建
        for these values); else the candidates go into the form and the form shows them."""
        values = checked_values(form)
        if form.create_anyway_for == values:
            return True
        found = find_duplicates(self.service.store.all(RecordKind.CUSTOMER), form, self._here, self.shell.state.lang)
        form.duplicates = found
        if not found:
            return True
        self.shell.render()
        return False

    def create_anyway(self) -> None:
        with self.shell.ui:
            form = self.shell.state.prospect
            form.create_anyway_for = checked_values(form)
            form.duplicates = []
            self.save_prospect()

    def open_duplicate(self, customer_id: str) -> None:
        """The new prospect is that customer: its card opens, the typed prospect is left (the rep chose)."""
        with self.shell.ui:
            self.shell.state.prospect.duplicates = []
            self.shell.forget_form_draft()
            self.shell.state.note_draft = ""
            self.shell.show(Screen.CUSTOMER, customer_id)
