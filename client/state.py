"""View state of the rep's app: plain data the views render (UI = f(state)).

Event handlers in `client.app` call the services and change this state; then the app renders the
screen again from it. The sync bar is the one piece updated in place (it changes while the rep types).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from client.services import CustomerCard, TodayRoute
from client.sync_runner import SyncStatus
from shared.enums import CustomerKind
from shared.i18n import DEFAULT_LANGUAGE


class Screen(StrEnum):
    SIGN_IN = "sign_in"
    TODAY = "today"
    CUSTOMER = "customer"
    VISIT = "visit"
    PROSPECT = "prospect"
    SEARCH = "search"
    DRAFTS = "drafts"


@dataclass
class SignInForm:
    server_url: str = ""
    username: str = ""
    password: str = ""
    error: str | None = None
    busy: bool = False


# The visit form's fields as the rep types them (text fields hold text until saved).
VISIT_TEXT_FIELDS = ("person_met", "purpose", "progress", "order_amount", "next_visit_date", "notes")


@dataclass
class VisitForm:
    visit: dict[str, Any] | None = None  # the stored record once checked in
    customer: dict[str, Any] | None = None
    planned: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None


@dataclass
class ProspectForm:
    name: str = ""
    kind: str = CustomerKind.CLINIC.value
    address: str = ""
    phone: str = ""
    contact_person: str = ""
    error: str | None = None


@dataclass
class AppState:
    lang: str = DEFAULT_LANGUAGE
    screen: Screen = Screen.SIGN_IN
    history: list[tuple[Screen, str | None]] = field(default_factory=list)
    user: dict[str, Any] | None = None
    sign_in: SignInForm = field(default_factory=SignInForm)
    today: TodayRoute | None = None
    customer_id: str | None = None
    customer: CustomerCard | None = None
    note_draft: str = ""
    note_error: str | None = None
    visit: VisitForm = field(default_factory=VisitForm)
    prospect: ProspectForm = field(default_factory=ProspectForm)
    search_text: str = ""
    search_results: list[dict[str, Any]] = field(default_factory=list)
    drafts: list[dict[str, Any]] = field(default_factory=list)
    notice: str | None = None  # a one-line confirmation under the sync bar, e.g. "已保存（待同步）"
    sync: SyncStatus = field(default_factory=SyncStatus)
