"""The two dashboard tiles that come from other domains: target achievement (server/domains/targets) and the
pipeline funnel (server/domains/pipeline). Each is one small function that asks its domain through the one
call named below (a plain import: neither domain imports reports), and returns None (the tile says "not
available yet") when `_provider` has no such call:
- targets: server.domains.targets.service.target_achievement(session, rep_ids, "YYYY-MM") -> {rep_id:
  Achievement(amount, new_customers, visits: Measure(target | None, actual))}; targets are monthly, so the
  tile shows the month the period starts in (a rolling window: the one it ends in), summed over the scope's
  reps that have a target;
- pipeline: server.domains.pipeline.service.pipeline_funnel(session, territory, rep_id) -> [(stage, count,
  weighted value) named tuples], every stage in order, as the pipeline stands now.
If either signature changes, only the function here that calls it changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from server.domains.pipeline import service as pipeline_service
from server.domains.reports.period import Period, Scope
from server.domains.targets import service as targets_service
from server.domains.users.models import User
from shared.enums import Role


@dataclass(frozen=True)
class TargetRow:
    measure: str
    target: float
    actual: float

    @property
    def achievement(self) -> float | None:
        return None if self.target <= 0 else 100.0 * self.actual / self.target


@dataclass(frozen=True)
class FunnelStage:
    stage: str
    count: int  # opportunities at this stage now
    reached: int = 0  # at this stage or a later one: how many got this far (the funnel's width)


# The service modules the tiles ask, by name.
PROVIDERS = {module.__name__: module for module in (targets_service, pipeline_service)}


def _provider(module_name: str, function: str) -> Any | None:
    """The function of one of the PROVIDERS, or None (no such module or function: the tile is not available)."""
    module = PROVIDERS.get(module_name)
    return None if module is None else getattr(module, function, None)


def target_achievement(session: Session, scope: Scope, period: Period) -> list[TargetRow] | None:
    achievement = _provider("server.domains.targets.service", "target_achievement")
    if achievement is None:
        return None
    rep_ids = scope.rep_ids
    if rep_ids is None:
        rep_ids = frozenset(session.exec(select(User.id).where(User.role == Role.REP.value)).all())
    month = f"{period.anchor.year:04d}-{period.anchor.month:02d}"  # a rolling window: the month it ends in
    rows = list(achievement(session, sorted(rep_ids), month).values())
    targets = []
    for measure, attribute in (("sales_amount", "amount"), ("new_customers", "new_customers"), ("visits", "visits")):
        with_target = [getattr(row, attribute) for row in rows if getattr(row, attribute).target is not None]
        if with_target:
            target = sum(float(m.target) for m in with_target)
            targets.append(TargetRow(measure, target, sum(float(m.actual) for m in with_target)))
    return targets


def pipeline_funnel(session: Session, scope: Scope, period: Period) -> list[FunnelStage] | None:
    """The funnel as it stands now (opportunities are not dated by period), for the scope."""
    funnel = _provider("server.domains.pipeline.service", "pipeline_funnel")
    if funnel is None:
        return None
    counts = [(str(stage), int(count)) for stage, count, *_ in funnel(session, scope.territory, scope.rep_id)]
    return [FunnelStage(stage, count, sum(n for _, n in counts[i:])) for i, (stage, count) in enumerate(counts)]
