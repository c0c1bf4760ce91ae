"""The pipeline feature's handlers: what the app does on this feature's taps (reaching the shell only through
client/shell/protocol.py's `Shell`)."""

from __future__ import annotations

from client.features.pipeline.service import (
    PipelineView,
    customer_pipeline,
    record_stage_event,
    set_expected_value,
    start_development,
)
from client.shell.protocol import Shell
from client.shell.state import Screen
from client.storage.store import InvalidRecord
from shared.enums import LossReason, PipelineStage, StageAction
from shared.i18n import t


class PipelineHandlers:
    """Event handlers of the customer card's pipeline section (a plain class; it reaches the shell through `Shell`)."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.service = shell.service

    def load_pipeline(self, customer_id: str | None) -> None:
        """Read the customer's pipeline into view state (keeping an open loss form of the same customer)."""
        view = self.shell.state.pipeline
        if customer_id != view.customer_id:
            view = self.shell.state.pipeline = PipelineView(customer_id=customer_id)
        view.pipeline = customer_pipeline(self.service, customer_id) if customer_id else None

    def _pipeline_saved(self) -> None:

        customer_id = self.shell.state.customer_id
        self.shell.state.pipeline = PipelineView(customer_id=customer_id)
        self.shell.show(Screen.CUSTOMER, customer_id, notice=t("client.pipeline.saved", self.shell.state.lang))

    def _pipeline_step(self, action: StageAction, stage: PipelineStage | None = None) -> None:
        with self.shell.ui:
            customer_id = self.shell.state.customer_id
            if not customer_id:
                return
            record_stage_event(self.service, customer_id, action, stage)
            self._pipeline_saved()

    def start_development(self) -> None:
        with self.shell.ui:
            if self.shell.state.customer_id:
                start_development(self.service, self.shell.state.customer_id)
                self._pipeline_saved()

    def move_stage(self, stage: str) -> None:
        """Move to `stage`, if the card still offers it: a tap on a button the card no longer shows (it changed
        under the thumb: another round started, a sync moved the stage) must not move the new round."""
        known = self.shell.state.pipeline.pipeline
        offered = {choice.value for choice in (known.advance_to, known.back_to) if choice} if known else set()
        if stage not in offered:
            return
        self._pipeline_step(StageAction.MOVE, PipelineStage(stage))

    def mark_won(self) -> None:
        self._pipeline_step(StageAction.WON, PipelineStage.CLOSING)

    def save_expected_value(self) -> None:
        with self.shell.ui:
            view, customer_id = self.shell.state.pipeline, self.shell.state.customer_id
            if not customer_id or view.expected is None:
                return
            try:
                set_expected_value(self.service, customer_id, view.expected)
            except (ValueError, InvalidRecord):
                view.expected_error = t("client.pipeline.expected_invalid", self.shell.state.lang)
                self.shell.render()
                return
            self._pipeline_saved()

    def open_loss_form(self) -> None:
        with self.shell.ui:
            view = self.shell.state.pipeline
            view.losing, view.reason, view.note, view.error = True, None, "", None
            self.shell.render()

    def cancel_loss_form(self) -> None:
        with self.shell.ui:
            self.shell.state.pipeline.losing = False
            self.shell.render()

    def mark_lost(self) -> None:
        with self.shell.ui:
            view, customer_id = self.shell.state.pipeline, self.shell.state.customer_id
            if not customer_id:
                return
            if view.reason not in {reason.value for reason in LossReason}:
                view.error = t("client.pipeline.reason_required", self.shell.state.lang)
                self.shell.render()
                return
            try:
                record_stage_event(
                    self.service,
                    customer_id,
                    StageAction.LOST,
                    loss_reason=LossReason(str(view.reason)),
                    note=view.note,
                )
            except InvalidRecord as error:
                view.error = str(error)
                self.shell.render()
                return
            self._pipeline_saved()
