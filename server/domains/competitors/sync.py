"""Competitor reports as phones push them (server/domains/sync/kinds.py): append-only."""

from __future__ import annotations

from server.domains.competitors.models import CompetitorReport
from server.domains.competitors.service import put_competitor_report
from server.domains.sync.kinds import KindHandler, put_fields

COMPETITOR_REPORT = KindHandler(CompetitorReport, put=put_fields(put_competitor_report))
