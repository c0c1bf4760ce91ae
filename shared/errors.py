"""Error codes the sync API answers with; stable strings both sides match on."""

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_REQUEST = "invalid_request"  # malformed body, wrong types, unknown fields
    INVALID_RECORD = "invalid_record"  # an op's fields fail the record schema
    UNKNOWN_KIND = "unknown_kind"
    TOO_LARGE = "too_large"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"  # outside the rep's territory, or a kind the role may not write
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    CLIENT_TOO_OLD = "client_too_old"
    RESYNC_REQUIRED = "resync_required"  # the pull cursor predates expired tombstones: pull from 0 again
    RATE_LIMITED = "rate_limited"  # too many failed sign-ins: wait (Retry-After) and try again
    TOKEN_EXPIRED = "token_expired"  # 401: the access token is too old: refresh it (POST /api/auth/refresh)
    DEVICE_REVOKED = "device_revoked"  # 403: this phone was revoked: its pushed ops are quarantined, wipe it
    BAD_SIGNATURE = "bad_signature"  # 403: an op that cannot come from the phone it names (sync/chain.py)
    WEAK_PASSWORD = "weak_password"  # 422: a new password breaks the password policy (the message says which rule)
    ALREADY_CLAIMED = "already_claimed"  # 409: a 公海 claim lost: another rep owns the customer (details: owner_name)
    CLAIM_LIMIT = "claim_limit"  # 422: a claim over POOL_CLAIM_LIMIT or POOL_OWNED_LIMIT
    ALREADY_DECIDED = "already_decided"  # 409: an approval request was approved or rejected already
