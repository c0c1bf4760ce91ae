"""What a feature's handlers may ask of the app shell (client/shell/app.py implements it).

A feature's handlers are a plain class built with the shell (and the services it needs); they change the
view state and then ask the shell to show a screen or render again. They never import the app itself, so a
feature can be read, and tested, with only this page beside it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

import flet as ft

from client.location import Location, LocationProvider
from client.services import AppService
from client.shell.state import AppState, Screen
from client.sync_runner import SyncRunner


class Shell(Protocol):
    # ---- what is on screen, and who changes it
    state: AppState  # the view state of every screen (client/shell/state.py)
    service: AppService  # the rep's data (the local store, the clock, the rules)
    ui: threading.RLock  # held while the view state changes: one change at a time
    page: ft.Page  # for run_thread / run_task and what the device is (web, platform)

    @property
    def runner(self) -> SyncRunner: ...  # the background sync (notify_saved, request_sync, refresh_counts)

    # ---- navigation (with its history) and rendering
    def go(self, screen: Screen, arg: str | None = None, *, notice: str | None = None) -> None: ...  # forward
    def show(self, screen: Screen, arg: str | None = None, *, notice: str | None = None) -> None: ...  # in place
    def go_back(self) -> None: ...
    def go_today(self) -> None: ...
    def show_again(self, *, notice: str | None = None) -> None: ...  # the screen on show, re-read
    def render(self, *, by_rep: bool = True) -> None: ...  # draw the current screen again from the state
    def scroll_to_top(self) -> None: ...

    # ---- the form on screen (client/shell/autosave.py)
    def leaving_typing(self) -> bool: ...  # True: it asked "放弃修改?" and the caller stops
    def form_loaded(self) -> None: ...  # the form on screen is what is saved: nothing to keep or ask about
    def forget_form_draft(self) -> None: ...

    # ---- the page's loop and the device
    def on_loop(self, function: Callable[..., None], *args: Any) -> None: ...  # from a worker thread
    @property
    def locator(self) -> LocationProvider | None: ...
    @property
    def locating(self) -> bool: ...  # a check-in, check-out or punch waits for the position
    def then_located(self, finish: Callable[[Location | None], None]) -> None: ...
    def locate_ahead(self) -> None: ...  # the visit form opened: find the position before 签到 asks for it
    def fresh_fix(self) -> Location | None: ...  # a position found moments ago (RecentFix), or None
    def launch_url(self, url: str) -> None: ...  # outside the app (a map app, a web map)
