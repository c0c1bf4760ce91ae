"""The seeds' two visit measures, computed exactly as defined there.

拜访完成率 (visit completion rate) = planned customers actually visited / customers planned.
拜访成功率 (visit success rate) = planned customers visited who ordered / planned customers visited.
Off-route visits (customers not on the day's plan) count in neither numerator nor denominator.
A visit "ordered" when an order record was taken on it, or when the rep ticked "ordered" (`visit_ordered`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def visit_ordered(ticked: bool, order_records: int) -> bool:
    """Did the customer order (进货) on this visit? Yes when an order was recorded on the visit, or when the
    rep ticked "ordered" without itemising it (apps from before orders, a quick check-out): either is the
    customer ordering, and neither alone may hide it."""
    return ticked or order_records > 0


@dataclass(frozen=True)
class VisitOutcome:
    customer_id: str
    ordered: bool


@dataclass(frozen=True)
class DayTally:
    planned: int
    visited_on_route: int
    visited_off_route: int
    ordered_on_route: int
    ordered_off_route: int

    @property
    def completion_rate(self) -> float | None:
        return visit_completion_rate(self.visited_on_route, self.planned)

    @property
    def success_rate(self) -> float | None:
        return visit_success_rate(self.ordered_on_route, self.visited_on_route)


def visit_completion_rate(visited_on_route: int, planned: int) -> float | None:
    """Percent of planned customers visited; None when nothing was planned."""
    return None if planned == 0 else 100.0 * visited_on_route / planned


def visit_success_rate(ordered_on_route: int, visited_on_route: int) -> float | None:
    """Percent of visited planned customers who ordered; None when none was visited."""
    return None if visited_on_route == 0 else 100.0 * ordered_on_route / visited_on_route


def tally_day(planned_customer_ids: Sequence[str], visits: Iterable[VisitOutcome]) -> DayTally:
    """Count customers, not visits: two visits to one customer are one visited customer."""
    planned = set(planned_customer_ids)
    visited: set[str] = set()
    ordered: set[str] = set()
    for visit in visits:
        visited.add(visit.customer_id)
        if visit.ordered:
            ordered.add(visit.customer_id)
    return DayTally(
        planned=len(planned),
        visited_on_route=len(visited & planned),
        visited_off_route=len(visited - planned),
        ordered_on_route=len(ordered & planned),
        ordered_off_route=len(ordered - planned),
    )


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0f}%"
