"""What Today's route asks of the app beyond opening screens (client/features/today/handlers.py does it)."""

from __future__ import annotations

from typing import Protocol


class RouteOrderActions(Protocol):
    def reorder_route(self) -> None: ...  # the stops not yet visited in the best order from here and now
    def restore_route_order(self) -> None: ...  # back to the supervisor's order


class RouteMapActions(Protocol):
    def open_route_map(self) -> None: ...  # today's route drawn (client/features/today/route_map.py)
    # Navigation to the customer in the map app (Android) or a web map; `provider` "amap" / "baidu" picks one.
    def navigate_to(self, customer_id: str, provider: str | None = None) -> None: ...
