"""Hybrid logical clocks: text order is clock order, and what is seen orders before what follows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.hlc import Hlc, is_hlc, receive, tick

HOUR_MS = 3_600_000
clocks = st.builds(Hlc, st.integers(0, 10**15), st.integers(0, 99_999), st.sampled_from(["a", "b", "server"]))


@given(clocks, clocks)
def test_comparing_the_texts_compares_the_clocks(first: Hlc, second: Hlc) -> None:
    assert (str(first) < str(second)) == (first < second)
    assert Hlc.parse(str(first)) == first


def test_tick_never_goes_back_even_when_the_wall_clock_does() -> None:
    first = tick(None, 1_000_000, "phone")
    second = tick(first, 999_000, "phone")  # the phone's clock was set back
    third = tick(second, 999_000, "phone")
    assert first < second < third


@given(st.integers(0, 10**13), st.integers(-48, 48))
def test_an_edit_after_seeing_another_orders_after_it_whatever_the_clock_skew(server_ms: int, skew_h: int) -> None:
    seen = Hlc(server_ms, 3, "server")
    phone_now = max(0, server_ms + skew_h * HOUR_MS)
    after = tick(receive(None, seen, phone_now, "phone"), phone_now, "phone")
    assert after > seen


def test_receive_moves_past_both_clocks() -> None:
    local = Hlc(5_000, 7, "phone")
    seen = Hlc(5_000, 9, "server")
    assert receive(local, seen, 1_000, "phone") == Hlc(5_000, 10, "phone")


@pytest.mark.parametrize("text", ["", "12-3-x", "0000000000001000-00001-", None, 5, "x" * 200])
def test_malformed_clocks_are_recognised(text: object) -> None:
    assert not is_hlc(text)
    if isinstance(text, str):
        with pytest.raises(ValueError, match="hybrid logical clock"):
            Hlc.parse(text)
