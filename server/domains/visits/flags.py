"""The company's visit flag limits, from the settings (the rules themselves: shared/visit_rules.py)."""

from __future__ import annotations

from server.settings import Settings
from shared.visit_rules import VisitFlagRules


def visit_flag_rules(settings: Settings) -> VisitFlagRules:
    return VisitFlagRules(
        radius_m=settings.visit_flag_radius_m,
        accuracy_m=settings.visit_flag_accuracy_m,
        min_minutes=dict(settings.visit_min_minutes),
        max_speed_kmh=settings.visit_max_speed_kmh,
        late_hours=settings.visit_late_hours,
        work_start=settings.work_hours[0],
        work_end=settings.work_hours[1],
        photo_radius_m=settings.visit_photo_radius_m,
        photo_required=dict(settings.photo_required),
        campaign_photo_required=dict(settings.photo_required_campaigns),
    )
