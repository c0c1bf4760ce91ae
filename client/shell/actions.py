"""Screens of the rep's app: functions from view state to Flet controls; no I/O.

Each screen is `build(state, actions) -> ft.Control`. Typing into a field writes the form state
directly (it is the screen's own draft); everything else calls an `Actions` method. Each method is done by
one feature's handlers (client/features/<feature>/handlers.py, a plain class reaching the shell through
client/shell/protocol.py) or by the shell itself (navigation); `wire_actions` binds each name to the one
object that does it, and fails at start if a name has no one or two doers.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from client.features.account.settings_view import SettingsActions
from client.features.attendance.view import AttendanceActions
from client.features.complaints.view import ComplaintActions
from client.features.customers.duplicates import DuplicateActions
from client.features.pipeline.view import PipelineActions
from client.features.pool.view import PoolActions
from client.features.reports.view import ReportActions
from client.features.today.actions import RouteMapActions, RouteOrderActions
from client.features.visits.fields_view import VisitTypeActions


class Actions(
    PipelineActions,
    SettingsActions,
    VisitTypeActions,
    ComplaintActions,
    ReportActions,
    RouteOrderActions,
    AttendanceActions,
    PoolActions,
    DuplicateActions,
    RouteMapActions,
    Protocol,
):
    def toggle_language(self) -> None: ...
    def sign_in(self) -> None: ...
    def go_back(self) -> None: ...  # asks first when the form holds unsaved typing (state.confirm_leave)
    def typed(self) -> None: ...  # the rep changed a form: it is kept in the store a moment later
    def discard_changes(self) -> None: ...  # leave the form, its unsaved typing thrown away (confirmed)
    def keep_editing(self) -> None: ...
    def go_today(self) -> None: ...
    def open_customer(self, customer_id: str) -> None: ...
    def open_search(self) -> None: ...
    def search(self, text: str) -> None: ...  # updates state.search_results; the view redraws its list
    def open_prospect(self) -> None: ...
    def save_prospect(self) -> None: ...
    def start_visit(self, customer_id: str) -> None: ...
    def open_visit(self, visit_id: str) -> None: ...
    def check_in(self) -> None: ...
    def save_visit(self) -> None: ...
    def check_out(self) -> None: ...
    def go_next_stop(self) -> None: ...  # after 签退: the next unvisited stop of today's route
    def add_note(self) -> None: ...
    def sync_now(self) -> None: ...
    def open_drafts(self) -> None: ...
    def fix_draft(self, seq: int) -> None: ...  # open the draft's record in its form, prefilled
    def resend_draft(self) -> None: ...  # the form being fixed: one new op replaces the record's drafts
    def ask_discard_draft(self, seq: int) -> None: ...  # discarding waits for a confirmation
    def cancel_discard(self) -> None: ...
    def discard_draft(self, seq: int) -> None: ...  # the confirmed discard
    def edit_customer(self, customer_id: str) -> None: ...
    def open_conflicts(self) -> None: ...
    def open_panel(self, panel: str) -> None: ...  # the visit's order / competitor / complaint form
    def toggle_order_product(self, product_id: str) -> None: ...
    def take_order(self) -> None: ...
    def record_competitor(self) -> None: ...
    def record_complaint(self) -> None: ...
    def open_campaign(self, campaign_id: str) -> None: ...  # the visit's participation form of a campaign
    def record_participation(self) -> None: ...
    def add_photo(self) -> None: ...  # pick a photo from the gallery for the open visit (marked gallery)
    def take_photo(self) -> None: ...  # take one with the app's camera view (stamped, marked live)
    def open_key_person(self, person_id: str | None) -> None: ...  # None: a new key person
    def cancel_key_person(self) -> None: ...
    def save_key_person(self) -> None: ...
    def ask_delete_key_person(self) -> None: ...  # the key person being edited; deleting waits for a confirmation
    def cancel_delete_key_person(self) -> None: ...
    def delete_key_person(self) -> None: ...  # the confirmed delete
    def open_settings(self) -> None: ...  # change the PIN, sign out
    def open_report(self) -> None: ...  # 日报 / 周报 (Today's top row)


def action_names() -> set[str]:
    """Every method the views may call: the members of `Actions` and of the feature protocols it joins."""
    names: set[str] = set()
    for protocol in Actions.__mro__:
        if protocol is Actions or Protocol in getattr(protocol, "__bases__", ()):
            names.update(name for name, value in vars(protocol).items() if callable(value) and not name.startswith("_"))
    return names


class WiredActions:
    """The views' `Actions`: each name is the bound method of the one handler object that does it."""

    def __init__(self, *doers: object) -> None:
        wrong = []
        for name in sorted(action_names()):
            found = [doer for doer in doers if callable(getattr(type(doer), name, None))]
            if len(found) == 1:
                setattr(self, name, getattr(found[0], name))
            else:
                who = ", ".join(type(doer).__name__ for doer in found) or "nobody"
                wrong.append(f"{name!r} must have one doer, it has: {who}")
        if wrong:
            raise TypeError("the views' actions (client/shell/actions.py): " + "; ".join(wrong))

    def __getattr__(self, name: str) -> Any:  # only reached for a name no view may call
        raise AttributeError(f"{name!r} is not an action of the views (client/shell/actions.py)")


def wire_actions(*doers: object) -> Actions:
    return cast(Actions, WiredActions(*doers))
