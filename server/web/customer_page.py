"""The customer's page: the archive and its edit form, key persons, complaints, visits, notes, orders,
competitors' reports, photos, credit history and pipeline (its routes: server/web/customer_edit.py)."""

from __future__ import annotations

from typing import Any

from litestar.response import Template
from sqlalchemy.engine import Engine

from server.clock import local_time
from server.db import read_session
from server.domains.approvals.service import requests_of_customer
from server.domains.chain.service import visit_signatures
from server.domains.competitors.service import competitor_reports
from server.domains.complaints.service import complaints_of_customer, with_history
from server.domains.development.service import credit_history
from server.domains.key_persons.service import key_persons_of_customer
from server.domains.notes.service import notes_of_customer
from server.domains.orders.models import is_counted
from server.domains.orders.service import OrderFilter, list_orders
from server.domains.photos.service import photos_of_customer
from server.domains.pipeline.service import customer_pipeline
from server.domains.teams import visible_customer
from server.domains.users.service import people_by_id
from server.domains.visits.service import visits_of_customer
from server.settings import Settings
from server.web.customer_form import CustomerEditForm, form_of
from server.web.ownership import owner_context
from server.web.pages import WebRequest, page
from server.web.rows import complaint_rows, order_rows
from shared.door_hours import stored_as_text
from shared.enums import CreditRating
from shared.rates import visit_ordered


def customer_page(
    request: WebRequest,
    settings: Settings,
    engine: Engine,
    customer_id: str,
    *,
    status_code: int = 200,
    edit_form: CustomerEditForm | None = None,
    notices: list[tuple[str, str]] | None = None,
) -> Template:
    """The customer's page: archive, edit form (as posted when it is shown again with errors), visits, orders..."""
    with read_session(engine) as session:
        customer = visible_customer(session, request.user, customer_id)  # another team's: 404
        visits = visits_of_customer(session, customer_id)
        notes = notes_of_customer(session, customer_id)
        key_persons = key_persons_of_customer(session, customer_id)
        complaints = with_history(session, complaints_of_customer(session, customer_id))
        people = people_by_id(session)
        orders = order_rows(session, list_orders(session, OrderFilter(customer_id=customer_id)), settings)
        competitors = competitor_reports(session, customer_id=customer_id)
        credit = credit_history(session, customer_id)
        pipeline = customer_pipeline(session, customer_id)
        photos = photos_of_customer(session, request.user, customer_id)
        chains = visit_signatures(session, [visit.id for visit in visits])
        ownership = owner_context(session, request, settings, customer_id)  # 归属: history, release / assign
        approvals = requests_of_customer(session, request.user, customer_id)  # 审批 of its orders, credit...
    visit_orders: dict[str, float] = {}
    for row in (row for row in orders if is_counted(row["order"])):  # pending / rejected orders count nowhere
        visit_id = row["order"].visit_id
        visit_orders[visit_id] = round(visit_orders.get(visit_id, 0.0) + row["order"].amount, 2)
    visit_rows: list[dict[str, Any]] = []
    for visit in visits:
        start, end = local_time(visit.check_in_at, settings.tz), local_time(visit.check_out_at, settings.tz)
        duration = round((end - start).total_seconds() / 60) if start and end else None
        visit_rows.append(
            {
                "visit": visit,
                "check_in": start,
                "check_out": end,
                "duration": duration,
                "ordered": visit_ordered(visit.ordered, 1 if visit.id in visit_orders else 0),
                "amount": visit_orders.get(visit.id, visit.order_amount),
            }
        )
    return page(
        request,
        "customer.html",
        status_code,
        customer=customer,
        edit_form=edit_form or form_of(customer),
        notices=notices or [],
        key_persons=key_persons,
        complaints=complaint_rows(complaints, settings),
        show_customer=False,
        visits=visit_rows,
        notes=[{"note": note, "created": local_time(note.created_at, settings.tz)} for note in notes],
        people=people,
        orders=orders,
        order_total=round(sum(row["order"].amount for row in orders if is_counted(row["order"])), 2),
        approvals=approvals,
        competitors=[{"report": r, "at": local_time(r.observed_at, settings.tz)} for r in competitors],
        photos=photos,
        credit_history=[{"change": c, "at": local_time(c.changed_at, settings.tz)} for c in credit],
        credit_ratings=[rating.value for rating in CreditRating],
        pipeline=pipeline,
        chains=chains,
        kind_hours=stored_as_text(settings.door_hours_by_kind.get(customer.kind)),  # its kind's default, if any
        **ownership,
    )
