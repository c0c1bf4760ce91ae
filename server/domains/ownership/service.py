"""Who owns each customer: the public pool (公海), claims and releases, assignments, handovers (docs/ownership.md).

Ownership is `Customer.owner_rep_id` (None: the customer is in its territory's pool). Every change goes
through `change_owner`, which writes it with `customers.service.set_computed` (so phones receive the new
owner with the customer, at their next pull) and keeps an `OwnerChange` row: who, from whom, to whom, why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from server.actor import Actor
from server.clock import local_day, today, utc_now
from server.db import write_session
from server.domains.access import check_fields, customer_in_reach, lookup
from server.domains.audit.service import audit
from server.domains.customers.models import Customer
from server.domains.customers.service import set_computed
from server.domains.orders.models import Order
from server.domains.ownership.models import OwnerChange
from server.domains.teams import ensure_sees, team_only, visible_customer
from server.domains.users.models import User
from server.domains.visits.models import Visit
from server.errors import Conflict, Forbidden, NotFound, ValidationFailed
from server.settings import Settings
from shared.approvals import ApprovalRules, Need, claim_need
from shared.enums import ClaimAction, OwnerChangeReason, RecordKind, Role, ValueTier
from shared.errors import ErrorCode
from shared.ids import new_id
from shared.pool import ClaimStanding, PoolRules, claim_limit_problem, return_due

POOL = "pool"  # the handover target that means the territory's public pool
MAX_REASON = 200


def pool_rules(settings: Settings) -> PoolRules:
    return PoolRules(settings.pool_return_days, settings.pool_claim_limit, settings.pool_owned_limit)


def claim_standing(session: Session, settings: Settings, actor: Actor) -> dict[str, Any]:
    """A rep's claim limits and this month's claims, for the phone to tell before 认领 (`pool_rules` of the
    sign-in and pull answers); {} for anyone else."""
    if not actor.is_rep:
        return {}
    day, rules = today(settings.tz), pool_rules(settings)
    claimed = claims_this_month(session, actor.id, day, settings.tz)
    approval = settings.approval_rules.claim_over_limit
    return ClaimStanding(rules.claim_limit, rules.owned_limit, approval, day.isoformat()[:7], claimed).as_dict()


def _name(session: Session, rep_id: str | None) -> str | None:
    user = session.get(User, rep_id) if rep_id else None
    return user.display_name if user else None


def change_owner(
    session: Session,
    customer: Customer,
    to_rep: User | None,
    *,
    how: OwnerChangeReason,
    by: Actor | None,
    reason: str | None = None,
    change_id: str | None = None,
    action: ClaimAction | None = None,
    at: str | None = None,
    now: dt.datetime | None = None,
) -> OwnerChange | None:
    """Give `customer` to `to_rep` (None: the pool) and keep the change in its history; None if it is theirs already.
    `recorded_at` is to the microsecond (UTC): the history's order even for changes within one second."""
    to_id = to_rep.id if to_rep else None
    if customer.owner_rep_id == to_id:
        return None
    recorded_at = (now or utc_now()).astimezone(dt.UTC).isoformat(timespec="microseconds")
    change = OwnerChange(
        id=change_id or new_id(),
        customer_id=customer.id,
        territory=customer.territory,
        action=action.value if action else None,
        how=how.value,
        from_rep_id=customer.owner_rep_id,
        from_name=_name(session, customer.owner_rep_id),
        to_rep_id=to_id,
        to_name=to_rep.display_name if to_rep else None,
        by_id=by.id if by else None,
        by_name=by.display_name if by else None,
        reason=(reason or "").strip()[:MAX_REASON] or None,
        at=at or recorded_at,
        recorded_at=recorded_at,
    )
    set_computed(session, customer, {"owner_rep_id": to_id})
    session.add(change)
    return change


# ---- the phone's 认领 / 释放 (a `customer_claim` op) -------------------------------------------------------


def _owned_ids(session: Session, rep_id: str) -> set[str]:
    """The customers a rep owns now, counting changes of this session not yet flushed (a push does not flush)."""
    owned = set(
        session.exec(select(Customer.id).where(Customer.owner_rep_id == rep_id, col(Customer.deleted).is_(False))).all()
    )
    for record in list(session.identity_map.values()):
        if isinstance(record, Customer):
            if record.owner_rep_id == rep_id and not record.deleted:
                owned.add(record.id)
            else:
                owned.discard(record.id)
    return owned


def claims_this_month(session: Session, rep_id: str, day: dt.date, tz: Any) -> int:
    """How many customers the rep claimed from the pool in `day`'s calendar month (company zone)."""
    start = day.replace(day=1)
    since = (dt.datetime.combine(start, dt.time(), tz) - dt.timedelta(days=1)).isoformat()[:10]
    query = select(OwnerChange.recorded_at).where(
        OwnerChange.to_rep_id == rep_id,
        OwnerChange.how == OwnerChangeReason.CLAIM.value,
        OwnerChange.recorded_at >= since,
    )
    stamps = list(session.exec(query).all())
    stamps += [
        record.recorded_at
        for record in session.new
        if isinstance(record, OwnerChange)
        and record.to_rep_id == rep_id
        and record.how == OwnerChangeReason.CLAIM.value
    ]
    return sum(1 for stamp in stamps if local_day(stamp, tz) >= start)


def apply_claim_op(
    session: Session,
    actor: Actor,
    change_id: str,
    fields: Mapping[str, Any],
    *,
    path: str,
    rules: PoolRules,
    day: dt.date,
    tz: Any,
    approval: ApprovalRules | None = None,
    over_limit: Callable[[Customer, Need], object] | None = None,
) -> OwnerChange | None:
    """A rep's 认领 or 释放到公海 as the phone sent it. With POOL_CLAIM_OVER_LIMIT=approve (`approval`), a claim beyond
    POOL_CLAIM_LIMIT is handed to `over_limit` (an approval request, server/domains/approvals) instead of refused.
    The first claim to reach the server wins; a later one is
    refused (409 already_claimed, naming the owner) and becomes a draft on that phone; nothing else of
    that phone's is refused with it (its visits and notes about the customer are its territory's records)."""
    if lookup(session, OwnerChange, change_id) is not None:
        return None  # sent again after its answer was lost: applied once
    check_fields(RecordKind.CUSTOMER_CLAIM, fields, creating=True, path=path)
    if not actor.is_rep:
        raise Forbidden("only reps claim or release customers from the phone; supervisors assign them", path=path)
    customer = customer_in_reach(session, actor, fields["customer_id"], path=path)
    if customer.deleted:
        raise Conflict("the customer was deleted", path=f"{path}.fields.customer_id")
    action = ClaimAction(fields["action"])
    me = session.get(User, actor.id)
    if action is ClaimAction.CLAIM:
        if customer.owner_rep_id == actor.id:
            return None
        if customer.owner_rep_id is not None:
            owner = _name(session, customer.owner_rep_id) or "?"
            raise Conflict(
                f"already claimed by {owner}",
                path=f"{path}.fields.customer_id",
                code=ErrorCode.ALREADY_CLAIMED,
                details={"owner_rep_id": customer.owner_rep_id, "owner_name": owner},
            )
        claimed, owned = claims_this_month(session, actor.id, day, tz), len(_owned_ids(session, actor.id))
        problem = claim_limit_problem(claimed, owned, rules)
        need = claim_need(claimed, rules.claim_limit, approval) if approval is not None and problem else None
        if need is not None and over_limit is not None and not (rules.owned_limit and owned >= rules.owned_limit):
            over_limit(customer, need)
            return None
        if problem:
            raise ValidationFailed(problem, path=path, code=ErrorCode.CLAIM_LIMIT)
        how, to_rep = OwnerChangeReason.CLAIM, me
    else:
        if customer.owner_rep_id is None:
            return None  # in the pool already (released twice, or returned meanwhile)
        if customer.owner_rep_id != actor.id:
            owner = _name(session, customer.owner_rep_id) or "?"
            raise Conflict(f"the customer is {owner}'s, not yours: only its owner releases it", path=path)
        how, to_rep = OwnerChangeReason.RELEASE, None
    return change_owner(
        session,
        customer,
        to_rep,
        how=how,
        by=actor,
        reason=fields.get("reason"),
        change_id=change_id,
        action=action,
        at=str(fields["at"]),
    )


# ---- supervisors -----------------------------------------------------------------------------------


def _supervisor(actor: Actor) -> None:
    if actor.is_rep:
        raise Forbidden("only supervisors assign, release and hand over customers", path="customer")


def _rep_of(session: Session, actor: Actor, rep_id: str, *, territory: str | None, path: str) -> User:
    """An active rep the actor's team holds (and, when given, of `territory`)."""
    rep = session.get(User, rep_id) if rep_id else None
    if rep is None or rep.role != Role.REP.value:
        raise NotFound("no such rep", path=path)
    ensure_sees(actor, rep.territory, what="rep", path=path)
    if not rep.active:
        raise ValidationFailed(f"{rep.display_name} is deactivated: choose an active rep", path=path)
    if territory is not None and rep.territory != territory:
        raise ValidationFailed(
            f"{rep.display_name} works in {rep.territory or 'no territory'}, not {territory}: "
            "a customer goes to a rep of its own territory",
            path=path,
        )
    return rep


def _check_reason(reason: str | None) -> str | None:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"the reason is at most {MAX_REASON} characters", path="reason")
    return reason or None


def assign(
    session: Session, actor: Actor, customer_id: str, rep_id: str, reason: str | None = None
) -> OwnerChange | None:
    """A supervisor gives a customer (from the pool or another rep) to a rep of its territory."""
    _supervisor(actor)
    customer = visible_customer(session, actor, customer_id)
    rep = _rep_of(session, actor, rep_id, territory=customer.territory, path="rep_id")
    change = change_owner(session, customer, rep, how=OwnerChangeReason.ASSIGN, by=actor, reason=_check_reason(reason))
    if change is not None:
        _audit(session, actor, "customer.assign", change)
    return change


def release(session: Session, actor: Actor, customer_id: str, reason: str | None = None) -> OwnerChange | None:
    """A supervisor puts a customer back in its territory's pool."""
    _supervisor(actor)
    customer = visible_customer(session, actor, customer_id)
    change = change_owner(
        session, customer, None, how=OwnerChangeReason.RELEASE, by=actor, reason=_check_reason(reason)
    )
    if change is not None:
        _audit(session, actor, "customer.release", change)
    return change


def _audit(session: Session, actor: Actor, action: str, change: OwnerChange) -> None:
    audit(
        session,
        action,
        actor_id=actor.id,
        actor_name=actor.display_name,
        details={"customer_id": change.customer_id, "from": change.from_rep_id, "to": change.to_rep_id},
    )


def owner_history(session: Session, actor: Actor, customer_id: str, limit: int = 50) -> list[OwnerChange]:
    """The customer's changes of owner, newest first (another team's customer: 404)."""
    visible_customer(session, actor, customer_id)
    query = select(OwnerChange).where(OwnerChange.customer_id == customer_id)
    return list(session.exec(query.order_by(col(OwnerChange.recorded_at).desc()).limit(limit)).all())


def reps_of_territory(session: Session, actor: Actor, customer_id: str) -> list[User]:
    """The active reps a customer may be assigned to: its territory's."""
    customer = visible_customer(session, actor, customer_id)
    query = select(User).where(
        User.role == Role.REP.value, col(User.active).is_(True), User.territory == customer.territory
    )
    return list(session.exec(query.order_by(col(User.display_name))).all())


def owner_names(session: Session, customers: Iterable[Customer]) -> dict[str, str]:
    """Display names of the customers' owners, by rep id."""
    ids = sorted({c.owner_rep_id for c in customers if c.owner_rep_id})
    if not ids:
        return {}
    return dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(ids))).all())


@dataclass(frozen=True)
class PoolPage:
    customers: list[Customer]
    reps: list[User]  # the active reps the customers may be assigned to
    last_activity: dict[str, dt.date]


def pool(session: Session, actor: Actor, *, territory: str = "", limit: int = 500) -> PoolPage:
    """The pool's customers of the actor's team (or one territory of it), by name, with their last activity."""
    _supervisor(actor)
    query = select(Customer).where(
        col(Customer.owner_rep_id).is_(None), col(Customer.deleted).is_(False), team_only(actor, Customer.territory)
    )
    if territory:
        query = query.where(Customer.territory == territory)
    customers = list(session.exec(query.order_by(col(Customer.name)).limit(limit)).all())
    reps = list(
        session.exec(
            select(User)
            .where(User.role == Role.REP.value, col(User.active).is_(True), team_only(actor, User.territory))
            .order_by(col(User.display_name))
        ).all()
    )
    return PoolPage(customers, reps, last_activity(session, [c.id for c in customers]))


# ---- handover ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoverFilter:
    """Which of the rep's customers move: all, or those of a tier, a kind, a town (text in the address)."""

    tier: str = ""
    kind: str = ""
    town: str = ""


@dataclass(frozen=True)
class HandoverPlan:
    from_rep: User
    customers: list[Customer]
    targets: list[str]  # rep ids, or POOL
    moves: dict[str, str]  # customer id -> target
    counts: dict[str, int] = field(default_factory=dict)  # per target
    names: dict[str, str] = field(default_factory=dict)  # target -> display name (POOL: "")


def plan_handover(
    session: Session, actor: Actor, from_rep_id: str, targets: Sequence[str], wanted: HandoverFilter
) -> HandoverPlan:
    """Which customer goes where: the rep's (filtered) customers by name, dealt in turn to the targets."""
    _supervisor(actor)
    from_rep = session.get(User, from_rep_id) if from_rep_id else None
    if from_rep is None or from_rep.role != Role.REP.value:
        raise NotFound("no such rep", path="from_rep_id")
    ensure_sees(actor, from_rep.territory, what="rep", path="from_rep_id")
    if wanted.tier and wanted.tier not in {t.value for t in ValueTier}:
        raise ValidationFailed("tier must be A, B or C", path="tier")
    targets = list(dict.fromkeys(t for t in targets if t))
    if not targets:
        raise ValidationFailed("choose at least one rep, or the pool, to receive the customers", path="to")
    if from_rep.id in targets:
        raise ValidationFailed(f"{from_rep.display_name} cannot receive their own customers", path="to")
    names: dict[str, str] = {}
    for target in targets:
        names[target] = (
            "" if target == POOL else _rep_of(session, actor, target, territory=None, path="to").display_name
        )
    query = select(Customer).where(Customer.owner_rep_id == from_rep.id, col(Customer.deleted).is_(False))
    query = query.where(team_only(actor, Customer.territory))
    if wanted.tier:
        query = query.where(Customer.tier == wanted.tier)
    if wanted.kind:
        query = query.where(Customer.kind == wanted.kind)
    if wanted.town.strip():
        query = query.where(col(Customer.address).contains(wanted.town.strip()))
    customers = list(session.exec(query.order_by(col(Customer.name), col(Customer.id))).all())
    moves: dict[str, str] = {}
    for index, customer in enumerate(customers):
        moves[customer.id] = targets[index % len(targets)]
    for customer in customers:  # a rep of another territory cannot own it: refuse before anything moves
        target = moves[customer.id]
        if target != POOL:
            _rep_of(session, actor, target, territory=customer.territory, path="to")
    counts = {target: sum(1 for t in moves.values() if t == target) for target in targets}
    return HandoverPlan(from_rep, customers, targets, moves, counts, names)


def hand_over(
    session: Session,
    actor: Actor,
    from_rep_id: str,
    targets: Sequence[str],
    wanted: HandoverFilter,
    reason: str | None = None,
) -> HandoverPlan:
    """Move the planned customers; each change is kept in its customer's history. Their visits, notes and key
    persons stay theirs (records belong to the customer and territory): the new owner's phone has them."""
    reason = _check_reason(reason)
    plan = plan_handover(session, actor, from_rep_id, targets, wanted)
    reps = {t: session.get(User, t) for t in plan.targets if t != POOL}
    for customer in plan.customers:
        target = plan.moves[customer.id]
        change_owner(session, customer, reps.get(target), how=OwnerChangeReason.HANDOVER, by=actor, reason=reason)
    audit(
        session,
        "customer.handover",
        actor_id=actor.id,
        actor_name=actor.display_name,
        details={"from": plan.from_rep.id, "counts": plan.counts, "filter": wanted.__dict__},
    )
    return plan


def unhanded_of_inactive(session: Session, actor: Actor) -> list[tuple[User, int]]:
    """Deactivated reps of the actor's team who still own customers, with how many (flagged until handed over)."""
    query = (
        select(User, func.count(col(Customer.id)))
        .join(Customer, col(Customer.owner_rep_id) == col(User.id))
        .where(col(User.active).is_(False), col(Customer.deleted).is_(False), team_only(actor, Customer.territory))
        .group_by(col(User.id))
        .order_by(col(User.display_name))
    )
    return [(user, int(count)) for user, count in session.exec(query).all()]


def reps_with_customers(session: Session, actor: Actor) -> list[tuple[User, int]]:
    """The team's reps (active or not) and how many customers each owns: the handover page's choice."""
    _supervisor(actor)
    counts = dict(
        session.exec(
            select(Customer.owner_rep_id, func.count(col(Customer.id)))
            .where(col(Customer.owner_rep_id).is_not(None), col(Customer.deleted).is_(False))
            .group_by(col(Customer.owner_rep_id))
        ).all()
    )
    reps = session.exec(
        select(User)
        .where(User.role == Role.REP.value, team_only(actor, User.territory))
        .order_by(col(User.display_name))
    ).all()
    return [(rep, int(counts.get(rep.id, 0))) for rep in reps]


# ---- the scheduled return to the pool -----------------------------------------------------------------


def last_activity(session: Session, customer_ids: Sequence[str], tz: Any = None) -> dict[str, dt.date]:
    """Each customer's last visit day, order day or day it got its present owner (whichever is latest)."""
    last: dict[str, dt.date] = {}
    ids = sorted(customer_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for model_day, model_customer in ((Visit.visit_day, Visit.customer_id), (Order.order_day, Order.customer_id)):
            query = select(model_customer, func.max(model_day)).where(col(model_customer).in_(chunk))
            for customer_id, day in session.exec(query.group_by(model_customer)).all():
                if day is not None and (customer_id not in last or day > last[customer_id]):
                    last[customer_id] = day
        changes = select(OwnerChange.customer_id, func.max(OwnerChange.recorded_at)).where(
            col(OwnerChange.customer_id).in_(chunk), col(OwnerChange.to_rep_id).is_not(None)
        )
        for customer_id, stamp in session.exec(changes.group_by(OwnerChange.customer_id)).all():
            day = local_day(stamp, tz) if tz is not None else dt.date.fromisoformat(stamp[:10])
            if customer_id not in last or day > last[customer_id]:
                last[customer_id] = day
    return last


def return_to_pool(session: Session, now: dt.datetime, rules: PoolRules, tz: Any) -> int:
    """Owned customers whose last activity is older than their tier's POOL_RETURN_DAYS go back to the pool.

    An owned customer without any history (its owner set before this history existed: a database from before
    migration 0027, the demo, an import, a customer a rep made on the phone) gets a `start` row now and counts
    from today: turning the pool on never empties every rep's list at once."""
    day = now.astimezone(tz).date()
    customers = list(
        session.exec(
            select(Customer).where(col(Customer.owner_rep_id).is_not(None), col(Customer.deleted).is_(False))
        ).all()
    )
    ids = [c.id for c in customers]
    with_history: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        with_history |= set(
            session.exec(
                select(OwnerChange.customer_id).where(col(OwnerChange.customer_id).in_(chunk)).distinct()
            ).all()
        )
    last = last_activity(session, ids, tz)
    returned = 0
    for customer in customers:
        if customer.id not in with_history:
            _start_history(session, customer, now)
            continue
        since = last.get(customer.id)
        if since is not None and return_due(since, day, customer.tier, rules):
            days = rules.days_for(customer.tier)
            change_owner(
                session,
                customer,
                None,
                how=OwnerChangeReason.RETURN,
                by=None,
                reason=f"no visit or order for {days} days (tier {customer.tier or 'C'})",
                now=now,
            )
            returned += 1
    return returned


def _start_history(session: Session, customer: Customer, now: dt.datetime) -> None:
    recorded_at = now.astimezone(dt.UTC).isoformat(timespec="microseconds")
    owner = _name(session, customer.owner_rep_id)
    session.add(
        OwnerChange(
            id=new_id(),
            customer_id=customer.id,
            territory=customer.territory,
            how=OwnerChangeReason.START.value,
            from_rep_id=customer.owner_rep_id,
            from_name=owner,
            to_rep_id=customer.owner_rep_id,
            to_name=owner,
            at=recorded_at,
            recorded_at=recorded_at,
        )
    )


def pool_return_job(engine: Engine, settings: Settings, now: dt.datetime) -> int:
    """Scheduled daily (server.app.SCHEDULED_JOBS), once across processes."""
    with write_session(engine) as session:
        return return_to_pool(session, now, pool_rules(settings), settings.tz)
