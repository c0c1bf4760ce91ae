"""Is this new customer one we already have? (查重) Pure Python, the same on the phone and the server.

The same village clinic gets entered several ways by several reps: 诊所 or 卫生室, full-width letters, a
township or village in front of the name, the landline with or without its area code. A customer is read
into a `Profile` once (its name without the kind word and the place names in front of it, its phone
digits, the place units of its address and name, its location); two profiles are compared by `score`,
which adds evidence for (same name, a name that sounds the same, same phone, same address, a few metres
apart) and against (another village or township, kilometres apart, a pharmacy against a clinic), each with the
reason a person reads.

A homophone typed by mistake (惠民 / 慧民: the input method offered both) is compared by toneless pinyin
(shared/pinyin.py, a 33 KB table generated from pypinyin; pypinyin itself is not needed at run time).

The weights and the threshold come from the labelled pairs in tests/unit/test_duplicates.py (precision and
recall measured there, and in docs/duplicates.md).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.i18n import t
from shared.pinyin import Sounds, sound_alike, sounds, texts_sound_alike

# A pair at or above this score is a likely duplicate: the phone warns, the server queues it.
LIKELY = 0.5

# The kind words at the end of a name, longest first, with the kind of place each says.
KIND_WORDS: tuple[tuple[str, str], ...] = tuple(
    sorted(
        {
            "社区卫生服务中心": "hospital",
            "社区卫生服务站": "clinic",
            "卫生服务站": "clinic",
            "中心卫生院": "hospital",
            "人民医院": "hospital",
            "卫生院": "hospital",
            "医院": "hospital",
            "卫生室": "clinic",
            "卫生所": "clinic",
            "医务室": "clinic",
            "门诊部": "clinic",
            "门诊": "clinic",
            "诊所": "clinic",
            "中医馆": "clinic",
            "大药房": "pharmacy",
            "药房": "pharmacy",
            "药店": "pharmacy",
            "药铺": "pharmacy",
            "医药": "pharmacy",
            "药行": "pharmacy",
        }.items(),
        key=lambda item: -len(item[0]),
    )
)
# Words that say nothing about which place it is, dropped wherever they end a name.
FILLER_SUFFIXES = ("有限责任公司", "有限公司", "连锁", "公司", "分店", "总店", "个体")

# Place units: what level each unit word names. Values are compared without their unit word (王庄村 = 王庄).
UNIT_LEVEL: dict[str, str] = {
    "省": "province",
    "自治区": "province",
    "市": "city",
    "县": "county",
    "区": "county",
    "镇": "town",
    "乡": "town",
    "街道": "town",
    "村": "village",
    "大街": "street",
    "路": "street",
    "街": "street",
    "号": "number",
}
_UNIT_WORDS = sorted(UNIT_LEVEL, key=len, reverse=True)
_UNITS = "|".join(_UNIT_WORDS)
_PLACE = re.compile(rf"(.+?)({_UNITS})")
# Levels where two different values mean two different places (a county, a township, a village).
CONFLICT_LEVELS = ("county", "town", "village")


@dataclass(frozen=True)
class Reason:
    """Why a pair scored as it did: an i18n key (shared/i18n/duplicates.py) and its values."""

    key: str
    values: tuple[tuple[str, Any], ...] = ()

    def text(self, lang: str) -> str:
        return t(self.key, lang, **dict(self.values))


@dataclass(frozen=True)
class Match:
    score: float
    reasons: tuple[Reason, ...]

    @property
    def likely(self) -> bool:
        return self.score >= LIKELY

    def text(self, lang: str) -> str:
        return "、".join(reason.text(lang) for reason in self.reasons if reason.key.startswith("duplicates.for."))


@dataclass(frozen=True)
class Profile:
    """One customer as the scorer reads it."""

    name: str  # normalised whole name
    core: str  # the name without kind word and leading place names: what tells it apart
    kind: str | None  # "clinic", "pharmacy", "hospital" from the kind word, if any
    places: Mapping[str, str]  # level -> value without unit, from the address and the name
    phones: tuple[str, ...]  # digits of each number
    lat: float | None = None
    lng: float | None = None
    sounds: Sounds = ()  # the core's pinyin key: each character's toneless readings (shared/pinyin.py)

    @property
    def chars(self) -> frozenset[str]:
        return frozenset(self.core)


def normalise(text: str | None) -> str:
    """NFKC (full-width to half-width), lower case, no spaces or punctuation."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in folded if ch.isalnum())


def place_units(text: str) -> tuple[list[tuple[str, str]], str]:
    """The place units a normalised text starts with ([(level, value)]) and what is left after them."""
    found: list[tuple[str, str]] = []
    rest = text
    while rest:
        match = _PLACE.match(rest)
        if match is None or len(match.group(1)) > 8:
            break
        value, unit = match.group(1), match.group(2)
        rest = rest[match.end() :]
        # "贾村乡", "中韩庄村" then "乡": a unit word inside a place's own name, when a unit follows at once.
        following = next((word for word in _UNIT_WORDS if rest.startswith(word)), None)
        if following is not None and UNIT_LEVEL[following] in ("county", "town"):
            value, unit, rest = value + unit, following, rest[len(following) :]
        if len(value) == 1:  # 贾村, 郭村: one character alone names nothing
            value += unit
        found.append((UNIT_LEVEL[unit], value))
    return found, rest


def _strip_name(name: str) -> tuple[str, str | None]:
    kind: str | None = None
    if name.endswith("店"):  # a branch: 百姓大药房望都店 is 百姓大药房
        for word, _ in KIND_WORDS:
            end = name.find(word) + len(word)
            if end > len(word) and end < len(name):
                name = name[:end]
                break
    changed = True
    while changed and name:
        changed = False
        for word, word_kind in KIND_WORDS:
            if name.endswith(word) and len(name) > len(word):
                name, changed = name[: -len(word)], True
                kind = kind or word_kind
                break
        else:
            for word in FILLER_SUFFIXES:
                if name.endswith(word) and len(name) > len(word):
                    name, changed = name[: -len(word)], True
                    break
    return name, kind


def phone_digits(phone: str | None) -> tuple[str, ...]:
    """Each number in a phone field as digits: +86 and a leading 86 on a mobile dropped; "0312-7212345 /
    13812345678" gives two."""
    numbers = []
    for part in re.split(r"[/,;，；、]|\s{2,}", unicodedata.normalize("NFKC", phone or "")):
        digits = re.sub(r"\D", "", part)
        if len(digits) == 13 and digits.startswith("861"):
            digits = digits[2:]
        if len(digits) >= 7:
            numbers.append(digits)
    return tuple(numbers)


def _same_phone(left: tuple[str, ...], right: tuple[str, ...]) -> bool:
    """A landline with or without its area code is the same line (the last 7 digits and the shorter one)."""
    for a in left:
        for b in right:
            short, long = sorted((a, b), key=len)
            if len(short) >= 7 and long.endswith(short):
                return True
    return False


def profile(
    name: str, address: str | None = None, phone: str | None = None, lat: Any = None, lng: Any = None
) -> Profile:
    whole = normalise(name)
    stripped, kind = _strip_name(whole)
    name_places, core = place_units(stripped)
    if not core:  # "王庄村卫生室", "城关镇卫生院": the place is the name
        core = name_places[-1][1] if name_places else stripped
    places: dict[str, str] = {}
    address_places, _ = place_units(normalise(address))
    for level, value in address_places + name_places:
        places.setdefault(level, value)
    return Profile(
        name=whole,
        core=core,
        kind=kind,
        places=places,
        phones=phone_digits(phone),
        lat=float(lat) if isinstance(lat, int | float) else None,
        lng=float(lng) if isinstance(lng, int | float) else None,
        sounds=sounds(core),
    )


def profile_of(record: Mapping[str, Any]) -> Profile:
    """A customer record (the synced dict) as a profile."""
    return profile(
        str(record.get("name") or ""),
        record.get("address"),
        record.get("phone"),
        record.get("lat"),
        record.get("lng"),
    )


def metres_between(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), metres."""
    radius = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(min(1.0, math.sqrt(h)))


def distance_reason(metres: float, key: str) -> Reason:
    if metres < 1000:
        return Reason(key, (("distance", f"{round(metres)} m"),))
    return Reason(key, (("distance", f"{metres / 1000:.1f} km"),))


def _edit_ratio(a: str, b: str) -> float:
    """1 - Levenshtein distance / longer length (names are short: the plain dynamic programme is enough)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return 1 - previous[-1] / max(len(a), len(b))


def name_similarity(a: Profile, b: Profile) -> float:
    if a.core == b.core:
        return 1.0
    (short, short_profile), (long, _) = sorted(((a.core, a), (b.core, b)), key=lambda item: len(item[0]))
    if len(short) >= 2 and short in long:
        # "东关卫生室" (the village's clinic room) is not "东关李氏诊所" (a clinic in that village): a name
        # that is only its own place says little when another name holds it.
        return 0.5 if short in short_profile.places.values() else 0.85
    return _edit_ratio(a.core, b.core)


def same_pronunciation(a: Profile, b: Profile) -> bool:
    """Two different cores of at least two characters that read alike (同音: 惠民 / 慧民, 长城 / 张城). One
    character alone (李 / 里) is too often another name."""
    return a.core != b.core and len(a.core) >= 2 and sound_alike(a.sounds, b.sounds)


def worth_scoring(a: Profile, b: Profile) -> bool:
    """Cheap prefilter: a pair with no shared character in the name, names that do not sound alike, no shared
    phone and no nearby location cannot reach `LIKELY`."""
    if a.chars & b.chars or same_pronunciation(a, b):
        return True
    if a.phones and b.phones and _same_phone(a.phones, b.phones):
        return True
    if None not in (a.lat, a.lng, b.lat, b.lng):
        return metres_between(a.lat, a.lng, b.lat, b.lng) <= 150  # type: ignore[arg-type]
    return False


def score(a: Profile, b: Profile) -> Match:
    """Evidence for and against the two being one customer; reasons "duplicates.for.*" and
    "duplicates.against.*"."""
    points, reasons = 0.0, []
    similarity = name_similarity(a, b)
    if similarity == 1.0:
        points += 0.55
        reasons.append(Reason("duplicates.for.same_name"))
    elif similarity >= 0.85:
        points += 0.5
        reasons.append(Reason("duplicates.for.name_contains"))
    elif same_pronunciation(a, b):  # just short of the same name: the same name alone is likely, and so is this
        points += 0.5
        reasons.append(Reason("duplicates.for.same_pronunciation"))
    elif similarity >= 0.6:
        points += 0.3
        reasons.append(Reason("duplicates.for.similar_name"))
    elif similarity >= 0.5:
        points += 0.15
        reasons.append(Reason("duplicates.for.similar_name"))
    if a.phones and b.phones:
        if _same_phone(a.phones, b.phones):
            points += 0.5
            reasons.append(Reason("duplicates.for.same_phone"))
        else:
            points -= 0.1
            reasons.append(Reason("duplicates.against.other_phone"))
    for level in CONFLICT_LEVELS:
        left, right = a.places.get(level), b.places.get(level)
        if left and right and left != right:
            if texts_sound_alike(left, right):  # 李庄村 / 里庄村: the same village typed by its sound, or not
                continue
            points -= 0.5
            reasons.append(Reason(f"duplicates.against.other_{level}", (("left", left), ("right", right))))
            break
    else:
        village = a.places.get("village")
        if village and village == b.places.get("village"):
            points += 0.1
            reasons.append(Reason("duplicates.for.same_village", (("village", village),)))
        street, number = a.places.get("street"), a.places.get("number")
        if street and street == b.places.get("street"):
            if number and number == b.places.get("number"):
                points += 0.2
                reasons.append(Reason("duplicates.for.same_address"))
            elif number and b.places.get("number"):
                points -= 0.15
                reasons.append(Reason("duplicates.against.other_number"))
    if None not in (a.lat, a.lng, b.lat, b.lng):
        metres = metres_between(a.lat, a.lng, b.lat, b.lng)  # type: ignore[arg-type]
        if metres <= 150:
            points += 0.25
            reasons.append(distance_reason(metres, "duplicates.for.near"))
        elif metres <= 500:
            points += 0.1
            reasons.append(distance_reason(metres, "duplicates.for.near"))
        elif metres >= 10_000:
            points -= 0.5
            reasons.append(distance_reason(metres, "duplicates.against.far"))
        elif metres >= 2_000:
            points -= 0.3
            reasons.append(distance_reason(metres, "duplicates.against.far"))
    if a.kind and b.kind and a.kind != b.kind:
        points -= 0.15
        reasons.append(Reason("duplicates.against.other_kind"))
    return Match(round(max(0.0, min(1.0, points)), 3), tuple(reasons))


def likely_duplicates(
    new: Profile, existing: Iterable[tuple[str, Profile]], *, limit: int = 5
) -> list[tuple[str, Match]]:
    """The existing customers that `new` is likely a duplicate of, best first (at most `limit`)."""
    found = []
    for record_id, other in existing:
        if not worth_scoring(new, other):
            continue
        match = score(new, other)
        if match.likely:
            found.append((record_id, match))
    found.sort(key=lambda item: -item[1].score)
    return found[:limit]
