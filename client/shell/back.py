"""The system back gesture (Android's back button or swipe): the same as the screen's 返回.

The app draws every screen inside one Flet view (the page's root view), so Flutter's navigator has nothing to
pop: left alone, back would close the app from any screen, typing and all. Flet wraps each view in a PopScope:
with `can_pop` False and an `on_confirm_pop` handler, a back gesture on the root view is not obeyed but sent
here, and the view's `confirm_pop(False)` tells Flutter the app handled it. On Today (and the sign-in and
revoked screens) `can_pop` is True again: back leaves the app there, as Android users expect.

A browser's back button in Flet web changes the page's route instead (`on_route_change`); the app keeps no
routes, so that is not handled here.
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
