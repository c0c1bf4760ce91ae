"""Supervisor pages of campaigns (营销活动): the list, planning a new one, its detail with results and edit form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio.to_thread
from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.engine import Engine

from server.actor import Actor
from server.clock import local_time, today
from server.db import read_session, write_session
from server.dependencies import AppSettings, DatabaseEngine, ReadSession, api_dependencies
from server.domains.campaigns.models import Campaign
from server.domains.campaigns.service import campaign_results, get_campaign, list_campaigns, put_campaign
from server.domains.customers.service import customer_territories, customers_by_id, list_customers
from server.domains.teams import team_of
from server.domains.users.service import people_by_id
from server.errors import DomainError, ValidationFailed
from server.settings import Settings
from server.web.pages import WebRequest, page, supervisors_only
from shared.enums import CampaignType
from shared.ids import new_id

MAX_CUSTOMERS_SHOWN = 500  # customers offered for invitation on the form


def territories(session: Any, actor: Actor) -> list[str]:
    """The territories the actor plans campaigns in: their own, or every territory with customers."""
    team = team_of(actor)
    if team is not None:
        return [team]
    return customer_territories(session)


async def form_values(request: WebRequest) -> dict[str, Any]:
    form = await request.form()
    return {
        "campaign_type": str(form.get("campaign_type") or ""),
        "name": str(form.get("name") or "").strip(),
        "territory": str(form.get("territory") or ""),
        "starts_on": str(form.get("starts_on") or ""),
        "ends_on": str(form.get("ends_on") or ""),
        "cost": str(form.get("cost") or "").strip(),
        "notes": str(form.get("notes") or "").strip(),
        "customer_ids": [str(value) for value in form.getall("customer_id", [])],
    }


def campaign_fields(values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The service's fields from the form's text (a bad number is a clear 422 naming the field)."""
    try:
        cost = float(values["cost"]) if values["cost"] else None
    except ValueError:
        raise ValidationFailed("cost must be a number of yuan, e.g. 3000", path="cost") from None
    fields: dict[str, Any] = {
        "campaign_type": values["campaign_type"],
        "name": values["name"],
        "starts_on": values["starts_on"],
        "ends_on": values["ends_on"],
        "customer_ids": values["customer_ids"],
        "notes": values["notes"] or None,
    }
    if cost is not None or creating:
        fields["cost"] = cost
    if creating:
        fields["territory"] = values["territory"]
    return fields


class CampaignPages(Controller):
    path = "/campaigns"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("", sync_to_thread=True)
    def index(self, request: WebRequest, settings: AppSettings, session: ReadSession) -> Template:
        """Every campaign, newest first, with invited, participants, amount, cost and return."""
        rows = [campaign_results(session, c) for c in list_campaigns(session, request.user)]
        return page(request, "campaigns.html", rows=rows, today=today(settings.tz))

    def _form_page(
        self,
        request: WebRequest,
        settings: Settings,
        engine: Engine,
        values: dict[str, Any],
        *,
        error: str | None = None,
        status_code: int = 200,
        campaign: Campaign | None = None,
    ) -> Template:
        with read_session(engine) as session:
            places = territories(session, request.user)
            asked = values.get("territory") or ""
            territory = asked if asked in places else (places[0] if places else "")  # never another team's
            customers = list_customers(session, territory=territory, limit=MAX_CUSTOMERS_SHOWN) if territory else []
            outcome = campaign_results(session, campaign) if campaign is not None else None
            invited = customers_by_id(session, set(campaign.customer_ids)) if campaign else {}
            participants = customers_by_id(session, outcome.participants) if outcome else {}
            people = people_by_id(session)
        return page(
            request,
            "campaign.html",
            status_code,
            campaign=campaign,
            outcome=outcome,
            values={**values, "territory": territory},
            territories=places,
            customers=customers,
            invited=invited,
            participants=participants,
            people=people,
            types=list(CampaignType),
            error=error,
            recorded_at=lambda moment: local_time(moment, settings.tz),
        )

    @get("/new", sync_to_thread=True)
    def new(
        self,
        request: WebRequest,
        settings: AppSettings,
        engine: DatabaseEngine,
        territory: FromQuery[str | None] = None,
    ) -> Template:
        """The planning form; `?territory=` picks whose customers are offered for invitation."""
        day = today(settings.tz).isoformat()
        values = {
            "campaign_type": CampaignType.PROMOTION.value,
            "starts_on": day,
            "ends_on": day,
            "territory": territory or "",
            "customer_ids": [],
            "cost": "",
            "name": "",
            "notes": "",
        }
        return self._form_page(request, settings, engine, values)

    @post("")
    async def create(self, request: WebRequest, settings: AppSettings, engine: DatabaseEngine) -> Any:
        values = await form_values(request)
        campaign_id = new_id()

        def save() -> None:
            with write_session(engine) as session:
                put_campaign(session, request.user, campaign_id, campaign_fields(values, creating=True), path="form")

        try:
            await _in_thread(save)
        except DomainError as error:
            if error.status_code == 403:
                raise
            message = error.message
            return await _in_thread(
                lambda: self._form_page(request, settings, engine, values, error=message, status_code=422)
            )
        return Redirect(f"/campaigns/{campaign_id}?saved=1", status_code=303)

    @get("/{campaign_id:str}", sync_to_thread=True)
    def detail(
        self,
        request: WebRequest,
        settings: AppSettings,
        engine: DatabaseEngine,
        session: ReadSession,
        campaign_id: FromPath[str],
        saved: FromQuery[bool] = False,
    ) -> Template:
        """The campaign's results (invited vs participated, orders, amount, cost, return, per rep) and its form."""
        campaign = get_campaign(session, request.user, campaign_id)
        values = {
            "campaign_type": campaign.campaign_type,
            "name": campaign.name,
            "territory": campaign.territory,
            "starts_on": campaign.starts_on.isoformat(),
            "ends_on": campaign.ends_on.isoformat(),
            "cost": f"{campaign.cost:g}",
            "notes": campaign.notes or "",
            "customer_ids": list(campaign.customer_ids),
            "saved": saved,
        }
        return self._form_page(request, settings, engine, values, campaign=campaign)

    @post("/{campaign_id:str}")
    async def update(
        self, request: WebRequest, settings: AppSettings, engine: DatabaseEngine, campaign_id: FromPath[str]
    ) -> Any:
        values = await form_values(request)

        def save() -> Campaign:
            with write_session(engine) as session:
                campaign = get_campaign(session, request.user, campaign_id)
                values["territory"] = campaign.territory
                put_campaign(session, request.user, campaign_id, campaign_fields(values, creating=False), path="form")
                return campaign

        try:
            await _in_thread(save)
        except DomainError as error:
            if error.status_code in (403, 404):
                raise
            message = error.message

            def again() -> Template:
                with read_session(engine) as session:
                    campaign = get_campaign(session, request.user, campaign_id)
                return self._form_page(
                    request, settings, engine, values, error=message, status_code=422, campaign=campaign
                )

            return await _in_thread(again)
        return Redirect(f"/campaigns/{campaign_id}?saved=1", status_code=303)


async def _in_thread(function: Callable[[], Any]) -> Any:
    return await anyio.to_thread.run_sync(function)
