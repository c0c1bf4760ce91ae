"""The sign-in screen's handlers (client/features/account/sign_in.py): every outcome of 登录 reaches the form.
A CI run once saw 登录 tapped and nothing happen for 30 s; an error in the app itself (not an answer of the
server) must show in words and free the button, never leave the form silent."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from client.features.account.sign_in import SignInHandlers
from client.services import SignInFailed, SignInProblem
from client.shell.state import AppState


class FakeService:
    def __init__(self, outcome: Exception | dict[str, Any]) -> None:
        self.outcome = outcome
        self.user: dict[str, Any] | None = None
        self.server_url = "http://127.0.0.1:1"

    def sign_in(self, server_url: str, username: str, password: str) -> dict[str, Any]:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


class FakeShell:
    """What the handlers touch: the state, a page that runs the worker at once, the loop, the screens."""

    def __init__(self, service: FakeService) -> None:
        self.state = AppState()
        self.service = service
        self.ui = threading.RLock()
        self.page = SimpleNamespace(run_thread=lambda work, *args: work(*args))
        self.renders = 0
        self.went_today = False
        self.runner = SimpleNamespace(resume=lambda: None)

    def on_loop(self, work: Callable[..., None], *args: Any) -> None:
        work(*args)

    def render(self, *, by_rep: bool = True) -> None:
        self.renders += 1

    def go_today(self) -> None:
        self.went_today = True


def signed_in_with(outcome: Exception | dict[str, Any]) -> FakeShell:
    shell = FakeShell(FakeService(outcome))
    handlers = SignInHandlers(shell, after_sign_in=lambda: None)  # type: ignore[arg-type]
    form = shell.state.sign_in
    form.server_url, form.username, form.password = "http://127.0.0.1:1", "li.rep", "demo1234"
    handlers.sign_in()
    return shell


def test_an_error_in_the_app_shows_in_words_and_frees_the_button() -> None:
    shell = signed_in_with(KeyError("signing_key"))
    form = shell.state.sign_in
    assert form.busy is False
    assert form.error is not None and "本机程序出错" in form.error and "signing_key" in form.error
    assert not shell.went_today


@pytest.mark.parametrize(
    ("problem", "words"),
    [(SignInProblem.BAD_CREDENTIALS, "密码"), (SignInProblem.UNREACHABLE, "服务器"), (SignInProblem.MISSING, "")],
)
def test_a_refusal_shows_in_words_and_frees_the_button(problem: SignInProblem, words: str) -> None:
    shell = signed_in_with(SignInFailed(problem))
    assert shell.state.sign_in.busy is False
    assert shell.state.sign_in.error and words in shell.state.sign_in.error


def test_a_sign_in_goes_to_today() -> None:
    shell = signed_in_with({"id": "u1", "username": "li.rep"})
    assert shell.went_today and shell.state.user == {"id": "u1", "username": "li.rep"}
    assert shell.state.sign_in.error is None and shell.state.sign_in.password == ""
