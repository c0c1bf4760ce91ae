"""The account feature's sign-in handlers: 登录 in a worker thread (the network call never blocks the page),
its refusals in words, and after it the first sync (or first the PIN, client/shell/lock.py). The shell is
reached through client/shell/protocol.py."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from client.services import SignInFailed, SignInProblem
from client.shell.protocol import Shell
from client.shell.state import Screen
from shared.i18n import t

logger = logging.getLogger(__name__)


class SignInHandlers:
    """The sign-in screen, and the way back to it when the server wants the rep to sign in again."""

    def __init__(self, shell: Shell, after_sign_in: Callable[[], Callable[[], bool] | None]) -> None:
        self.shell = shell
        self.service = shell.service
        # Set by the PIN lock: after the first sign-in it may take over to have a PIN set (it returns True).
        self._after_sign_in = after_sign_in

    def to_sign_in(self, message: str | None) -> None:
        with self.shell.ui:
            user = self.service.user or {}
            self.shell.state.sign_in.server_url = self.service.server_url
            self.shell.state.sign_in.username = self.shell.state.sign_in.username or str(user.get("username") or "")
            self.shell.state.sign_in.password = ""
            self.shell.state.sign_in.error = message
            self.shell.state.sign_in.busy = False
            self.shell.state.history.clear()
            self.shell.show(Screen.SIGN_IN)

    def sign_in(self) -> None:
        form = self.shell.state.sign_in
        if form.busy:
            return
        form.busy, form.error = True, None
        self.shell.render()
        # Event handlers run on the page's loop: the network call goes to a worker thread.
        self.shell.page.run_thread(self._sign_in_worker, form.server_url, form.username, form.password)

    def _sign_in_worker(self, server_url: str, username: str, password: str) -> None:
        logger.info("signing in to %s as %s", server_url, username)
        try:
            user = self.service.sign_in(server_url, username, password)
        except SignInFailed as failure:
            logger.info("sign-in refused: %s", failure)
            self.shell.on_loop(self._sign_in_failed, failure)
            return
        except Exception as error:  # a bug must not leave the form silent: the rep sees it, the log has it
            logger.exception("sign-in failed")
            self.shell.on_loop(self._sign_in_failed, SignInFailed(SignInProblem.BROKEN, repr(error)))
            return
        logger.info("signed in as %s", username)
        self.shell.on_loop(self._signed_in, user)

    def _sign_in_failed(self, failure: SignInFailed) -> None:
        form, lang = self.shell.state.sign_in, self.shell.state.lang
        form.busy = False
        form.error = {
            SignInProblem.BAD_CREDENTIALS: t("client.signin.bad_credentials", lang),
            SignInProblem.UNREACHABLE: t("client.signin.unreachable", lang),
            SignInProblem.MISSING: t("client.signin.missing", lang),
            SignInProblem.OTHER_USER: t("client.signin.other_user", lang, name=failure.message),
            SignInProblem.BROKEN: t("client.signin.broken", lang, message=failure.message),
        }.get(failure.problem) or t("client.signin.refused", lang, message=failure.message)
        self.shell.render()

    def _signed_in(self, user: dict[str, Any]) -> None:
        form = self.shell.state.sign_in
        form.busy, form.password = False, ""
        self.shell.state.user = user
        after_sign_in = self._after_sign_in()
        if after_sign_in is not None and after_sign_in():
            return  # a PIN is set first (client/shell/lock.py)
        self.shell.runner.resume()  # the first sync starts now, in the background
        self.shell.go_today()
