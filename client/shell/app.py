"""The app: one `ClientCore` per process (store, service, sync runner), one `App` per page session.

`App` implements the views' `Actions`: each handler calls the service, changes the view state and
renders the screen again from it (UI = f(state)). The sync runner reports from its own thread; the
sync bar is then updated in place, and the screen is re-read only where no typing can be lost.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flet as ft

from client import clock
from client.browser import IN_BROWSER
from client.config import ClientConfig
from client.features.account import revoked_view as revoked
from client.features.account import settings_view
from client.features.account import sign_in_view as sign_in
from client.features.account.handlers import AccountHandlers
from client.features.account.service import AccountLock
from client.features.account.sign_in import SignInHandlers
from client.features.attendance.handlers import AttendanceHandlers
from client.features.campaigns.handlers import CampaignHandlers
from client.features.campaigns.service import month_progress
from client.features.complaints.handlers import ComplaintHandlers
from client.features.complaints.service import ComplaintStepForm
from client.features.customers import note_view as note
from client.features.customers import prospect_view as prospect
from client.features.customers import search_view as search
from client.features.customers import view as customer
from client.features.customers.handlers import CustomerHandlers
from client.features.drafts import conflicts_view as conflicts
from client.features.drafts import view as drafts
from client.features.drafts.handlers import DraftHandlers
from client.features.orders.handlers import OrderHandlers
from client.features.photos.handlers import PhotoHandlers
from client.features.photos.service import PhotoFiles, waiting_photos, with_photo_upload
from client.features.pipeline.handlers import PipelineHandlers
from client.features.pool import view as pool_screen
from client.features.pool.handlers import PoolHandlers
from client.features.pool.service import ownership, pool_customers
from client.features.reports import view as report_screen
from client.features.reports.handlers import ReportHandlers, report_arg
from client.features.today import route_map
from client.features.today import view as today
from client.features.today.handlers import TodayHandlers
from client.features.visits import view as visit
from client.features.visits.handlers import VisitHandlers
from client.location import AHEAD_TIMEOUT, LOCATE_TIMEOUT, Location, LocationProvider, RecentFix, locate
from client.location.device import DeviceLocator
from client.services import AppService
from client.shell.actions import wire_actions
from client.shell.autosave import FORM_DRAFT, Debouncer, FormDraft, apply_draft, draft_of, has_typing
from client.shell.back import BrowserBack, SystemBack
from client.shell.state import AppState, KeyPersonForm, Screen
from client.shell.sync_bar import SyncBar
from client.shell.theme import FONTS, phone_theme
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from client.storage.wipe import wipe_local_data
from client.sync_runner import EngineFactory, SyncRunner, SyncStatus, http_engine_factory
from shared.enums import RecordKind
from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from sync.engine import ProgressListener

logger = logging.getLogger(__name__)


# A screen's next action, kept under the scrolling body (client/shell/app.py `action_bar`).
ACTION_BARS: dict[Screen, Callable[[AppState, Any], ft.Control | None]] = {Screen.VISIT: visit.next_action}

SCREENS: dict[Screen, Callable[[AppState, Any], ft.Control]] = {
    Screen.SIGN_IN: sign_in.build,
    Screen.TODAY: today.build,
    Screen.CUSTOMER: customer.build,
    Screen.VISIT: visit.build,
    Screen.PROSPECT: prospect.build,
    Screen.SEARCH: search.build,
    Screen.DRAFTS: drafts.build,
    Screen.NOTE: note.build,
    Screen.CONFLICTS: conflicts.build,
    Screen.REVOKED: revoked.build,
    Screen.SETTINGS: settings_view.build,
    Screen.REPORT: report_screen.build,
    Screen.POOL: pool_screen.build,
    Screen.MAP: route_map.build,
}


@dataclass
class ClientCore:
    config: ClientConfig
    store: LocalStore
    service: AppService
    runner: SyncRunner

    def close(self) -> None:
        self.runner.stop()
        if not self.runner.status.device_revoked:  # a revoked phone's store is closed and wiped already
            self.store.close()


def service_sync(
    store: LocalStore, service: AppService, transport: Any = None, on_progress: ProgressListener | None = None
) -> EngineFactory:
    """Syncs of `store` for `service`: its server and token (renewed when it expires), what each pull says of the
    company and of the server's time, kept by the service, and the phone's clock as measured, told to the server.
    The app's wiring; tests wire their phones with it."""
    return http_engine_factory(
        store,
        lambda: (service.server_url, service.token),
        transport,
        on_progress=on_progress,
        refresh_token=lambda: service.refresh_token,
        on_tokens=service.keep_tokens,
        on_company=lambda page: service.keep_company(
            page.timezone, page.visit_rules, page.route_rules, page.approval_rules, page.pool_rules
        ),
        on_clock=service.keep_clock_correction,
        clock_offset=measured_clock_offset,
    )


def measured_clock_offset() -> float | None:
    """What each sync request tells the server of this phone's clock (seconds, the server's minus the phone's), so a
    supervisor sees a wrong clock on /devices; None before the first sync has measured it (client/clock.py)."""
    known = clock.known_correction()
    return None if known is None else known.total_seconds()


def build_core(config: ClientConfig, cipher: StoreCipher, transport: Any = None) -> ClientCore:
    """Open the store (sealed with `cipher`, see client/shell/lock.py) and start the sync runner (paused until
    someone has signed in)."""
    store = LocalStore(config.data_dir, cipher)
    clock.use_zone(store.get_meta("timezone"))  # the company's business day, as the server last said
    service = AppService(store, default_server_url=config.server_url, transport=transport, holidays=config.holidays)
    service.restore_clock_correction()  # the server's time, as the last sync measured it (offline too)
    runner = SyncRunner(
        with_photo_upload(  # each sync is followed by the upload of the photos waiting (client.features.photos.service)
            service_sync(store, service, transport, on_progress=lambda progress: runner.report_progress(progress)),
            store,
            PhotoFiles(config.data_dir, store.cipher),
            lambda: (service.server_url, service.token),
            transport,
        ),
        counts=lambda: (store.pending_count(), len(store.rejected_ops())),
        interval=config.sync_interval,
        after_sync=store.maybe_compact,
        on_revoked=lambda: wipe_local_data(config.data_dir, store.close),  # after the outbox is handed over
    )
    service.on_saved = runner.notify_saved

    def on_status(status: SyncStatus) -> None:
        if status.auth_required and service.token:
            service.forget_token()  # records, outbox and drafts stay; the next sign-in resumes syncing

    runner.add_listener(on_status)
    runner.start(paused=not service.signed_in())
    return core_of(config, store, service, runner)


def core_of(config: ClientConfig, store: LocalStore, service: AppService, runner: SyncRunner) -> ClientCore:
    return ClientCore(config, store, service, runner)


class App:
    """The shell of one page session (it is the `Shell` of client/shell/protocol.py): navigation with its history,
    rendering, the system back gesture, the form on screen kept as it is typed, the page's loop and the device.
    Each feature's handlers are a plain object built here with the shell; the views call them through
    `self.actions` (client/shell/actions.py)."""

    reports: ReportHandlers
    drafts: DraftHandlers

    def __init__(self, page: ft.Page, core: ClientCore) -> None:
        self.page = page
        self.core = core
        self.service = core.service
        lang = str(self.service.store.get_meta("lang") or core.config.lang)
        self.state = AppState(lang=lang if lang in LANGUAGES else DEFAULT_LANGUAGE, sync=core.runner.status)
        self.ui = threading.RLock()
        # The form on screen, kept in the store as the rep types (client/shell/autosave.py); `_clean_form` is
        # the form as it was loaded or last saved: typing beyond it is what going back asks about.
        self._autosave = Debouncer(lambda: self.on_loop(self._keep_form_draft))
        self._clean_form: FormDraft | None = None
        photo_files = PhotoFiles(core.store.storage.folder, core.store.cipher)  # photos/ beside the store's files
        self.sync_bar = SyncBar(
            self.sync_now,
            lambda: self.drafts.open_drafts(),
            photos_waiting=lambda: len(waiting_photos(self.service.store, photo_files)),
        )
        self.app_title = ft.Text("", size=16, weight=ft.FontWeight.BOLD, expand=True)
        self.lang_button = ft.TextButton("", icon=ft.Icons.TRANSLATE, on_click=lambda e: self.toggle_language())
        # 日报 on Today's top row (client/features/reports): the day's report, offline.
        self.report_button = ft.TextButton(
            "", icon=ft.Icons.ASSIGNMENT, height=48, visible=False, on_click=lambda e: self.reports.open_report()
        )
        self.notice = ft.Text("", color=ft.Colors.GREEN_800, visible=False)
        self.body = ft.Column(
            [], scroll=ft.ScrollMode.AUTO, expand=True, horizontal_alignment=ft.CrossAxisAlignment.STRETCH
        )
        self.body_screen: Screen | None = None  # the screen `body` shows
        # Under the scrolling body, always in reach of the thumb: the screen's one next action (a visit's
        # 签到, 签退 or 下一站), or nothing.
        self.action_bar = ft.Container(padding=ft.Padding.symmetric(horizontal=12, vertical=6), visible=False)
        self.connectivity: Any = None
        self.url_launcher: ft.UrlLauncher | None = None  # opens navigation in a map app or a web map
        self.locator: LocationProvider | None = None
        self.locating = False  # a check-in or check-out waits for the device's position
        self.fixes = RecentFix()  # the last position found: 签到 takes it at once while it is fresh enough
        self._asking_ahead = False  # the device is being asked ahead of 签到 (the visit form opened)
        self._waiting_for_fix: Callable[[Location | None], None] | None = None  # a 签到 waiting for a position
        self._detached = False
        # Set by the PIN lock (client/shell/lock.py): a tap counts as activity; after the first sign-in, the
        # lock may take over to have a PIN set (it returns True, then resumes sync and shows today).
        self.on_activity: Callable[[], None] | None = None
        self.after_sign_in: Callable[[], bool] | None = None
        self.account: AccountLock | None = None  # the lock's change PIN and sign out (settings screen)
        self.system_back: SystemBack | None = None  # Android's back gesture (client/shell/back.py), once mounted
        self.browser_back: BrowserBack | None = None  # a browser's back button (Flet web and the PWA)
        self.frame: ft.Control | None = None  # everything the app draws, once mounted (the PIN screen covers it)

        # The features' handlers, each reaching the shell through client/shell/protocol.py only.
        self.signing_in = SignInHandlers(self, lambda: self.after_sign_in)
        self.settings = AccountHandlers(self, photo_files, lambda: self.account)
        self.today = TodayHandlers(self)
        self.attendance = AttendanceHandlers(self)
        self.reports = ReportHandlers(self)
        self.photos = PhotoHandlers(self, photo_files)
        self.visits = VisitHandlers(self, self.photos, self.attendance)
        self.orders = OrderHandlers(self)
        self.campaigns = CampaignHandlers(self)
        self.complaints = ComplaintHandlers(self)
        self.customers = CustomerHandlers(self, resend_draft=lambda: self.drafts.resend_draft())
        self.pipeline = PipelineHandlers(self)
        self.pool = PoolHandlers(self)
        self.drafts = DraftHandlers(self, self.visits, self.customers)
        # What the views call: each action is one of these objects' methods, or the shell's own (navigation).
        self.actions = wire_actions(
            self,
            self.signing_in,
            self.settings,
            self.today,
            self.attendance,
            self.reports,
            self.photos,
            self.visits,
            self.orders,
            self.campaigns,
            self.complaints,
            self.customers,
            self.customers.duplicates,
            self.pipeline,
            self.pool,
            self.drafts,
        )

    @property
    def runner(self) -> SyncRunner:
        return self.core.runner

    # ---- mounting ---------------------------------------------------------------------------

    def mount(self) -> None:
        page = self.page
        page.title = t("app.name", self.state.lang)
        page.fonts = FONTS
        page.theme = phone_theme()
        page.padding = 0
        self.system_back = SystemBack(page.views[0], self.back_gesture)
        if page.web:
            self.browser_back = BrowserBack(page, self.back_gesture)
        self.frame = ft.SafeArea(
            ft.Column(
                [
                    ft.Container(
                        ft.Row(
                            [self.app_title, self.report_button, self.lang_button],
                            vertical_alignment=ft.CrossAxisAlignment.CENTER,
                        ),
                        padding=ft.Padding.only(left=12, right=4, top=4),
                    ),
                    self.sync_bar.control,
                    ft.Container(self.notice, padding=ft.Padding.symmetric(horizontal=12)),
                    ft.Container(self.body, padding=ft.Padding.symmetric(horizontal=12, vertical=8), expand=True),
                    self.action_bar,
                ],
                spacing=0,
                expand=True,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
            expand=True,
        )
        page.add(self.frame)
        self.core.runner.add_listener(self._on_sync_status)
        page.on_disconnect = lambda e: self._detach()  # Flet web disposes a session's app on disconnect
        page.on_close = lambda e: self._detach()
        self._watch_connectivity()
        self._start_locator()
        self.photos.start()
        self._start_url_launcher()
        if self.service.signed_in():
            self.state.user = self.service.user
            typing = self._stored_form_draft()  # read first: showing Today would drop it
            self.show(Screen.TODAY)
            if typing is not None:
                self._restore_form_draft(typing)
        else:
            expired = self.core.runner.status.auth_required
            self.signing_in.to_sign_in(t("client.signin.expired", self.state.lang) if expired else None)

    def _detach(self) -> None:
        self._detached = True
        self._autosave.cancel()
        self.core.runner.remove_listener(self._on_sync_status)

    def _watch_connectivity(self) -> None:
        """Sync at once when the device reports a network again (the periodic retry covers the rest)."""
        try:
            self.connectivity = ft.Connectivity(on_change=self._on_connectivity)
        except Exception:  # not available on this platform: backoff and the periodic sync cover it
            logger.info("connectivity service unavailable", exc_info=True)

    def _start_locator(self) -> None:
        try:
            self.locator = DeviceLocator(self.page)
        except Exception:  # no geolocation here: visits are recorded without a position
            logger.info("geolocator unavailable", exc_info=True)

    def _start_url_launcher(self) -> None:
        try:
            self.url_launcher = ft.UrlLauncher()  # registers with the current page: built inside the session
        except Exception:  # no launcher here: the navigation buttons do nothing
            logger.info("url launcher unavailable", exc_info=True)

    def launch_url(self, url: str) -> None:
        """Open `url` outside the app (a `geo:` link in the phone's map app, a web map in a new tab)."""
        launcher = self.url_launcher
        if launcher is None:
            return

        async def launch() -> None:
            try:
                await launcher.launch_url(url, mode=ft.LaunchMode.EXTERNAL_APPLICATION)
            except Exception:  # no app takes the link: nothing else to do
                logger.info("could not open %s", url, exc_info=True)

        self._on_loop_async(launch)

    def _on_connectivity(self, event: Any) -> None:
        kinds = getattr(event, "connectivity", []) or []
        self.core.runner.connectivity_changed(any(getattr(kind, "value", kind) != "none" for kind in kinds))

    # ---- rendering --------------------------------------------------------------------------

    def render(self, *, by_rep: bool = True) -> None:
        if by_rep and self.on_activity is not None:
            self.on_activity()
        with self.ui:
            state = self.state
            self.app_title.value = t("app.name", state.lang)
            self.lang_button.content = t("client.lang.switch", state.lang)
            self.report_button.content = t("client.report.open", state.lang)
            self.report_button.visible = state.screen is Screen.TODAY
            self.notice.value = state.notice or ""
            self.notice.visible = bool(state.notice)
            self.sync_bar.show(state.sync, state.lang)
            new_screen = state.screen is not self.body_screen
            self.body_screen = state.screen
            if state.screen is Screen.VISIT and state.visit.visit is not None and state.visit.draft is None:
                state.visit.expected_flags = self.service.expected_flags(str(state.visit.visit["id"]))
                state.visit.photo_required = self.service.photo_requirement(state.visit.visit)
                state.visit.camera = self.photos.camera is not None
            self.body.controls = [SCREENS[state.screen](state, self.actions)]
            next_action = ACTION_BARS[state.screen](state, self.actions) if state.screen in ACTION_BARS else None
            self.action_bar.content, self.action_bar.visible = next_action, next_action is not None
            if self.system_back is not None:
                self.system_back.follow(state)
            if self.browser_back is not None:
                self.browser_back.follow(state)
            try:
                self.page.update()
            except Exception:  # the session went away
                logger.debug("page update failed", exc_info=True)
                return
            if new_screen:
                # Another screen starts at its top. Left where the last screen was scrolled, Flutter's
                # semantics tree kept that offset: screen readers (and the end-to-end tests) found fields
                # where the buttons below them were drawn.
                self.scroll_to_top()

    def scroll_to_top(self) -> None:
        self._on_loop_async(self.body.scroll_to, 0)

    def _on_loop_async(self, function: Callable[..., Any], *args: Any) -> None:
        """Schedule a coroutine function (a control's method such as scroll_to) on the page's loop."""

        async def job() -> None:
            await function(*args)

        if self._detached:
            return
        try:
            self.page.run_task(job)
        except Exception:  # the session is gone
            logger.debug("could not schedule a UI call", exc_info=True)

    def on_loop(self, function: Callable[..., None], *args: Any) -> None:
        """Run `function` on the page's event loop, where Flet runs event handlers: one thread touches the UI."""

        async def job() -> None:
            function(*args)

        if self._detached:
            return
        try:
            self.page.run_task(job)
        except Exception:  # the session is gone
            logger.debug("could not schedule a UI update", exc_info=True)

    def _on_sync_status(self, status: SyncStatus) -> None:
        """From the runner's thread: hand the status to the page's loop."""
        self.on_loop(self._apply_sync_status, status)

    def _apply_sync_status(self, status: SyncStatus) -> None:
        """Update the bar; re-read screens that show synced data and no input."""
        with self.ui:
            previous, self.state.sync = self.state.sync, status
            if status.device_revoked:  # the data is wiped: only the revoked screen, nothing reads the store
                self.state.history.clear()
                self.show(Screen.REVOKED)
                return
            if status.auth_required and self.state.screen is not Screen.SIGN_IN:
                self.signing_in.to_sign_in(t("client.signin.expired", self.state.lang))
                return
            if status.data_version != previous.data_version and self.state.screen in (
                Screen.TODAY,
                Screen.MAP,  # a synced plan or customer moves the dots
                Screen.SEARCH,
                Screen.DRAFTS,
                Screen.CONFLICTS,
                Screen.POOL,
            ):
                self._load(self.state.screen, None)
                self.render(by_rep=False)
                return
            if status.data_version != previous.data_version and self.state.screen is Screen.REPORT:
                self.reports.refresh_report_view()  # a supervisor's comment may have come; the typing stays
                self.render(by_rep=False)
                return
            self.sync_bar.show(status, self.state.lang)
            try:
                self.sync_bar.control.update()
            except Exception:
                logger.debug("sync bar update failed", exc_info=True)

    # ---- navigation -------------------------------------------------------------------------

    def _current_arg(self) -> str | None:
        if self.state.screen is Screen.CUSTOMER:
            return self.state.customer_id
        if self.state.screen is Screen.VISIT and self.state.visit.visit:
            return str(self.state.visit.visit["id"])
        if self.state.screen is Screen.REPORT:
            return report_arg(self.state.report)
        return None

    def go(self, screen: Screen, arg: str | None = None, *, notice: str | None = None) -> None:
        with self.ui:
            if self.state.screen is not Screen.SIGN_IN:
                self.state.history.append((self.state.screen, self._current_arg()))
            self.show(screen, arg, notice=notice)

    def show(self, screen: Screen, arg: str | None = None, *, notice: str | None = None) -> None:
        with self.ui:
            if self.state.sync.device_revoked:  # locked: the store is wiped and closed
                screen, arg = Screen.REVOKED, None
            self.state.notice = notice
            self.state.confirm_leave = False
            self._load(screen, arg)
            self.state.screen = screen
            self.form_loaded()
            self.render()

    def show_again(self, *, notice: str | None = None) -> None:
        """The screen on show, read again from the store."""
        self.show(self.state.screen, self._current_arg(), notice=notice)

    # ---- nothing typed is lost (client/shell/autosave.py) ---------------------------------------

    def typed(self) -> None:
        """The rep changed the form on screen: "已保存" no longer holds for it; keep it in a moment. (A change
        event that arrives after the save, with the value saved, changes nothing: the notice stays.)"""
        if self.state.notice and has_typing(draft_of(self.state), self._clean_form):
            self.state.notice = None
            self.notice.visible = False
            try:
                self.notice.update()
            except Exception:  # not on the page (yet)
                logger.debug("notice update failed", exc_info=True)
        self._autosave.touch()

    def _stored_form_draft(self) -> FormDraft | None:
        if self.state.sync.device_revoked:
            return None
        return FormDraft.from_meta(self.service.store.get_meta(FORM_DRAFT))

    def _keep_form_draft(self) -> None:
        """On the page's loop: the form on screen into the store, when it holds typing."""
        with self.ui:
            if self._detached or self.state.sync.device_revoked:
                return
            draft = draft_of(self.state)
            if has_typing(draft, self._clean_form):
                assert draft is not None
                if self.service.store.get_meta(FORM_DRAFT) != draft.as_meta():
                    self.service.store.set_meta(**{FORM_DRAFT: draft.as_meta()})

    def forget_form_draft(self) -> None:
        self._autosave.cancel()
        if not self.state.sync.device_revoked and self.service.store.get_meta(FORM_DRAFT) is not None:
            self.service.store.set_meta(**{FORM_DRAFT: None})

    def form_loaded(self) -> None:
        """A screen was (re)loaded from the store, or its form saved: what it shows is clean, and a kept
        draft is done with (saved, or left knowingly; a restore keeps it again once it is back on screen)."""
        self._clean_form = draft_of(self.state)
        self.forget_form_draft()

    def _restore_form_draft(self, draft: FormDraft) -> None:
        """At start (after the PIN): the form the rep was typing opens again with the same text (on the survivor
        when its customer was merged into another meanwhile: 合并, docs/duplicates.md)."""
        store = self.service.store
        draft = dataclasses.replace(
            draft,
            target=store.survivor(draft.target) if draft.target else None,
            customer_id=store.survivor(draft.customer_id) if draft.customer_id else None,
        )
        if draft.screen == Screen.VISIT.value and draft.target and self.service.visit(draft.target):
            self.go(Screen.VISIT, draft.target)
        elif (
            draft.screen == Screen.VISIT.value
            and draft.customer_id
            and store.get(RecordKind.CUSTOMER, draft.customer_id)
        ):
            self.visits.start_visit(draft.customer_id)
        elif draft.screen == Screen.CUSTOMER.value and draft.target and store.get(RecordKind.CUSTOMER, draft.target):
            self.go(Screen.CUSTOMER, draft.target)
        elif draft.screen == Screen.REPORT.value:
            self.go(Screen.REPORT, draft.target)
        elif draft.screen == Screen.PROSPECT.value and draft.target:
            self.customers.edit_customer(draft.target)
        elif draft.screen == Screen.PROSPECT.value:
            self.customers.open_prospect()
        else:
            self.forget_form_draft()
            return
        with self.ui:
            apply_draft(self.state, draft)
            self._keep_form_draft()
            self.render()

    def leaving_typing(self) -> bool:
        """Going back from a form with unsaved typing asks first (once); True when it asked."""
        if self.state.confirm_leave or not has_typing(draft_of(self.state), self._clean_form):
            return False
        self.state.confirm_leave = True
        self.render()
        return True

    def discard_changes(self) -> None:
        with self.ui:
            self.state.confirm_leave = False
            self.forget_form_draft()
            self._clean_form = draft_of(self.state)  # nothing left to ask about
            self.go_back()

    def keep_editing(self) -> None:
        with self.ui:
            self.state.confirm_leave = False
            self.render()

    def _load(self, screen: Screen, arg: str | None) -> None:
        state = self.state
        if screen is Screen.TODAY:
            state.user = self.service.user
            state.today = self.service.today()
            state.open_conflicts = self.service.open_conflict_count()
            state.care = self.service.care_reminders()
            state.targets = month_progress(self.service)
            self.attendance.load_attendance()
        elif screen is Screen.CUSTOMER:
            if arg and arg != state.customer_id:
                state.key_person = KeyPersonForm()
                state.complaint_step = ComplaintStepForm()
            state.customer_id = arg or state.customer_id
            if state.customer_id:  # a customer merged into another since (合并): its survivor's card
                state.customer_id = self.service.store.survivor(state.customer_id)
            state.customer = self.service.customer_card(state.customer_id) if state.customer_id else None
            state.ownership = ownership(self.service, state.customer.customer) if state.customer else None
            self.pipeline.load_pipeline(state.customer_id)
            state.note_error = None
        elif screen is Screen.VISIT and arg:
            record = self.service.visit(arg)
            if record is not None:
                state.visit = self.visits.visit_form(record, str(record["customer_id"]))
        elif screen is Screen.SEARCH:
            state.search_results = self.service.search_customers(state.search_text)
        elif screen is Screen.POOL:
            state.pool_results = pool_customers(self.service, state.pool_text)
        elif screen is Screen.DRAFTS:
            state.drafts = self.service.rejected_ops()
            if state.confirm_discard not in {int(draft["op"]["seq"]) for draft in state.drafts}:
                state.confirm_discard = None
        elif screen is Screen.CONFLICTS:
            state.conflicts = self.service.conflicts()
        elif screen is Screen.REPORT:
            self.reports.load_report(arg)
        elif screen is Screen.MAP:
            self.today.load_route_map()

    def go_back(self) -> None:
        with self.ui:
            if self.leaving_typing():
                return
            if not self.state.history:
                self.show(Screen.TODAY)
                return
            screen, arg = self.state.history.pop()
            self.show(screen, arg)

    def back_gesture(self) -> None:
        """The system back gesture: 返回; while the 放弃修改? question is up, back answers 继续编辑 (a second
        swipe must not throw typing away)."""
        with self.ui:
            if self.frame is not None and self.frame not in self.page.controls:
                return  # the PIN screen covers the app: back does nothing under it
            if self.state.confirm_leave:
                self.keep_editing()
            else:
                self.go_back()

    def go_today(self) -> None:
        with self.ui:
            if self.leaving_typing():
                return
            self.state.history.clear()
            self.show(Screen.TODAY)

    def toggle_language(self) -> None:
        with self.ui:
            self.state.lang = "en" if self.state.lang == "zh-CN" else "zh-CN"
            if not self.state.sync.device_revoked:  # a revoked phone's store is gone
                self.service.store.set_meta(lang=self.state.lang)
            self.page.title = t("app.name", self.state.lang)
            self.render()

    # ---- the device's position (a check-in, a check-out, a punch) ------------------------------

    def locate_ahead(self) -> None:
        """Start asking the device where it is (the visit form opened), in the background and with a longer
        limit (`AHEAD_TIMEOUT`), so that 签到 usually finds a fresh position ready instead of waiting for one."""
        if self.locator is None or self._asking_ahead:
            return
        ready = self.fixes.fresh(self._accuracy_limit_m())
        if ready is not None:  # found a moment ago (the rep went back and opened the form again)
            self._show_located(ready)
            return
        self._asking_ahead = True
        self._ask_device(AHEAD_TIMEOUT, self._located_ahead)

    def _located_ahead(self, location: Location | None) -> None:
        with self.ui:
            self._asking_ahead = False
            self.fixes.remember(location)
            fix = self.fixes.fresh(self._accuracy_limit_m())
            if fix is None:
                return
            waiting = self._waiting_for_fix
            if waiting is not None:  # a 签到 is waiting for its own answer: this one came first
                waiting(fix)
                return
            self._show_located(fix)

    def _show_located(self, fix: Location) -> None:
        """Say under a visit form waiting for 签到 that the position is found (no typing there to lose)."""
        with self.ui:
            form = self.state.visit
            if self.state.screen is Screen.VISIT and form.visit is None and form.customer is not None:
                form.located = fix
                self.render(by_rep=False)

    def then_located(self, finish: Callable[[Location | None], None]) -> None:
        """`finish` on the device's position: at once with a fresh enough one already found (`RecentFix`:
        at most `FRESH_FIX_S` old, within the company's accuracy limit), else after asking the device off the
        page's loop (at most `LOCATE_TIMEOUT`; an answer to `locate_ahead` arriving first is taken too)."""
        ready = self.fixes.fresh(self._accuracy_limit_m())
        if ready is not None:
            with self.ui:
                finish(ready)
            return
        self.locating = True
        self.state.notice = t("client.visit.locating", self.state.lang)
        self.render()
        done = False

        def located(location: Location | None) -> None:
            nonlocal done
            with self.ui:
                if done:  # the other answer came first
                    return
                done = True
                if self._waiting_for_fix is located:
                    self._waiting_for_fix = None
                self.fixes.remember(location)
                self.locating = False
                finish(location)

        self._waiting_for_fix = located
        self._ask_device(LOCATE_TIMEOUT, located)

    def _ask_device(self, timeout: float, answer: Callable[[Location | None], None]) -> None:
        """Ask the device for its position (at most `timeout` s), then `answer` on the page's loop."""
        locator = self.locator
        if IN_BROWSER and isinstance(locator, DeviceLocator):  # the PWA: awaited on the loop, no thread

            async def on_loop() -> None:
                answer(await locator.on_loop(timeout))

            self.page.run_task(on_loop)
            return

        def worker() -> None:
            self.on_loop(answer, locate(locator, timeout))

        self.page.run_thread(worker)

    def fresh_fix(self) -> Location | None:
        """The position found at most `FRESH_FIX_S` ago within the company's accuracy limit (at 签到, say): what a
        photo taken now takes instead of asking the device again."""
        return self.fixes.fresh(self._accuracy_limit_m())

    def _accuracy_limit_m(self) -> float:
        """The company's accuracy limit for a visit's position (beyond it the visit is flagged 定位精度差)."""
        return self.service.visit_rules().accuracy_m

    # ---- sync -------------------------------------------------------------------------------

    def sync_now(self) -> None:
        self.core.runner.request_sync()


def make_main(core: ClientCore) -> Callable[[ft.Page], None]:
    def main(page: ft.Page) -> None:
        App(page, core).mount()

    return main
