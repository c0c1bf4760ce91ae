"""Today's handlers: re-ordering the rest of the day on the phone (client/features/today/route_order.py), and
going back to the supervisor's order; the route map and navigation to a customer (client/features/today/
route_map.py, directions.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import flet as ft

from client.features.today.directions import amap_link, baidu_link, customer_point, navigation_link
from client.features.today.route_order import position_now
from client.services import AppService
from client.shell.state import AppState, Screen
from shared.enums import RecordKind
from shared.i18n import t

LINKS: dict[str, Callable[[tuple[float, float], str], str]] = {"amap": amap_link, "baidu": baidu_link}


class TodayHandlers:
    """Event handlers of Today's route, mixed into client.shell.app.App."""

    state: AppState
    service: AppService
    page: Any
    _ui: threading.RLock
    _show: Callable[..., None]
    _go: Callable[..., None]
    render: Callable[..., None]
    launch_url: Callable[[str], None]

    def reorder_route(self) -> None:
        with self._ui:
            rest = self.service.reorder_rest_of_day()
            missed = len([arrival for arrival in rest.missed if arrival.stop.at is not None])
            key = "client.today.reordered_missed" if missed else "client.today.reordered"
            self._show(Screen.TODAY, notice=t(key, self.state.lang, km=round(rest.km), missed=missed))

    def restore_route_order(self) -> None:
        with self._ui:
            self.service.restore_planned_order()
            self._show(Screen.TODAY, notice=t("client.today.order_restored", self.state.lang))

    def open_route_map(self) -> None:
        self._go(Screen.MAP)

    def load_route_map(self) -> None:
        """The map's data: today's route as Today shows it, and where the rep was last seen today."""
        route = self.service.today()
        self.state.today = route
        self.state.map_here = position_now(self.service.visits_on(route.day))

    def android_app(self) -> bool:
        """The app on an Android phone (not the browser): the `geo:` link opens the phone's map app."""
        return not getattr(self.page, "web", True) and getattr(self.page, "platform", None) is ft.PagePlatform.ANDROID

    def navigate_to(self, customer_id: str, provider: str | None = None) -> None:
        with self._ui:
            customer = self.service.store.get(RecordKind.CUSTOMER, customer_id)
            point = customer_point(customer)
            if customer is None or point is None:  # the button is only shown with coordinates; a sync may remove them
                self.state.notice = t("client.map.no_position", self.state.lang)
                self.render()
                return
            name = str(customer.get("name") or "")
            link = LINKS.get(provider or "")
            self.launch_url(link(point, name) if link else navigation_link(point, name, android_app=self.android_app()))
