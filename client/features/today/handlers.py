"""Today's handlers: re-ordering the rest of the day on the phone (client/features/today/route_order.py), and
going back to the supervisor's order."""

from __future__ import annotations

import threading
from collections.abc import Callable

from client.services import AppService
from client.shell.state import AppState, Screen
from shared.i18n import t


class TodayHandlers:
    """Event handlers of Today's route, mixed into client.shell.app.App."""

    state: AppState
    service: AppService
    _ui: threading.RLock
    _show: Callable[..., None]

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
