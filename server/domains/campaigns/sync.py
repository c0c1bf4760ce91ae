"""Campaign results as phones push them (server/changes/kinds.py): append-only. The company's flag
rules go along: a campaign may need a photo on the visit (docs/photos.md)."""

from __future__ import annotations

from server.changes.kinds import Applying, KindHandler
from server.domains.campaigns.models import CampaignResult
from server.domains.campaigns.service import put_campaign_result
from server.domains.visits.flags import visit_flag_rules


def put(applying: Applying) -> None:
    op, settings = applying.op, applying.settings
    put_campaign_result(
        applying.session,
        applying.actor,
        op.record_id,
        op.fields,
        path=applying.path,
        flag_rules=visit_flag_rules(settings),
        tz=settings.tz,
    )


CAMPAIGN_RESULT = KindHandler(CampaignResult, put=put)
