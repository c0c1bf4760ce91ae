"""The customers feature's handlers: find a customer, open the card, a new prospect (with 查重, client/features/
customers/duplicates.py) or an edit of one, a note, the key persons. The shell is reached through
client/shell/protocol.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from client.features.approvals.expected import stored_rules
from client.features.customers.duplicates import DuplicateHandlers
from client.services import KEY_PERSON_FORM_FIELDS, DraftFix, FormProblems
from client.shell.forms import problems
from client.shell.protocol import Shell
from client.shell.state import KeyPersonForm, ProspectForm, Screen
from client.storage.store import InvalidRecord
from shared.approvals import new_customer_need
from shared.door_hours import stored_as_text
from shared.enums import CustomerKind, RecordKind
from shared.i18n import t


class CustomerHandlers:
    """The search, the customer card, the prospect form and the card's key persons."""

    def __init__(self, shell: Shell, resend_draft: Callable[[], None]) -> None:
        self.shell = shell
        self.service = shell.service
        self.resend_draft = resend_draft  # a prospect form that fixes a rejected draft sends it again (drafts)
        self.duplicates = DuplicateHandlers(shell, self.save_prospect)

    def open_customer(self, customer_id: str) -> None:
        self.shell.state.note_draft = ""
        self.shell.go(Screen.CUSTOMER, customer_id)

    def open_search(self) -> None:
        self.shell.go(Screen.SEARCH)

    def search(self, text: str) -> None:
        with self.shell.ui:
            self.shell.state.search_text = text
            self.shell.state.search_results = self.service.search_customers(text)

    def open_prospect(self) -> None:
        rules = stored_rules(self.service.store)  # a new customer may wait for approval (docs/approvals.md)
        self.shell.state.prospect = ProspectForm(needs_approval=bool(rules and new_customer_need(rules)))
        self.duplicates.locate_for_duplicates()
        self.shell.go(Screen.PROSPECT)

    def edit_customer(self, customer_id: str) -> None:
        customer = self.service.store.get(RecordKind.CUSTOMER, customer_id)
        if customer is None:
            return
        self.shell.state.prospect = self.customer_form(customer, customer_id)
        self.shell.go(Screen.PROSPECT)

    @staticmethod
    def customer_form(record: dict[str, Any], customer_id: str, draft: DraftFix | None = None) -> ProspectForm:
        return ProspectForm(
            name=str(record.get("name") or ""),
            kind=str(record.get("kind") or ""),
            address=str(record.get("address") or ""),
            phone=str(record.get("phone") or ""),
            contact_person=str(record.get("contact_person") or ""),
            door_hours=stored_as_text(record.get("door_hours")),
            customer_id=customer_id,
            draft=draft,
        )

    def save_prospect(self) -> None:
        form, lang = self.shell.state.prospect, self.shell.state.lang
        if not form.name.strip():
            form.error = t("client.prospect.name_required", lang)
            self.shell.render()
            return
        if form.draft is not None:
            self.resend_draft()
            return
        if form.customer_id is not None:
            self._update_customer(form)
            return
        if not self.duplicates.duplicates_cleared(form):  # 查重: 可能与…重复, the rep chooses
            return
        try:
            record = self.service.create_prospect(
                form.name, CustomerKind(form.kind), form.address, form.phone, form.contact_person, form.door_hours
            )
        except (InvalidRecord, ValueError) as error:
            form.error = str(error)
            self.shell.render()
            return
        with self.shell.ui:
            self.shell.state.history = [(Screen.TODAY, None)]
            self.shell.state.note_draft = ""
            saved = t("client.approval.customer_saved" if form.needs_approval else "client.saved", lang)
            self.shell.show(Screen.CUSTOMER, str(record["id"]), notice=saved)

    def _update_customer(self, form: ProspectForm) -> None:
        lang, customer_id = self.shell.state.lang, form.customer_id
        assert customer_id is not None
        try:
            saved = self.service.update_customer(customer_id, form.values())
        except (InvalidRecord, ValueError) as error:
            form.error = str(error)
            self.shell.render()
            return
        with self.shell.ui:
            if self.shell.state.history and self.shell.state.history[-1][0] is Screen.CUSTOMER:
                self.shell.state.history.pop()
            notice = t("client.saved" if saved is not None else "client.customer.unchanged", lang)
            self.shell.show(Screen.CUSTOMER, customer_id, notice=notice)

    def add_note(self) -> None:
        lang, customer_id = self.shell.state.lang, self.shell.state.customer_id
        text = self.shell.state.note_draft.strip()
        if not customer_id:
            return
        if not text:
            self.shell.state.note_error = t("client.customer.note_empty", lang)
            self.shell.render()
            return
        try:
            self.service.add_note(customer_id, text)
        except InvalidRecord as error:
            self.shell.state.note_error = str(error)
            self.shell.render()
            return
        self.shell.state.note_draft = ""
        self.shell.show(Screen.CUSTOMER, customer_id, notice=t("client.saved", lang))

    def open_key_person(self, person_id: str | None) -> None:
        """The key person form on the customer card: a new one (None) or one to edit."""
        with self.shell.ui:
            values: dict[str, Any] = {}
            if person_id is not None:
                person = self.service.store.get(RecordKind.KEY_PERSON, person_id) or {}
                values = {name: person.get(name) or "" for name in KEY_PERSON_FORM_FIELDS}
            self.shell.state.key_person = KeyPersonForm(open=True, person_id=person_id, values=values)
            self.shell.state.notice = None
            self.shell.render()

    def cancel_key_person(self) -> None:
        with self.shell.ui:
            self.shell.state.key_person = KeyPersonForm()
            self.shell.render()

    def save_key_person(self) -> None:
        with self.shell.ui:
            form, lang, customer_id = self.shell.state.key_person, self.shell.state.lang, self.shell.state.customer_id
            if not customer_id or not form.open:
                return
            try:
                saved = self.service.save_key_person(customer_id, dict(form.values), form.person_id)
            except (FormProblems, InvalidRecord) as error:
                form.errors = problems(error, self.shell.state.lang)
                self.shell.render()
                return
            self.shell.state.key_person = KeyPersonForm()
            notice = t("client.saved" if saved is not None else "client.customer.unchanged", lang)
            self.shell.show(Screen.CUSTOMER, customer_id, notice=notice)

    def ask_delete_key_person(self) -> None:
        with self.shell.ui:
            if self.shell.state.key_person.person_id is not None:
                self.shell.state.key_person.confirm_delete = True
                self.shell.render()

    def cancel_delete_key_person(self) -> None:
        with self.shell.ui:
            self.shell.state.key_person.confirm_delete = False
            self.shell.render()

    def delete_key_person(self) -> None:
        """The confirmed delete of the key person being edited: a tombstone, synced like any change."""
        with self.shell.ui:
            form, customer_id = self.shell.state.key_person, self.shell.state.customer_id
            if form.person_id is None or not form.confirm_delete or not customer_id:
                return
            self.service.delete_key_person(form.person_id)
            self.shell.state.key_person = KeyPersonForm()
            self.shell.show(Screen.CUSTOMER, customer_id, notice=t("client.key_person.deleted", self.shell.state.lang))
