"""/api/campaigns: campaigns (营销活动) planned by supervisors, and their results; participation is synced."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import get, post, put
from litestar.params import FromQuery, JSONBody
from msgspec import Meta, Struct

from server.api import ApiController
from server.changes.log import record_answer
from server.db import write_session
from server.dependencies import CurrentActor, DatabaseEngine, ReadSession, api_dependencies
from server.domains.campaigns.service import (
    campaign_results,
    get_campaign,
    list_campaigns,
    put_campaign,
)
from server.domains.guards import NO_NUL, RECORD_ID, RecordIdPath, known_query, supervisors
from server.errors import error_responses
from shared.enums import CampaignType
from shared.ids import new_id
from shared.records import MAX_CAMPAIGN_COST

Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=NO_NUL)]
Territory = Annotated[str, Meta(min_length=1, max_length=60, pattern=NO_NUL)]
Notes = Annotated[str, Meta(max_length=2000, pattern=NO_NUL)]
Cost = Annotated[float, Meta(ge=0, le=MAX_CAMPAIGN_COST)]
CustomerIds = Annotated[list[Annotated[str, Meta(pattern=RECORD_ID)]], Meta(max_length=2000)]


class CampaignCreate(Struct, forbid_unknown_fields=True):
    campaign_type: CampaignType
    name: Name
    territory: Territory
    starts_on: dt.date
    ends_on: dt.date
    cost: Cost
    customer_ids: CustomerIds = msgspec.field(default_factory=list)
    notes: Notes | None = None


class CampaignUpdate(Struct, forbid_unknown_fields=True):
    """Only the fields given change (the territory stays)."""

    campaign_type: CampaignType | None = None
    name: Name | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    cost: Cost | None = None
    customer_ids: CustomerIds | None = None
    notes: Notes | None = None


class RepResult(Struct):
    rep_id: str
    results: int
    participants: int
    orders: int
    amount: float


class CampaignResults(Struct):
    """Invited vs participants, orders and amount of participants within the period, cost and return."""

    campaign_id: str
    invited: int
    participants: int
    invited_participants: int
    participation_rate: float | None
    orders: int
    amount: float
    attributed_amount: float
    cost: float
    # amount / cost (投入产出比); null for a campaign that cost nothing
    return_: float | None = msgspec.field(name="return")
    per_rep: list[RepResult] = msgspec.field(default_factory=list)


def _fields(data: Struct) -> dict[str, Any]:
    fields = {name: value for name, value in msgspec.structs.asdict(data).items() if value is not None}
    for name in ("starts_on", "ends_on"):
        if name in fields:
            fields[name] = fields[name].isoformat()
    if "campaign_type" in fields:
        fields["campaign_type"] = CampaignType(fields["campaign_type"]).value
    return fields


class CampaignAnswer(Struct):
    """A campaign as the API answers it: every column of `campaigns`, dates as ISO text."""

    id: str
    campaign_type: str
    name: str
    territory: str
    starts_on: str
    ends_on: str
    customer_ids: list[str]
    cost: float
    notes: str | None
    created_by: str
    created_at: str
    updated_at: str


class CampaignResultAnswer(Struct):
    """A participation record as the API answers it: every column of `campaign_results`, dates as ISO text."""

    id: str
    campaign_id: str
    customer_id: str
    visit_id: str
    participated: bool
    amount: float | None
    order_id: str | None
    feedback: str | None
    recorded_at: str
    rep_id: str
    territory: str
    created_at: str


class CampaignController(ApiController):
    path = "/api/campaigns"
    tags = ("campaigns",)
    dependencies = api_dependencies()

    @get("", sync_to_thread=True, guards=[known_query("active_on")], responses=error_responses(400, 401, 403))
    def index(
        self, actor: CurrentActor, session: ReadSession, active_on: FromQuery[dt.date | None] = None
    ) -> list[CampaignAnswer]:
        """Campaigns, newest first (a rep sees their territory's); `active_on` keeps those running that day."""
        return [record_answer(CampaignAnswer, c) for c in list_campaigns(session, actor, active_on=active_on)]

    @post(
        "",
        status_code=201,
        sync_to_thread=True,
        guards=[supervisors, known_query()],
        responses=error_responses(400, 401, 403, 413, 422),
    )
    def create(self, actor: CurrentActor, engine: DatabaseEngine, data: JSONBody[CampaignCreate]) -> CampaignAnswer:
        """Plan a campaign (supervisors: their territory's); the territory's phones receive it."""
        with write_session(engine) as session:  # in the handler's thread (server/dependencies.py says why)
            campaign = put_campaign(session, actor, new_id(), _fields(data), path="campaign")
            return record_answer(CampaignAnswer, campaign)

    @get(
        "/{campaign_id:str}",
        sync_to_thread=True,
        guards=[known_query()],
        responses=error_responses(400, 401, 403, 404),
    )
    def detail(self, actor: CurrentActor, session: ReadSession, campaign_id: RecordIdPath) -> CampaignAnswer:
        return record_answer(CampaignAnswer, get_campaign(session, actor, campaign_id))

    @put(
        "/{campaign_id:str}",
        sync_to_thread=True,
        guards=[supervisors, known_query()],
        responses=error_responses(400, 401, 403, 404, 413, 422),
    )
    def update(
        self, actor: CurrentActor, engine: DatabaseEngine, campaign_id: RecordIdPath, data: JSONBody[CampaignUpdate]
    ) -> CampaignAnswer:
        """Change a campaign's type, name, period, cost, invited customers or notes (supervisors)."""
        with write_session(engine) as session:
            get_campaign(session, actor, campaign_id)
            campaign = put_campaign(session, actor, campaign_id, _fields(data), path="campaign")
            return record_answer(CampaignAnswer, campaign)

    @get(
        "/{campaign_id:str}/results",
        sync_to_thread=True,
        guards=[known_query()],
        responses=error_responses(400, 401, 403, 404),
    )
    def results(self, actor: CurrentActor, session: ReadSession, campaign_id: RecordIdPath) -> CampaignResults:
        """The campaign's results from participation records and orders (docs/campaigns-and-targets.md)."""
        outcome = campaign_results(session, get_campaign(session, actor, campaign_id))
        return msgspec.convert(outcome.as_dict(), CampaignResults)

    @get(
        "/{campaign_id:str}/participation",
        sync_to_thread=True,
        guards=[known_query()],
        responses=error_responses(400, 401, 403, 404),
    )
    def participation(
        self, actor: CurrentActor, session: ReadSession, campaign_id: RecordIdPath
    ) -> list[CampaignResultAnswer]:
        """The campaign's participation records, oldest first (recorded on visits, sync kind "campaign_result")."""
        outcome = campaign_results(session, get_campaign(session, actor, campaign_id))
        return [record_answer(CampaignResultAnswer, result) for result in outcome.results]
