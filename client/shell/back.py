"""The system back gesture (Android's back button or swipe): the same as the screen's 返回.

The app draws every screen inside one Flet view (the page's root view), so Flutter's navigator has nothing to
pop: left alone, back would close the app from any screen, typing and all. Flet wraps each view in a PopScope:
with `can_pop` False and an `on_confirm_pop` handler, a back gesture on the root view is not obeyed but sent
here, and the view's `confirm_pop(False)` tells Flutter the app handled it. On Today (and the sign-in and
revoked screens) `can_pop` is True again: back leaves the app there, as Android users expect.

A browser's back button (Flet web: browser mode and the PWA, where Android's back gesture is the browser's)
changes the page's route instead: `BrowserBack` turns it into the same `on_back()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import flet as ft

from client.shell.state import AppState, Screen

logger = logging.getLogger(__name__)

# Screens where back leaves the app: nothing to go back to inside it.
ROOT_SCREENS = frozenset({Screen.TODAY, Screen.SIGN_IN, Screen.REVOKED})


def back_stays_in_app(state: AppState) -> bool:
    """Whether a back gesture now moves inside the app (True) or may leave it (False)."""
    return state.screen not in ROOT_SCREENS or state.confirm_leave


class SystemBack:
    """Follows the view state on the root view, and turns a back gesture into `on_back()`."""

    def __init__(self, view: ft.View, on_back: Callable[[], None]) -> None:
        self.view = view
        self.on_back = on_back
        view.can_pop = True
        view.on_confirm_pop = self._confirm_pop

    def follow(self, state: AppState) -> None:
        """Called on each render, before the page update that sends it."""
        self.view.can_pop = not back_stays_in_app(state)

    async def _confirm_pop(self, event: Any) -> None:
        try:
            self.on_back()
        finally:
            try:
                await self.view.confirm_pop(False)  # handled here: the app's one view stays
            except Exception:  # the session went away meanwhile
                logger.debug("could not answer the back gesture", exc_info=True)


GUARD_ROUTE = "/in-app/{}"  # one entry on top of the browser's history while back stays inside the app


class BrowserBack:
    """A browser's back button: the same as the system back gesture.

    The browser's history lies outside the app, whose screens are not routes. While back stays inside the app,
    one guard entry sits on top of the browser's history; the browser's back pops it, the page's route changes
    to the entry below, and `on_back()` runs; the next render puts a new guard up if back still stays inside the
    app. On Today no new guard is pushed: the next back leaves the page, as the system back leaves the app.
    """

    def __init__(self, page: ft.Page, on_back: Callable[[], None]) -> None:
        self.page = page
        self.on_back = on_back
        self.guard: str | None = None  # the guard entry on top of the browser's history, if any
        self.pushed = 0
        page.on_route_change = self._route_changed

    def follow(self, state: AppState) -> None:
        """Called on each render: a guard goes up when back now stays inside the app and none is there."""
        if self.guard is not None or not back_stays_in_app(state):
            return
        self.pushed += 1
        self.guard = GUARD_ROUTE.format(self.pushed)
        try:
            self.page.run_task(self.page.push_route, self.guard)
        except Exception:  # the session went away
            logger.debug("could not push the back guard", exc_info=True)

    def _route_changed(self, event: Any) -> None:
        if self.guard is None or event.route == self.guard:
            return  # the guard's own push, or a route the app did not ask for while none is up
        self.guard = None  # popped by the browser's back
        self.on_back()
