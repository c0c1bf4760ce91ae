"""Phones and the quarantine: supervisors revoke their territory's phones (admins any), admins decide what a
revoked phone's unsent ops become (accepted: applied once, as the rep; dropped: never applied).

Each phone's clock, as it last measured it against the server's (client/clock.py; kept by the sync requests:
server/domains/sync/controller.py), is said in words: a supervisor checking visits entered late wants to know
which phones run hours or days off."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.clock import local_time
from server.db import write_session
from server.dependencies import AppSettings, DatabaseEngine, ReadSession, api_dependencies
from server.domains.chain.service import chain_heads
from server.domains.devices.clock import clock_state, clock_words
from server.domains.devices.service import list_devices, revoke_device
from server.domains.sync.quarantine import accept_quarantined, drop_quarantined, list_quarantine
from server.domains.users.signin import client_address
from server.web.i18n import lang_of
from server.web.pages import WebRequest, admins_only, page, supervisors_only


class DevicePages(Controller):
    path = "/"
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/devices", sync_to_thread=True, guards=[supervisors_only])
    def devices(
        self, request: WebRequest, settings: AppSettings, session: ReadSession, revoked: FromQuery[str | None] = None
    ) -> Template:
        rows = list_devices(session, request.user)
        heads = chain_heads(session, [row.device.id for row in rows])
        lang = lang_of(request)
        shown: list[dict[str, Any]] = [
            {
                "device": row.device,
                "user": row.user,
                "seen": local_time(row.device.last_seen_at, settings.tz),
                "revoked": local_time(row.device.revoked_at, settings.tz),
                "chain": heads.get(row.device.id),
                "clock_state": clock_state(row.device.clock_offset_s),
                "clock": clock_words(row.device.clock_offset_s, lang),
                "clock_heard": local_time(row.device.clock_offset_at, settings.tz),
            }
            for row in rows
        ]
        return page(request, "devices.html", devices=shown, just_revoked=revoked)

    @post("/devices/{device_id:str}/revoke", sync_to_thread=True, guards=[supervisors_only])
    def revoke(self, request: WebRequest, engine: DatabaseEngine, device_id: FromPath[str]) -> Redirect:
        with write_session(engine) as session:
            revoke_device(session, request.user, device_id, client_address(request))
        return Redirect(f"/devices?revoked={device_id}", status_code=303)

    @get("/quarantine", sync_to_thread=True, guards=[admins_only])
    def quarantine(
        self, request: WebRequest, settings: AppSettings, session: ReadSession, done: FromQuery[str | None] = None
    ) -> Template:
        rows = list_quarantine(session)
        shown = [
            {"item": item, "user": user, "received": local_time(item.received_at, settings.tz)} for item, user in rows
        ]
        return page(request, "quarantine.html", items=shown, done=done)

    @post("/quarantine/{quarantine_id:int}/accept", sync_to_thread=True, guards=[admins_only])
    def accept(self, request: WebRequest, state: State, quarantine_id: FromPath[int]) -> Redirect:
        result = accept_quarantined(state.engine, state.settings, request.user, quarantine_id, state.sync_kinds)
        return Redirect(f"/quarantine?done={result.status.value}", status_code=303)

    @post("/quarantine/{quarantine_id:int}/drop", sync_to_thread=True, guards=[admins_only])
    def drop(self, request: WebRequest, engine: DatabaseEngine, quarantine_id: FromPath[int]) -> Redirect:
        drop_quarantined(engine, request.user, quarantine_id)
        return Redirect("/quarantine?done=dropped", status_code=303)
