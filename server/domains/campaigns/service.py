"""Campaigns (营销活动): planned by supervisors, received by the territory's phones, measured from real records.

A supervisor plans a campaign for one territory: type, name, period, invited customers, cost. Phones of
that territory receive it (kind "campaign", read-only). A rep records a customer's participation on a
visit (kind "campaign_result", append-only like orders). The results are computed here:

- invited: the customers the supervisor invited;
- participants: customers with at least one result saying they took part (invited or not);
- orders and amount: orders (server/domains/orders) of participants whose order day (in the server's time
  zone) lies within the campaign's period, first and last day included;
- return (投入产出比): that amount / cost; none when the cost is zero (nothing to divide by).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from server.actor import Actor
from server.changes.log import record_change, record_data
from server.clock import now_iso
from server.domains.access import (
    check_fields,
    customer_in_reach,
    lookup,
    store_territory_record,
    visit_of,
)
from server.domains.append_only import AppendOnly
from server.domains.campaigns.models import Campaign, CampaignResult
from server.domains.customers.models import Customer
from server.domains.orders.models import Order, counted_order
from server.domains.teams import sees, team_only
from server.domains.visits.service import mark_day_to_recheck
from server.errors import Forbidden, NotFound, ValidationFailed
from shared.enums import RecordKind
from shared.visit_rules import VisitFlagRules

CAMPAIGN_FIELDS = ("campaign_type", "name", "territory", "starts_on", "ends_on", "customer_ids", "cost", "notes")
MAX_INVITED = 2000


def campaign_data(campaign: Campaign) -> dict[str, Any]:
    return record_data(campaign)


def campaign_return(amount: float, cost: float) -> float | None:
    """投入产出比: the amount ordered per yuan spent; None for a campaign that cost nothing."""
    if cost <= 0:
        return None
    return round(amount / cost, 2)


def ensure_can_plan(actor: Actor, territory: str, *, path: str) -> None:
    """Supervisors plan campaigns: a supervisor with a territory in it only, admins (and head supervisors) anywhere."""
    if actor.is_rep:
        raise Forbidden("only supervisors plan campaigns", path=path)
    if actor.territory is not None and territory != actor.territory:
        raise Forbidden(f"the campaign's territory is outside yours ({actor.territory})", path=f"{path}.territory")


def put_campaign(
    session: Session, actor: Actor, campaign_id: str, fields: Mapping[str, Any], *, path: str = "campaign"
) -> Campaign:
    """Create the campaign, or change the given fields; the territory's phones receive it with their next pull."""
    campaign = session.get(Campaign, campaign_id)
    check_fields(RecordKind.CAMPAIGN, fields, creating=campaign is None, path=path)
    values = dict(fields)
    for name in ("starts_on", "ends_on"):
        if name in values:
            values[name] = dt.date.fromisoformat(values[name])
    if campaign is not None:
        ensure_can_plan(actor, campaign.territory, path=path)
        if "territory" in values and values["territory"] != campaign.territory:
            raise ValidationFailed(
                "a campaign stays in its territory: plan a new one instead", path=f"{path}.territory"
            )
    territory = values.get("territory") or (campaign.territory if campaign else "")
    ensure_can_plan(actor, territory, path=path)
    starts = values.get("starts_on") or (campaign.starts_on if campaign else None)
    ends = values.get("ends_on") or (campaign.ends_on if campaign else None)
    if starts is not None and ends is not None and ends < starts:
        raise ValidationFailed("the campaign must end on or after its first day", path=f"{path}.ends_on")
    if "customer_ids" in values:
        values["customer_ids"] = _invited(session, values["customer_ids"], territory, path=f"{path}.customer_ids")
    now = now_iso()
    if campaign is None:
        campaign = Campaign(id=campaign_id, created_by=actor.id, created_at=now, updated_at=now, **values)
    else:
        for name, value in values.items():
            setattr(campaign, name, value)
        campaign.updated_at = now
    session.add(campaign)
    record_change(
        session,
        RecordKind.CAMPAIGN,
        campaign.id,
        audience=campaign.territory,
        territory=campaign.territory,
        data=campaign_data(campaign),
    )
    return campaign


def _invited(session: Session, customer_ids: list[str], territory: str, *, path: str) -> list[str]:
    """The invited customers, each once, in the order given: every one must exist in the campaign's territory."""
    ids = list(dict.fromkeys(customer_ids))
    if len(ids) > MAX_INVITED:
        raise ValidationFailed(f"at most {MAX_INVITED} customers can be invited", path=path)
    found = {
        customer.id: customer
        for customer in session.exec(select(Customer).where(col(Customer.id).in_(ids))).all()
        if not customer.deleted
    }
    for index, customer_id in enumerate(ids):
        customer = found.get(customer_id)
        if customer is None:
            raise ValidationFailed(f"no customer with id {customer_id}", path=f"{path}[{index}]")
        if customer.territory != territory:
            raise ValidationFailed(
                f"customer {customer.name} is in {customer.territory}, not in the campaign's territory {territory}",
                path=f"{path}[{index}]",
            )
    return ids


def get_campaign(session: Session, actor: Actor, campaign_id: str) -> Campaign:
    """The campaign, if the actor may see it: their team's only (server/domains/teams.py)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or not sees(actor, campaign.territory):
        raise NotFound("no such campaign", path="campaign_id")
    return campaign


def list_campaigns(session: Session, actor: Actor, *, active_on: dt.date | None = None) -> list[Campaign]:
    """Newest first; the actor's team's campaigns (a company-wide supervisor and admins: every one)."""
    query = select(Campaign).where(team_only(actor, Campaign.territory))
    if active_on is not None:
        query = query.where(col(Campaign.starts_on) <= active_on, col(Campaign.ends_on) >= active_on)
    return list(session.exec(query.order_by(col(Campaign.starts_on).desc(), col(Campaign.name))).all())


# ---- participation, recorded on visits ---------------------------------------------------------------


RESULTS = AppendOnly(
    RecordKind.CAMPAIGN_RESULT,
    CampaignResult,
    message="a campaign result never changes once recorded: record a new one instead",
    reason="result_is_final",
)


def put_campaign_result(
    session: Session,
    actor: Actor,
    result_id: str,
    fields: Mapping[str, Any],
    *,
    path: str = "campaign_result",
    flag_rules: VisitFlagRules | None = None,
    tz: ZoneInfo | None = None,
) -> CampaignResult:
    """A customer's participation as the rep recorded it on a visit; never changes once stored. With the
    company's `flag_rules`, the visit's photo flags are judged again (a 陈列 may need a photo: docs/photos.md)."""
    existing = RESULTS.existing(session, result_id, fields, path=path)
    if existing is not None:
        return existing
    customer = customer_in_reach(session, actor, fields["customer_id"], path=path)
    campaign = lookup(session, Campaign, fields["campaign_id"])
    if campaign is None:
        raise ValidationFailed(
            "no campaign with this id", path=f"{path}.fields.campaign_id", details={"reason": "unknown_campaign"}
        )
    if campaign.territory != customer.territory:
        raise ValidationFailed(
            "the campaign is not in the customer's territory",
            path=f"{path}.fields.campaign_id",
            details={"reason": "campaign_of_another_territory"},
        )
    visit = visit_of(session, actor, customer, fields["visit_id"], path=path, doing="records on it")
    order_id = fields.get("order_id")
    if order_id is not None:
        order = lookup(session, Order, order_id)
        if order is None or order.visit_id != visit.id:
            raise ValidationFailed(
                "the linked order must be an order of the same visit",
                path=f"{path}.fields.order_id",
                details={"reason": "order_of_another_visit"},
            )
    result = CampaignResult(
        id=result_id,
        rep_id=visit.rep_id,
        territory=customer.territory,
        created_at=now_iso(),
        **fields,
    )
    store_territory_record(session, RecordKind.CAMPAIGN_RESULT, result)
    if flag_rules is not None and flag_rules.campaign_photo_required:
        mark_day_to_recheck(session, visit.rep_id, visit.visit_day, flag_rules, tz)
    return result


# ---- results -----------------------------------------------------------------------------------------


@dataclass
class RepOutcome:
    rep_id: str
    results: int = 0  # participation records
    participants: set[str] = field(default_factory=set)
    orders: int = 0
    amount: float = 0.0


@dataclass
class CampaignOutcome:
    campaign: Campaign
    invited: int
    participants: set[str]
    invited_participants: int  # participants the supervisor had invited
    orders: int
    amount: float  # orders of participants within the period
    attributed: float  # the amounts reps attributed on their visits (their word; `amount` is the record)
    results: list[CampaignResult]
    per_rep: list[RepOutcome]

    @property
    def cost(self) -> float:
        return self.campaign.cost

    @property
    def return_ratio(self) -> float | None:
        return campaign_return(self.amount, self.campaign.cost)

    @property
    def participation_rate(self) -> float | None:
        """Invited customers who took part / invited; None when nobody was invited."""
        return round(self.invited_participants / self.invited, 4) if self.invited else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign.id,
            "invited": self.invited,
            "participants": len(self.participants),
            "invited_participants": self.invited_participants,
            "participation_rate": self.participation_rate,
            "orders": self.orders,
            "amount": self.amount,
            "attributed_amount": self.attributed,
            "cost": self.cost,
            "return": self.return_ratio,
            "per_rep": [
                {
                    "rep_id": rep.rep_id,
                    "results": rep.results,
                    "participants": len(rep.participants),
                    "orders": rep.orders,
                    "amount": rep.amount,
                }
                for rep in self.per_rep
            ],
        }


def campaign_outcome(campaign: Campaign, results: Iterable[CampaignResult], orders: Iterable[Order]) -> CampaignOutcome:
    """The campaign's results from its participation records and the orders (pure: the caller reads them)."""
    results = sorted(results, key=lambda result: result.recorded_at)
    participants = {result.customer_id for result in results if result.participated}
    counted = [
        order
        for order in orders
        if order.customer_id in participants and campaign.starts_on <= order.order_day <= campaign.ends_on
    ]
    reps: dict[str, RepOutcome] = {}
    for result in results:
        rep = reps.setdefault(result.rep_id, RepOutcome(result.rep_id))
        rep.results += 1
        if result.participated:
            rep.participants.add(result.customer_id)
    for order in counted:
        rep = reps.setdefault(order.rep_id, RepOutcome(order.rep_id))
        rep.orders += 1
        rep.amount = round(rep.amount + order.amount, 2)
    invited = set(campaign.customer_ids)
    return CampaignOutcome(
        campaign=campaign,
        invited=len(invited),
        participants=participants,
        invited_participants=len(participants & invited),
        orders=len(counted),
        amount=round(sum(order.amount for order in counted), 2),
        attributed=round(sum(result.amount or 0.0 for result in results if result.participated), 2),
        results=results,
        per_rep=sorted(reps.values(), key=lambda rep: (-rep.amount, rep.rep_id)),
    )


def campaign_results(session: Session, campaign: Campaign) -> CampaignOutcome:
    results = session.exec(select(CampaignResult).where(CampaignResult.campaign_id == campaign.id)).all()
    participants = sorted({result.customer_id for result in results if result.participated})
    orders: list[Order] = []
    for start in range(0, len(participants), 500):
        chunk = participants[start : start + 500]
        query = select(Order).where(
            col(Order.customer_id).in_(chunk),
            col(Order.order_day) >= campaign.starts_on,
            col(Order.order_day) <= campaign.ends_on,
            counted_order(),
        )
        orders += session.exec(query).all()
    return campaign_outcome(campaign, results, orders)


def results_of_visit(session: Session, visit_id: str) -> list[CampaignResult]:
    return list(session.exec(select(CampaignResult).where(CampaignResult.visit_id == visit_id)).all())
