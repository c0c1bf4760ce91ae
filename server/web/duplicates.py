"""疑似重复客户: the duplicates queue for supervisors (server/domains/duplicates). Each pair shows both customers
(name, kind, address, phone, territory, owner, when created) and why they look alike; 不是重复 dismisses a pair,
audited. A team's supervisor sees pairs inside the team; the company's head sees pairs across territories."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from server.clock import local_time
from server.db import write_session
from server.dependencies import AppSettings, DatabaseEngine, ReadSession, api_dependencies
from server.domains.audit.service import audit
from server.domains.duplicates.merge import merge_customers
from server.domains.duplicates.service import dismiss_pair, find_open_pair, open_pair_count, open_pairs, reasons_text
from server.domains.teams import team_of
from server.domains.users.service import people_by_id
from server.domains.users.signin import client_address
from server.errors import ValidationFailed
from server.web.i18n import lang_of
from server.web.pages import WebRequest, page, supervisors_only
from shared.i18n import t

PAIRS_SHOWN = 100


class DuplicatePages(Controller):
    path = "/customers/duplicates"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/", sync_to_thread=True)
    def duplicates(
        self,
        request: WebRequest,
        settings: AppSettings,
        session: ReadSession,
        dismissed: FromQuery[str | None] = None,
        merged: FromQuery[str | None] = None,
    ) -> Template:
        team, lang, tz = team_of(request.user), lang_of(request), settings.tz
        pairs = open_pairs(session, team, PAIRS_SHOWN)
        total = open_pair_count(session, team)
        people = people_by_id(session)
        rows = [
            {
                "pair": view.pair,
                "customers": (view.customer, view.other),
                "reasons": reasons_text(view.pair, lang),
                "created": [
                    local_time(c.created_at, tz) if c.created_at else None for c in (view.customer, view.other)
                ],
                "score": f"{view.pair.score:.2f}",
            }
            for view in pairs
        ]
        return page(
            request, "duplicates.html", rows=rows, total=total, people=people, dismissed=dismissed, merged=merged
        )

    @post("/{pair_id:str}/dismiss", sync_to_thread=True)
    def dismiss(self, request: WebRequest, engine: DatabaseEngine, pair_id: FromPath[str]) -> Redirect:
        actor = request.user
        with write_session(engine) as session:
            pair = dismiss_pair(session, actor, pair_id, team_of(actor))
            details = {"pair_id": pair.id, "customer_id": pair.customer_id, "other_id": pair.other_id}
            audit(
                session,
                "duplicate_dismissed",
                actor_id=actor.id,
                actor_name=actor.username,
                ip=client_address(request),
                details=details,
            )
        return Redirect(f"/customers/duplicates?dismissed={pair_id}", status_code=303)

    @post("/{pair_id:str}/merge", sync_to_thread=True)
    def merge(
        self, request: WebRequest, engine: DatabaseEngine, pair_id: FromPath[str], data: URLEncodedBody[dict[str, str]]
    ) -> Redirect:
        """合并: keep the customer named by `keep`, merge the pair's other one into it (merge.py), audited."""
        actor, lang = request.user, lang_of(request)
        with write_session(engine) as session:
            pair = find_open_pair(session, pair_id, team_of(actor))
            keep = data.get("keep", "")
            if keep not in (pair.customer_id, pair.other_id):
                raise ValidationFailed(t("web.duplicates.error.keep", lang), path="keep")
            merged_id = pair.other_id if keep == pair.customer_id else pair.customer_id
            result = merge_customers(session, actor, keep, merged_id)
            details = {"pair_id": pair.id, "survivor_id": keep, "merged_id": merged_id, "moved": result.moved}
            audit(
                session,
                "customers_merged",
                actor_id=actor.id,
                actor_name=actor.username,
                ip=client_address(request),
                details=details,
            )
        return Redirect(f"/customers/duplicates?merged={keep}", status_code=303)
