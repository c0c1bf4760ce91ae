"""The device's position through flet-geolocator: the phone's GPS, or the browser's in browser mode and the
PWA. One `DeviceLocator` per page session (the geolocator registers with the page)."""

from __future__ import annotations

import asyncio
import logging

import flet as ft
import flet_geolocator as ftg

from client.location import Location, valid_location

logger = logging.getLogger(__name__)


class DeviceLocator:
    """The `LocationProvider` of one page session: the phone's GPS, or the browser's in browser mode.

    Built on flet-geolocator. It is called from a worker thread and waits on the page's loop, where the
    geolocator's calls run; every failure (denied, switched off, timed out) is "no location".
    """

    def __init__(self, page: ft.Page) -> None:
        self.page = page
        self.geolocator = ftg.Geolocator()  # registers with the current page: build it inside the session

    def __call__(self, timeout: float) -> Location | None:
        future = self.page.run_task(self._position, timeout)
        try:
            return future.result(timeout)
        finally:
            future.cancel()  # gave up waiting: stop asking

    async def on_loop(self, timeout: float) -> Location | None:
        """The position awaited on the page's loop (the PWA: no thread to wait in); None after `timeout`."""
        try:
            found = await asyncio.wait_for(self._position(timeout), timeout)
        except TimeoutError:
            logger.info("no location within %.1f s", timeout)
            return None
        return valid_location(found)

    async def _position(self, timeout: float) -> Location | None:
        geolocator = self.geolocator
        try:
            if not self.page.web:  # a phone asks once; a browser asks by itself when a position is read
                status = await geolocator.get_permission_status()
                if status is ftg.GeolocatorPermissionStatus.DENIED:
                    status = await geolocator.request_permission()
                if status in (ftg.GeolocatorPermissionStatus.DENIED, ftg.GeolocatorPermissionStatus.DENIED_FOREVER):
                    return None
            position = await geolocator.get_current_position(
                ftg.GeolocatorConfiguration(
                    accuracy=ftg.GeolocatorPositionAccuracy.HIGH,
                    # The device gives up a little before the caller does, so its answer still arrives.
                    time_limit=ft.Duration(milliseconds=int(timeout * 800)),
                )
            )
        except Exception as error:  # the device says why; the visit goes on without a position
            logger.info("no location from the device: %s", error)
            return None
        if position.latitude is None or position.longitude is None:
            return None
        return Location(position.latitude, position.longitude, position.accuracy)
