"""The development pipeline on the phone (客户开发流程): start a customer's development, advance it or move
it back a stage, mark it won or lost with a reason. Everything is saved to the local store first (records
of kinds `opportunity` and `stage_event`) and synced later; the stage shown is derived from the stage
events on this phone, its own and those pulled, in clock order (shared.pipeline.derive), so it is the
same stage the server and every other phone derive once they hold the same events.

`PipelineHandlers` is the app's part (handlers.py, built by the shell): event handlers that call these
functions and put the result into view state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from client.services import AppService, iso, parse_number
from shared.enums import LossReason, PipelineOutcome, PipelineStage, RecordKind, StageAction
from shared.ids import new_id
from shared.pipeline import (
    PIPELINE_SETTINGS_ID,
    PipelineState,
    derive,
    next_stage,
    opportunity_id_for,
    previous_stage,
    probabilities_from,
    win_probability,
)

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class PipelineRound:
    """An earlier development of the customer (won or lost), shown read-only."""

    number: int  # 1 for the customer's first development
    opportunity: dict[str, Any]
    state: PipelineState


@dataclass(frozen=True)
class CustomerPipeline:
    """The customer's current (newest) opportunity as this phone knows it; None fields: not started."""

    opportunity: dict[str, Any] | None
    state: PipelineState
    probability: int
    rounds: int  # opportunities of the customer on this phone (the next one is round rounds + 1)
    earlier: tuple[PipelineRound, ...] = ()  # the other developments, newest first
    refused: bool = False  # one this phone opened was refused: the server holds another open one

    @property
    def started(self) -> bool:
        return self.opportunity is not None

    @property
    def closed(self) -> bool:
        return self.state.outcome is not PipelineOutcome.OPEN

    @property
    def advance_to(self) -> PipelineStage | None:
        return next_stage(self.state) if self.started else None

    @property
    def back_to(self) -> PipelineStage | None:
        return previous_stage(self.state) if self.started else None


@dataclass
class PipelineView:
    """The customer card's pipeline section: what is known, and the loss form (战败分析) when open."""

    customer_id: str | None = None
    pipeline: CustomerPipeline | None = None
    losing: bool = False
    reason: str | None = None
    note: str = ""
    error: str | None = None
    expected: str | None = None  # the expected value as typed; None: not being edited
    expected_error: str | None = None


def _refused(record: dict[str, Any], waiting: set[str], drafts: set[str]) -> bool:
    """The server refused the record (a draft holds its op) and never stored it (a pulled record carries its
    territory), and no op is on its way: it will never count on the server, so it does not count here."""
    record_id = str(record["id"])
    return record_id in drafts and record_id not in waiting and "territory" not in record


def _events(
    service: AppService, opportunity_id: str, waiting: set[str] | None = None, drafts: set[str] | None = None
) -> list[dict[str, Any]]:
    """The opportunity's events, each with its clock: the server's (pulled) or this phone's own op's."""
    waiting = service.store.pending_record_ids() if waiting is None else waiting
    drafts = _draft_ids(service) if drafts is None else drafts
    found = []
    for event in service.store.find(RecordKind.STAGE_EVENT, opportunity_id=opportunity_id):
        if _refused(event, waiting, drafts):
            continue
        clock = event.get("clock") or service.store.field_clocks(str(event["id"])).get("action") or ""
        found.append({**event, "clock": clock})
    return found


def _draft_ids(service: AppService) -> set[str]:
    return {str(draft["op"]["record_id"]) for draft in service.store.rejected_ops()}


def customer_pipeline(service: AppService, customer_id: str) -> CustomerPipeline:
    """The customer's current development and the earlier ones.

    An opportunity this phone opened that the server refused (409 `opportunity_open`: another phone opened
    the customer's development first, under another id) is left out once the server's open one is here:
    the rep sees that one and carries on with it; the refused op and its events stay in the drafts."""
    waiting, drafts = service.store.pending_record_ids(), _draft_ids(service)
    found = service.store.find(RecordKind.OPPORTUNITY, customer_id=customer_id)
    settings = service.store.get(RecordKind.PIPELINE_SETTINGS, PIPELINE_SETTINGS_ID)
    probabilities = probabilities_from(settings)
    states = {str(o["id"]): derive(_events(service, str(o["id"]), waiting, drafts)) for o in found}
    # Once the server's open one is here, a local-only one with nothing on its way (its draft perhaps
    # discarded already) is the refused one too.
    server_open = any("territory" in o and states[str(o["id"])].outcome is PipelineOutcome.OPEN for o in found)
    refused = [
        o
        for o in found
        if _refused(o, waiting, drafts) or (server_open and "territory" not in o and str(o["id"]) not in waiting)
    ]
    opportunities = [o for o in found if o not in refused]
    if not opportunities:
        state = PipelineState()
        return CustomerPipeline(None, state, win_probability(state, probabilities), 0, refused=bool(refused))
    # The open one if any, else the newest (by when it was opened).
    current = max(
        opportunities,
        key=lambda o: (states[str(o["id"])].outcome is PipelineOutcome.OPEN, str(o.get("opened_at") or "")),
    )
    # Rounds in order: by the round the id was made for (opportunity_id_for), else by the opening time.
    made_for = {opportunity_id_for(customer_id, number): number for number in range(1, len(found) + 2)}
    by_opening = sorted(
        opportunities,
        key=lambda o: (made_for.get(str(o["id"]), len(found) + 2), str(o.get("opened_at") or ""), str(o["id"])),
    )
    earlier = tuple(
        PipelineRound(number, o, states[str(o["id"])])
        for number, o in reversed(list(enumerate(by_opening, start=1)))
        if o is not current
    )
    state = states[str(current["id"])]
    return CustomerPipeline(
        current,
        state,
        win_probability(state, probabilities),
        len(opportunities),
        earlier,
        bool(refused),
    )


def start_development(service: AppService, customer_id: str) -> dict[str, Any]:
    """Open the customer's next development (one open at a time; its id is the same on every phone)."""
    known = customer_pipeline(service, customer_id)
    if known.started and not known.closed:
        assert known.opportunity is not None
        return known.opportunity
    opportunity_id = opportunity_id_for(customer_id, known.rounds + 1)
    fields = {"customer_id": customer_id, "opened_at": iso(service.clock())}
    return service._save(RecordKind.OPPORTUNITY, opportunity_id, fields)  # saved, the runner told


def set_expected_value(service: AppService, customer_id: str, text: str) -> dict[str, Any]:
    """The expected yearly purchases (预计金额) of the customer's development, in yuan; empty clears it.
    Raises ValueError when the text is not an amount (nothing is saved)."""
    value = parse_number(text) if text.strip() else None
    if text.strip() and (value is None or not 0 <= value <= 1_000_000_000):
        raise ValueError(text)
    opportunity = start_development(service, customer_id)
    return service._save(RecordKind.OPPORTUNITY, str(opportunity["id"]), {"expected_value": value})


def record_stage_event(
    service: AppService,
    customer_id: str,
    action: StageAction,
    stage: PipelineStage | None = None,
    loss_reason: LossReason | None = None,
    note: str = "",
) -> dict[str, Any]:
    """Append a stage event to the customer's current opportunity (started first if there is none, or if it is
    closed: except 重复购买, which a won development moves on to)."""
    known = customer_pipeline(service, customer_id)
    repeat = action is StageAction.MOVE and stage is not None and stage is known.advance_to
    if known.opportunity is not None and known.closed and repeat:
        opportunity = known.opportunity
    else:
        opportunity = start_development(service, customer_id)
    fields: dict[str, Any] = {
        "opportunity_id": str(opportunity["id"]),
        "customer_id": customer_id,
        "action": action.value,
        "at": iso(service.clock()),
    }
    if stage is not None:
        fields["stage"] = stage.value
    if loss_reason is not None:
        fields["loss_reason"] = loss_reason.value
    if note.strip():
        fields["note"] = note.strip()
    return service._save(RecordKind.STAGE_EVENT, new_id(), fields)
