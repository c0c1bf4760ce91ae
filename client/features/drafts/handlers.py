"""The drafts feature's handlers: the 草稿 list of records the server refused, fixing one in its own form and
sending it again, discarding one (confirmed), and the 冲突 list. The shell is reached through
client/shell/protocol.py; the forms are the visits' and the customers' own."""

from __future__ import annotations

from typing import Any

from client.features.customers.handlers import CustomerHandlers
from client.features.visits.handlers import VisitHandlers
from client.services import DraftFix, customer_form_fields
from client.shell.protocol import Shell
from client.shell.state import NoteForm, Screen
from client.storage.store import InvalidRecord
from shared.enums import RecordKind
from shared.i18n import t


class DraftHandlers:
    """The 草稿 and 冲突 screens, and 重新提交 on a form that fixes a draft."""

    def __init__(self, shell: Shell, visits: VisitHandlers, customers: CustomerHandlers) -> None:
        self.shell = shell
        self.service = shell.service
        self.visits = visits
        self.customers = customers

    def open_drafts(self) -> None:
        self.shell.go(Screen.DRAFTS)

    def ask_discard_draft(self, seq: int) -> None:
        with self.shell.ui:
            self.shell.state.confirm_discard = seq
            self.shell.render()

    def cancel_discard(self) -> None:
        with self.shell.ui:
            self.shell.state.confirm_discard = None
            self.shell.render()

    def discard_draft(self, seq: int) -> None:
        """The confirmed discard: only the draft the rep confirmed goes."""
        with self.shell.ui:
            if self.shell.state.confirm_discard != seq:
                self.ask_discard_draft(seq)
                return
            self.shell.state.confirm_discard = None
            self.service.discard_rejected(seq)
            self.shell.runner.refresh_counts()
            self.shell.show(Screen.DRAFTS, notice=t("client.drafts.discarded", self.shell.state.lang))

    def fix_draft(self, seq: int) -> None:
        """Open the draft's record in its form (visit, customer, note), as the rep last wrote it."""
        lang = self.shell.state.lang
        fix = self.service.draft_fix(seq)
        if fix is None:  # gone, or a draft that can only be discarded (a refused delete, an edit of a deleted record)
            gone = self.service.store.rejected_op(seq) is None
            self.shell.show(Screen.DRAFTS, notice=t("client.drafts.gone" if gone else "client.drafts.cannot_fix", lang))
            return
        with self.shell.ui:
            self.shell.state.confirm_discard = None
            if fix.kind is RecordKind.VISIT:
                form = self.visits.visit_form(fix.record, str(fix.record.get("customer_id") or ""))
                form.draft = fix
                self.shell.state.visit = form
                self.shell.go(Screen.VISIT)
            elif fix.kind is RecordKind.CUSTOMER:
                self.shell.state.prospect = self.customers.customer_form(fix.record, fix.record_id, fix)
                self.shell.go(Screen.PROSPECT)
            elif fix.kind is RecordKind.NOTE:
                customer = self.service.store.get(RecordKind.CUSTOMER, str(fix.record.get("customer_id") or ""))
                name = str((customer or {}).get("name") or t("client.conflicts.unknown_customer", lang))
                self.shell.state.note = NoteForm(text=str(fix.record.get("text") or ""), customer_name=name, draft=fix)
                self.shell.go(Screen.NOTE)
            else:
                self.shell.show(Screen.DRAFTS, notice=t("client.drafts.cannot_fix", lang))

    def _draft_values(self) -> tuple[DraftFix, dict[str, Any]] | None:
        """The draft being fixed on the current screen and the form's values as fields (None: the form
        has problems, now shown in it)."""
        state, lang = self.shell.state, self.shell.state.lang
        if state.screen is Screen.VISIT and state.visit.draft is not None:
            fields = self.visits.visit_fields()
            return None if fields is None else (state.visit.draft, fields)
        if state.screen is Screen.PROSPECT and state.prospect.draft is not None:
            if not state.prospect.name.strip():
                state.prospect.error = t("client.prospect.name_required", lang)
                return None
            return state.prospect.draft, customer_form_fields(state.prospect.values())
        if state.screen is Screen.NOTE and state.note.draft is not None:
            if not state.note.text.strip():
                state.note.error = t("client.customer.note_empty", lang)
                return None
            return state.note.draft, {"text": state.note.text.strip()}
        return None

    def resend_draft(self) -> None:
        """Send the fixed record again; its drafts go in the same durable step as the new op."""
        with self.shell.ui:
            lang = self.shell.state.lang
            found = self._draft_values()
            if found is None:
                self.shell.render()
                return
            fix, fields = found
            try:
                self.service.resend_draft(fix, fields)
            except InvalidRecord as error:
                message = t("client.visit.invalid", lang, problems=str(error))
                if self.shell.state.screen is Screen.VISIT:
                    self.shell.state.visit.errors = {problem.field: problem.problem for problem in error.errors}
                    self.shell.state.visit.message = message
                elif self.shell.state.screen is Screen.PROSPECT:
                    self.shell.state.prospect.error = message
                else:
                    self.shell.state.note.error = message
                self.shell.render()
                return
            self.shell.state.visit.draft = self.shell.state.prospect.draft = self.shell.state.note.draft = None
            while self.shell.state.history and self.shell.state.history[-1][0] is not Screen.DRAFTS:
                self.shell.state.history.pop()
            if self.shell.state.history:
                self.shell.state.history.pop()
            self.shell.show(Screen.DRAFTS, notice=t("client.drafts.resent", lang))

    def open_conflicts(self) -> None:
        self.shell.go(Screen.CONFLICTS)
