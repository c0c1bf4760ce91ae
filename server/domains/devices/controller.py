"""GET /api/devices and POST /api/devices/{device_id}/revoke: supervisors (their territory) and admins."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import PathParameter
from litestar.security.jwt import Token
from msgspec import Struct

from server.actor import Actor
from server.db import write_session
from server.dependencies import CurrentActor, DatabaseEngine, ReadSession, api_dependencies
from server.domains.devices.models import Device
from server.domains.devices.service import list_devices, revoke_device
from server.domains.guards import NO_NUL, known_query, supervisors
from server.domains.users.signin import client_address
from server.errors import error_responses

DeviceIdPath = Annotated[str, PathParameter(max_length=64, pattern=NO_NUL)]


class DeviceOut(Struct):
    id: str
    user_id: str
    username: str | None
    name: str | None
    platform: str | None
    registered_at: str
    last_seen_at: str
    revoked_at: str | None
    revoked_by: str | None
    # The phone's clock as it last said (the server's time minus the phone's, seconds) and when; None: never said.
    clock_offset_s: int | None = None
    clock_offset_at: str | None = None


class DeviceList(Struct):
    devices: list[DeviceOut]


def device_out(device: Device, username: str | None) -> DeviceOut:
    return DeviceOut(
        device.id,
        device.user_id,
        username,
        device.name,
        device.platform,
        device.registered_at,
        device.last_seen_at,
        device.revoked_at,
        device.revoked_by,
        device.clock_offset_s,
        device.clock_offset_at,
    )


class DeviceController(Controller):
    path = "/api/devices"
    tags = ("devices",)
    guards = (supervisors,)
    dependencies = api_dependencies()

    @get("/", sync_to_thread=True, guards=[known_query()], responses=error_responses(400, 401, 403))
    def list(self, actor: CurrentActor, session: ReadSession) -> DeviceList:
        """The phones of the caller's territory's reps (an admin's or a head supervisor's: all), last seen first."""
        rows = list_devices(session, actor)
        return DeviceList([device_out(row.device, row.user.username if row.user else None) for row in rows])

    @post(
        "/{device_id:str}/revoke",
        status_code=200,
        sync_to_thread=True,
        guards=[known_query()],
        responses=error_responses(400, 401, 403, 404),
    )
    def revoke(
        self,
        request: Request[Actor, Token, Any],
        actor: CurrentActor,
        engine: DatabaseEngine,
        device_id: DeviceIdPath,
    ) -> DeviceOut:
        """Revoke a phone: its next request is refused (403 device_revoked) except its push, whose ops are kept
        in quarantine for an admin; then the app wipes its data. Revoking twice changes nothing."""
        with write_session(engine) as session:  # in the handler's thread (server/dependencies.py says why)
            device = revoke_device(session, actor, device_id, client_address(request))
        return device_out(device, None)
