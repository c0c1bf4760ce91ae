"""Push and pull (docs/sync-protocol.md): the whole push or nothing, each (device, seq) applied once.

A re-sent push is answered with the results stored when its ops were first applied, with status
"duplicate" (the protocol's word for "stored by an earlier push; the earlier answer stands").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, cast

from msgspec.json import encode
from sqlalchemy import Select, Table, Text, bindparam, func, or_
from sqlalchemy import cast as cast_sql
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from server.actor import Actor
from server.changes.kinds import Applying, SyncKinds
from server.changes.log import EVERYONE_AUDIENCE, rep_audience
from server.changes.models import ChangeLog
from server.changes.tombstones import horizon_query
from server.clock import now_iso
from server.db import insert_rows, read_session, write_session
from server.domains.access import new_rows_batched, preload
from server.domains.chain.op_clock import clocks_set_back
from server.domains.chain.recording import PushChain, check_push, record_applied
from server.domains.sync.models import AppliedOp
from server.domains.sync.refused import record_rejected
from server.domains.teams import team_of
from server.domains.territories.service import resync_mark_query
from server.errors import ClientTooOld, Conflict, DomainError, Forbidden, ResyncRequired, ValidationFailed
from server.settings import Settings
from shared.enums import OpAction, RecordKind, Role
from shared.errors import ErrorCode
from shared.records import DELETABLE_KINDS, DEVICE_WRITABLE_KINDS
from sync.protocol import (
    COLUMNS_ENCODING,
    SCHEMA_VERSION,
    Change,
    Op,
    OpResult,
    OpStatus,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    column_groups,
)

OP_PATH = re.compile(r"^ops\[(\d+)\]")


def check_schema_version(version: int) -> None:
    if version < SCHEMA_VERSION:
        raise ClientTooOld(
            f"this app speaks schema version {version}; the server needs version {SCHEMA_VERSION}: update the app",
            path="schema_version",
            details={"needed": SCHEMA_VERSION, "got": version},
        )
    if version > SCHEMA_VERSION:
        raise ValidationFailed(
            f"the server supports schema version {SCHEMA_VERSION} at most, got {version}",
            path="schema_version",
            code=ErrorCode.INVALID_REQUEST,
            status_code=400,
            details={"supported": SCHEMA_VERSION, "got": version},
        )


def check_op_allowed(op: Op, path: str) -> None:
    """What no op may do whatever the data: checked for the whole push before the database is touched."""
    if op.kind == RecordKind.HOLIDAY:
        raise Forbidden(
            "holiday records are kept by admins on the server; phones only receive them", path=f"{path}.kind"
        )
    if op.kind not in DEVICE_WRITABLE_KINDS:
        raise Forbidden(f"{op.kind.value} records are written on the server by supervisors", path=f"{path}.kind")
    if op.action == OpAction.DELETE and op.kind not in DELETABLE_KINDS:
        raise ValidationFailed(
            f"{op.kind.value} records cannot be deleted",
            path=f"{path}.action",
            code=ErrorCode.INVALID_REQUEST,
            status_code=400,
        )


def push(
    engine: Engine,
    settings: Settings,
    actor: Actor,
    request: PushRequest,
    kinds: SyncKinds,
    *,
    clock_offset_s: int | None = None,
) -> PushResponse:
    """Apply a push's ops, each through its kind's handler in `kinds` (server/sync_kinds.py's registry, which
    the app keeps in its state and its callers pass: the sync controller, the quarantine's accept).

    The phone's signatures are checked first, outside the write lock: an op that cannot come from the phone is
    refused (403 `bad_signature`) and kept nowhere. Each op applied joins the phone's chain (`op_chain`), with
    `clock_offset_s`, the phone's clock as the push's RouteCRM-Clock-Offset header said it (None: not said)."""
    check_schema_version(request.schema_version)
    chain = check_push(engine, actor, request, clock_offset_s=clock_offset_s)
    try:
        for index, op in enumerate(request.ops):
            check_op_allowed(op, f"ops[{index}]")
        # any error below rolls the whole push back
        with write_session(engine, lanes=push_lanes(actor, request)) as session:
            applied = _applied_ops(session, request)
            preload(session, _records_touched(kinds, request.ops))
            set_back = clocks_set_back(session, request.device_id, request.ops, clock_offset_s, settings.tz)
            # The ops' records are found through the push's cache, not by flushing; new visits wait as rows.
            with session.no_autoflush, new_rows_batched(session):
                results = [
                    _apply_once(
                        kinds,
                        Applying(session, settings, actor, op, f"ops[{index}]", set_back.get(op.seq)),
                        applied,
                    )
                    for index, op in enumerate(request.ops)
                ]
            _register_applied(session, actor, request, results)
            record_applied(session, chain, request.ops, results)
    except DomainError as error:
        _keep_refused(engine, actor, request, error, chain)
        raise
    return PushResponse(results=results)


def _keep_refused(engine: Engine, actor: Actor, request: PushRequest, error: DomainError, chain: PushChain) -> None:
    """The op an error names is kept on the server for supervisors (the phone keeps it as a draft), and in its
    phone's chain."""
    match = OP_PATH.match(error.path or "")
    if match is None or error.status_code == 426 or int(match.group(1)) >= len(request.ops):
        return
    op = request.ops[int(match.group(1))]
    record_rejected(engine, actor, op, code=str(error.code), message=error.message, path=error.path, chain=chain)


# The kinds whose ops a push applies in lanes on PostgreSQL (server/db.py `write_session`), beside pushes of other
# territories: each handler reads and writes only the territory's records (its customer `customer_in_reach`,
# the record itself), rows of the pushing user (their route plan, their day's visit flags) and of the phone
# (applied ops, its chain), and rows only transactions without lanes write (settings, merges, plans).
# A push with any other kind (a customer, which may need an approval; a claim from the pool, which crosses
# territories; orders, reports...) runs alone, as every write did before.
LANE_KINDS = frozenset({RecordKind.VISIT, RecordKind.NOTE, RecordKind.KEY_PERSON})


def push_lanes(actor: Actor, request: PushRequest) -> list[str] | None:
    """The lanes a rep's push runs in (None: alone): the rep's territory, the rep, and the phone.

    A supervisor's push runs alone: it may change a rep's visit, whose day's flags are then checked again, and
    that rep may since have moved to another territory."""
    team = team_of(actor)
    if not actor.is_rep or team is None or not request.ops or any(op.kind not in LANE_KINDS for op in request.ops):
        return None
    return [f"territory:{team}", f"user:{actor.id}", f"device:{request.device_id}"]  # every op names that phone


@dataclass(frozen=True)
class AppliedBefore:
    """An op of this push that an earlier push applied: its id and the result then answered."""

    op_id: str
    result: dict[str, Any]


APPLIED_OPS = cast(Table, AppliedOp.__table__)  # type: ignore[attr-defined]  # SQLModel sets it at runtime


def _applied_ops(session: Session, request: PushRequest) -> dict[int, AppliedBefore]:
    """The ops of this push the server has applied before, by seq: one query for the whole push."""
    applied = APPLIED_OPS.c
    query = sa_select(applied.seq, applied.op_id, applied.result).where(
        applied.device_id == request.device_id, applied.seq.in_([op.seq for op in request.ops])
    )
    return {seq: AppliedBefore(op_id, result) for seq, op_id, result in session.execute(query).all()}


def _records_touched(kinds: SyncKinds, ops: list[Op]) -> dict[type[SQLModel], set[str]]:
    """The records a push reads or writes: its own, and the customers its visits, notes... belong to."""
    wanted: dict[type[SQLModel], set[str]] = {}
    customers = kinds.get(RecordKind.CUSTOMER)
    for op in ops:
        handler = kinds.get(op.kind)
        if handler is not None:
            wanted.setdefault(handler.model, set()).add(op.record_id)
        customer_id = op.fields.get("customer_id")
        if customers is not None and isinstance(customer_id, str):
            wanted.setdefault(customers.model, set()).add(customer_id)
    return wanted


def _apply_once(kinds: SyncKinds, applying: Applying, applied_before: dict[int, AppliedBefore]) -> OpResult:
    op = applying.op
    applied = applied_before.get(op.seq)
    if applied is not None:
        if applied.op_id != op.op_id:
            raise Conflict(
                f"seq {op.seq} of device {op.device_id} was already used by op {applied.op_id}",
                path=f"{applying.path}.seq",
            )
        return OpResult(**{**applied.result, "status": OpStatus.DUPLICATE})
    _apply(kinds, applying)
    return OpResult(seq=op.seq, op_id=op.op_id, status=OpStatus.APPLIED)


def _register_applied(session: Session, actor: Actor, request: PushRequest, results: list[OpResult]) -> None:
    """One row per op applied now, in the push's transaction (one statement for the whole push)."""
    applied_at = now_iso()
    rows = [
        {
            "device_id": request.device_id,
            "seq": result.seq,
            "op_id": result.op_id,
            "user_id": actor.id,
            "result": result.as_dict(),
            "applied_at": applied_at,
        }
        for result in results
        if result.status is OpStatus.APPLIED
    ]
    if rows:
        insert_rows(session, APPLIED_OPS, rows)


def _apply(kinds: SyncKinds, applying: Applying) -> None:
    op = applying.op
    handler = kinds.get(op.kind)
    if handler is None:  # pragma: no cover - every kind check_op_allowed lets through has one (test_sync_kinds)
        raise Forbidden(f"{op.kind.value} records are written on the server", path=f"{applying.path}.kind")
    if op.action == OpAction.DELETE and handler.delete is not None:  # other kinds: check_op_allowed refused it
        handler.delete(applying)
    else:
        handler.put(applying)


@dataclass(frozen=True)
class PulledRow:
    """One change-log row as a pull sends it; `data` still the JSON text the database holds (None: a tombstone)."""

    seq: int
    kind: str
    record_id: str
    deleted: bool
    data: str | None


@dataclass(frozen=True)
class PullPage:
    rows: list[PulledRow]
    cursor: int
    has_more: bool


CHANGE_LOG = cast(Table, ChangeLog.__table__)  # type: ignore[attr-defined]  # SQLModel sets it at runtime


def _pull_bounds_query() -> Select[tuple[int | None, int | None, int | None]]:
    """The newest change number, the tombstone horizon and a user's resync mark (`rep_id`), in one statement:
    a pull of a phone that is up to date costs what its queries cost, so they are few and built once."""
    newest = select(func.max(ChangeLog.seq)).scalar_subquery()
    forgotten = horizon_query().scalar_subquery()
    moved = resync_mark_query().limit(1).scalar_subquery()
    return sa_select(newest, forgotten, moved)


PULL_BOUNDS = _pull_bounds_query()
# A page of the change log after `cursor` up to `newest`, `limit` rows; built once (every pull runs one).
PAGE = (
    sa_select(CHANGE_LOG.c.seq, CHANGE_LOG.c.kind, CHANGE_LOG.c.record_id, CHANGE_LOG.c.deleted)
    .add_columns(cast_sql(CHANGE_LOG.c.data, Text))
    .where(CHANGE_LOG.c.seq > bindparam("cursor"), CHANGE_LOG.c.seq <= bindparam("newest"))
    .order_by(CHANGE_LOG.c.seq)
    .limit(bindparam("limit"))
)
REP_PAGE = PAGE.where(CHANGE_LOG.c.audience.in_(bindparam("audiences", expanding=True)))  # a rep's audiences


def pull_page(engine: Engine, actor: Actor, request: PullRequest) -> PullPage:
    """Changes after the cursor, oldest first. A rep gets their territory's records and their own plans; a
    supervisor whose account names a territory gets that team's records (its reps' plans included), and a
    company-wide supervisor or an admin everything (server/domains/teams.py).

    The newest change number is read first and the page is bounded by it, so a change committed while
    this runs cannot be skipped (PostgreSQL reads each statement at a new snapshot). The records' JSON is
    read as the text the database holds: a page is passed on, never decoded and encoded again.
    """
    check_schema_version(request.schema_version)
    with read_session(engine) as session:
        newest, forgotten, moved = (number or 0 for number in session.execute(PULL_BOUNDS, {"rep_id": actor.id}).one())
        if 0 < request.cursor < forgotten and not request.full:
            raise ResyncRequired(
                "this device last synced before deletes the server no longer keeps: pull everything from 0",
                path="cursor",
            )
        team = team_of(actor)  # a rep's territory, a territory supervisor's team; None: everything
        if actor.role != Role.ADMIN and not request.full and 0 < request.cursor < moved:
            raise ResyncRequired(
                "this user moved to another territory since this device last synced: pull everything from 0",
                path="cursor",
            )
        log = CHANGE_LOG.c
        page: dict[str, Any] = {"cursor": request.cursor, "newest": newest, "limit": request.limit + 1}
        query = PAGE
        if actor.is_rep:
            query = REP_PAGE
            page["audiences"] = [actor.territory or "", rep_audience(actor.id), EVERYONE_AUDIENCE]
        elif team is not None:  # a supervisor of one team: what its phones pull, and its reps' plans
            query = query.where(
                or_(log.territory == team, log.audience.in_([rep_audience(actor.id), EVERYONE_AUDIENCE]))
            )
        rows = [PulledRow(*row) for row in session.execute(query, page).all()]
    has_more = len(rows) > request.limit
    rows = rows[: request.limit]
    # Without more to send, jump to the newest number: the rows in between are not this rep's.
    cursor = rows[-1].seq if has_more else max(request.cursor, newest)
    return PullPage(rows, cursor, has_more)


def pull(
    engine: Engine,
    actor: Actor,
    request: PullRequest,
    timezone: str = "",
    visit_rules: dict[str, Any] | None = None,
    route_rules: dict[str, Any] | None = None,
    approval_rules: dict[str, Any] | None = None,
    pool_rules: dict[str, Any] | None = None,
) -> PullResponse:
    """A pull page as protocol objects (for code that wants the records; the API sends `pull_json`)."""
    page = pull_page(engine, actor, request)
    changes = [
        Change(
            seq=row.seq,
            kind=RecordKind(row.kind),
            record_id=row.record_id,
            deleted=row.deleted,
            data=None if row.data is None else json.loads(row.data),
        )
        for row in page.rows
    ]
    return PullResponse(
        changes=changes,
        cursor=page.cursor,
        has_more=page.has_more,
        server_time=now_iso(),
        timezone=timezone,
        visit_rules=visit_rules or {},
        route_rules=route_rules or {},
        approval_rules=approval_rules or {},
        pool_rules=pool_rules or {},
    )


def pull_json(
    engine: Engine,
    actor: Actor,
    request: PullRequest,
    timezone: str,
    visit_rules: dict[str, Any] | None = None,
    route_rules: dict[str, Any] | None = None,
    approval_rules: dict[str, Any] | None = None,
    pool_rules: dict[str, Any] | None = None,
) -> bytes:
    """The pull answer's JSON (`PullResponse.as_dict()`), each record's JSON spliced in as the database holds it.
    `timezone` is the company's (settings.timezone): phones keep their business day in it; `visit_rules` its
    visit flag limits, which phones use to say before 签退 what a visit will be flagged for; `route_rules` what
    they order the rest of their day with (shared/route_order.py RouteRules); `approval_rules` what they apply
    offline to orders and new customers (shared/approvals.py ApprovalRules.for_phones); `pool_rules` a rep's claim
    limits and claims this month (shared/pool.py ClaimStanding)."""
    page = pull_page(engine, actor, request)
    tail = (
        b'"cursor":%d,"has_more":%s,"server_time":%s,"timezone":%s,'
        b'"visit_rules":%s,"route_rules":%s,"approval_rules":%s,"pool_rules":%s}'
    ) % (
        page.cursor,
        b"true" if page.has_more else b"false",
        encode(now_iso()),
        encode(timezone),
        encode(visit_rules or {}),
        encode(route_rules or {}),
        encode(approval_rules or {}),
        encode(pool_rules or {}),
    )
    if request.encoding == COLUMNS_ENCODING:  # only to a phone that asked: older ones read `changes`
        rows = ((row.seq, row.kind, row.record_id, row.deleted, _record(row.data)) for row in page.rows)
        return b'{"encoding":"columns","groups":%s,%s' % (encode(column_groups(rows)), tail)
    changes = b",".join(
        b'{"seq":%d,"kind":%s,"record_id":%s,"deleted":%s,"data":%s}'
        % (
            row.seq,
            encode(row.kind),
            encode(row.record_id),
            b"true" if row.deleted else b"false",
            b"null" if row.data is None else row.data.encode(),
        )
        for row in page.rows
    )
    return b'{"changes":[%s],%s' % (changes, tail)


def _record(data: str | None) -> dict[str, Any] | None:
    """A change's record as the database holds it (JSON text), decoded for the `columns` encoding."""
    return None if data is None else cast(dict[str, Any], json.loads(data))
