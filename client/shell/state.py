"""View state of the rep's app: plain data the views render (UI = f(state)).

Event handlers (`client/features/<feature>/handlers.py`, built by `client.shell.app`) call the services
and change this state; then the app renders the screen again from it. The sync bar is the one piece
updated in place (it changes while the rep types).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from client.features.account.service import SettingsForm
from client.features.attendance.service import TodayAttendance
from client.features.campaigns.service import MonthProgress, VisitCampaigns
from client.features.complaints.service import ComplaintStepForm
from client.features.photos.service import PhotoThumb
from client.features.pipeline.service import PipelineView
from client.features.pool.service import Ownership
from client.features.reports.service import ReportForm, ReportView
from client.features.today.reminders import CareReminders
from client.location import Location
from client.services import ConflictItem, CustomerCard, DraftFix, OrderLineInput, TodayRoute, VisitRecords
from client.sync_runner import SyncStatus
from shared.approvals import ApprovalRules
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
    NOTE = "note"  # a refused note, fixed and sent again
    CONFLICTS = "conflicts"
    REVOKED = "revoked"  # an admin revoked this phone: data wiped, nothing else opens
    SETTINGS = "settings"  # change the PIN, sign out (client/features/account/service.py)
    REPORT = "report"  # 日报 / 周报 (client/features/reports/service.py)
    POOL = "pool"  # the territory's 公海 (client/features/pool)
    MAP = "map"  # today's route drawn without tiles, with 导航 to each stop (client/features/today/route_map.py)


@dataclass
class SignInForm:
    server_url: str = ""
    username: str = ""
    password: str = ""
    error: str | None = None
    busy: bool = False


# The visit form's fields as the rep types them (text fields hold text until saved).
VISIT_TEXT_FIELDS = ("person_met", "purpose", "progress", "order_amount", "next_visit_date", "notes")


class VisitPanel(StrEnum):
    """The extra record a rep is writing on the visit screen (one at a time)."""

    ORDER = "order"  # 下单
    COMPETITOR = "competitor"  # 竞品信息
    COMPLAINT = "complaint"  # 投诉


@dataclass
class OrderForm:
    """下单: the picked catalogue products in the order they were picked, each with its typed quantity and
    unit price (prefilled with the catalogue's price)."""

    lines: list[OrderLineInput] = field(default_factory=list)
    notes: str = ""
    query: str = ""  # what the rep typed to find a product (client/features/orders/catalogue.py)

    def picked(self) -> set[str]:
        return {line.product_id for line in self.lines}


@dataclass
class CompetitorForm:
    brand: str = ""
    product: str = ""
    price: str = ""
    promotion: str = ""


@dataclass
class ComplaintForm:
    category: str | None = None
    severity: str | None = None
    description: str = ""


@dataclass
class VisitForm:
    visit: dict[str, Any] | None = None  # the stored record once checked in
    customer: dict[str, Any] | None = None
    planned: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    draft: DraftFix | None = None  # fixing refused ops of this visit: saving sends it again
    panel: VisitPanel | None = None
    products: list[dict[str, Any]] = field(default_factory=list)  # the catalogue on offer, for the order form
    usual_products: list[str] = field(default_factory=list)  # this customer's usual product ids, most ordered first
    # The approval rules the phone applies offline (client/features/approvals/expected.py): the order panel says
    # before 确认下单 that the order will wait for a supervisor's approval. None: the server sent none.
    approval_rules: ApprovalRules | None = None
    order: OrderForm = field(default_factory=OrderForm)
    competitor: CompetitorForm = field(default_factory=CompetitorForm)
    complaint: ComplaintForm = field(default_factory=ComplaintForm)
    panel_errors: dict[str, str] = field(default_factory=dict)  # the open panel's problems, by field
    records: VisitRecords = field(default_factory=VisitRecords)  # orders, reports, complaints of this visit
    campaigns: VisitCampaigns = field(default_factory=VisitCampaigns)  # campaigns running, participation recorded
    photos: list[PhotoThumb] = field(default_factory=list)  # the visit's photos (client.features.photos.service)
    photo_error: str | None = None  # why the picked file was not kept (too large, not a photo)
    photo_required: str | None = None  # what photo the visit needs (shared.enums.PhotoRequirement); docs/photos.md
    camera: bool = False  # the app's camera view is there (flet-camera): 现场拍照 is offered
    follows: dict[str, Any] | None = None  # the home visit (家访) a follow-up (回访) carries through
    # After 签退: the visit's summary sits on top with 下一站, today's next unvisited stop (None: route done).
    finished: bool = False
    next_stop: dict[str, Any] | None = None
    # The flags the visit will carry (shared/visit_rules.py), said before 签退 and in the summary after it.
    expected_flags: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The customer's key persons, offered as chips under 访问对象 (the one met last time first).
    key_persons: list[dict[str, Any]] = field(default_factory=list)
    # The position found while the form waits for 签到 (the shell's `locate_ahead`), said under the form.
    located: Location | None = None


@dataclass
class KeyPersonForm:
    """A key person being added (`person_id` None) or edited on the customer card."""

    open: bool = False
    person_id: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    confirm_delete: bool = False  # the rep asked to delete this key person; waiting for the confirmation


@dataclass
class ProspectForm:
    """The customer form: a new prospect, an edit of a customer (`customer_id`), or a refused customer
    op being fixed (`draft`)."""

    name: str = ""
    kind: str = CustomerKind.CLINIC.value
    address: str = ""
    phone: str = ""
    contact_person: str = ""
    door_hours: str = ""  # as typed: "1-5 08:30-11:30 14:30-17:00" (shared/door_hours.py)
    error: str | None = None
    customer_id: str | None = None
    draft: DraftFix | None = None
    # 查重 (client/features/customers/duplicates.py): the local customers the new prospect may be (their
    # DuplicateCandidate), and the values the rep chose 仍然新建 for.
    duplicates: list[Any] = field(default_factory=list)
    create_anyway_for: str | None = None
    # The company's rules send a new customer for approval (client/features/approvals/expected.py): said before
    # saving.
    needs_approval: bool = False

    def values(self) -> dict[str, str]:
        return {
            "name": self.name,
            "kind": self.kind,
            "address": self.address,
            "phone": self.phone,
            "contact_person": self.contact_person,
            "door_hours": self.door_hours,
        }


@dataclass
class NoteForm:
    """A refused note being fixed and sent again."""

    text: str = ""
    customer_name: str = ""
    error: str | None = None
    draft: DraftFix | None = None


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
    ownership: Ownership | None = None  # the open customer's owner as the phone knows it (client/features/pool)
    pool_text: str = ""
    pool_results: list[dict[str, Any]] = field(default_factory=list)  # the 公海 list
    drafts: list[dict[str, Any]] = field(default_factory=list)
    confirm_discard: int | None = None  # the draft whose discarding waits for the rep's confirmation
    note: NoteForm = field(default_factory=NoteForm)
    conflicts: list[ConflictItem] = field(default_factory=list)
    open_conflicts: int = 0  # conflicts not yet reviewed by a supervisor: the Today screen's badge
    care: CareReminders | None = None  # the Today screen's care reminders
    map_here: tuple[float, float] | None = None  # the route map's "you": the newest check-in / check-out today
    map_base: tuple[float, float] | None = None  # the rep's base, where the day starts and ends (route_rules)
    targets: MonthProgress | None = None  # the Today screen's monthly targets and the phone's estimate
    attendance: TodayAttendance | None = None  # Today's 上班 / 下班 row (client/features/attendance)
    key_person: KeyPersonForm = field(default_factory=KeyPersonForm)
    pipeline: PipelineView = field(default_factory=PipelineView)  # the customer card's development section
    complaint_step: ComplaintStepForm = field(default_factory=ComplaintStepForm)  # a complaint moved forward
    report: ReportForm = field(default_factory=ReportForm)  # the report screen's form (日报 / 周报)
    report_view: ReportView = field(default_factory=ReportView)  # its figures, comment and leaderboards
    notice: str | None = None  # a one-line confirmation under the sync bar, e.g. "已保存（待同步）"
    confirm_leave: bool = False  # the rep pressed back on a form holding unsaved typing: asked first
    sync: SyncStatus = field(default_factory=SyncStatus)
    settings: SettingsForm = field(
        default_factory=SettingsForm
    )  # the settings screen (client/features/account/service.py)
