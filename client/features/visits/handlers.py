"""The visits feature's handlers: start or open a visit, 签到, save, 签退 (with the device's position), the
visit type's own fields, the competitor report, and after 签退 the summary and 下一站. The shell is reached
through client/shell/protocol.py; a visit's photos, campaigns and attendance hint come from those features."""

from __future__ import annotations

import datetime as dt
from typing import Any

from client.features.approvals.expected import stored_rules
from client.features.attendance.handlers import AttendanceHandlers
from client.features.campaigns.service import visit_campaigns
from client.features.photos.handlers import PhotoHandlers
from client.features.visits import fields as visit_fields
from client.features.visits import view as visit
from client.features.visits.panels import after_visit_record, refuse_panel
from client.location import Location
from client.services import FormProblems, VisitRecords
from client.shell.forms import format_amount
from client.shell.protocol import Shell
from client.shell.state import VISIT_TEXT_FIELDS, CompetitorForm, Screen, VisitForm, VisitPanel
from client.storage.store import InvalidRecord
from shared.enums import RecordKind, VisitType
from shared.i18n import t


class VisitHandlers:
    """The visit screen, from 开始拜访 to 下一站."""

    def __init__(self, shell: Shell, photos: PhotoHandlers, attendance: AttendanceHandlers) -> None:
        self.shell = shell
        self.service = shell.service
        self.photos = photos
        self.attendance = attendance

    def visit_form(self, record: dict[str, Any] | None, customer_id: str) -> VisitForm:
        values: dict[str, Any] = {
            "visit_type": (record or {}).get("visit_type") or self.service.default_visit_type(customer_id).value,
            "attitude": (record or {}).get("attitude"),
            "ordered": bool((record or {}).get("ordered")),
        }
        for key in VISIT_TEXT_FIELDS:
            value = (record or {}).get(key)
            values[key] = format_amount(value) if key == "order_amount" else str(value or "")
        values.update(visit_fields.form_values(record))
        if record is None and values["visit_type"] == VisitType.FOLLOW_UP.value:
            values["follows_visit_id"] = (self.service.pending_home_visit(customer_id) or {}).get("id")
        planned = bool(record.get("planned")) if record else self.service.on_plan_today(customer_id)
        return VisitForm(
            visit=record,
            customer=self.service.store.get(RecordKind.CUSTOMER, customer_id),
            planned=planned,
            values=values,
            products=self.service.products(),
            approval_rules=stored_rules(self.service.store),
            records=self.service.visit_records(str(record["id"])) if record else VisitRecords(),
            photos=self.photos.thumbs(str(record["id"])) if record else [],
            campaigns=visit_campaigns(self.service, record, customer_id),
            follows=self.service.visit(str(values["follows_visit_id"])) if values.get("follows_visit_id") else None,
            key_persons=visit.people_to_meet(
                self.service.store.find(RecordKind.KEY_PERSON, customer_id=customer_id),
                self.service.store.find(RecordKind.VISIT, customer_id=customer_id),
            ),
        )

    def choose_visit_type(self, visit_type: str) -> None:
        """The rep picked a visit type: the form shows its own fields (a 回访 is linked to the home visit due)."""
        with self.shell.ui:
            form = self.shell.state.visit
            form.values["visit_type"] = visit_type
            if visit_type == VisitType.FOLLOW_UP.value and form.customer is not None:
                if not form.values.get("follows_visit_id"):
                    home = self.service.pending_home_visit(str(form.customer["id"]))
                    form.values["follows_visit_id"] = (home or {}).get("id")
                follows_id = form.values.get("follows_visit_id")
                form.follows = self.service.visit(str(follows_id)) if follows_id else None
            self.shell.render()
        self._locate_ahead()  # from a call to a visit in person: the position is wanted after all

    def start_visit(self, customer_id: str) -> None:
        open_visit = self.service.open_visit(customer_id)
        if open_visit is not None:
            self.open_visit(str(open_visit["id"]))
            return
        with self.shell.ui:
            self.shell.state.visit = self.visit_form(None, customer_id)
            self.shell.go(Screen.VISIT, notice=self.attendance.attendance_hint())  # a hint only: the visit goes on
        self._locate_ahead()

    def _locate_ahead(self) -> None:
        """Before 签到 of a visit in person: the device starts finding its position now, so that 签到 usually
        takes a fresh one at once (client/shell/app.py `locate_ahead`; a call records none)."""
        form = self.shell.state.visit
        if form.visit is None and form.values.get("visit_type") != VisitType.PHONE.value:
            self.shell.locate_ahead()

    def open_visit(self, visit_id: str) -> None:
        self.shell.go(Screen.VISIT, visit_id)

    def go_next_stop(self) -> None:
        """From a finished visit to the next stop's card, with Today to go back to."""
        following = self.shell.state.visit.next_stop
        with self.shell.ui:
            if following is None:
                self.shell.state.history = []
                self.shell.show(Screen.TODAY)
            else:
                self.shell.state.history = [(Screen.TODAY, None)]
                self.shell.state.note_draft = ""
                self.shell.show(Screen.CUSTOMER, str(following["id"]))

    def _on_visit_form(self, visit_id: str | None, customer_id: str) -> bool:
        """Whether the screen still shows this visit's form (the rep may have gone back meanwhile)."""
        form = self.shell.state.visit
        shown_id = str(form.visit["id"]) if form.visit else None
        return (
            self.shell.state.screen is Screen.VISIT
            and shown_id == visit_id
            and form.customer is not None
            and str(form.customer["id"]) == customer_id
        )

    def _saved_visit(self, record: dict[str, Any], shown_before: bool) -> None:
        lang = self.shell.state.lang
        if shown_before:
            before = self.shell.state.visit
            self.shell.state.visit = self.visit_form(record, str(record["customer_id"]))
            if before.visit is not None:  # what the rep is typing in an order, report or complaint stays
                form = self.shell.state.visit
                form.panel, form.order, form.competitor, form.complaint = (
                    before.panel,
                    before.order,
                    before.competitor,
                    before.complaint,
                )
            self.shell.state.notice = t("client.saved", lang)
            if record.get("check_out_at") and not before.finished:  # just checked out: summary and 下一站
                form = self.shell.state.visit
                form.finished = True
                following = self.service.next_stop(after_customer_id=str(record["customer_id"]))
                form.next_stop = following.customer if following else None
                self.shell.scroll_to_top()
            self.shell.form_loaded()
            self.shell.render()
        else:  # saved all the same; re-read the screen the rep is on now
            self.shell.show_again(notice=t("client.saved", lang))

    def check_in(self) -> None:
        form = self.shell.state.visit
        if form.customer is None or form.visit is not None or self.shell.locating:
            return
        customer_id = str(form.customer["id"])
        try:
            visit_type: VisitType | None = VisitType(str(form.values.get("visit_type")))
        except ValueError:
            visit_type = None

        def finish(location: Location | None) -> None:
            shown = self._on_visit_form(None, customer_id)
            record = self.service.check_in(customer_id, visit_type, location)
            self._saved_visit(record, shown)

        if visit_type is VisitType.PHONE:  # a call: no location to wait for
            finish(None)
            return
        self.shell.then_located(finish)

    def visit_fields(self) -> dict[str, Any] | None:
        """The form as record fields, or None after putting the problems into the form."""
        form, lang = self.shell.state.visit, self.shell.state.lang
        values, errors = form.values, {}
        fields: dict[str, Any] = {
            "visit_type": values.get("visit_type"),
            "attitude": values.get("attitude") or None,
            "ordered": bool(values.get("ordered")),
        }
        for key in ("person_met", "purpose", "progress", "notes"):
            fields[key] = str(values.get(key) or "").strip() or None
        amount = str(values.get("order_amount") or "").strip().replace(",", "")
        if amount:
            try:
                fields["order_amount"] = float(amount)
            except ValueError:
                errors["order_amount"] = t("client.visit.bad_amount", lang)
        else:
            fields["order_amount"] = None
        next_date = str(values.get("next_visit_date") or "").strip()
        if next_date:
            try:
                fields["next_visit_date"] = dt.date.fromisoformat(next_date).isoformat()
            except ValueError:
                errors["next_visit_date"] = t("client.visit.bad_date", lang)
        else:
            fields["next_visit_date"] = None
        type_fields, type_problems = visit_fields.record_fields(values, form.visit)
        fields.update(type_fields)
        errors.update({name: t(key, lang) for name, key in type_problems.items()})
        form.errors = errors
        form.message = None
        return None if errors else fields

    def _store_visit(
        self, visit_id: str, fields: dict[str, Any], *, check_out: bool, location: Location | None
    ) -> None:
        form, lang = self.shell.state.visit, self.shell.state.lang
        shown = self._on_visit_form(visit_id, str((form.customer or {}).get("id")))
        try:
            if check_out:
                record = self.service.check_out(visit_id, fields, location)
            else:
                record = self.service.save_visit(visit_id, fields)
        except InvalidRecord as error:
            if shown:
                form.errors = {problem.field: problem.problem for problem in error.errors}
                form.message = t("client.visit.invalid", lang, problems=str(error))
            else:
                self.shell.state.notice = t("client.visit.invalid", lang, problems=str(error))
            self.shell.render()
            return
        self._saved_visit(record, shown)

    def save_visit(self) -> None:
        form = self.shell.state.visit
        if form.visit is None:
            return
        fields = self.visit_fields()
        if fields is None:
            self.shell.render()
            return
        self._store_visit(str(form.visit["id"]), fields, check_out=False, location=None)

    def check_out(self) -> None:
        form = self.shell.state.visit
        if form.visit is None or self.shell.locating:
            return
        fields = self.visit_fields()
        if fields is None:
            self.shell.render()
            return
        visit_id = str(form.visit["id"])

        def finish(location: Location | None) -> None:
            latest = self.shell.state.visit
            if latest.visit is not None and str(latest.visit["id"]) == visit_id:
                typed = self.visit_fields()  # what the rep typed while the device was locating counts too
                if typed is None:
                    self.shell.render()
                    return
                fields.update(typed)
            self._store_visit(visit_id, fields, check_out=True, location=location)

        if form.values.get("visit_type") == VisitType.PHONE.value:  # a call: no location to wait for
            finish(None)
            return
        self.shell.then_located(finish)

    def open_panel(self, panel: str) -> None:
        """Open (or close, when it is open) the order, competitor or complaint form on the visit screen."""
        with self.shell.ui:
            form = self.shell.state.visit
            chosen = VisitPanel(panel)
            form.panel = None if form.panel is chosen else chosen
            form.panel_errors = {}
            if form.panel is VisitPanel.ORDER:
                form.products = self.service.products()
                customer_id = str((form.customer or {}).get("id") or "")
                form.usual_products = self.service.usual_products(customer_id) if customer_id else []
                form.approval_rules = stored_rules(self.service.store)
                if customer_id:  # its credit limit as last pulled
                    form.customer = self.service.store.get(RecordKind.CUSTOMER, customer_id) or form.customer
            self.shell.render()

    def record_competitor(self) -> None:
        with self.shell.ui:
            form, lang = self.shell.state.visit, self.shell.state.lang
            if form.visit is None:
                return
            entry = form.competitor
            try:
                self.service.record_competitor_report(
                    str(form.visit["id"]), entry.brand, entry.product, entry.price, entry.promotion
                )
            except (FormProblems, InvalidRecord) as error:
                refuse_panel(self.shell, error)
                return
            form.competitor = CompetitorForm()
            after_visit_record(self.shell, t("client.competitor.saved", lang))
