"""Phones: registered at sign-in, listed and revoked by admins (all) and supervisors (their territory's reps).

A revoked phone's next request is answered 403 `device_revoked` (server/auth.py), except its push: the ops
are received into quarantine (`quarantine_push`), acknowledged, and wait for an admin to accept them
(applied once through the normal push path, as the rep and the phone that made them) or drop them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from server.actor import Actor
from server.clock import now_iso
from server.db import read_session, write_session
from server.domains.audit.service import audit
from server.domains.devices.models import Device
from server.domains.users.models import AuthSession, User
from server.domains.users.sessions import API_SESSION, device_revoked_error
from server.errors import Forbidden, NotFound
from shared.enums import Role
from sync.protocol import ProtocolError, parse_clock_offset

# A phone's clock offset (note_clock_offset) is written again when it moves by more than this (two measurements of one
# clock differ by a second or so with the round trip) or when the one kept is older than CLOCK_NOTE_REFRESH: a phone
# syncing every 30 s does not write its row each time, and /devices says when it was last heard within 10 minutes.
logger = logging.getLogger(__name__)
CLOCK_NOTE_TOLERANCE_S = 2
CLOCK_NOTE_REFRESH = dt.timedelta(minutes=10)


def register_device(
    session: Session, actor: Actor, device_id: str, *, name: str | None, platform: str | None
) -> Device:
    """At sign-in: the phone is known from now on (or seen again). A revoked phone cannot sign in again, nor
    can another user name a phone someone is signed in on (a phone whose sign-ins ended may change hands)."""
    now = now_iso()
    device = session.get(Device, device_id)
    if device is not None and device.revoked_at is not None:
        raise device_revoked_error(device_id)
    if device is not None and device.user_id != actor.id and _signed_in_on(session, device, now):
        raise another_users_phone()
    if device is None:
        device = Device(id=device_id, user_id=actor.id, registered_at=now, last_seen_at=now)
    device.user_id, device.last_seen_at = actor.id, now
    device.name, device.platform = name or device.name, platform or device.platform
    session.add(device)
    return device


def another_users_phone() -> Forbidden:
    return Forbidden("this phone is signed in as another user", path="device_id")


def _signed_in_on(session: Session, device: Device, now: str) -> bool:
    """True while the phone's user has a sign-in on it that has not ended."""
    query = (
        select(AuthSession.id)
        .join(User, col(User.id) == col(AuthSession.user_id))
        .where(
            AuthSession.device_id == device.id,
            AuthSession.user_id == device.user_id,
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.expires_at) > now,
            User.active == True,  # noqa: E712
        )
    )
    return session.exec(query.limit(1)).first() is not None


def phone_of_push(engine: Engine, actor: Actor, device_id: str) -> Actor:
    """The pushing sign-in's actor with the phone the push names, or Forbidden (path `device_id`).

    A push spends its phone's sequence numbers: one naming another phone would have that phone's own ops
    refused as conflicts. So a phone's sign-in (bound to its device id at sign-in) pushes for that phone only;
    a sign-in made without a device id (scripts, the benchmark, tests playing several phones) pushes for its
    user's phones or unknown ones (registered to its user at the first push), never another user's; a web
    sign-in has no phone and never pushes."""
    if actor.session_kind != API_SESSION:
        raise Forbidden("a web sign-in has no phone: sync from the app", path="device_id")
    if actor.device_id is not None:
        if device_id != actor.device_id:
            raise Forbidden(
                "this sign-in is bound to another phone: push as the phone that signed in", path="device_id"
            )
        return actor
    with read_session(engine) as session:
        device = session.get(Device, device_id)
    if device is None:
        with write_session(engine) as session:
            device = session.get(Device, device_id)  # another push may have registered it meanwhile
            if device is None:
                now = now_iso()
                device = Device(id=device_id, user_id=actor.id, registered_at=now, last_seen_at=now)
                session.add(device)
    if device.user_id != actor.id:
        raise another_users_phone()
    return replace(actor, device_id=device_id, device_revoked=device.revoked_at is not None)


def receiving_phone(engine: Engine, actor: Actor, device_id: str, clock_header: str | None) -> tuple[Actor, int | None]:
    """The phone a push comes from (`phone_of_push`: the sign-in's own, else 403) and the clock offset its header
    says, kept for /devices (`heard_clock`): a revoked phone's too, its quarantined ops are judged with it."""
    phone = phone_of_push(engine, actor, device_id)
    return phone, heard_clock(engine, device_id, clock_header)


def heard_clock(engine: Engine, device_id: str | None, clock_header: str | None) -> int | None:
    """The clock offset a request's RouteCRM-Clock-Offset header says, kept for the phone (`note_clock_offset`);
    None when not said or unreadable (logged: the sync goes on)."""
    offset = _clock_offset_of(clock_header, device_id)
    if offset is not None and device_id is not None:
        note_clock_offset(engine, device_id, offset)
    return offset


def _clock_offset_of(value: str | None, device_id: str | None) -> int | None:
    """The phone's clock offset a request says, or None (not said, or unreadable: logged, never refused)."""
    if value is None or device_id is None:
        return None
    try:
        return parse_clock_offset(value)
    except ProtocolError as error:
        logger.warning("phone %s: %s %s (not kept)", device_id, error.path, error.problem)
        return None


def note_clock_offset(engine: Engine, device_id: str, offset_s: int) -> bool:
    """Keep what a phone says of its clock (seconds, the server's time minus the phone's: sync/protocol.py
    CLOCK_OFFSET_HEADER) and when it said it; True when written. An unknown phone is not registered here (its
    sign-in or first push does that)."""
    now = now_iso()
    with read_session(engine) as session:
        device = session.get(Device, device_id)
        if device is None or not _clock_note_due(device, offset_s, now):
            return False
    with write_session(engine) as session:
        device = session.get(Device, device_id)
        if device is None:
            return False
        device.clock_offset_s, device.clock_offset_at = offset_s, now
        session.add(device)
    return True


def _clock_note_due(device: Device, offset_s: int, now: str) -> bool:
    if device.clock_offset_s is None or device.clock_offset_at is None:
        return True
    if abs(device.clock_offset_s - offset_s) > CLOCK_NOTE_TOLERANCE_S:
        return True
    try:
        heard = dt.datetime.fromisoformat(device.clock_offset_at)
        return dt.datetime.fromisoformat(now) - heard >= CLOCK_NOTE_REFRESH
    except (TypeError, ValueError):
        return True


@dataclass(frozen=True)
class DeviceRow:
    device: Device
    user: User | None


def _may_manage(actor: Actor, user: User | None) -> bool:
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.SUPERVISOR:
        return False
    # A supervisor without a territory heads the whole company; one with a territory manages its reps.
    return actor.territory is None or (user is not None and user.territory == actor.territory)


def list_devices(session: Session, actor: Actor) -> list[DeviceRow]:
    if actor.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise Forbidden("only supervisors and admins manage phones")
    query = select(Device, User).join(User, col(User.id) == col(Device.user_id), isouter=True)
    rows = [DeviceRow(device, user) for device, user in session.exec(query.order_by(col(Device.last_seen_at).desc()))]
    return [row for row in rows if _may_manage(actor, row.user)]


def revoke_device(session: Session, actor: Actor, device_id: str, ip: str | None = None) -> Device:
    """Revoke a phone: at its next contact it is told, hands over its unsent ops (quarantined) and wipes."""
    device = session.get(Device, device_id)
    # Another team's phone is unknown here, as another team's records are everywhere (server/domains/teams.py).
    if device is None or not _may_manage(actor, session.get(User, device.user_id)):
        raise NotFound(f"no phone {device_id!r}", path="device_id")
    if device.revoked_at is None:
        device.revoked_at, device.revoked_by = now_iso(), actor.id
        session.add(device)
        audit(
            session,
            "device_revoked",
            actor_id=actor.id,
            actor_name=actor.username,
            ip=ip,
            details={"device_id": device.id, "user_id": device.user_id},
        )
    return device
