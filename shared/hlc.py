"""Hybrid logical clocks: an order of edits that follows causality even when phone clocks are wrong.

A timestamp is (wall milliseconds, counter, node). `tick` stamps a local edit; `receive` folds in a
timestamp seen from elsewhere (a pulled record), so every later local edit orders after it, however
far behind the phone's own clock is. Written as fixed-width text ("0001764201600000-00003-<node>")
so comparing the texts compares the clocks, in the database and in JSON alike.
"""

from __future__ import annotations

from dataclasses import dataclass

WALL_DIGITS = 16
COUNTER_DIGITS = 5
MAX_COUNTER = 10**COUNTER_DIGITS - 1


@dataclass(frozen=True, order=True)
class Hlc:
    wall_ms: int
    counter: int
    node: str

    def __str__(self) -> str:
        return f"{self.wall_ms:0{WALL_DIGITS}d}-{self.counter:0{COUNTER_DIGITS}d}-{self.node}"

    @classmethod
    def parse(cls, text: str) -> Hlc:
        """The clock written by `str()`; ValueError naming the expected shape otherwise."""
        wall, _, rest = text.partition("-")
        counter, _, node = rest.partition("-")
        if not (len(wall) == WALL_DIGITS and wall.isdigit() and len(counter) == COUNTER_DIGITS and counter.isdigit()):
            raise ValueError(f"not a hybrid logical clock: {text!r} (expected {WALL_DIGITS} digits-{COUNTER_DIGITS}")
        if not node:
            raise ValueError(f"not a hybrid logical clock: {text!r} (no node)")
        return cls(int(wall), int(counter), node)


def is_hlc(text: object) -> bool:
    if not isinstance(text, str) or len(text) > 120:
        return False
    try:
        Hlc.parse(text)
    except ValueError:
        return False
    return True


def _advance(wall: int, counter: int, node: str) -> Hlc:
    if counter > MAX_COUNTER:  # more than 100,000 edits in one millisecond: borrow the next millisecond
        return Hlc(wall + 1, 0, node)
    return Hlc(wall, counter, node)


def tick(last: Hlc | None, now_ms: int, node: str) -> Hlc:
    """The clock of a new local edit: after `last` and not before the wall clock."""
    if last is None or now_ms > last.wall_ms:
        return Hlc(now_ms, 0, node)
    return _advance(last.wall_ms, last.counter + 1, node)


def receive(last: Hlc | None, seen: Hlc, now_ms: int, node: str) -> Hlc:
    """The local clock after seeing `seen`: later than both, so what follows orders after what was seen."""
    wall = max(now_ms, seen.wall_ms, last.wall_ms if last else 0)
    counters = [-1]
    if last is not None and last.wall_ms == wall:
        counters.append(last.counter)
    if seen.wall_ms == wall:
        counters.append(seen.counter)
    return _advance(wall, max(counters) + 1, node)
