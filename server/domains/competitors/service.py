"""Competitor reports: what a rep saw of a competitor at a customer; append-only, never changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from server.clock import now_iso
from server.domains.access import (
    check_fields,
    check_named_visit,
    customer_in_reach,
    lookup,
    store_territory_record,
    unchanged_final_record,
)
from server.domains.competitors.models import CompetitorReport
from server.domains.users.models import Actor
from shared.enums import RecordKind


def put_competitor_report(
    session: Session, actor: Actor, report_id: str, fields: Mapping[str, Any], *, path: str = "competitor_report"
) -> CompetitorReport:
    existing = lookup(session, CompetitorReport, report_id)
    check_fields(RecordKind.COMPETITOR_REPORT, fields, creating=existing is None, path=path)
    if existing is not None:
        unchanged_final_record(
            existing,
            fields,
            path=path,
            message="a competitor report never changes once made: make a new one instead",
            reason="report_is_final",
        )
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
