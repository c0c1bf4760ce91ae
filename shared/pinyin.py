"""Toneless pinyin, to tell that two names sound alike (查重: 惠民 typed as 慧民, 李庄 as 里庄).

Pure Python, the same on the phone and the server: the readings come from shared/pinyin_table.py, a table of
GB2312's 6,763 hanzi generated once from pypinyin by scripts/make_pinyin_table.py (pypinyin itself is not a
runtime dependency). A heteronym has all its readings (长: chang, zhang) and two texts sound alike when each
position has a reading in common, whichever reading each character takes. A character outside the table
(a rare hanzi, a letter, a digit) is read as itself.
"""

from __future__ import annotations

from functools import cache

from shared.pinyin_table import TABLE

Sounds = tuple[frozenset[str], ...]


@cache
def _readings() -> dict[str, frozenset[str]]:
    """Character -> its readings, built from the table at first use (a few milliseconds)."""
    found: dict[str, list[str]] = {}
    for entry in TABLE:
        syllable, chars = entry.split(" ")
        for char in chars:
            found.setdefault(char, []).append(syllable)
    shared: dict[frozenset[str], frozenset[str]] = {}  # one set object per distinct reading set
    return {char: shared.setdefault(frozenset(syllables), frozenset(syllables)) for char, syllables in found.items()}


def readings(char: str) -> frozenset[str]:
    """The toneless readings of one character: 长 -> {chang, zhang}; outside the table, the character."""
    return _readings().get(char) or frozenset((char,))


def sounds(text: str) -> Sounds:
    """The pinyin key of a text: the readings of each of its characters, in order."""
    table = _readings()
    return tuple(table.get(char) or frozenset((char,)) for char in text)


def sound_alike(left: Sounds, right: Sounds) -> bool:
    """Read alike: as many characters, and each pair of them has a reading in common (any combination of a
    heteronym's readings: 长城 sounds like 张城 and like 常城)."""
    return bool(left) and len(left) == len(right) and all(a & b for a, b in zip(left, right, strict=True))


def texts_sound_alike(left: str, right: str) -> bool:
    return len(left) == len(right) and sound_alike(sounds(left), sounds(right))
