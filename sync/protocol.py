"""Messages of the sync API, their limits, and their parsing (specified in docs/sync-protocol.md).

Parsing is strict and names the problem: both the server (validating a push) and the client
(reading an answer) use it, so the two sides cannot drift apart.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.enums import OpAction, RecordKind
from shared.hlc import is_hlc
from shared.ids import is_valid_id

SCHEMA_VERSION = 4  # of the records and messages; a server refuses clients older than it supports
# 2: orders, competitor reports, the product catalogue, check_in_mocked on visits (2026-11-27)
# 3: visit photos, the development pipeline, campaigns and targets
# 4: each visit type's own fields, complaint steps, the company's holidays
MAX_OPS_PER_PUSH = 500
MAX_PUSH_BYTES = 2 * 1024 * 1024
DEFAULT_PULL_LIMIT = 500
MAX_PULL_LIMIT = 1000
# Pull answer encodings a phone may ask for (PullRequest.encoding); without one, a page is `changes`, one object per
# record. "columns" (docs/sync-protocol.md): records grouped by kind and key set, each field's values in one list,
# which gzip packs into about 0.6x the bytes of the plain page (a first sync on a 384 kbit/s link is mostly bytes).
COLUMNS_ENCODING = "columns"
PULL_ENCODINGS = (COLUMNS_ENCODING,)
# A page in the columns encoding may hold more records (each round trip costs 300 ms and more on a village link; a
# page of 2,000 in columns is about 1.3x the bytes of a plain page of 1,000). Plain pages stay at MAX_PULL_LIMIT.
MAX_COLUMNS_PULL_LIMIT = 2000
MAX_DEVICE_ID_LENGTH = 64
MAX_NUMBER = 2**31 - 1  # seq, cursor: the database keeps them as 32-bit integers
# An op's chain (sync/chain.py, issue #17): lowercase hex of a SHA-256 hash, an Ed25519 signature, an Ed25519 key.
HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")
SIGNATURE_PATTERN = re.compile(r"^[0-9a-f]{128}$")
PUBLIC_KEY_PATTERN = HASH_PATTERN
# The phone's clock as its last pull measured it (client/clock.py): the server's time minus the phone's own, in whole
# seconds, on every push and pull (a header, not a body field: an older server ignores it, where it refuses an
# unknown body field, and an older phone sends none). The server keeps it per phone for /devices
# (docs/sync-protocol.md). A value that is not whole seconds within ten years is not kept; the sync goes on.
CLOCK_OFFSET_HEADER = "RouteCRM-Clock-Offset"
MAX_CLOCK_OFFSET_S = 10 * 365 * 86400
_CLOCK_OFFSET = re.compile(r"^[+-]?[0-9]{1,12}$")
# The one field a tombstone may carry: a customer merged into another (合并, docs/duplicates.md) is sent as
# `deleted: true, data: {"merged_into": survivor id}`, so a phone re-points what it holds of it to the survivor.
# Older phones read `deleted` and drop the record, as for any tombstone.
MERGED_INTO = "merged_into"


class ProtocolError(ValueError):
    """A message that does not follow the protocol; `path` says where, e.g. "ops[3].kind"."""

    def __init__(self, path: str, problem: str, code: str = "invalid_request") -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem
        self.code = code


class OpStatus(StrEnum):
    APPLIED = "applied"  # stored now
    DUPLICATE = "duplicate"  # stored by an earlier push of the same op; the earlier answer stands
    REJECTED = "rejected"  # can never be stored; kept on the device as a draft for the rep


@dataclass(frozen=True)
class Op:
    """One change made on a device: put fields of a record, or delete it (a tombstone)."""

    op_id: str
    device_id: str
    seq: int  # per device, from 1, without gaps; the server applies each (device, seq) once
    kind: RecordKind
    record_id: str
    action: OpAction
    fields: dict[str, Any]
    made_at: str  # the device's clock when the rep saved it; informative only, never a cursor
    # The device's hybrid logical clock at the edit (shared.hlc), and for each field it changes the clock
    # of the value it replaced (as last pulled): the server merges customer fields with them.
    hlc: str | None = None
    base: dict[str, str] = field(default_factory=dict)
    # The phone's chain (sync/chain.py): the hash of its previous signed op, and its signature of this op. Both
    # or neither: an app from before signing sends neither.
    prev_hash: str | None = None
    signature: str | None = None

    def as_dict(self) -> dict[str, Any]:
        # Field by field, not dataclasses.asdict: that deep-copies every value, and pushes carry thousands.
        body = {
            "op_id": self.op_id,
            "device_id": self.device_id,
            "seq": self.seq,
            "kind": self.kind.value,
            "record_id": self.record_id,
            "action": self.action.value,
            "fields": self.fields,
            "made_at": self.made_at,
            "hlc": self.hlc,
            "base": self.base,
        }
        if self.signature is not None:
            body["prev_hash"] = self.prev_hash
            body["signature"] = self.signature
        return body


@dataclass(frozen=True)
class SigningKey:
    """A phone's public key, as its pushes carry it: the server registers it once (docs/security.md)."""

    public_key: str  # Ed25519, lowercase hex
    from_seq: int  # the phone's first signed op number; the ops below it were made before the phone signed

    def as_dict(self) -> dict[str, Any]:
        return {"public_key": self.public_key, "from_seq": self.from_seq}


@dataclass(frozen=True)
class PushRequest:
    device_id: str
    schema_version: int
    ops: list[Op]
    signing_key: SigningKey | None = None  # the phone's key; an app from before signing has none

    def as_dict(self) -> dict[str, Any]:
        body = {
            "device_id": self.device_id,
            "schema_version": self.schema_version,
            "ops": [op.as_dict() for op in self.ops],
        }
        if self.signing_key is not None:
            body["signing_key"] = self.signing_key.as_dict()
        return body


@dataclass(frozen=True)
class OpResult:
    seq: int
    op_id: str
    status: OpStatus
    code: str | None = None
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        # Field by field, as Op.as_dict: a 500-op push answers 500 results and stores them too.
        return {
            "seq": self.seq,
            "op_id": self.op_id,
            "status": self.status.value,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class PushResponse:
    results: list[OpResult]

    def as_dict(self) -> dict[str, Any]:
        return {"results": [result.as_dict() for result in self.results]}


@dataclass(frozen=True)
class PullRequest:
    cursor: int
    schema_version: int
    limit: int = DEFAULT_PULL_LIMIT
    # True on every page of a pull that began at cursor 0 (a new phone, or a full resync): such a phone holds
    # nothing older that a forgotten delete could concern, so a cursor below the tombstone horizon is fine.
    full: bool = False
    # The answer's encoding the phone reads (PULL_ENCODINGS); None: the plain `changes` list every server sends.
    encoding: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"cursor": self.cursor, "schema_version": self.schema_version, "limit": self.limit}
        if self.full:
            body["full"] = True
        if self.encoding is not None:
            body["encoding"] = self.encoding
        return body


@dataclass(frozen=True)
class Change:
    """The current state of one record after change number `seq`; `data` is None for a tombstone, except a merged
    customer's, which holds only `merged_into` (MERGED_INTO)."""

    seq: int
    kind: RecordKind
    record_id: str
    deleted: bool
    data: dict[str, Any] | None

    @property
    def merged_into(self) -> str | None:
        """The survivor a merged customer went into (None: not a merge's tombstone)."""
        if not self.deleted or self.kind is not RecordKind.CUSTOMER or self.data is None:
            return None
        survivor = self.data.get(MERGED_INTO)
        return survivor if isinstance(survivor, str) and is_valid_id(survivor) and survivor != self.record_id else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind.value,
            "record_id": self.record_id,
            "deleted": self.deleted,
            "data": self.data,
        }


@dataclass(frozen=True)
class PullResponse:
    changes: list[Change]
    cursor: int  # pass back to get what follows; assigned by the server, never a device clock
    has_more: bool
    server_time: str = ""
    timezone: str = ""  # the company's zone (IANA name): the phone's business day
    visit_rules: dict[str, Any] = field(default_factory=dict)  # the company's visit flag limits (shared/visit_rules)
    route_rules: dict[str, Any] = field(default_factory=dict)  # how the day is ordered (shared/route_order)
    # The approval rules phones apply offline (shared/approvals.py ApprovalRules.for_phones); {}: none sent.
    approval_rules: dict[str, Any] = field(default_factory=dict)
    # A rep's claim limits and claims this month (shared/pool.py ClaimStanding.as_dict); {}: none sent.
    pool_rules: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "changes": [change.as_dict() for change in self.changes],
            "cursor": self.cursor,
            "has_more": self.has_more,
            "server_time": self.server_time,
            "timezone": self.timezone,
            "visit_rules": self.visit_rules,
            "route_rules": self.route_rules,
            "approval_rules": self.approval_rules,
            "pool_rules": self.pool_rules,
        }


# ---- JSON Schemas of the messages (the server's OpenAPI document; the parsers below are the rule) ----

_TEXT_ID = {"type": "string", "format": "uuid", "minLength": 36, "maxLength": 36}
_DEVICE_ID = {"type": "string", "minLength": 1, "maxLength": MAX_DEVICE_ID_LENGTH}
_SCHEMA_VERSION = {"type": "integer", "minimum": 1, "maximum": SCHEMA_VERSION}
_KINDS = [kind.value for kind in RecordKind]

OP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["op_id", "device_id", "seq", "kind", "record_id", "action", "made_at"],
    "properties": {
        "op_id": _TEXT_ID,
        "device_id": _DEVICE_ID,
        "seq": {"type": "integer", "minimum": 1, "maximum": MAX_NUMBER},
        "kind": {"type": "string", "enum": _KINDS},
        "record_id": _TEXT_ID,
        "action": {"type": "string", "enum": [action.value for action in OpAction]},
        "fields": {"type": "object"},
        "made_at": {"type": "string", "minLength": 1, "maxLength": 40},
        "hlc": {"type": ["string", "null"], "maxLength": 120},
        "base": {"type": "object", "additionalProperties": {"type": "string"}},
        # A signed op carries both (sync/chain.py); an op of an app from before signing neither.
        "prev_hash": {"type": "string", "pattern": HASH_PATTERN.pattern},
        "signature": {"type": "string", "pattern": SIGNATURE_PATTERN.pattern},
    },
}
PUSH_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["device_id", "schema_version", "ops"],
    "properties": {
        "device_id": _DEVICE_ID,
        "schema_version": _SCHEMA_VERSION,
        "ops": {"type": "array", "maxItems": MAX_OPS_PER_PUSH, "items": OP_SCHEMA},
        "signing_key": {
            "type": "object",
            "additionalProperties": False,
            "required": ["public_key", "from_seq"],
            "properties": {
                "public_key": {"type": "string", "pattern": PUBLIC_KEY_PATTERN.pattern},
                "from_seq": {"type": "integer", "minimum": 1, "maximum": MAX_NUMBER},
            },
        },
    },
}
PUSH_RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["results"],
    "properties": {
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["seq", "op_id", "status", "code", "message"],
                "properties": {
                    "seq": {"type": "integer", "minimum": 1},
                    "op_id": {"type": "string"},
                    "status": {"type": "string", "enum": [status.value for status in OpStatus]},
                    "code": {"type": ["string", "null"]},
                    "message": {"type": ["string", "null"]},
                },
            },
        }
    },
}
PULL_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["cursor", "schema_version"],
    "properties": {
        "cursor": {"type": "integer", "minimum": 0, "maximum": MAX_NUMBER},
        "schema_version": _SCHEMA_VERSION,
        "limit": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_COLUMNS_PULL_LIMIT,
            "description": f"at most {MAX_PULL_LIMIT}; with encoding `columns` at most {MAX_COLUMNS_PULL_LIMIT}",
        },
        "full": {"type": "boolean"},
        "encoding": {
            "type": "string",
            "enum": list(PULL_ENCODINGS),
            "description": "the answer's encoding the phone reads: `columns` sends `groups` instead of `changes`",
        },
    },
}
# A column of canonical UUIDs packed as 16 bytes each (`packed_uuids`): url-safe base64 without padding.
_PACKED_UUIDS: dict[str, Any] = {
    "type": "object",
    "required": ["uuids"],
    "properties": {"uuids": {"type": "string", "description": "16 bytes per id, url-safe base64, no padding"}},
    "additionalProperties": False,
}
PULL_RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["cursor", "has_more", "server_time"],
    "properties": {
        "encoding": {"type": "string", "enum": list(PULL_ENCODINGS), "description": "present: `groups` is sent"},
        "groups": {
            "type": "array",
            "description": "with encoding `columns`, instead of `changes`: records of one kind and key set",
            "items": {
                "type": "object",
                "required": ["kind", "fields", "seq", "record_id", "deleted", "values"],
                "properties": {
                    "kind": {"type": "string", "enum": _KINDS},
                    "fields": {"type": ["array", "null"], "items": {"type": "string"}},
                    "seq": {"type": "array", "items": {"type": "integer"}},
                    "record_id": {"anyOf": [{"type": "array", "items": {"type": "string"}}, _PACKED_UUIDS]},
                    "deleted": {"type": "array", "items": {"type": "integer"}},
                    "values": {"type": "array", "items": {"anyOf": [{"type": ["array", "null"]}, _PACKED_UUIDS]}},
                },
            },
        },
        "changes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["seq", "kind", "record_id", "deleted", "data"],
                "properties": {
                    "seq": {"type": "integer", "minimum": 1},
                    "kind": {"type": "string", "enum": _KINDS},
                    "record_id": {"type": "string"},
                    "deleted": {"type": "boolean"},
                    "data": {
                        "type": ["object", "null"],
                        "description": "the record; null for a tombstone, except a merged customer's, which is"
                        " {merged_into: survivor id}",
                    },
                },
            },
        },
        "cursor": {"type": "integer", "minimum": 0},
        "has_more": {"type": "boolean"},
        "server_time": {"type": "string"},
        "timezone": {"type": "string", "description": "the company's time zone (IANA name)"},
        "visit_rules": {"type": "object", "description": "the company's visit flag limits"},
        "route_rules": {
            "type": "object",
            "description": "what the rep's day is ordered with: minutes by customer kind, door hours by kind,"
            " road factor and speed",
        },
        "approval_rules": {
            "type": "object",
            "description": "the approval rules a phone applies offline to orders and new customers (the server"
            " still decides); absent from older servers",
            "properties": {
                "credit_limit": {"type": "boolean"},
                "discount_pct": {"type": "number", "minimum": 0, "maximum": 100},
                "new_customers": {"type": "boolean"},
            },
        },
        "pool_rules": {
            "type": "object",
            "description": "a rep's claim limits (0: none) and claims the server holds this month, for the phone to"
            " tell before 认领 whether a claim will be refused or wait for approval; {} for others, absent from"
            " older servers",
            "properties": {
                "claim_limit": {"type": "integer", "minimum": 0},
                "owned_limit": {"type": "integer", "minimum": 0},
                "over_limit_approval": {"type": "boolean"},
                "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                "claimed": {"type": "integer", "minimum": 0},
            },
        },
    },
}


# ---- parsing -------------------------------------------------------------------------------


def _object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProtocolError(path, f"must be a JSON object, got {_json_type(value)}")
    return value


def _only_keys(obj: Mapping[str, Any], allowed: set[str], path: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise ProtocolError(f"{path}.{unknown[0]}" if path else unknown[0], "is not a known field")


def _required(obj: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in obj:
        raise ProtocolError(_join(path, key), "is required")
    return obj[key]


def parse_clock_offset(value: str) -> int:
    """A `CLOCK_OFFSET_HEADER` value: whole seconds, signed (server minus phone), within MAX_CLOCK_OFFSET_S."""
    text = value.strip()
    if not _CLOCK_OFFSET.match(text):
        raise ProtocolError(CLOCK_OFFSET_HEADER, f"must be whole seconds, e.g. -11520, not {text[:40]!r}")
    seconds = int(text)
    if abs(seconds) > MAX_CLOCK_OFFSET_S:
        raise ProtocolError(CLOCK_OFFSET_HEADER, f"must be within ±{MAX_CLOCK_OFFSET_S} s (ten years), not {seconds}")
    return seconds


def clock_offset_header(correction_s: float) -> str:
    """What a phone sends in `CLOCK_OFFSET_HEADER` for its measured correction (seconds)."""
    return str(round(correction_s))


def _int(value: object, path: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(path, f"must be a whole number, got {_json_type(value)}")
    if value < minimum:
        raise ProtocolError(path, f"must be at least {minimum}")
    if value > MAX_NUMBER:
        raise ProtocolError(path, f"must be at most {MAX_NUMBER}")
    return value


def _str(value: object, path: str, max_len: int = 100) -> str:
    if not isinstance(value, str) or not value:
        raise ProtocolError(path, f"must be non-empty text, got {_json_type(value)}")
    if len(value) > max_len:
        raise ProtocolError(path, f"must be at most {max_len} characters")
    return value


MAX_NESTING = 16  # of objects and arrays inside an op; records are flat, a few levels leave room


# Half a UTF-16 pair: JSON may escape one ("\ud83d", half an emoji) and json.loads keeps it, but such text
# has no UTF-8 form, so no database (nor the answer to a pull) can hold it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _storable(text: str) -> bool:
    """No NUL (PostgreSQL stores none in text or jsonb) and no lone surrogate (no UTF-8 form)."""
    return "\x00" not in text and (text.isascii() or _SURROGATE.search(text) is None)


def _no_nul(value: object, path: str, depth: int = 0) -> None:
    """No text anywhere may hold a NUL character or a lone surrogate (`_storable`); no record needs either."""
    if _clean(value, depth):  # the usual case, checked without building a single path
        return
    if depth > MAX_NESTING:
        raise ProtocolError(path, f"is nested more than {MAX_NESTING} levels deep")
    if isinstance(value, str):
        if "\x00" in value:
            raise ProtocolError(path, "must not contain the NUL character (\\u0000)")
        if not _storable(value):
            raise ProtocolError(path, "must not contain a lone surrogate (half an emoji, \\ud800-\\udfff)")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _no_nul(key, path, depth + 1)
            _no_nul(item, _join(path, str(key)), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_nul(item, f"{path}[{index}]", depth + 1)


SCALARS = (int, float, bool, type(None))


def _clean(value: object, depth: int) -> bool:
    """True when `_no_nul` passes `value` (storable text, not too deep): decoded JSON's exact types, no paths built.
    A push holds thousands of plain values. False means "look closer" (also for a type JSON does not decode to)."""
    if depth > MAX_NESTING:
        return False
    kind = type(value)
    if kind is str:
        return _storable(value)  # type: ignore[arg-type]
    if kind in SCALARS:
        return True
    if kind is dict:
        items: Iterable[object] = (part for pair in value.items() for part in pair)  # type: ignore[attr-defined]
    elif kind is list:
        items = value  # type: ignore[assignment]
    else:
        return False
    for item in items:
        item_kind = type(item)
        if item_kind is str:
            if depth == MAX_NESTING or not _storable(item):  # type: ignore[arg-type]
                return False
        elif (item_kind not in SCALARS or depth == MAX_NESTING) and not _clean(item, depth + 1):
            return False
    return True


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def parse_schema_version(obj: Mapping[str, Any]) -> int:
    return _int(_required(obj, "schema_version", ""), "schema_version", minimum=1)


# The keys an op may have; a signed op's chain (sync/chain.py) is the last two.
OP_KEYS = {
    "op_id",
    "device_id",
    "seq",
    "kind",
    "record_id",
    "action",
    "fields",
    "made_at",
    "hlc",
    "base",
    "prev_hash",
    "signature",
}


def _hex(obj: Mapping[str, Any], key: str, pattern: re.Pattern[str], length: int, path: str) -> str | None:
    """The value of `key` if it is lowercase hex of `length` characters; None if absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or pattern.match(value) is None:
        raise ProtocolError(_join(path, key), f"must be {length} lowercase hex characters")
    return value


def parse_op(value: object, path: str) -> Op:
    obj = _object(value, path)
    _only_keys(obj, OP_KEYS, path)
    _no_nul(obj, path)
    kind_text = _str(_required(obj, "kind", path), _join(path, "kind"), 40)
    try:
        kind = RecordKind(kind_text)
    except ValueError:
        known = ", ".join(k.value for k in RecordKind)
        raise ProtocolError(
            _join(path, "kind"), f"unknown record kind {kind_text!r} (known: {known})", "unknown_kind"
        ) from None
    action_text = _str(_required(obj, "action", path), _join(path, "action"), 20)
    try:
        action = OpAction(action_text)
    except ValueError:
        raise ProtocolError(_join(path, "action"), "must be put or delete") from None
    op_id = _str(_required(obj, "op_id", path), _join(path, "op_id"), 36)
    record_id = _str(_required(obj, "record_id", path), _join(path, "record_id"), 36)
    for key, text_id in (("op_id", op_id), ("record_id", record_id)):
        if not is_valid_id(text_id):
            raise ProtocolError(_join(path, key), "must be a UUID")
    fields = _object(obj.get("fields", {}), _join(path, "fields"))
    hlc = obj.get("hlc")
    if hlc is not None and not is_hlc(hlc):
        raise ProtocolError(_join(path, "hlc"), "must be a hybrid logical clock (shared.hlc)")
    base = _object(obj.get("base", {}), _join(path, "base"))
    for name, clock in base.items():
        if name not in fields or not is_hlc(clock):
            raise ProtocolError(_join(path, f"base.{name}"), "must be the clock of a field this op changes")
    prev_hash = _hex(obj, "prev_hash", HASH_PATTERN, 64, path)
    signature = _hex(obj, "signature", SIGNATURE_PATTERN, 128, path)
    if (prev_hash is None) != (signature is None):
        missing = "signature" if signature is None else "prev_hash"
        raise ProtocolError(_join(path, missing), "a signed op carries both prev_hash and signature")
    return Op(
        op_id=op_id,
        device_id=_str(_required(obj, "device_id", path), _join(path, "device_id"), MAX_DEVICE_ID_LENGTH),
        seq=_int(_required(obj, "seq", path), _join(path, "seq"), minimum=1),
        kind=kind,
        record_id=record_id,
        action=action,
        fields=dict(fields),
        made_at=_str(_required(obj, "made_at", path), _join(path, "made_at"), 40),
        hlc=hlc,
        base=dict(base),
        prev_hash=prev_hash,
        signature=signature,
    )


def parse_signing_key(value: object, path: str) -> SigningKey:
    obj = _object(value, path)
    _only_keys(obj, {"public_key", "from_seq"}, path)
    public_key = _hex(obj, "public_key", PUBLIC_KEY_PATTERN, 64, path)
    if public_key is None:
        raise ProtocolError(_join(path, "public_key"), "is required")
    return SigningKey(public_key, _int(_required(obj, "from_seq", path), _join(path, "from_seq"), minimum=1))


def parse_push_request(value: object) -> PushRequest:
    obj = _object(value, "body")
    _only_keys(obj, {"device_id", "schema_version", "ops", "signing_key"}, "")
    device_id = _str(_required(obj, "device_id", ""), "device_id", MAX_DEVICE_ID_LENGTH)
    _no_nul(device_id, "device_id")
    schema_version = parse_schema_version(obj)
    raw_ops = _required(obj, "ops", "")
    if not isinstance(raw_ops, list):
        raise ProtocolError("ops", f"must be an array, got {_json_type(raw_ops)}")
    if len(raw_ops) > MAX_OPS_PER_PUSH:
        raise ProtocolError("ops", f"at most {MAX_OPS_PER_PUSH} ops per push, got {len(raw_ops)}", "too_large")
    ops = [parse_op(raw, f"ops[{i}]") for i, raw in enumerate(raw_ops)]
    for i, op in enumerate(ops):
        if op.device_id != device_id:
            raise ProtocolError(f"ops[{i}].device_id", "must equal the push's device_id")
    seqs = [op.seq for op in ops]
    if seqs != sorted(set(seqs)):
        raise ProtocolError("ops", "seq numbers must be strictly increasing within a push")
    raw_key = obj.get("signing_key")
    signing_key = None if raw_key is None else parse_signing_key(raw_key, "signing_key")
    return PushRequest(device_id=device_id, schema_version=schema_version, ops=ops, signing_key=signing_key)


def parse_push_response(value: object) -> PushResponse:
    obj = _object(value, "body")
    raw_results = _required(obj, "results", "")
    if not isinstance(raw_results, list):
        raise ProtocolError("results", "must be an array")
    results = []
    for i, raw in enumerate(raw_results):
        item = _object(raw, f"results[{i}]")
        results.append(
            OpResult(
                seq=_int(_required(item, "seq", ""), f"results[{i}].seq", minimum=1),
                op_id=str(_required(item, "op_id", "")),
                status=OpStatus(_required(item, "status", "")),
                code=item.get("code"),
                message=item.get("message"),
            )
        )
    return PushResponse(results=results)


def parse_pull_request(value: object) -> PullRequest:
    obj = _object(value, "body")
    _only_keys(obj, {"cursor", "schema_version", "limit", "full", "encoding"}, "")
    encoding = obj.get("encoding")
    if encoding is not None and encoding not in PULL_ENCODINGS:
        raise ProtocolError("encoding", f"must be one of {', '.join(PULL_ENCODINGS)}")
    limit = _int(obj.get("limit", DEFAULT_PULL_LIMIT), "limit", minimum=1)
    most = MAX_COLUMNS_PULL_LIMIT if encoding == COLUMNS_ENCODING else MAX_PULL_LIMIT
    if limit > most:
        raise ProtocolError("limit", f"must be at most {most}", "too_large")
    full = obj.get("full", False)
    if not isinstance(full, bool):
        raise ProtocolError("full", "must be true or false")
    return PullRequest(
        cursor=_int(_required(obj, "cursor", ""), "cursor"),
        schema_version=parse_schema_version(obj),
        limit=limit,
        full=full,
        encoding=encoding,
    )


def column_groups(changes: Iterable[tuple[int, str, str, bool, Mapping[str, Any] | None]]) -> list[dict[str, Any]]:
    """The `groups` of a pull answer in the `columns` encoding, from (seq, kind, record_id, deleted, data) in
    seq order. Records of one kind with the same keys in the same order form a group: its `fields` once, then
    per field the list of its values (`values[i][j]` is `fields[i]` of the group's j-th record), so gzip sees
    like next to like. A field equal to the record id in every record of the group (`id`) is sent as null,
    `seq` as differences from the previous one (the first as it is), `deleted` as the indexes of the deleted
    records. Decoding (`changes_of_groups`) gives back the same changes, key order and nulls included."""
    groups: dict[tuple[str, tuple[str, ...] | None], dict[str, Any]] = {}
    for seq, kind, record_id, deleted, data in changes:
        shape = None if data is None else tuple(data)
        group = groups.get((kind, shape))
        if group is None:
            group = {"kind": kind, "fields": shape, "seq": [], "last": 0, "record_id": [], "deleted": [], "rows": []}
            groups[(kind, shape)] = group
        if deleted:
            group["deleted"].append(len(group["record_id"]))
        group["seq"].append(seq - group["last"])
        group["last"] = seq
        group["record_id"].append(record_id)
        if data is not None:
            group["rows"].append(list(data.values()))
    out = []
    for group in groups.values():
        fields, ids, rows = group["fields"], group["record_id"], group["rows"]
        values: list[list[Any] | dict[str, str] | None] = []
        for index in range(len(fields or ())):
            column = [row[index] for row in rows]
            values.append(None if column == ids else packed_uuids(column))
        out.append(
            {
                "kind": group["kind"],
                "fields": None if fields is None else list(fields),
                "seq": group["seq"],
                "record_id": packed_uuids(ids),
                "deleted": group["deleted"],
                "values": values,
            }
        )
    return out


def packed_uuids(column: list[Any]) -> list[Any] | dict[str, str]:
    """A list of ids as `{"uuids": base64}` (16 bytes each, url-safe, no padding) when every value is a UUID in
    its canonical text (lowercase, with dashes), which alone gives them back exactly; otherwise the list as is.
    Gzip packs a UUID's 36 characters into about 22 bytes, its 22 base64 characters into about 17."""
    try:
        raw = b"".join(uuid.UUID(value).bytes for value in column if isinstance(value, str))
    except ValueError:
        return column
    if len(raw) != 16 * len(column) or not column:
        return column
    packed = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    if [str(uuid.UUID(bytes=raw[i : i + 16])) for i in range(0, len(raw), 16)] != column:
        return column  # not all canonical (upper case, braces, no dashes): sent as they are
    return {"uuids": packed}


def unpacked_uuids(column: object, path: str) -> list[Any]:
    """The inverse of `packed_uuids` (a list passes through)."""
    if isinstance(column, list):
        return column
    text = column.get("uuids") if isinstance(column, Mapping) else None
    if not isinstance(text, str):
        raise ProtocolError(path, "must be an array or {uuids: base64}")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError(path, "uuids is not base64") from None
    if len(raw) % 16:
        raise ProtocolError(path, "uuids is not a whole number of 16-byte ids")
    return [str(uuid.UUID(bytes=raw[i : i + 16])) for i in range(0, len(raw), 16)]


def changes_of_groups(raw_groups: object) -> list[Change]:
    """The changes a `columns` answer's `groups` carry, in seq order (the inverse of `column_groups`).

    Equal texts within a field of a page are kept once in memory (a territory, a rep id, a day repeat in
    thousands of records on a phone that holds them all)."""
    if not isinstance(raw_groups, list):
        raise ProtocolError("groups", "must be an array")
    changes: list[Change] = []
    for g, raw in enumerate(raw_groups):
        path = f"groups[{g}]"
        group = _object(raw, path)
        kind = RecordKind(_required(group, "kind", path))
        ids = unpacked_uuids(group.get("record_id"), f"{path}.record_id")
        seqs, deleted = group.get("seq"), group.get("deleted")
        fields, values = group.get("fields"), group.get("values", [])
        if not isinstance(seqs, list) or len(seqs) != len(ids):
            raise ProtocolError(f"{path}.seq", "must be an array as long as record_id")
        if not isinstance(deleted, list) or not isinstance(values, list):
            raise ProtocolError(f"{path}.deleted", "must be arrays (deleted, values)")
        if fields is not None and (not isinstance(fields, list) or len(fields) != len(values)):
            raise ProtocolError(f"{path}.values", "must hold one entry per field")
        columns: list[list[Any]] = []
        for i, column in enumerate(values):
            if column is None:
                columns.append(ids)
                continue
            column = unpacked_uuids(column, f"{path}.values[{i}]")
            if len(column) != len(ids):
                raise ProtocolError(f"{path}.values[{i}]", "must be null or an array as long as record_id")
            seen: dict[str, str] = {}
            columns.append([seen.setdefault(value, value) if isinstance(value, str) else value for value in column])
        gone = set(deleted)
        seq = 0
        for j, record_id in enumerate(ids):
            seq += _int(seqs[j], f"{path}.seq[{j}]", minimum=1 if j == 0 else 0)
            data = (
                None if fields is None else {str(name): column[j] for name, column in zip(fields, columns, strict=True)}
            )
            changes.append(Change(seq=seq, kind=kind, record_id=str(record_id), deleted=j in gone, data=data))
    changes.sort(key=lambda change: change.seq)
    return changes


def parse_pull_response(value: object) -> PullResponse:
    obj = _object(value, "body")
    if obj.get("encoding") == COLUMNS_ENCODING:
        changes = changes_of_groups(_required(obj, "groups", ""))
    else:
        changes = _plain_changes(_required(obj, "changes", ""))
    return PullResponse(
        changes=changes,
        cursor=_int(_required(obj, "cursor", ""), "cursor"),
        has_more=bool(obj.get("has_more", False)),
        server_time=str(obj.get("server_time", "")),
        timezone=str(obj.get("timezone", "")),
        visit_rules=dict(obj["visit_rules"]) if isinstance(obj.get("visit_rules"), Mapping) else {},
        route_rules=dict(obj["route_rules"]) if isinstance(obj.get("route_rules"), Mapping) else {},
        approval_rules=dict(obj["approval_rules"]) if isinstance(obj.get("approval_rules"), Mapping) else {},
        pool_rules=dict(obj["pool_rules"]) if isinstance(obj.get("pool_rules"), Mapping) else {},
    )


def _plain_changes(raw_changes: object) -> list[Change]:
    if not isinstance(raw_changes, list):
        raise ProtocolError("changes", "must be an array")
    changes = []
    for i, raw in enumerate(raw_changes):
        item = _object(raw, f"changes[{i}]")
        data = item.get("data")
        changes.append(
            Change(
                seq=_int(_required(item, "seq", ""), f"changes[{i}].seq", minimum=1),
                kind=RecordKind(_required(item, "kind", "")),
                record_id=str(_required(item, "record_id", "")),
                deleted=bool(item.get("deleted", False)),
                data=dict(data) if isinstance(data, Mapping) else None,
            )
        )
    return changes
