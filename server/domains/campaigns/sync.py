"""Campaign results as phones push them (server/domains/sync/kinds.py): append-only."""

from __future__ import annotations

from server.domains.campaigns.models import CampaignResult
from server.domains.campaigns.service import put_campaign_result
from server.domains.sync.kinds import KindHandler, put_fields

CAMPAIGN_RESULT = KindHandler(CampaignResult, put=put_fields(put_campaign_result))
