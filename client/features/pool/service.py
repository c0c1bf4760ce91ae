"""Who owns a customer, as the phone sees it, and the rep's 认领 / 释放到公海, offline (docs/ownership.md).

The phone holds its whole territory; each customer carries its owner (`owner_rep_id`, `owner_name`, kept by the
server). A tap saves a `customer_claim` record with its op in one durable step; the server applies the pool's
rules when it arrives (the first claim wins) and the new owner comes back with the customer at the pull. A claim
the server refused stays on the phone as a draft, and the card says who owns the customer ("已被 X 认领").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from client.services import POOL_RULES, AppService, iso
from shared.enums import ClaimAction, RecordKind
from shared.errors import ErrorCode
from shared.ids import new_id
from shared.pool import ClaimOutlook, ClaimStanding


class Standing(StrEnum):
    MINE = "mine"  # 我的客户
    POOL = "pool"  # 公海
    OTHER = "other"  # another rep's
    CLAIMING = "claiming"  # claimed on this phone, not yet synced
    RELEASING = "releasing"  # released on this phone, not yet synced


@dataclass(frozen=True)
class Ownership:
    standing: Standing
    owner_name: str | None = None  # the owner's name as the server last sent it
    refused: str | None = None  # a claim of this phone the server refused: who owns it, or why
    # What the server will make of a claim not yet sent (shown before 认领 and while it waits): the limits the
    # last sync brought; None when nothing is known.
    outlook: ClaimOutlook | None = None


def rep_id(service: AppService) -> str:
    return str((service.user or {}).get("id") or "")


def _pending_action(service: AppService, customer_id: str) -> ClaimAction | None:
    """The last 认领 / 释放 of this customer on the phone that has not reached the server yet."""
    pending = service.store.pending_record_ids()
    mine = [
        record
        for record in service.store.find(RecordKind.CUSTOMER_CLAIM, customer_id=customer_id)
        if record["id"] in pending
    ]
    if not mine:
        return None
    return ClaimAction(max(mine, key=lambda record: str(record.get("at") or ""))["action"])


def claim_outlook(service: AppService, customer_id: str) -> ClaimOutlook | None:
    """What the server will make of a claim of `customer_id` (one about to be made, or waiting to be sent), from
    the limits and this month's claims the last sync brought (shared/pool.py ClaimStanding), plus what this phone
    claimed and released since; None before a sync has brought them (an older server, a supervisor)."""
    standing = ClaimStanding.from_phones(service.store.get_meta(POOL_RULES))
    if standing is None:
        return None
    me, month = rep_id(service), service.clock().date().isoformat()[:7]
    pending = service.store.pending_record_ids()
    taps = sorted(
        (record for record in service.store.all(RecordKind.CUSTOMER_CLAIM) if record["id"] in pending),
        key=lambda record: str(record.get("at") or ""),
    )
    last = {str(record.get("customer_id")): record for record in taps}  # each customer's last tap waiting
    this = last.get(customer_id)  # the claim in question, when it waits already
    owned = {
        str(customer["id"])
        for customer in service.store.all(RecordKind.CUSTOMER)
        if customer.get("owner_rep_id") == me and not customer.get("deleted")
    }
    for key, record in last.items():
        if key == customer_id:
            continue
        if record.get("action") == ClaimAction.CLAIM.value:
            owned.add(key)
        else:
            owned.discard(key)
    # Every claim counts in its month, released since or not (the server counts its claim rows).
    claimed_since = sum(
        1
        for record in taps
        if record is not this
        and record.get("action") == ClaimAction.CLAIM.value
        and str(record.get("at") or "").startswith(month)
    )
    return standing.outlook(month, claimed_since, len(owned))


def refused_claim(service: AppService, customer_id: str) -> dict[str, Any] | None:
    """The rep's refused claim of this customer (a draft), if any."""
    for draft in reversed(service.store.rejected_ops()):
        op = draft["op"]
        if op["kind"] == RecordKind.CUSTOMER_CLAIM.value and op["fields"].get("customer_id") == customer_id:
            return dict(draft)
    return None


def ownership(service: AppService, customer: dict[str, Any]) -> Ownership:
    customer_id = str(customer["id"])
    owner_id, owner_name = customer.get("owner_rep_id"), customer.get("owner_name")
    pending = _pending_action(service, customer_id)
    if pending is ClaimAction.CLAIM:
        return Ownership(Standing.CLAIMING, owner_name, outlook=claim_outlook(service, customer_id))
    if pending is ClaimAction.RELEASE:
        return Ownership(Standing.RELEASING, owner_name)
    refused = None
    draft = refused_claim(service, customer_id)
    if draft is not None and owner_id != rep_id(service):
        claimed = draft.get("code") == ErrorCode.ALREADY_CLAIMED and owner_name and owner_id is not None
        refused = str(owner_name) if claimed else str(draft.get("message") or draft.get("code") or "")
    if owner_id is None:
        return Ownership(Standing.POOL, None, refused, claim_outlook(service, customer_id))
    if owner_id == rep_id(service):
        return Ownership(Standing.MINE, owner_name)
    return Ownership(Standing.OTHER, owner_name, refused)


def _save(service: AppService, customer_id: str, action: ClaimAction) -> dict[str, Any]:
    fields = {"customer_id": customer_id, "action": action.value, "at": iso(service.clock())}
    for draft in service.store.rejected_ops():  # a new tap replaces an old refusal of the same customer
        op = draft["op"]
        if op["kind"] == RecordKind.CUSTOMER_CLAIM.value and op["fields"].get("customer_id") == customer_id:
            service.store.discard_rejected(int(op["seq"]))
    return service._save(RecordKind.CUSTOMER_CLAIM, new_id(), fields)


def claim(service: AppService, customer_id: str) -> dict[str, Any]:
    """认领 a 公海 customer: saved now, sent at the next sync."""
    return _save(service, customer_id, ClaimAction.CLAIM)


def release(service: AppService, customer_id: str) -> dict[str, Any]:
    """释放到公海 the rep's own customer: saved now, sent at the next sync."""
    return _save(service, customer_id, ClaimAction.RELEASE)


def pool_customers(service: AppService, query: str = "") -> list[dict[str, Any]]:
    """The territory's 公海 customers on this phone (none claimed here meanwhile), by name; `query` filters."""
    needle = query.strip()
    found = []
    for customer in service.store.all(RecordKind.CUSTOMER):
        if customer.get("deleted") or customer.get("owner_rep_id") is not None:
            continue
        text = f"{customer.get('name') or ''} {customer.get('address') or ''}"
        if needle and needle not in text:
            continue
        if _pending_action(service, str(customer["id"])) is ClaimAction.CLAIM:
            continue
        found.append(customer)
    return sorted(found, key=lambda customer: str(customer.get("name") or ""))
