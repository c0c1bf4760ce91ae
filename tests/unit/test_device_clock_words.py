"""Issue #17: how far a phone's clock is off, as the phone says it (the RouteCRM-Clock-Offset header of every sync
request) and as /devices words it for a supervisor; the header's parsing refuses anything but whole seconds within
ten years. Against the real server: tests/integration/test_device_clock_offset.py."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import httpx
import pytest

from client import clock as phone_clock
from client.shell.app import measured_clock_offset
from server.domains.devices.clock import clock_state, clock_words
from shared.clock import Clock
from sync.http import HttpSyncApi
from sync.protocol import (
    CLOCK_OFFSET_HEADER,
    MAX_CLOCK_OFFSET_S,
    SCHEMA_VERSION,
    ProtocolError,
    PullRequest,
    PushRequest,
    parse_clock_offset,
)


@pytest.mark.parametrize(
    ("offset_s", "zh", "en"),
    [
        (None, "尚未测得", "not measured yet"),
        (0, "时钟准确", "clock right"),
        (30, "时钟准确", "clock right"),  # TRUSTED_SKEW: the phone keeps its own time there
        (-30, "时钟准确", "clock right"),
        (31, "时钟慢 31 秒", "clock 31 s behind"),
        (-59, "时钟快 59 秒", "clock 59 s ahead"),
        (60, "时钟慢 1 分钟", "clock 1 min behind"),
        (89, "时钟慢 1 分钟", "clock 1 min behind"),
        (90, "时钟慢 2 分钟", "clock 2 min behind"),  # halves up
        (150, "时钟慢 3 分钟", "clock 3 min behind"),  # halves up, not to the even 2
        (3569, "时钟慢 59 分钟", "clock 59 min behind"),
        (3570, "时钟慢 1 小时 0 分", "clock 1 h 0 min behind"),  # 59.5 min: never "60 min"
        (11_520, "时钟慢 3 小时 12 分", "clock 3 h 12 min behind"),
        (-11_520, "时钟快 3 小时 12 分", "clock 3 h 12 min ahead"),
        (86_369, "时钟慢 23 小时 59 分", "clock 23 h 59 min behind"),
        (86_370, "时钟慢 1 天 0 小时", "clock 1 d 0 h behind"),  # 23 h 59.5 min: never "24 h"
        (-(2 * 86_400 + 4 * 3600 + 1700), "时钟快 2 天 4 小时", "clock 2 d 4 h ahead"),
        (-MAX_CLOCK_OFFSET_S, "时钟快 3650 天 0 小时", "clock 3650 d 0 h ahead"),
    ],
)
def test_a_phones_clock_in_words_at_each_boundary(offset_s: int | None, zh: str, en: str) -> None:
    assert clock_words(offset_s, "zh-CN") == zh
    assert clock_words(offset_s, "en") == en


def test_the_clock_state_says_which_way_it_is_off() -> None:
    # The offset is the server's time minus the phone's: positive, the phone is behind (slow).
    assert [clock_state(v) for v in (None, 0, 30, -30, 31, -31)] == [
        "unknown",
        "right",
        "right",
        "right",
        "behind",
        "ahead",
    ]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("11520", 11_520), ("-11520", -11_520), ("+5", 5), (" 0 ", 0), (str(MAX_CLOCK_OFFSET_S), MAX_CLOCK_OFFSET_S)],
)
def test_the_header_is_whole_signed_seconds(text: str, seconds: int) -> None:
    assert parse_clock_offset(text) == seconds


BEYOND_TEN_YEARS = (str(MAX_CLOCK_OFFSET_S + 1), str(-MAX_CLOCK_OFFSET_S - 1))


@pytest.mark.parametrize(
    "text",
    ["", "abc", "1.5", "nan", "inf", "-inf", "1e9", "0x10", "١٢", "--5", "3 h", "9" * 13, *BEYOND_TEN_YEARS],
)
def test_a_header_that_is_not_whole_seconds_within_ten_years_is_refused_with_the_reason(text: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse_clock_offset(text)
    assert refused.value.path == CLOCK_OFFSET_HEADER
    assert "whole seconds" in refused.value.problem or "ten years" in refused.value.problem


class Recorder:
    """A server that answers every sync request and the token refresh, and keeps the requests."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/api/auth/refresh":
            return httpx.Response(200, json={"token": "new", "refresh_token": "new-refresh"})
        if len(self.requests) == 1 and request.url.path == "/api/sync/push":
            return httpx.Response(401, json={"error": {"code": "token_expired", "message": "expired"}})
        if request.url.path == "/api/sync/push":
            return httpx.Response(200, json={"results": []})
        body = {"changes": [], "cursor": 0, "has_more": False, "server_time": "2026-12-07T01:00:00+00:00"}
        return httpx.Response(200, json=body)

    def offsets(self) -> list[tuple[str, str | None]]:
        return [(request.url.path, request.headers.get(CLOCK_OFFSET_HEADER)) for request in self.requests]


def sync_requests(offset: float | None) -> list[tuple[str, str | None]]:
    recorder = Recorder()
    api = HttpSyncApi(
        "http://server.test",
        "old",
        transport=httpx.MockTransport(recorder),
        refresh_token="refresh",
        clock_offset=lambda: offset,
    )
    api.push(PushRequest("phone-1", SCHEMA_VERSION, []))
    api.pull(PullRequest(cursor=0, schema_version=SCHEMA_VERSION))
    api.close()
    for request in recorder.requests:  # the offset rides on the headers only: the bodies are the protocol's own
        if request.url.path.startswith("/api/sync/"):
            assert CLOCK_OFFSET_HEADER not in json.loads(request.content)
    return recorder.offsets()


def test_every_sync_request_says_the_phones_clock_in_whole_seconds_but_not_the_token_refresh() -> None:
    assert sync_requests(11_520.4) == [
        ("/api/sync/push", "11520"),
        ("/api/auth/refresh", None),
        ("/api/sync/push", "11520"),
        ("/api/sync/pull", "11520"),
    ]
    assert [offset for _, offset in sync_requests(-3.0)] == ["-3", None, "-3", "-3"]


@pytest.mark.parametrize("offset", [None, float("nan"), float("inf")])
def test_a_phone_that_has_not_measured_its_clock_says_nothing(offset: float | None) -> None:
    assert [offset for _, offset in sync_requests(offset)] == [None, None, None, None]


@pytest.fixture
def phone_clock_reset() -> Iterator[None]:
    phone_clock.install(Clock())
    yield
    phone_clock.install(Clock())


@pytest.mark.usefixtures("phone_clock_reset")
def test_the_app_tells_the_correction_once_a_sync_has_measured_it() -> None:
    assert measured_clock_offset() is None  # a new process, before any sync: nothing known
    phone_clock.correct_by(dt.timedelta(0))  # a pull measured the clock right
    assert measured_clock_offset() == 0
    phone_clock.correct_by(dt.timedelta(hours=3, minutes=12))
    assert measured_clock_offset() == 11_520
    phone_clock.install(Clock())  # the next start: nothing known until the store's correction or a sync
    assert measured_clock_offset() is None
