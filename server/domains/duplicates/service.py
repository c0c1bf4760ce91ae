"""The duplicates queue (查重): every customer created (a phone's push, the web form, an import) is checked
against the whole company, across territories, and likely pairs wait for a supervisor.

The check is a cheap prefilter in SQL (a name holding a two-character piece of the new name's core, the same
phone digits, a location within about 200 m), then the scorer (shared/duplicates.py) on at most
`MAX_CANDIDATES` rows, those matching the most pieces first. A name typed by its sound (慧民 for 惠民) holds no
piece of the other, and the table has no pinyin column: the customers of the new one's village (its name or
address holds 王庄村) are read too, at most `SAME_VILLAGE_ROWS`, and those whose name sounds like the new one
are scored as well. Customers created in the same push or import as the new one are not yet in the table
(the push batches its rows): a pair of two new ones is found only when the second comes in a later request.
Cost, measured on SQLite (2,000 creations into a table of 2,000): about 5 ms per creation, and about 2 ms more
for the village's read (docs/duplicates.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, false, func, literal, or_, true
from sqlmodel import Session, col, select

from server.actor import Actor
from server.clock import now_iso
from server.domains.customers.models import Customer
from server.domains.duplicates.models import DuplicatePair
from server.errors import NotFound
from shared.duplicates import Profile, Reason, profile, same_pronunciation, score
from shared.ids import new_id

MAX_CANDIDATES = 20
SAME_VILLAGE_ROWS = 50  # a village has a few customers; 王庄村 is also in 小王庄村, 大王庄村...
NEAR_DEGREES = 0.002  # about 220 m north-south, 170 m east-west at 40° N: the prefilter's box
OPEN, DISMISSED = "open", "dismissed"  # and "merged" (merge.py)


def _profile(customer: Customer) -> Profile:
    return profile(customer.name, customer.address, customer.phone, customer.lat, customer.lng)


def _pieces(core: str) -> list[str]:
    """Two-character pieces of a name's core (the whole core when shorter), at most eight."""
    if len(core) < 3:
        return [core] if core else []
    return list(dict.fromkeys(core[i : i + 2] for i in range(len(core) - 1)))[:8]


def candidates(session: Session, customer: Customer, new: Profile) -> list[Customer]:
    """Customers that may be `customer` (the prefilter): not deleted, not itself; those matching the most
    pieces first, at most `MAX_CANDIDATES` (a piece such as 家庄 is in many names: only the best are scored);
    then the homophones of its village."""
    conditions: list[Any] = [col(Customer.name).contains(piece, autoescape=True) for piece in _pieces(new.core)]
    for digits in new.phones:
        conditions.append(col(Customer.phone).contains(digits[-7:], autoescape=True))
    if customer.lat is not None and customer.lng is not None:
        conditions.append(
            col(Customer.lat).between(customer.lat - NEAR_DEGREES, customer.lat + NEAR_DEGREES)
            & col(Customer.lng).between(customer.lng - NEAR_DEGREES, customer.lng + NEAR_DEGREES)
        )
    found: list[Customer] = []
    with session.no_autoflush:  # a push's pending rows stay where they are
        if conditions:
            matched = sum((case((condition, 1), else_=0) for condition in conditions), start=literal(0))
            query = (
                select(Customer)
                .where(col(Customer.deleted).is_(False), Customer.id != customer.id, or_(*conditions))
                .order_by(matched.desc())
                .limit(MAX_CANDIDATES)
            )
            found = list(session.exec(query).all())
        return found + homophones_in_village(session, new, {customer.id, *(other.id for other in found)})


def village_words(new: Profile) -> str | None:
    """The new customer's village as an address or a name writes it (王庄村; 贾村 keeps its unit already)."""
    village = new.places.get("village")
    if not village:
        return None
    return village if village.endswith("村") else f"{village}村"


def homophones_in_village(session: Session, new: Profile, seen: set[str]) -> list[Customer]:
    """Customers of the new one's village, not already found, whose name's core sounds like the new one's
    (惠民诊所 / 慧民诊所 in 赵庄村). Only the names are read, then the few that sound alike."""
    words = village_words(new)
    if words is None:
        return []
    query = (
        select(Customer.id, Customer.name)
        .where(
            col(Customer.deleted).is_(False),
            col(Customer.id).not_in(seen),
            or_(
                col(Customer.address).contains(words, autoescape=True),
                col(Customer.name).contains(words, autoescape=True),
            ),
        )
        .limit(SAME_VILLAGE_ROWS)
    )
    alike = [other_id for other_id, name in session.exec(query).all() if same_pronunciation(new, profile(name))]
    if not alike:
        return []
    return list(session.exec(select(Customer).where(col(Customer.id).in_(alike))).all())


def reasons_data(reasons: tuple[Reason, ...]) -> list[Any]:
    return [[reason.key, dict(reason.values)] for reason in reasons]


def reasons_text(pair: DuplicatePair, lang: str) -> list[str]:
    return [Reason(str(key), tuple(dict(values).items())).text(lang) for key, values in pair.reasons]


def check_new_customer(session: Session, customer: Customer) -> list[DuplicatePair]:
    """Queue the likely duplicates of a customer just created; the pairs added."""
    new = _profile(customer)
    found = []
    for other in candidates(session, customer, new):
        match = score(new, _profile(other))
        if not match.likely:
            continue
        pair = DuplicatePair(
            id=new_id(),
            customer_id=customer.id,
            other_id=other.id,
            territory=customer.territory,
            other_territory=other.territory,
            score=match.score,
            reasons=reasons_data(match.reasons),
            created_at=now_iso(),
        )
        session.add(pair)
        found.append(pair)
    return found


def _of_team(team: str | None) -> Any:
    """A team's supervisor sees pairs of two of its customers; the company's head (None) sees every pair,
    across territories too (another team's customer must not show to a team: server/domains/teams.py)."""
    if team is None:
        return true()
    if not team:
        return false()
    return (col(DuplicatePair.territory) == team) & (col(DuplicatePair.other_territory) == team)


@dataclass(frozen=True)
class PairView:
    pair: DuplicatePair
    customer: Customer
    other: Customer


def open_pairs(session: Session, team: str | None, limit: int = 100) -> list[PairView]:
    """Open pairs whose two customers still stand, the likeliest first, then the newest."""
    query = (
        select(DuplicatePair)
        .where(DuplicatePair.status == OPEN, _of_team(team))
        .order_by(col(DuplicatePair.score).desc(), col(DuplicatePair.created_at).desc())
        .limit(limit)
    )
    pairs = list(session.exec(query).all())
    ids = {pair.customer_id for pair in pairs} | {pair.other_id for pair in pairs}
    customers = {c.id: c for c in session.exec(select(Customer).where(col(Customer.id).in_(ids))).all()} if ids else {}
    return [
        PairView(pair, customers[pair.customer_id], customers[pair.other_id])
        for pair in pairs
        if pair.customer_id in customers
        and pair.other_id in customers
        and not customers[pair.customer_id].deleted
        and not customers[pair.other_id].deleted
    ]


def open_pair_count(session: Session, team: str | None) -> int:
    query = select(func.count()).select_from(DuplicatePair).where(DuplicatePair.status == OPEN, _of_team(team))
    return int(session.exec(query).one())


def find_open_pair(session: Session, pair_id: str, team: str | None) -> DuplicatePair:
    """An open pair the team sees; another team's pair, or one already decided, is not found."""
    pair = session.get(DuplicatePair, pair_id)
    seen = select(func.count()).select_from(DuplicatePair).where(DuplicatePair.id == pair_id, _of_team(team))
    if pair is None or pair.status != OPEN or not session.exec(seen).one():
        raise NotFound("no such open duplicate pair", path="pair_id")
    return pair


def dismiss_pair(session: Session, actor: Actor, pair_id: str, team: str | None) -> DuplicatePair:
    """不是重复: the pair leaves the queue for good (a later edit does not bring it back)."""
    pair = find_open_pair(session, pair_id, team)
    pair.status = DISMISSED
    pair.decided_by = actor.id
    pair.decided_at = now_iso()
    session.add(pair)
    return pair
