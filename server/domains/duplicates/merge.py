"""Merging two customers (合并): a supervisor keeps A and merges B into it.

B's visits, orders, notes, key persons, complaints and their steps, opportunities and their stage events,
competitor reports, campaign results and photos move to A (each moved record goes to the phones again, as
A's, in A's territory); B's stops in route plans and its invitations to campaigns become A's. B becomes a
tombstone with `merged_into = A`, which phones receive (`{"merged_into": A}`): at their next pull they drop B
and re-point their own records and waiting ops to A. An op a phone pushes later naming B (a
note written offline before the merge) is applied to A (`following_merges`, wrapped around every kind's
handler in server/sync_kinds.py), so it lands on the survivor and is never lost; a delete of B is then a no-op.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from server.actor import Actor
from server.changes.kinds import Applying, KindHandler
from server.changes.log import record_change, record_data, rep_audience
from server.clock import now_iso
from server.domains.access import lookup
from server.domains.approvals.service import follow_merge
from server.domains.campaigns.models import Campaign, CampaignResult
from server.domains.competitors.models import CompetitorReport
from server.domains.complaints.models import Complaint, ComplaintStep
from server.domains.customers.models import Customer
from server.domains.customers.service import customer_data
from server.domains.duplicates.models import DuplicatePair
from server.domains.duplicates.service import OPEN
from server.domains.key_persons.models import KeyPerson
from server.domains.notes.models import Note
from server.domains.orders.models import Order
from server.domains.photos.models import VisitPhoto
from server.domains.pipeline.models import Opportunity, StageEvent
from server.domains.routes.models import RoutePlan
from server.domains.routes.service import route_plan_data
from server.domains.teams import sees
from server.domains.visits.models import Visit
from server.errors import NotFound, ValidationFailed
from shared.enums import OpAction, RecordKind
from sync.protocol import MERGED_INTO

MERGED = "merged"

# The records that belong to a customer, moved to the survivor and sent to the phones again.
MOVED: tuple[tuple[RecordKind, type[SQLModel]], ...] = (
    (RecordKind.VISIT, Visit),
    (RecordKind.ORDER, Order),
    (RecordKind.NOTE, Note),
    (RecordKind.KEY_PERSON, KeyPerson),
    (RecordKind.COMPLAINT, Complaint),
    (RecordKind.COMPLAINT_STEP, ComplaintStep),
    (RecordKind.OPPORTUNITY, Opportunity),
    (RecordKind.STAGE_EVENT, StageEvent),
    (RecordKind.COMPETITOR_REPORT, CompetitorReport),
    (RecordKind.CAMPAIGN_RESULT, CampaignResult),
)


@dataclass(frozen=True)
class MergeResult:
    survivor: Customer
    merged: Customer
    moved: dict[str, int]  # record kind -> how many moved


def _visible(session: Session, actor: Actor, customer_id: str, path: str) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None or customer.deleted or not sees(actor, customer.territory):
        raise NotFound("no such customer", path=path)
    return customer


def merge_customers(session: Session, actor: Actor, survivor_id: str, merged_id: str) -> MergeResult:
    """Merge `merged_id` (B) into `survivor_id` (A); both must stand and be the actor's to see."""
    if survivor_id == merged_id:
        raise ValidationFailed("a customer cannot be merged into itself", path="merged_id")
    survivor = _visible(session, actor, survivor_id, "survivor_id")
    merged = _visible(session, actor, merged_id, "merged_id")
    territory, moved = survivor.territory, {}
    for kind, model in MOVED:
        customer_column = col(getattr(model, "customer_id"))  # noqa: B009 - every moved model has one
        rows: list[Any] = list(session.exec(select(model).where(customer_column == merged_id)).all())
        for row in rows:
            row.customer_id = survivor_id
            if hasattr(row, "territory"):
                row.territory = territory
            session.add(row)
            if getattr(row, "deleted", False):
                continue  # a tombstone stays one; phones have dropped it already
            data = record_data(row, exclude={"deleted"} if hasattr(row, "deleted") else None)
            record_change(session, kind, str(row.id), audience=territory, territory=territory, data=data)
        moved[kind.value] = len(rows)
    moved[RecordKind.APPROVAL.value] = follow_merge(session, merged_id, survivor)  # 审批 requests, pending too
    for photo in session.exec(select(VisitPhoto).where(VisitPhoto.customer_id == merged_id)).all():
        photo.customer_id, photo.territory = survivor_id, territory  # reached through its visit, moved above
        session.add(photo)
    for plan in session.exec(select(RoutePlan)).all():
        if merged_id in plan.customer_ids:
            plan.customer_ids = list(dict.fromkeys(survivor_id if c == merged_id else c for c in plan.customer_ids))
            plan.updated_at = now_iso()
            session.add(plan)
            data = route_plan_data(plan)
            record_change(
                session,
                RecordKind.ROUTE_PLAN,
                plan.id,
                audience=rep_audience(plan.rep_id),
                territory=plan.territory,
                data=data,
            )
    for campaign in session.exec(select(Campaign)).all():
        if merged_id in campaign.customer_ids:
            campaign.customer_ids = list(
                dict.fromkeys(survivor_id if c == merged_id else c for c in campaign.customer_ids)
            )
            session.add(campaign)
            record_change(
                session,
                RecordKind.CAMPAIGN,
                campaign.id,
                audience=campaign.territory,
                territory=campaign.territory,
                data=record_data(campaign),
            )
    merged.deleted, merged.merged_into, merged.updated_at = True, survivor_id, now_iso()
    session.add(merged)
    # The tombstone names the survivor (sync/protocol.py MERGED_INTO): a phone re-points its own records and
    # waiting ops from B to A at once (client/storage/store.py); an older phone reads a plain tombstone.
    record_change(
        session,
        RecordKind.CUSTOMER,
        merged.id,
        audience=merged.territory,
        territory=merged.territory,
        data={MERGED_INTO: survivor_id},
        deleted=True,
    )
    survivor.updated_at = now_iso()
    session.add(survivor)
    record_change(
        session, RecordKind.CUSTOMER, survivor.id, audience=territory, territory=territory, data=customer_data(survivor)
    )
    for pair in session.exec(
        select(DuplicatePair).where(
            DuplicatePair.status == OPEN,
            col(DuplicatePair.customer_id).in_([merged_id, survivor_id])
            & col(DuplicatePair.other_id).in_([merged_id, survivor_id]),
        )
    ).all():
        pair.status, pair.decided_by, pair.decided_at = MERGED, actor.id, now_iso()
        session.add(pair)
    return MergeResult(survivor, merged, moved)


def survivor_of(session: Session, customer_id: str) -> str | None:
    """The customer a merged one went into (following a chain of merges), or None when it was not merged."""
    seen: set[str] = set()
    current = customer_id
    while current not in seen:
        seen.add(current)
        customer = lookup(session, Customer, current)
        if customer is None or not customer.merged_into:
            return None if current == customer_id else current
        current = customer.merged_into
    return None


def _repointed(applying: Applying) -> Applying | None:
    """The op with a merged customer replaced by its survivor; None for a delete of a merged customer."""
    op = applying.op
    if op.kind is RecordKind.CUSTOMER:
        survivor = survivor_of(applying.session, op.record_id)
        if survivor is None:
            return applying
        if op.action is OpAction.DELETE:
            return None
        return dataclasses.replace(applying, op=dataclasses.replace(op, record_id=survivor))
    customer_id = op.fields.get("customer_id")
    if not isinstance(customer_id, str):
        return applying
    survivor = survivor_of(applying.session, customer_id)
    if survivor is None:
        return applying
    return dataclasses.replace(applying, op=dataclasses.replace(op, fields={**op.fields, "customer_id": survivor}))


def following_merges(handler: KindHandler) -> KindHandler:
    """`handler` applying ops that name a merged customer to its survivor."""

    def wrap(apply: Callable[[Applying], None]) -> Callable[[Applying], None]:
        def applied(applying: Applying) -> None:
            target = _repointed(applying)
            if target is not None:
                apply(target)

        return applied

    delete = wrap(handler.delete) if handler.delete is not None else None
    return dataclasses.replace(handler, put=wrap(handler.put), delete=delete)
