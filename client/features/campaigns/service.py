"""Campaigns and monthly targets on the phone, from the local store only (works offline).

Campaigns arrive by pull (kind "campaign", read-only here). On a visit the rep records whether the customer
took part, an amount attributed to the campaign (or this visit's order, linked) and feedback: one
append-only "campaign_result" record, pushed like an order.

The Today screen's target progress is computed from what the phone holds: the rep's orders and visits of
this month, and the customers whose first order the phone knows of falls in this month. It is an offline
estimate; the server's figure (web /targets, GET /api/targets) is the truth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from client.features.approvals.expected import Expectations
from client.services import EPOCH, AppService, FormProblems, iso, parse_number
from shared.enums import RecordKind
from shared.ids import new_id


@dataclass
class CampaignEntry:
    """The participation form of one campaign on the visit screen, as typed."""

    campaign_id: str | None = None  # the campaign whose form is open
    participated: bool = True
    amount: str = ""
    order_id: str | None = None  # this visit's order, linked
    feedback: str = ""


@dataclass
class VisitCampaigns:
    """The visit screen's campaign section: campaigns running for this customer and what was recorded."""

    campaigns: list[dict[str, Any]] = field(default_factory=list)
    invited: set[str] = field(default_factory=set)  # ids of the campaigns that invited this customer
    results: list[dict[str, Any]] = field(default_factory=list)  # recorded on this visit
    entry: CampaignEntry = field(default_factory=CampaignEntry)
    errors: dict[str, str] = field(default_factory=dict)


def _day(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _moment(value: object) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return EPOCH
    return moment if moment.tzinfo is not None else EPOCH


def running_campaigns(service: AppService, customer_id: str, day: dt.date) -> tuple[list[dict[str, Any]], set[str]]:
    """Campaigns of the customer's territory running on `day`: those inviting the customer first."""
    customer = service.store.get(RecordKind.CUSTOMER, customer_id) or {}
    territory = customer.get("territory")
    found = []
    for campaign in service.store.all(RecordKind.CAMPAIGN):
        starts, ends = _day(campaign.get("starts_on")), _day(campaign.get("ends_on"))
        if starts is None or ends is None or not starts <= day <= ends:
            continue
        if territory and campaign.get("territory") not in (None, territory):
            continue
        found.append(campaign)
    invited = {str(c["id"]) for c in found if customer_id in (c.get("customer_ids") or [])}
    found.sort(key=lambda c: (str(c["id"]) not in invited, str(c.get("ends_on")), str(c.get("name"))))
    return found, invited


def visit_campaigns(service: AppService, visit: dict[str, Any] | None, customer_id: str) -> VisitCampaigns:
    day = _moment(visit.get("check_in_at")).date() if visit else service.clock().date()
    if visit is None or day == EPOCH.date():
        day = service.clock().date()
    campaigns, invited = running_campaigns(service, customer_id, day)
    results = service.store.find(RecordKind.CAMPAIGN_RESULT, visit_id=str(visit["id"])) if visit else []
    return VisitCampaigns(campaigns, invited, sorted(results, key=lambda r: _moment(r.get("recorded_at"))))


def record_participation(service: AppService, visit_id: str, entry: CampaignEntry) -> dict[str, Any]:
    """Store the participation (append-only, pushed with the next sync). Raises FormProblems, storing nothing."""
    visit = service.visit(visit_id)
    if visit is None or entry.campaign_id is None:
        raise FormProblems({"campaign": "client.campaign.unknown"})
    fields: dict[str, Any] = {
        "campaign_id": entry.campaign_id,
        "customer_id": visit["customer_id"],
        "visit_id": visit_id,
        "participated": entry.participated,
        "recorded_at": iso(service.clock()),
    }
    if entry.amount.strip():
        amount = parse_number(entry.amount)
        if amount is None or amount < 0:
            raise FormProblems({"amount": "client.campaign.amount_invalid"})
        fields["amount"] = amount
    if entry.order_id:
        fields["order_id"] = entry.order_id
    if entry.feedback.strip():
        fields["feedback"] = entry.feedback.strip()
    return service._save(RecordKind.CAMPAIGN_RESULT, new_id(), fields)


# ---- targets ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    target: float | None
    actual: float

    @property
    def rate(self) -> float | None:
        """完成率, as on the server (server/domains/targets): None without a target or with a zero target."""
        if self.target is None or self.target <= 0:
            return None
        return self.actual / self.target


@dataclass(frozen=True)
class MonthProgress:
    month: str
    has_target: bool
    sales_amount: Progress
    new_customers: Progress
    visits: Progress


def _mine(record: dict[str, Any], user_id: str | None, field_name: str) -> bool:
    """A record the server credited to this rep, or one made on this phone and not yet back from the server."""
    owner = record.get(field_name)
    return owner == user_id if owner is not None else True


def month_progress(service: AppService, today: dt.date | None = None) -> MonthProgress:
    """This month's targets and the phone's estimate of the actuals (see the module doc)."""
    now = service.clock()
    day = today or now.date()
    tz = now.tzinfo
    month = f"{day.year:04d}-{day.month:02d}"
    user_id = (service.user or {}).get("id")

    def in_month(value: object) -> bool:
        moment = _moment(value)
        if moment == EPOCH:
            return False
        local = moment.astimezone(tz).date()
        return (local.year, local.month) == (day.year, day.month)

    target = next(
        (
            t
            for t in service.store.all(RecordKind.SALES_TARGET)
            if t.get("month") == month and t.get("rep_id") == user_id
        ),
        None,
    )
    # An order waiting for approval (pulled pending, or expected by the phone's rules) or rejected counts nowhere,
    # as on the server (docs/approvals.md): not in the sales, nor as a customer's first order.
    expect = Expectations(service.store)
    orders = [order for order in service.store.all(RecordKind.ORDER) if expect.counts(order)]
    amount = sum(
        float(o.get("amount") or 0) for o in orders if _mine(o, user_id, "rep_id") and in_month(o.get("ordered_at"))
    )
    visits = sum(
        1 for v in service.store.all(RecordKind.VISIT) if _mine(v, user_id, "rep_id") and in_month(v.get("check_in_at"))
    )
    first_orders: dict[str, dict[str, Any]] = {}
    for order in orders:
        customer_id = str(order.get("customer_id"))
        seen = first_orders.get(customer_id)
        if seen is None or _moment(order.get("ordered_at")) < _moment(seen.get("ordered_at")):
            first_orders[customer_id] = order
    new_customers = sum(
        1 for o in first_orders.values() if _mine(o, user_id, "rep_id") and in_month(o.get("ordered_at"))
    )

    def goal(name: str) -> float | None:
        return float(target[name]) if target and target.get(name) is not None else None

    return MonthProgress(
        month=month,
        has_target=target is not None,
        sales_amount=Progress(goal("sales_amount"), round(amount, 2)),
        new_customers=Progress(goal("new_customers"), float(new_customers)),
        visits=Progress(goal("visits"), float(visits)),
    )
