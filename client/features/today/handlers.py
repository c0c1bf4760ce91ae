"""Today's handlers: re-ordering the rest of the day on the phone (client/features/today/route_order.py), and
going back to the supervisor's order; the route map and navigation to a customer (client/features/today/
route_map.py, directions.py)."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from client.features.today.directions import amap_link, baidu_link, customer_point, navigation_link
from client.features.today.route_order import position_now
from client.shell.protocol import Shell
from client.shell.state import Screen
from shared.enums import RecordKind
from shared.i18n import t

LINKS: dict[str, Callable[[tuple[float, float], str], str]] = {"amap": amap_link, "baidu": baidu_link}


class TodayHandlers:
    """Event handlers of Today's route (a plain class; it reaches the shell through `Shell`)."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.service = shell.service

    def reorder_route(self) -> None:
        with self.shell.ui:
            rest = self.service.reorder_rest_of_day()
            missed = len([arrival for arrival in rest.missed if arrival.stop.at is not None])
            key = "client.today.reordered_missed" if missed else "client.today.reordered"
            self.shell.show(Screen.TODAY, notice=t(key, self.shell.state.lang, km=round(rest.km), missed=missed))

    def restore_route_order(self) -> None:
        with self.shell.ui:
            self.service.restore_planned_order()
            self.shell.show(Screen.TODAY, notice=t("client.today.order_restored", self.shell.state.lang))

    def open_route_map(self) -> None:
        self.shell.go(Screen.MAP)

    def load_route_map(self) -> None:
        """The map's data: today's route as Today shows it, and where the rep was last seen today."""
        route = self.service.today()
        self.shell.state.today = route
        self.shell.state.map_here = position_now(self.service.visits_on(route.day))
        self.shell.state.map_base = self.service.route_rules().base

    def android_app(self) -> bool:
        """The app on an Android phone (not the browser): the `geo:` link opens the phone's map app."""
        return (
            not getattr(self.shell.page, "web", True)
            and getattr(self.shell.page, "platform", None) is ft.PagePlatform.ANDROID
        )

    def navigate_to(self, customer_id: str, provider: str | None = None) -> None:
        with self.shell.ui:
            customer = self.service.store.get(RecordKind.CUSTOMER, customer_id)
            point = customer_point(customer)
            if customer is None or point is None:  # the button is only shown with coordinates; a sync may remove them
                self.shell.state.notice = t("client.map.no_position", self.shell.state.lang)
                self.shell.render()
                return
            name = str(customer.get("name") or "")
            link = LINKS.get(provider or "")
            self.shell.launch_url(
                link(point, name) if link else navigation_link(point, name, android_app=self.android_app())
            )
