"""The campaigns feature's handlers on a visit: open a campaign's participation form, record it
(client/features/campaigns/service.py); the shell is reached through client/shell/protocol.py."""

from __future__ import annotations

from client.features.campaigns.service import CampaignEntry, record_participation, visit_campaigns
from client.services import FormProblems
from client.shell.forms import problems
from client.shell.protocol import Shell
from client.storage.store import InvalidRecord
from shared.i18n import t


class CampaignHandlers:
    """The visit screen's campaign section."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.service = shell.service

    def open_campaign(self, campaign_id: str) -> None:
        with self.shell.ui:
            section = self.shell.state.visit.campaigns
            open_now = section.entry.campaign_id == campaign_id
            section.entry = CampaignEntry() if open_now else CampaignEntry(campaign_id=campaign_id)
            section.errors = {}
            self.shell.render()

    def record_participation(self) -> None:
        with self.shell.ui:
            form, lang = self.shell.state.visit, self.shell.state.lang
            if form.visit is None or form.customer is None:
                return
            try:
                record_participation(self.service, str(form.visit["id"]), form.campaigns.entry)
            except (FormProblems, InvalidRecord) as error:
                form.campaigns.errors = problems(error, self.shell.state.lang)
                self.shell.render()
                return
            form.campaigns = visit_campaigns(self.service, form.visit, str(form.customer["id"]))
            self.shell.state.notice = t("client.campaign.saved", lang)
            self.shell.render()
