"""A customer's page, where a supervisor edits the archive, merged by the same rules as a phone's edit.

The edit goes through `put_customer`, as a pushed op does: field by field against the clocks the form was
rendered with (server.web.customer_form), into the change log (phones pull it), with any losing value kept
as a conflict record; the edit itself goes to the audit log in the same transaction.

Its clock is the server's time with the supervisor as its node (not the shared "server" node): sync.merge
takes a `base` of the writer's own node as "saw the current value" whenever the current value is that
node's too, so under one node for every server-side write a stale form would overwrite another supervisor's
edit, or the status the lifecycle job set meanwhile, without a conflict record.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from server.actor import Actor
from server.changes.merging import Edit
from server.clock import SERVER_NODE, now_ms
from server.db import read_session, write_session
from server.dependencies import AppSettings, DatabaseEngine, api_dependencies
from server.domains.audit.service import audit
from server.domains.customers.service import conflicts_of_edit, put_customer
from server.domains.teams import visible_customer
from server.domains.users.signin import client_address
from server.web.customer_form import changes_of, edit_notices, read_form
from server.web.customer_page import customer_page
from server.web.i18n import lang_of
from server.web.pages import WebRequest, supervisors_only
from shared.hlc import Hlc
from shared.ids import new_id

AUDIT_ACTION = "customer_edited"


def supervisor_clock(actor: Actor) -> str:
    """The clock of a supervisor's edit on the web: the server's time, the supervisor as the node."""
    return str(Hlc(now_ms(), 0, f"{SERVER_NODE}:{actor.id}"))


class CustomerPages(Controller):
    """A customer's page and its edit form (one controller: Litestar answers OPTIONS once per path)."""

    path = "/"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/customers/{customer_id:str}", sync_to_thread=True)
    def customer(
        self, request: WebRequest, settings: AppSettings, engine: DatabaseEngine, customer_id: FromPath[str]
    ) -> Template:
        return customer_page(
            request,
            settings,
            engine,
            customer_id,
            notices=edit_notices(request.query_params, lang_of(request)),
        )

    @post("/customers/{customer_id:str}", sync_to_thread=True)
    def edit_customer(
        self,
        request: WebRequest,
        settings: AppSettings,
        engine: DatabaseEngine,
        customer_id: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        """Save the fields the supervisor changed; bad input shows the form again (400) and stores nothing."""
        form = read_form(data)
        changes = changes_of(form, lang_of(request))
        if form.errors:
            return customer_page(request, settings, engine, customer_id, status_code=400, edit_form=form)
        if not changes.fields:
            with read_session(engine) as session:
                visible_customer(session, request.user, customer_id)  # an unknown id (or another team's) is a 404
            return Redirect(f"/customers/{customer_id}?saved=0", status_code=303)
        actor = request.user
        edit = Edit(clock=supervisor_clock(actor), base=changes.base, op_id=new_id())
        with write_session(engine) as session:
            visible_customer(session, actor, customer_id)  # put_customer would create an unknown id: a 404 here
            put_customer(session, actor, customer_id, changes.fields, edit=edit)
            conflicts = conflicts_of_edit(session, customer_id, edit.op_id)
            lost = [conflict.field for conflict in conflicts if conflict.lost_by_user_id == actor.id]
            overrode = [conflict.field for conflict in conflicts if conflict.lost_by_user_id != actor.id]
            audit(
                session,
                AUDIT_ACTION,
                actor_id=actor.id,
                actor_name=actor.username,
                ip=client_address(request),
                details={
                    "customer_id": customer_id,
                    "fields": changes.fields,
                    "base": changes.base,
                    "clock": edit.clock,
                    "lost": lost,  # a later concurrent edit kept its value; the supervisor's is a conflict record
                    "overrode": overrode,  # the supervisor's value replaced a concurrent edit, kept as a conflict
                },
            )
        query = {"saved": "1"}
        if overrode:
            query["overrode"] = ",".join(overrode)
        if lost:
            query["lost"] = ",".join(lost)
        return Redirect(f"/customers/{customer_id}?{urlencode(query)}", status_code=303)
