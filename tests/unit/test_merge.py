"""Field-by-field merge of a customer's archive (sync.merge): sequential edits apply, concurrent ones keep
the loser, and a rep never overwrites a supervisor's field."""

from __future__ import annotations

from typing import Any

from shared.hlc import Hlc
from sync.merge import FieldMerge, merge_fields

SUPERVISOR = frozenset({"importance"})


def clock(ms: int, node: str = "phone") -> str:
    return str(Hlc(ms, 0, node))


def merge(incoming: dict[str, Any], op_clock: str, base: dict[str, str], *, rep: bool = True) -> list[FieldMerge]:
    current = {"phone": "0312-1111111", "importance": "normal"}
    clocks = {"phone": clock(1_000, "server"), "importance": clock(1_000, "server")}
    return merge_fields(current, clocks, incoming, op_clock, base, supervisor_fields=SUPERVISOR, writer_is_rep=rep)


def test_an_edit_of_the_value_it_saw_applies_even_with_an_older_wall_clock() -> None:
    [result] = merge({"phone": "0312-2222222"}, clock(10), {"phone": clock(1_000, "server")})
    assert result.apply and not result.conflict
    assert result.kept == "0312-2222222"


def test_concurrent_edits_the_later_wins_and_the_loser_is_kept() -> None:
    [result] = merge({"phone": "0312-3333333"}, clock(2_000), {"phone": clock(500, "server")})
    assert result.apply and result.conflict
    assert (result.kept, result.lost) == ("0312-3333333", "0312-1111111")


def test_concurrent_edits_the_earlier_loses_and_is_kept() -> None:
    [result] = merge({"phone": "0312-4444444"}, clock(900), {})
    assert not result.apply and result.conflict
    assert (result.kept, result.lost, result.lost_clock) == ("0312-1111111", "0312-4444444", clock(900))


def test_concurrent_edits_to_the_same_value_agree() -> None:
    [result] = merge({"phone": "0312-1111111"}, clock(900), {})
    assert not result.conflict


def test_a_rep_never_overwrites_a_supervisors_field_concurrently_even_later() -> None:
    [result] = merge({"importance": "key"}, clock(99_000), {})
    assert not result.apply and result.conflict and result.lost == "key"
    [by_supervisor] = merge({"importance": "key"}, clock(99_000, "server"), {}, rep=False)
    assert by_supervisor.apply


def test_a_rep_may_change_a_supervisors_field_they_saw() -> None:
    [result] = merge({"importance": "key"}, clock(2_000), {"importance": clock(1_000, "server")})
    assert result.apply and not result.conflict


def test_a_new_field_has_nothing_to_conflict_with() -> None:
    [result] = merge({"address": "望都县城关镇"}, clock(5), {})
    assert result.apply and not result.conflict
