"""The orders feature's handlers on a visit: pick products from the catalogue (client/features/orders/
catalogue.py), take the order; the shell is reached through client/shell/protocol.py."""

from __future__ import annotations

from client.features.approvals.expected import EXPECTED
from client.features.approvals.service import approval_status
from client.features.approvals.view import reasons_text
from client.features.visits.panels import after_visit_record, refuse_panel
from client.services import FormProblems, OrderLineInput
from client.shell.forms import format_amount
from client.shell.protocol import Shell
from client.shell.state import OrderForm
from client.storage.store import InvalidRecord
from shared.i18n import t


class OrderHandlers:
    """The visit screen's order panel."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.service = shell.service

    def toggle_order_product(self, product_id: str) -> None:
        """Pick a catalogue product for the order (its unit price prefilled), or drop it again."""
        with self.shell.ui:
            order = self.shell.state.visit.order
            if product_id in order.picked():
                order.lines = [line for line in order.lines if line.product_id != product_id]
            else:
                product = next((item for item in self.shell.state.visit.products if item["id"] == product_id), None)
                if product is None:
                    return
                order.lines = [*order.lines, OrderLineInput(product_id, "", format_amount(product.get("unit_price")))]
            self.shell.state.visit.panel_errors = {}
            self.shell.render()

    def take_order(self) -> None:
        with self.shell.ui:
            form, lang = self.shell.state.visit, self.shell.state.lang
            if form.visit is None:
                return
            try:
                order = self.service.take_order(str(form.visit["id"]), list(form.order.lines), form.order.notes)
            except (FormProblems, InvalidRecord) as error:
                refuse_panel(self.shell, error)
                return
            form.order = OrderForm()
            # The visit form now says the customer ordered, with the visit's orders' total; it is stored
            # with the visit when the rep saves or checks out (the order itself is stored already).
            form.values["ordered"] = True
            records = self.service.visit_records(str(form.visit["id"]))
            form.values["order_amount"] = format_amount(records.order_total)
            message = t("client.order.saved", lang, amount=format_amount(order["amount"]))
            saved = next((item for item in records.orders if item.get("id") == order["id"]), {})
            if approval_status(saved) == EXPECTED:  # the company's rules: it waits for a supervisor's approval
                message += t("client.approval.order_saved", lang, reason=reasons_text(saved["approval"], lang))
            after_visit_record(self.shell, message)
