"""Approval requests (审批, docs/approvals.md): made when a pushed op or a supervisor's change matches a rule of
shared/approvals.py, decided by a supervisor of the team with a comment, audited, and sent to the territory's
phones (RecordKind.APPROVAL) so the rep sees 待审批 / 已批准 / 已驳回.

Nothing is ever lost by a rule: the order or the customer is stored at once with a pending status (it counts
nowhere until approved); a credit change or an over-limit claim is kept in the request's payload and applied
when approved. A rejection keeps everything the rep typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from server.actor import Actor
from server.clock import now_iso, today
from server.domains.access import store_territory_record
from server.domains.audit.service import audit
from server.domains.customers.models import Customer
from server.domains.customers.service import set_computed
from server.domains.development.rules import LifecycleRules
from server.domains.development.service import refresh_lifecycle, set_credit_rating
from server.domains.orders.models import Order
from server.domains.orders.service import order_data
from server.domains.ownership.service import change_owner
from server.domains.pipeline.service import after_order
from server.domains.teams import ensure_sees, team_only, visible_customer
from server.domains.users.models import User
from server.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.approvals import ApprovalKind, ApprovalRules, ApprovalStatus, Need, credit_change_need
from shared.enums import ClaimAction, CreditRating, OwnerChangeReason, RecordKind
from shared.errors import ErrorCode
from shared.ids import new_id
from shared.records import unstorable_text

from .models import ApprovalRequest

COMMENT_MAX = 500


def approval_data(request: ApprovalRequest) -> dict[str, Any]:
    """The request as phones receive it (shared.records SCHEMAS[approval] plus the server's fields), payload aside."""
    return {
        "id": request.id,
        "kind": request.kind,
        "record_id": request.record_id,
        "customer_id": request.customer_id,
        "customer_name": request.customer_name,
        "territory": request.territory,
        "rep_id": request.rep_id,
        "rep_name": request.rep_name,
        "reason": request.reason,
        "figures": dict(request.figures or {}),
        "status": request.status,
        "requested_at": request.requested_at,
        "decided_by_name": request.decided_by_name,
        "decided_at": request.decided_at,
        "comment": request.comment,
    }


def _store(session: Session, request: ApprovalRequest) -> None:
    store_territory_record(session, RecordKind.APPROVAL, request, approval_data(request))


def follow_merge(session: Session, merged_id: str, survivor: Customer) -> int:
    """A merge (server/domains/duplicates/merge.py): the merged customer's requests go to the survivor, pending
    or decided, and to the phones again (`record_id` keeps naming the record the request was made about)."""
    requests = list(session.exec(select(ApprovalRequest).where(ApprovalRequest.customer_id == merged_id)).all())
    for request in requests:
        request.customer_id, request.customer_name = survivor.id, survivor.name
        request.territory = survivor.territory
        _store(session, request)
    return len(requests)


def find_request(session: Session, kind: ApprovalKind, record_id: str) -> ApprovalRequest | None:
    """The request for this record (a push sent again finds the one it made), pending ones of this session too."""
    for pending in session.new:
        if isinstance(pending, ApprovalRequest) and pending.kind == kind.value and pending.record_id == record_id:
            return pending
    query = select(ApprovalRequest).where(ApprovalRequest.kind == kind.value, ApprovalRequest.record_id == record_id)
    return session.exec(query).first()


def request_approval(
    session: Session,
    actor: Actor,
    kind: ApprovalKind,
    record_id: str,
    customer: Customer,
    need: Need,
    payload: Mapping[str, Any] | None = None,
) -> ApprovalRequest:
    """Make the request (once per record and kind) and audit it; phones of the territory receive it."""
    existing = find_request(session, kind, record_id)
    if existing is not None:
        return existing
    request = ApprovalRequest(
        id=new_id(),
        kind=kind.value,
        record_id=record_id,
        customer_id=customer.id,
        customer_name=customer.name,
        territory=customer.territory,
        rep_id=actor.id,
        rep_name=actor.display_name[:60],
        reason=need.reason,
        figures=dict(need.figures),
        payload=dict(payload or {}),
        status=ApprovalStatus.PENDING.value,
        requested_at=now_iso(),
    )
    _store(session, request)
    audit(
        session,
        "approval.requested",
        actor_id=actor.id,
        actor_name=actor.username,
        details={"request_id": request.id, "kind": kind.value, "record_id": record_id, "reason": need.reason},
    )
    return request


# ---- what the rules catch ---------------------------------------------------------------------------------


def order_needs_approval(session: Session, actor: Actor) -> Any:
    """`on_need` for orders.service.put_order: the pending order's request."""

    def on_need(order: Order, need: Need) -> None:
        customer = session.get(Customer, order.customer_id)
        assert customer is not None  # put_order found it
        request_approval(session, actor, ApprovalKind.ORDER, order.id, customer, need)

    return on_need


def claim_needs_approval(session: Session, actor: Actor, change_id: str, fields: Mapping[str, Any]) -> Any:
    """`over_limit` for ownership.service.apply_claim_op: a claim beyond POOL_CLAIM_LIMIT waits for approval."""

    def over_limit(customer: Customer, need: Need) -> None:
        payload = {"at": str(fields.get("at")), "reason": fields.get("reason")}
        request_approval(session, actor, ApprovalKind.CLAIM, change_id, customer, need, payload)

    return over_limit


def new_customer_needs_approval(session: Session, actor: Actor, customer: Customer, need: Need) -> None:
    """A customer a rep created on the phone (APPROVE_NEW_CUSTOMERS=1): stored, marked pending, requested."""
    set_computed(session, customer, {"approval_status": ApprovalStatus.PENDING.value})
    request_approval(session, actor, ApprovalKind.NEW_CUSTOMER, customer.id, customer, need)


def change_credit(
    session: Session,
    actor: Actor,
    customer_id: str,
    *,
    rating: str | None,
    limit: str | None,
    reason: str | None,
    rules: ApprovalRules,
) -> ApprovalRequest | None:
    """A supervisor's change of a customer's credit rating and/or credit limit (信用额度, yuan; empty: no limit).
    With CREDIT_CHANGE_APPROVAL on it becomes a request another supervisor or an admin decides; else applied."""
    if actor.is_rep:
        raise Forbidden("only supervisors change a customer's credit", path="credit")
    customer = visible_customer(session, actor, customer_id)
    if customer.deleted:
        raise NotFound("no such customer", path="customer_id")
    after: dict[str, Any] = {}
    if rating:
        if rating not in {r.value for r in CreditRating}:
            allowed = ", ".join(r.value for r in CreditRating)
            raise ValidationFailed(f"credit_rating must be one of {allowed}", path="credit_rating")
        after["credit_rating"] = rating
    if limit is not None:
        after["credit_limit"] = parse_credit_limit(limit)
    if reason is not None and len(reason) > 200:
        raise ValidationFailed("reason must be at most 200 characters", path="reason")
    before = {"credit_rating": customer.credit_rating, "credit_limit": customer.credit_limit}
    need = credit_change_need(before, after, rules)
    if need is None:
        _apply_credit(session, actor, customer, after, reason)
        return None
    pending = find_request(session, ApprovalKind.CREDIT_CHANGE, customer.id)
    if pending is not None and pending.status == ApprovalStatus.PENDING.value:
        raise Conflict("a credit change of this customer already waits for approval", path="credit")
    if pending is not None:  # one row per customer and kind: a decided request makes room for the next
        session.delete(pending)
        session.flush()
    payload = {**after, "reason": reason}
    return request_approval(session, actor, ApprovalKind.CREDIT_CHANGE, customer.id, customer, need, payload)


def parse_credit_limit(text: str) -> float | None:
    """信用额度 as typed: yuan, up to the fen, 0 to 1e9; empty: no limit."""
    value = text.strip().replace(",", "")
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValidationFailed(f"credit_limit must be a number of yuan, not {text!r}", path="credit_limit") from None
    if not 0 <= number <= 1e9 or number != number:
        raise ValidationFailed("credit_limit must be between 0 and 1,000,000,000 yuan", path="credit_limit")
    return round(number, 2)


def _apply_credit(
    session: Session, actor: Actor, customer: Customer, after: Mapping[str, Any], reason: str | None
) -> None:
    if "credit_rating" in after:
        set_credit_rating(session, actor, customer.id, after["credit_rating"], reason)
    if "credit_limit" in after and customer.credit_limit != after["credit_limit"]:
        previous = customer.credit_limit
        set_computed(session, customer, {"credit_limit": after["credit_limit"]})
        audit(
            session,
            "customer.credit_limit",
            actor_id=actor.id,
            actor_name=actor.username,
            details={"customer_id": customer.id, "from": previous, "to": after["credit_limit"], "reason": reason},
        )


# ---- deciding ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deciding:
    """What applying an approved order needs (the lifecycle's rules and the company's day)."""

    lifecycle: LifecycleRules
    tz: ZoneInfo


def decide(
    session: Session,
    actor: Actor,
    request_id: str,
    decision: str,
    comment: str | None,
    deciding: Deciding,
) -> ApprovalRequest:
    """Approve or reject a pending request with a comment (required to reject), as a supervisor of its team or
    an admin. A credit change is never decided by the supervisor who asked for it. Audited."""
    if actor.is_rep:
        raise Forbidden("only supervisors approve or reject requests", path="decision")
    request = get_request(session, actor, request_id)  # unknown, or another team's: 404
    try:
        status = ApprovalStatus(decision)
    except ValueError:
        status = ApprovalStatus.PENDING
    if status is ApprovalStatus.PENDING:
        raise ValidationFailed(
            "decision must be approved or rejected", path="decision", key="web.approvals.bad_decision"
        )
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise ValidationFailed(
            f"comment must be at most {COMMENT_MAX} characters", path="comment", key="web.approvals.comment_long"
        )
    if text and unstorable_text(text):
        raise ValidationFailed(f"comment: {unstorable_text(text)}", path="comment")
    if status is ApprovalStatus.REJECTED and not text:
        raise ValidationFailed(
            "say why in a comment when rejecting", path="comment", key="web.approvals.comment_needed"
        )
    if request.status != ApprovalStatus.PENDING.value:
        raise Conflict(
            f"this request was {request.status} already",
            path="request_id",
            code=ErrorCode.ALREADY_DECIDED,
            details={"status": request.status, "decided_by_name": request.decided_by_name},
            key="web.approvals.already_decided",
        )
    if request.kind == ApprovalKind.CREDIT_CHANGE.value and request.rep_id == actor.id:
        raise Forbidden("a credit change is decided by another supervisor or an admin", path="request_id")
    _apply(session, actor, request, status, deciding)
    request.status = status.value
    request.decided_by_id = actor.id
    request.decided_by_name = actor.display_name[:60]
    request.decided_at = now_iso()
    request.comment = text or None
    _store(session, request)
    audit(
        session,
        f"approval.{status.value}",
        actor_id=actor.id,
        actor_name=actor.username,
        details={
            "request_id": request.id,
            "kind": request.kind,
            "record_id": request.record_id,
            "customer_id": request.customer_id,
            "comment": request.comment,
        },
    )
    return request


def _apply(
    session: Session, actor: Actor, request: ApprovalRequest, status: ApprovalStatus, deciding: Deciding
) -> None:
    """What the decision changes besides the request itself."""
    approved = status is ApprovalStatus.APPROVED
    kind = ApprovalKind(request.kind)
    if kind is ApprovalKind.ORDER:
        order = session.get(Order, request.record_id)
        if order is None:
            raise NotFound("the order of this request is gone", path="request_id")
        order.approval_status = status.value
        store_territory_record(session, RecordKind.ORDER, order, order_data(order))
        if approved:  # it counts from now: the customer's lifecycle and development move as for any order
            session.flush()
            customer = session.get(Customer, order.customer_id)
            if customer is not None:
                refresh_lifecycle(session, [customer], today(deciding.tz), deciding.lifecycle)
            after_order(session, order)
    elif kind is ApprovalKind.NEW_CUSTOMER:
        customer = session.get(Customer, request.record_id)
        if customer is not None:
            set_computed(session, customer, {"approval_status": status.value})
    elif kind is ApprovalKind.CREDIT_CHANGE and approved:
        customer = session.get(Customer, request.customer_id)
        if customer is None or customer.deleted:
            raise Conflict("the customer was deleted", path="request_id")
        payload = dict(request.payload or {})
        after: dict[str, Any] = {name: payload[name] for name in ("credit_rating", "credit_limit") if name in payload}
        _apply_credit(session, actor, customer, after, payload.get("reason"))
    elif kind is ApprovalKind.CLAIM and approved:
        customer = session.get(Customer, request.customer_id)
        if customer is None or customer.deleted:
            raise Conflict("the customer was deleted", path="request_id")
        rep = session.get(User, request.rep_id) if request.rep_id else None
        if rep is None or not rep.active or rep.territory != customer.territory:
            raise Conflict("the rep who claimed it no longer works this territory: reject it", path="request_id")
        if customer.owner_rep_id not in (None, rep.id):
            raise Conflict("the customer is no longer in the pool: reject the claim", path="request_id")
        payload = dict(request.payload or {})
        change_owner(
            session,
            customer,
            rep,
            how=OwnerChangeReason.CLAIM,
            by=actor,
            reason=payload.get("reason"),
            change_id=request.record_id,
            action=ClaimAction.CLAIM,
            at=str(payload.get("at") or now_iso()),
        )


# ---- reading ----------------------------------------------------------------------------------------------


def list_requests(
    session: Session, actor: Actor, *, decided: bool = False, kind: str = "", limit: int = 200
) -> list[ApprovalRequest]:
    """The team's requests: pending ones oldest first (the queue), or decided ones newest first."""
    pending = col(ApprovalRequest.status) == ApprovalStatus.PENDING.value
    query = select(ApprovalRequest).where(team_only(actor, ApprovalRequest.territory))
    query = query.where(col(ApprovalRequest.status) != ApprovalStatus.PENDING.value if decided else pending)
    if kind:
        query = query.where(ApprovalRequest.kind == kind)
    order = col(ApprovalRequest.decided_at).desc() if decided else col(ApprovalRequest.requested_at)
    return list(session.exec(query.order_by(order).limit(limit)).all())


def pending_count(session: Session, actor: Actor) -> int:
    query = select(func.count()).where(
        ApprovalRequest.status == ApprovalStatus.PENDING.value, team_only(actor, ApprovalRequest.territory)
    )
    return int(session.exec(query.select_from(ApprovalRequest)).one())


def requests_of_customer(session: Session, actor: Actor, customer_id: str) -> list[ApprovalRequest]:
    """A customer's requests, newest first (the customer page)."""
    query = select(ApprovalRequest).where(
        ApprovalRequest.customer_id == customer_id, team_only(actor, ApprovalRequest.territory)
    )
    return list(session.exec(query.order_by(col(ApprovalRequest.requested_at).desc())).all())


def get_request(session: Session, actor: Actor, request_id: str) -> ApprovalRequest:
    request = session.get(ApprovalRequest, request_id)
    if request is None:
        raise NotFound("no such approval request", path="request_id")
    ensure_sees(actor, request.territory, what="approval request", path="request_id")
    return request
