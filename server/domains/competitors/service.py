"""Competitor reports: what a rep saw of a competitor at a customer; append-only, never changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from server.actor import Actor
from server.clock import now_iso
from server.domains.access import (
    check_named_visit,
    customer_in_reach,
    store_territory_record,
)
from server.domains.append_only import AppendOnly
from server.domains.competitors.models import CompetitorReport
from shared.enums import RecordKind

REPORTS = AppendOnly(
    RecordKind.COMPETITOR_REPORT,
    CompetitorReport,
    message="a competitor report never changes once made: make a new one instead",
    reason="report_is_final",
)


def put_competitor_report(
    session: Session, actor: Actor, report_id: str, fields: Mapping[str, Any], *, path: str = "competitor_report"
) -> CompetitorReport:
    existing = REPORTS.existing(session, report_id, fields, path=path)
    if existing is not None:
        return existing
    customer = customer_in_reach(session, actor, fields["customer_id"], path=path)
    check_named_visit(session, actor, customer, fields, path=path, doing="reports on it")
    report = CompetitorReport(
        id=report_id, reported_by=actor.id, territory=customer.territory, created_at=now_iso(), **fields
    )
    store_territory_record(session, RecordKind.COMPETITOR_REPORT, report)
    return report


def competitor_reports(
    session: Session, *, customer_id: str | None = None, territory: str | None = None, limit: int = 200
) -> list[CompetitorReport]:
    """Newest first."""
    query = select(CompetitorReport)
    if customer_id:
        query = query.where(CompetitorReport.customer_id == customer_id)
    if territory:
        query = query.where(CompetitorReport.territory == territory)
    return list(session.exec(query.order_by(col(CompetitorReport.observed_at).desc()).limit(limit)).all())
