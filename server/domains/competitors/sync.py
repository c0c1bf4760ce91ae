"""Competitor reports as phones push them (server/changes/kinds.py): append-only."""

from __future__ import annotations

from server.changes.kinds import KindHandler, put_fields
from server.domains.competitors.models import CompetitorReport
from server.domains.competitors.service import put_competitor_report

COMPETITOR_REPORT = KindHandler(CompetitorReport, put=put_fields(put_competitor_report))
