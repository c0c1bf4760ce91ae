"""The app: one `ClientCore` per process (store, service, sync runner), one `App` per page session.

`App` implements the views' `Actions`: each handler calls the service, changes the view state and
renders the screen again from it (UI = f(state)). The sync runner reports from its own thread; the
sync bar is then updated in place, and the screen is re-read only where no typing can be lost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flet as ft
import flet_geolocator as ftg

from client import clock
from client.browser import IN_BROWSER
from client.config import ClientConfig
from client.features.account import revoked_view as revoked
from client.features.account import settings_view
from client.features.account import sign_in_view as sign_in
from client.features.account.handlers import AccountHandlers
from client.features.account.service import AccountLock
from client.features.attendance.handlers import AttendanceHandlers
from client.features.campaigns.service import CampaignEntry, month_progress, record_participation, visit_campaigns
from client.features.complaints.handlers import ComplaintHandlers
from client.features.complaints.service import ComplaintStepForm
from client.features.customers import note_view as note
from client.features.customers import prospect_view as prospect
from client.features.customers import search_view as search
from client.features.customers import view as customer
from client.features.customers.duplicates import DuplicateHandlers
from client.features.drafts import conflicts_view as conflicts
from client.features.drafts import view as drafts
from client.features.photos.camera import CameraView, LiveCamera, camera_available
from client.features.photos.capture import capture
from client.features.photos.picker import PhotoPicker
from client.features.photos.service import (
    INCOMING_FOLDER,
    PhotoCapture,
    PhotoFiles,
    PhotoRefused,
    PhotoThumb,
    add_photo,
    visit_photos,
    waiting_photos,
    with_photo_upload,
)
from client.features.pipeline.handlers import PipelineHandlers
from client.features.pool import view as pool_screen
from client.features.pool.handlers import PoolHandlers
from client.features.pool.service import ownership, pool_customers
from client.features.reports import view as report_screen
from client.features.reports.handlers import ReportHandlers, report_arg
from client.features.today import route_map
from client.features.today import view as today
from client.features.today.handlers import TodayHandlers
from client.features.visits import fields as visit_fields
from client.features.visits import view as visit
from client.services import (
    KEY_PERSON_FORM_FIELDS,
    LOCATE_TIMEOUT,
    AppService,
    DraftFix,
    FormProblems,
    Location,
    LocationProvider,
    OrderLineInput,
    SignInFailed,
    SignInProblem,
    VisitRecords,
    customer_form_fields,
    locate,
    valid_location,
)
from client.shell.autosave import FORM_DRAFT, Debouncer, FormDraft, apply_draft, draft_of, has_typing
from client.shell.back import BrowserBack, SystemBack
from client.shell.state import (
    VISIT_TEXT_FIELDS,
    AppState,
    CompetitorForm,
    ComplaintForm,
    KeyPersonForm,
    NoteForm,
    OrderForm,
    ProspectForm,
    Screen,
    VisitForm,
    VisitPanel,
)
from client.shell.sync_bar import SyncBar
from client.shell.theme import FONTS, phone_theme
from client.storage.store import InvalidRecord, LocalStore
from client.storage.vault import StoreCipher
from client.storage.wipe import wipe_local_data
from client.sync_runner import SyncRunner, SyncStatus, http_engine_factory
from shared.door_hours import stored_as_text
from shared.enums import CustomerKind, PhotoSource, RecordKind, VisitType
from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

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


def build_core(config: ClientConfig, cipher: StoreCipher, transport: Any = None) -> ClientCore:
    """Open the store (sealed with `cipher`, see client/shell/lock.py) and start the sync runner (paused until
    someone has signed in)."""
    store = LocalStore(config.data_dir, cipher)
    clock.use_zone(store.get_meta("timezone"))  # the company's business day, as the server last said
    service = AppService(store, default_server_url=config.server_url, transport=transport, holidays=config.holidays)
    runner = SyncRunner(
        with_photo_upload(  # each sync is followed by the upload of the photos waiting (client.features.photos.service)
            http_engine_factory(
                store,
                lambda: (service.server_url, service.token),
                transport,
                on_progress=lambda progress: runner.report_progress(progress),
                refresh_token=lambda: service.refresh_token,
                on_tokens=service.keep_tokens,
                on_company=lambda page: service.keep_company(page.timezone, page.visit_rules, page.route_rules),
            ),
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


def format_amount(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return ""


class DeviceLocator:
    """The `LocationProvider` of one page session: the phone's GPS, or the browser's in browser mode.

    Built on flet-geolocator. It is called from a worker thread and waits on the page's loop, where the
    geolocator's calls run; every failure (denied, switched off, timed out) is "no location".
    """

    def __init__(self, page: ft.Page) -> None:
        self.page = page
        self.geolocator = ftg.Geolocator()  # registers with the current page: build it inside the session

    def __call__(self, timeout: float) -> Location | None:
        future = self.page.run_task(self._position, timeout)
        try:
            return future.result(timeout)
        finally:
            future.cancel()  # gave up waiting: stop asking

    async def on_loop(self, timeout: float) -> Location | None:
        """The position awaited on the page's loop (the PWA: no thread to wait in); None after `timeout`."""
        try:
            found = await asyncio.wait_for(self._position(timeout), timeout)
        except TimeoutError:
            logger.info("no location within %.1f s", timeout)
            return None
        return valid_location(found)

    async def _position(self, timeout: float) -> Location | None:
        geolocator = self.geolocator
        try:
            if not self.page.web:  # a phone asks once; a browser asks by itself when a position is read
                status = await geolocator.get_permission_status()
                if status is ftg.GeolocatorPermissionStatus.DENIED:
                    status = await geolocator.request_permission()
                if status in (ftg.GeolocatorPermissionStatus.DENIED, ftg.GeolocatorPermissionStatus.DENIED_FOREVER):
                    return None
            position = await geolocator.get_current_position(
                ftg.GeolocatorConfiguration(
                    accuracy=ftg.GeolocatorPositionAccuracy.HIGH,
                    # The device gives up a little before the caller does, so its answer still arrives.
                    time_limit=ft.Duration(milliseconds=int(timeout * 800)),
                )
            )
        except Exception as error:  # the device says why; the visit goes on without a position
            logger.info("no location from the device: %s", error)
            return None
        if position.latitude is None or position.longitude is None:
            return None
        return Location(position.latitude, position.longitude, position.accuracy)


class App(
    PipelineHandlers,
    AccountHandlers,
    ComplaintHandlers,
    ReportHandlers,
    TodayHandlers,
    AttendanceHandlers,
    PoolHandlers,
    DuplicateHandlers,
):
    def __init__(self, page: ft.Page, core: ClientCore) -> None:
        self.page = page
        self.core = core
        self.service = core.service
        lang = str(self.service.store.get_meta("lang") or core.config.lang)
        self.state = AppState(lang=lang if lang in LANGUAGES else DEFAULT_LANGUAGE, sync=core.runner.status)
        self._ui = threading.RLock()
        # The form on screen, kept in the store as the rep types (client/shell/autosave.py); `_clean_form` is
        # the form as it was loaded or last saved: typing beyond it is what going back asks about.
        self._autosave = Debouncer(lambda: self._on_loop(self._keep_form_draft))
        self._clean_form: FormDraft | None = None
        self.photos = PhotoFiles(core.store.storage.folder, core.store.cipher)  # photos/ beside the store's files
        self.photo_picker: PhotoPicker | None = None
        self.camera: LiveCamera | None = None  # the app's camera view, where flet-camera is (docs/photos.md)
        self.sync_bar = SyncBar(
            self.sync_now, self.open_drafts, photos_waiting=lambda: len(waiting_photos(self.service.store, self.photos))
        )
        self.app_title = ft.Text("", size=16, weight=ft.FontWeight.BOLD, expand=True)
        self.lang_button = ft.TextButton("", icon=ft.Icons.TRANSLATE, on_click=lambda e: self.toggle_language())
        # 日报 on Today's top row (client/features/reports): the day's report, offline.
        self.report_button = ft.TextButton(
            "", icon=ft.Icons.ASSIGNMENT, height=48, visible=False, on_click=lambda e: self.open_report()
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
        self._locating = False  # a check-in or check-out waits for the device's position
        self._detached = False
        # Set by the PIN lock (client/shell/lock.py): a tap counts as activity; after the first sign-in, the
        # lock may take over to have a PIN set (it returns True, then resumes sync and shows today).
        self.on_activity: Callable[[], None] | None = None
        self.after_sign_in: Callable[[], bool] | None = None
        self.account: AccountLock | None = None  # the lock's change PIN and sign out (settings screen)
        self.system_back: SystemBack | None = None  # Android's back gesture (client/shell/back.py), once mounted
        self.browser_back: BrowserBack | None = None  # a browser's back button (Flet web and the PWA)
        self.frame: ft.Control | None = None  # everything the app draws, once mounted (the PIN screen covers it)

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
        self._start_photo_picker()
        self._start_url_launcher()
        if self.service.signed_in():
            self.state.user = self.service.user
            typing = self._stored_form_draft()  # read first: showing Today would drop it
            self._show(Screen.TODAY)
            if typing is not None:
                self._restore_form_draft(typing)
        else:
            expired = self.core.runner.status.auth_required
            self._to_sign_in(t("client.signin.expired", self.state.lang) if expired else None)

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
        with self._ui:
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
                state.visit.camera = self.camera is not None
            self.body.controls = [SCREENS[state.screen](state, self)]
            next_action = ACTION_BARS[state.screen](state, self) if state.screen in ACTION_BARS else None
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

    def _on_loop(self, function: Callable[..., None], *args: Any) -> None:
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
        self._on_loop(self._apply_sync_status, status)

    def _apply_sync_status(self, status: SyncStatus) -> None:
        """Update the bar; re-read screens that show synced data and no input."""
        with self._ui:
            previous, self.state.sync = self.state.sync, status
            if status.device_revoked:  # the data is wiped: only the revoked screen, nothing reads the store
                self.state.history.clear()
                self._show(Screen.REVOKED)
                return
            if status.auth_required and self.state.screen is not Screen.SIGN_IN:
                self._to_sign_in(t("client.signin.expired", self.state.lang))
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
                self.refresh_report_view()  # a supervisor's comment may have come; the typing stays
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

    def _go(self, screen: Screen, arg: str | None = None, *, notice: str | None = None) -> None:
        with self._ui:
            if self.state.screen is not Screen.SIGN_IN:
                self.state.history.append((self.state.screen, self._current_arg()))
            self._show(screen, arg, notice=notice)

    def _show(self, screen: Screen, arg: str | None = None, *, notice: str | None = None) -> None:
        with self._ui:
            if self.state.sync.device_revoked:  # locked: the store is wiped and closed
                screen, arg = Screen.REVOKED, None
            self.state.notice = notice
            self.state.confirm_leave = False
            self._load(screen, arg)
            self.state.screen = screen
            self._form_loaded()
            self.render()

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
        with self._ui:
            if self._detached or self.state.sync.device_revoked:
                return
            draft = draft_of(self.state)
            if has_typing(draft, self._clean_form):
                assert draft is not None
                if self.service.store.get_meta(FORM_DRAFT) != draft.as_meta():
                    self.service.store.set_meta(**{FORM_DRAFT: draft.as_meta()})

    def _forget_form_draft(self) -> None:
        self._autosave.cancel()
        if not self.state.sync.device_revoked and self.service.store.get_meta(FORM_DRAFT) is not None:
            self.service.store.set_meta(**{FORM_DRAFT: None})

    def _form_loaded(self) -> None:
        """A screen was (re)loaded from the store, or its form saved: what it shows is clean, and a kept
        draft is done with (saved, or left knowingly; a restore keeps it again once it is back on screen)."""
        self._clean_form = draft_of(self.state)
        self._forget_form_draft()

    def _restore_form_draft(self, draft: FormDraft) -> None:
        """At start (after the PIN): the form the rep was typing opens again with the same text."""
        store = self.service.store
        if draft.screen == Screen.VISIT.value and draft.target and self.service.visit(draft.target):
            self._go(Screen.VISIT, draft.target)
        elif (
            draft.screen == Screen.VISIT.value
            and draft.customer_id
            and store.get(RecordKind.CUSTOMER, draft.customer_id)
        ):
            self.start_visit(draft.customer_id)
        elif draft.screen == Screen.CUSTOMER.value and draft.target and store.get(RecordKind.CUSTOMER, draft.target):
            self._go(Screen.CUSTOMER, draft.target)
        elif draft.screen == Screen.REPORT.value:
            self._go(Screen.REPORT, draft.target)
        elif draft.screen == Screen.PROSPECT.value and draft.target:
            self.edit_customer(draft.target)
        elif draft.screen == Screen.PROSPECT.value:
            self.open_prospect()
        else:
            self._forget_form_draft()
            return
        with self._ui:
            apply_draft(self.state, draft)
            self._keep_form_draft()
            self.render()

    def _leaving_typing(self) -> bool:
        """Going back from a form with unsaved typing asks first (once); True when it asked."""
        if self.state.confirm_leave or not has_typing(draft_of(self.state), self._clean_form):
            return False
        self.state.confirm_leave = True
        self.render()
        return True

    def discard_changes(self) -> None:
        with self._ui:
            self.state.confirm_leave = False
            self._forget_form_draft()
            self._clean_form = draft_of(self.state)  # nothing left to ask about
            self.go_back()

    def keep_editing(self) -> None:
        with self._ui:
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
            self.load_attendance()
        elif screen is Screen.CUSTOMER:
            if arg and arg != state.customer_id:
                state.key_person = KeyPersonForm()
                state.complaint_step = ComplaintStepForm()
            state.customer_id = arg or state.customer_id
            state.customer = self.service.customer_card(state.customer_id) if state.customer_id else None
            state.ownership = ownership(self.service, state.customer.customer) if state.customer else None
            self.load_pipeline(state.customer_id)
            state.note_error = None
        elif screen is Screen.VISIT and arg:
            record = self.service.visit(arg)
            if record is not None:
                state.visit = self._visit_form(record, str(record["customer_id"]))
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
            self.load_report(arg)
        elif screen is Screen.MAP:
            self.load_route_map()

    def _to_sign_in(self, message: str | None) -> None:
        with self._ui:
            user = self.service.user or {}
            self.state.sign_in.server_url = self.service.server_url
            self.state.sign_in.username = self.state.sign_in.username or str(user.get("username") or "")
            self.state.sign_in.password = ""
            self.state.sign_in.error = message
            self.state.sign_in.busy = False
            self.state.history.clear()
            self._show(Screen.SIGN_IN)

    def go_back(self) -> None:
        with self._ui:
            if self._leaving_typing():
                return
            if not self.state.history:
                self._show(Screen.TODAY)
                return
            screen, arg = self.state.history.pop()
            self._show(screen, arg)

    def back_gesture(self) -> None:
        """The system back gesture: 返回; while the 放弃修改? question is up, back answers 继续编辑 (a second
        swipe must not throw typing away)."""
        with self._ui:
            if self.frame is not None and self.frame not in self.page.controls:
                return  # the PIN screen covers the app: back does nothing under it
            if self.state.confirm_leave:
                self.keep_editing()
            else:
                self.go_back()

    def go_today(self) -> None:
        with self._ui:
            if self._leaving_typing():
                return
            self.state.history.clear()
            self._show(Screen.TODAY)

    def toggle_language(self) -> None:
        with self._ui:
            self.state.lang = "en" if self.state.lang == "zh-CN" else "zh-CN"
            if not self.state.sync.device_revoked:  # a revoked phone's store is gone
                self.service.store.set_meta(lang=self.state.lang)
            self.page.title = t("app.name", self.state.lang)
            self.render()

    # ---- sign-in ----------------------------------------------------------------------------

    def sign_in(self) -> None:
        form = self.state.sign_in
        if form.busy:
            return
        form.busy, form.error = True, None
        self.render()
        # Event handlers run on the page's loop: the network call goes to a worker thread.
        self.page.run_thread(self._sign_in_worker, form.server_url, form.username, form.password)

    def _sign_in_worker(self, server_url: str, username: str, password: str) -> None:
        try:
            user = self.service.sign_in(server_url, username, password)
        except SignInFailed as failure:
            self._on_loop(self._sign_in_failed, failure)
            return
        self._on_loop(self._signed_in, user)

    def _sign_in_failed(self, failure: SignInFailed) -> None:
        form, lang = self.state.sign_in, self.state.lang
        form.busy = False
        form.error = {
            SignInProblem.BAD_CREDENTIALS: t("client.signin.bad_credentials", lang),
            SignInProblem.UNREACHABLE: t("client.signin.unreachable", lang),
            SignInProblem.MISSING: t("client.signin.missing", lang),
            SignInProblem.OTHER_USER: t("client.signin.other_user", lang, name=failure.message),
        }.get(failure.problem) or t("client.signin.refused", lang, message=failure.message)
        self.render()

    def _signed_in(self, user: dict[str, Any]) -> None:
        form = self.state.sign_in
        form.busy, form.password = False, ""
        self.state.user = user
        if self.after_sign_in is not None and self.after_sign_in():
            return  # a PIN is set first (client/shell/lock.py)
        self.core.runner.resume()  # the first sync starts now, in the background
        self.go_today()

    # ---- customers and prospects ------------------------------------------------------------

    def open_customer(self, customer_id: str) -> None:
        self.state.note_draft = ""
        self._go(Screen.CUSTOMER, customer_id)

    def open_search(self) -> None:
        self._go(Screen.SEARCH)

    def search(self, text: str) -> None:
        with self._ui:
            self.state.search_text = text
            self.state.search_results = self.service.search_customers(text)

    def open_prospect(self) -> None:
        self.state.prospect = ProspectForm()
        self.locate_for_duplicates()
        self._go(Screen.PROSPECT)

    def edit_customer(self, customer_id: str) -> None:
        customer = self.service.store.get(RecordKind.CUSTOMER, customer_id)
        if customer is None:
            return
        self.state.prospect = self._customer_form(customer, customer_id)
        self._go(Screen.PROSPECT)

    @staticmethod
    def _customer_form(record: dict[str, Any], customer_id: str, draft: DraftFix | None = None) -> ProspectForm:
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
        form, lang = self.state.prospect, self.state.lang
        if not form.name.strip():
            form.error = t("client.prospect.name_required", lang)
            self.render()
            return
        if form.draft is not None:
            self.resend_draft()
            return
        if form.customer_id is not None:
            self._update_customer(form)
            return
        if not self.duplicates_cleared(form):  # 查重: 可能与…重复, the rep chooses
            return
        try:
            record = self.service.create_prospect(
                form.name, CustomerKind(form.kind), form.address, form.phone, form.contact_person, form.door_hours
            )
        except (InvalidRecord, ValueError) as error:
            form.error = str(error)
            self.render()
            return
        with self._ui:
            self.state.history = [(Screen.TODAY, None)]
            self.state.note_draft = ""
            self._show(Screen.CUSTOMER, str(record["id"]), notice=t("client.saved", lang))

    def _update_customer(self, form: ProspectForm) -> None:
        lang, customer_id = self.state.lang, form.customer_id
        assert customer_id is not None
        try:
            saved = self.service.update_customer(customer_id, form.values())
        except (InvalidRecord, ValueError) as error:
            form.error = str(error)
            self.render()
            return
        with self._ui:
            if self.state.history and self.state.history[-1][0] is Screen.CUSTOMER:
                self.state.history.pop()
            notice = t("client.saved" if saved is not None else "client.customer.unchanged", lang)
            self._show(Screen.CUSTOMER, customer_id, notice=notice)

    def add_note(self) -> None:
        lang, customer_id = self.state.lang, self.state.customer_id
        text = self.state.note_draft.strip()
        if not customer_id:
            return
        if not text:
            self.state.note_error = t("client.customer.note_empty", lang)
            self.render()
            return
        try:
            self.service.add_note(customer_id, text)
        except InvalidRecord as error:
            self.state.note_error = str(error)
            self.render()
            return
        self.state.note_draft = ""
        self._show(Screen.CUSTOMER, customer_id, notice=t("client.saved", lang))

    # ---- visits -----------------------------------------------------------------------------

    def _visit_form(self, record: dict[str, Any] | None, customer_id: str) -> VisitForm:
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
            records=self.service.visit_records(str(record["id"])) if record else VisitRecords(),
            photos=self._visit_photos(str(record["id"])) if record else [],
            campaigns=visit_campaigns(self.service, record, customer_id),
            follows=self.service.visit(str(values["follows_visit_id"])) if values.get("follows_visit_id") else None,
            key_persons=visit.people_to_meet(
                self.service.store.find(RecordKind.KEY_PERSON, customer_id=customer_id),
                self.service.store.find(RecordKind.VISIT, customer_id=customer_id),
            ),
        )

    def choose_visit_type(self, visit_type: str) -> None:
        """The rep picked a visit type: the form shows its own fields (a 回访 is linked to the home visit due)."""
        with self._ui:
            form = self.state.visit
            form.values["visit_type"] = visit_type
            if visit_type == VisitType.FOLLOW_UP.value and form.customer is not None:
                if not form.values.get("follows_visit_id"):
                    home = self.service.pending_home_visit(str(form.customer["id"]))
                    form.values["follows_visit_id"] = (home or {}).get("id")
                follows_id = form.values.get("follows_visit_id")
                form.follows = self.service.visit(str(follows_id)) if follows_id else None
            self.render()

    def start_visit(self, customer_id: str) -> None:
        open_visit = self.service.open_visit(customer_id)
        if open_visit is not None:
            self.open_visit(str(open_visit["id"]))
            return
        with self._ui:
            self.state.visit = self._visit_form(None, customer_id)
            self._go(Screen.VISIT, notice=self.attendance_hint())  # a hint only: the visit goes on

    def open_visit(self, visit_id: str) -> None:
        self._go(Screen.VISIT, visit_id)

    def go_next_stop(self) -> None:
        """From a finished visit to the next stop's card, with Today to go back to."""
        following = self.state.visit.next_stop
        with self._ui:
            if following is None:
                self.state.history = []
                self._show(Screen.TODAY)
            else:
                self.state.history = [(Screen.TODAY, None)]
                self.state.note_draft = ""
                self._show(Screen.CUSTOMER, str(following["id"]))

    def _then_located(self, finish: Callable[[Location | None], None]) -> None:
        """Ask the device where it is off the page's loop (at most `LOCATE_TIMEOUT`), then `finish` on it."""
        self._locating = True
        self.state.notice = t("client.visit.locating", self.state.lang)
        self.render()

        def located(location: Location | None) -> None:
            with self._ui:
                self._locating = False
                finish(location)

        locator = self.locator
        if IN_BROWSER and isinstance(locator, DeviceLocator):  # the PWA: awaited on the loop, no thread

            async def on_loop() -> None:
                located(await locator.on_loop(LOCATE_TIMEOUT))

            self.page.run_task(on_loop)
            return

        def worker() -> None:
            self._on_loop(located, locate(self.locator))

        self.page.run_thread(worker)

    def _on_visit_form(self, visit_id: str | None, customer_id: str) -> bool:
        """Whether the screen still shows this visit's form (the rep may have gone back meanwhile)."""
        form = self.state.visit
        shown_id = str(form.visit["id"]) if form.visit else None
        return (
            self.state.screen is Screen.VISIT
            and shown_id == visit_id
            and form.customer is not None
            and str(form.customer["id"]) == customer_id
        )

    def _saved_visit(self, record: dict[str, Any], shown_before: bool) -> None:
        lang = self.state.lang
        if shown_before:
            before = self.state.visit
            self.state.visit = self._visit_form(record, str(record["customer_id"]))
            if before.visit is not None:  # what the rep is typing in an order, report or complaint stays
                form = self.state.visit
                form.panel, form.order, form.competitor, form.complaint = (
                    before.panel,
                    before.order,
                    before.competitor,
                    before.complaint,
                )
            self.state.notice = t("client.saved", lang)
            if record.get("check_out_at") and not before.finished:  # just checked out: summary and 下一站
                form = self.state.visit
                form.finished = True
                following = self.service.next_stop(after_customer_id=str(record["customer_id"]))
                form.next_stop = following.customer if following else None
                self._on_loop_async(self.body.scroll_to, 0)
            self._form_loaded()
            self.render()
        else:  # saved all the same; re-read the screen the rep is on now
            self._show(self.state.screen, self._current_arg(), notice=t("client.saved", lang))

    def check_in(self) -> None:
        form = self.state.visit
        if form.customer is None or form.visit is not None or self._locating:
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
        self._then_located(finish)

    def _visit_fields(self) -> dict[str, Any] | None:
        """The form as record fields, or None after putting the problems into the form."""
        form, lang = self.state.visit, self.state.lang
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
        form, lang = self.state.visit, self.state.lang
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
                self.state.notice = t("client.visit.invalid", lang, problems=str(error))
            self.render()
            return
        self._saved_visit(record, shown)

    def save_visit(self) -> None:
        form = self.state.visit
        if form.visit is None:
            return
        fields = self._visit_fields()
        if fields is None:
            self.render()
            return
        self._store_visit(str(form.visit["id"]), fields, check_out=False, location=None)

    def check_out(self) -> None:
        form = self.state.visit
        if form.visit is None or self._locating:
            return
        fields = self._visit_fields()
        if fields is None:
            self.render()
            return
        visit_id = str(form.visit["id"])

        def finish(location: Location | None) -> None:
            latest = self.state.visit
            if latest.visit is not None and str(latest.visit["id"]) == visit_id:
                typed = self._visit_fields()  # what the rep typed while the device was locating counts too
                if typed is None:
                    self.render()
                    return
                fields.update(typed)
            self._store_visit(visit_id, fields, check_out=True, location=location)

        if form.values.get("visit_type") == VisitType.PHONE.value:  # a call: no location to wait for
            finish(None)
            return
        self._then_located(finish)

    # ---- on a visit: order, competitor report, complaint --------------------------------------

    def _problems(self, error: FormProblems | InvalidRecord) -> dict[str, str]:
        lang = self.state.lang
        if isinstance(error, FormProblems):
            return {name: t(key, lang) for name, key in error.problems.items()}
        return {problem.field: problem.problem for problem in error.errors}

    def open_panel(self, panel: str) -> None:
        """Open (or close, when it is open) the order, competitor or complaint form on the visit screen."""
        with self._ui:
            form = self.state.visit
            chosen = VisitPanel(panel)
            form.panel = None if form.panel is chosen else chosen
            form.panel_errors = {}
            if form.panel is VisitPanel.ORDER:
                form.products = self.service.products()
                customer_id = str((form.customer or {}).get("id") or "")
                form.usual_products = self.service.usual_products(customer_id) if customer_id else []
            self.render()

    def toggle_order_product(self, product_id: str) -> None:
        """Pick a catalogue product for the order (its unit price prefilled), or drop it again."""
        with self._ui:
            order = self.state.visit.order
            if product_id in order.picked():
                order.lines = [line for line in order.lines if line.product_id != product_id]
            else:
                product = next((item for item in self.state.visit.products if item["id"] == product_id), None)
                if product is None:
                    return
                order.lines = [*order.lines, OrderLineInput(product_id, "", format_amount(product.get("unit_price")))]
            self.state.visit.panel_errors = {}
            self.render()

    def _after_visit_record(self, notice: str) -> None:
        form = self.state.visit
        if form.visit is not None:
            form.records = self.service.visit_records(str(form.visit["id"]))
        form.panel, form.panel_errors = None, {}
        self.state.notice = notice
        self.render()

    def _refuse_panel(self, error: FormProblems | InvalidRecord) -> None:
        self.state.visit.panel_errors = self._problems(error)
        self.state.notice = None
        self.render()

    def take_order(self) -> None:
        with self._ui:
            form, lang = self.state.visit, self.state.lang
            if form.visit is None:
                return
            try:
                order = self.service.take_order(str(form.visit["id"]), list(form.order.lines), form.order.notes)
            except (FormProblems, InvalidRecord) as error:
                self._refuse_panel(error)
                return
            form.order = OrderForm()
            # The visit form now says the customer ordered, with the visit's orders' total; it is stored
            # with the visit when the rep saves or checks out (the order itself is stored already).
            form.values["ordered"] = True
            form.values["order_amount"] = format_amount(self.service.visit_records(str(form.visit["id"])).order_total)
            self._after_visit_record(t("client.order.saved", lang, amount=format_amount(order["amount"])))

    def record_competitor(self) -> None:
        with self._ui:
            form, lang = self.state.visit, self.state.lang
            if form.visit is None:
                return
            entry = form.competitor
            try:
                self.service.record_competitor_report(
                    str(form.visit["id"]), entry.brand, entry.product, entry.price, entry.promotion
                )
            except (FormProblems, InvalidRecord) as error:
                self._refuse_panel(error)
                return
            form.competitor = CompetitorForm()
            self._after_visit_record(t("client.competitor.saved", lang))

    def record_complaint(self) -> None:
        with self._ui:
            form, lang = self.state.visit, self.state.lang
            if form.visit is None:
                return
            entry = form.complaint
            try:
                self.service.record_complaint(
                    str(form.visit["id"]), entry.category or "", entry.severity or "", entry.description
                )
            except (FormProblems, InvalidRecord) as error:
                self._refuse_panel(error)
                return
            form.complaint = ComplaintForm()
            self._after_visit_record(t("client.complaint.saved", lang))

    # ---- on a visit: campaign participation (client/features/campaigns/service.py) ----------------------------

    def open_campaign(self, campaign_id: str) -> None:
        with self._ui:
            section = self.state.visit.campaigns
            open_now = section.entry.campaign_id == campaign_id
            section.entry = CampaignEntry() if open_now else CampaignEntry(campaign_id=campaign_id)
            section.errors = {}
            self.render()

    def record_participation(self) -> None:
        with self._ui:
            form, lang = self.state.visit, self.state.lang
            if form.visit is None or form.customer is None:
                return
            try:
                record_participation(self.service, str(form.visit["id"]), form.campaigns.entry)
            except (FormProblems, InvalidRecord) as error:
                form.campaigns.errors = self._problems(error)
                self.render()
                return
            form.campaigns = visit_campaigns(self.service, form.visit, str(form.customer["id"]))
            self.state.notice = t("client.campaign.saved", lang)
            self.render()

    # ---- on a visit: photos -------------------------------------------------------------------

    def _start_photo_picker(self) -> None:
        try:
            incoming = self.photos.folder.parent / INCOMING_FOLDER  # ft.run(upload_dir=...) in client.__main__
            self.photo_picker = PhotoPicker(self.page, incoming, self._photo_picked, self._photo_refused)
        except Exception:  # no file picker here: the visit goes on without photos
            logger.info("file picker unavailable", exc_info=True)
        if camera_available():
            try:
                self.camera = CameraView(self.page, self._photo_shot, self._photo_refused)
            except Exception:  # the camera control failed to load: gallery picks only
                logger.info("camera view unavailable", exc_info=True)

    def _visit_photos(self, visit_id: str) -> list[PhotoThumb]:
        # A browser cannot open the app's files: in browser mode the photo's bytes go to the screen.
        web = bool(getattr(self.page, "web", False))
        return visit_photos(self.service.store, self.photos, visit_id, with_bytes=web)

    def add_photo(self) -> None:
        with self._ui:
            visit = self.state.visit.visit
            if visit is None:
                return
            if self.photo_picker is None:
                self._photo_refused("client.photo.unavailable", "")
                return
            self.photo_picker.pick(dict(visit))

    def take_photo(self) -> None:
        with self._ui:
            visit = self.state.visit.visit
            if visit is None:
                return
            if self.camera is None:
                self._photo_refused("client.photo.no_camera", "")
                return
            self.camera.take(dict(visit), self.state.lang)

    def _photo_refused(self, key: str, message: str) -> None:
        with self._ui:
            self.state.visit.photo_error = t(key, self.state.lang, message=message)
            self.state.notice = None
            self.render()

    def _photo_picked(self, visit: dict[str, Any], data: bytes) -> None:
        self._photo_arrived(visit, data, PhotoSource.GALLERY)

    def _photo_shot(self, visit: dict[str, Any], data: bytes) -> None:
        self._photo_arrived(visit, data, PhotoSource.LIVE)

    def _photo_arrived(self, visit: dict[str, Any], data: bytes, source: PhotoSource) -> None:
        """The phone's clock when the bytes arrived; then, off the loop, its position and (live) the stamp."""
        taken_at = clock.now()

        def worker() -> None:
            kept, how = capture(self.service.store, visit, data, source, taken_at, self.locator)
            self._on_loop(self._keep_photo, visit, kept, how)

        self.page.run_thread(worker)

    def _keep_photo(self, visit: dict[str, Any], data: bytes, how: PhotoCapture) -> None:
        """Keep the photo (bytes, then its record); the visit screen shows it if it is still open."""
        with self._ui:
            form, lang = self.state.visit, self.state.lang
            try:
                add_photo(self.service.store, self.photos, visit, data, capture=how)
            except PhotoRefused as refused:
                self._photo_refused(refused.key, "")
                return
            except InvalidRecord as error:
                self._photo_refused("client.photo.failed", str(error))
                return
            self.core.runner.notify_saved()
            if form.visit is not None and form.visit.get("id") == visit["id"]:
                form.photo_error = None
                form.photos = self._visit_photos(str(visit["id"]))
            self.state.notice = t("client.photo.saved", lang)
            self.render()

    # ---- key persons ------------------------------------------------------------------------

    def open_key_person(self, person_id: str | None) -> None:
        """The key person form on the customer card: a new one (None) or one to edit."""
        with self._ui:
            values: dict[str, Any] = {}
            if person_id is not None:
                person = self.service.store.get(RecordKind.KEY_PERSON, person_id) or {}
                values = {name: person.get(name) or "" for name in KEY_PERSON_FORM_FIELDS}
            self.state.key_person = KeyPersonForm(open=True, person_id=person_id, values=values)
            self.state.notice = None
            self.render()

    def cancel_key_person(self) -> None:
        with self._ui:
            self.state.key_person = KeyPersonForm()
            self.render()

    def save_key_person(self) -> None:
        with self._ui:
            form, lang, customer_id = self.state.key_person, self.state.lang, self.state.customer_id
            if not customer_id or not form.open:
                return
            try:
                saved = self.service.save_key_person(customer_id, dict(form.values), form.person_id)
            except (FormProblems, InvalidRecord) as error:
                form.errors = self._problems(error)
                self.render()
                return
            self.state.key_person = KeyPersonForm()
            notice = t("client.saved" if saved is not None else "client.customer.unchanged", lang)
            self._show(Screen.CUSTOMER, customer_id, notice=notice)

    def ask_delete_key_person(self) -> None:
        with self._ui:
            if self.state.key_person.person_id is not None:
                self.state.key_person.confirm_delete = True
                self.render()

    def cancel_delete_key_person(self) -> None:
        with self._ui:
            self.state.key_person.confirm_delete = False
            self.render()

    def delete_key_person(self) -> None:
        """The confirmed delete of the key person being edited: a tombstone, synced like any change."""
        with self._ui:
            form, customer_id = self.state.key_person, self.state.customer_id
            if form.person_id is None or not form.confirm_delete or not customer_id:
                return
            self.service.delete_key_person(form.person_id)
            self.state.key_person = KeyPersonForm()
            self._show(Screen.CUSTOMER, customer_id, notice=t("client.key_person.deleted", self.state.lang))

    # ---- sync -------------------------------------------------------------------------------

    def sync_now(self) -> None:
        self.core.runner.request_sync()

    def open_drafts(self) -> None:
        self._go(Screen.DRAFTS)

    def ask_discard_draft(self, seq: int) -> None:
        with self._ui:
            self.state.confirm_discard = seq
            self.render()

    def cancel_discard(self) -> None:
        with self._ui:
            self.state.confirm_discard = None
            self.render()

    def discard_draft(self, seq: int) -> None:
        """The confirmed discard: only the draft the rep confirmed goes."""
        with self._ui:
            if self.state.confirm_discard != seq:
                self.ask_discard_draft(seq)
                return
            self.state.confirm_discard = None
            self.service.discard_rejected(seq)
            self.core.runner.refresh_counts()
            self._show(Screen.DRAFTS, notice=t("client.drafts.discarded", self.state.lang))

    def fix_draft(self, seq: int) -> None:
        """Open the draft's record in its form (visit, customer, note), as the rep last wrote it."""
        lang = self.state.lang
        fix = self.service.draft_fix(seq)
        if fix is None:  # gone, or a draft that can only be discarded (a refused delete, an edit of a deleted record)
            gone = self.service.store.rejected_op(seq) is None
            self._show(Screen.DRAFTS, notice=t("client.drafts.gone" if gone else "client.drafts.cannot_fix", lang))
            return
        with self._ui:
            self.state.confirm_discard = None
            if fix.kind is RecordKind.VISIT:
                form = self._visit_form(fix.record, str(fix.record.get("customer_id") or ""))
                form.draft = fix
                self.state.visit = form
                self._go(Screen.VISIT)
            elif fix.kind is RecordKind.CUSTOMER:
                self.state.prospect = self._customer_form(fix.record, fix.record_id, fix)
                self._go(Screen.PROSPECT)
            elif fix.kind is RecordKind.NOTE:
                customer = self.service.store.get(RecordKind.CUSTOMER, str(fix.record.get("customer_id") or ""))
                name = str((customer or {}).get("name") or t("client.conflicts.unknown_customer", lang))
                self.state.note = NoteForm(text=str(fix.record.get("text") or ""), customer_name=name, draft=fix)
                self._go(Screen.NOTE)
            else:
                self._show(Screen.DRAFTS, notice=t("client.drafts.cannot_fix", lang))

    def _draft_values(self) -> tuple[DraftFix, dict[str, Any]] | None:
        """The draft being fixed on the current screen and the form's values as fields (None: the form
        has problems, now shown in it)."""
        state, lang = self.state, self.state.lang
        if state.screen is Screen.VISIT and state.visit.draft is not None:
            fields = self._visit_fields()
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
        with self._ui:
            lang = self.state.lang
            found = self._draft_values()
            if found is None:
                self.render()
                return
            fix, fields = found
            try:
                self.service.resend_draft(fix, fields)
            except InvalidRecord as error:
                message = t("client.visit.invalid", lang, problems=str(error))
                if self.state.screen is Screen.VISIT:
                    self.state.visit.errors = {problem.field: problem.problem for problem in error.errors}
                    self.state.visit.message = message
                elif self.state.screen is Screen.PROSPECT:
                    self.state.prospect.error = message
                else:
                    self.state.note.error = message
                self.render()
                return
            self.state.visit.draft = self.state.prospect.draft = self.state.note.draft = None
            while self.state.history and self.state.history[-1][0] is not Screen.DRAFTS:
                self.state.history.pop()
            if self.state.history:
                self.state.history.pop()
            self._show(Screen.DRAFTS, notice=t("client.drafts.resent", lang))

    def open_conflicts(self) -> None:
        self._go(Screen.CONFLICTS)


def make_main(core: ClientCore) -> Callable[[ft.Page], None]:
    def main(page: ft.Page) -> None:
        App(page, core).mount()

    return main
