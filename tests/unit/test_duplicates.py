"""Duplicate scoring (shared/duplicates.py) on a labelled set of realistic pairs: the same customer entered
twice by different reps (true pairs, some typed by their sound: 慧民 for 惠民), and different customers that look
alike (near-misses: a chain's two branches, 城关镇卫生院 in two counties, neighbouring villages' clinics, names
that sound the same in two townships). Precision and recall are printed (`pytest -s`) and held above the
minimums docs/duplicates.md justifies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.duplicates import (
    LIKELY,
    Profile,
    likely_duplicates,
    metres_between,
    name_similarity,
    normalise,
    phone_digits,
    profile,
    score,
)
from shared.pinyin import readings, sounds, texts_sound_alike

W = "河北省保定市望都县"
BASE = (38.7076, 115.1550)  # 望都县城


def at(north_m: float, east_m: float) -> tuple[float, float]:
    """A point `north_m` / `east_m` metres from the county seat."""
    return BASE[0] + north_m / 111_000, BASE[1] + east_m / 86_700


def c(name: str, address: str = "", phone: str = "", where: tuple[float, float] | None = None) -> Profile:
    lat, lng = where if where else (None, None)
    return profile(name, address, phone, lat, lng)


# The same customer, its name typed by its sound (the input method offered both): 慧民 for 惠民, 里庄 for 李庄.
HOMOPHONE_PAIRS: list[tuple[Profile, Profile]] = [
    (c("惠民诊所", f"{W}赵庄乡赵庄村"), c("慧民诊所", "赵庄乡赵庄村")),
    (c("李庄村卫生室", f"{W}寺庄乡李庄村"), c("里庄卫生室", "寺庄乡李庄村")),
    (c("李庄村卫生室"), c("里庄村卫生室")),
    (c("惠民药店"), c("会民大药房")),
    (c("康泰大药房", phone="13812340000"), c("康太药店", phone="138 1234 0000")),
    (c("仁和堂药店", f"{W}望都镇大街 12 号"), c("人和堂药店", "望都镇大街12号")),
    (c("济生药店", where=at(0, 0)), c("继生大药房", where=at(40, 10))),
    (c("长城诊所", "望都镇东关村"), c("张城诊所", "望都镇东关村")),
    (c("益康大药房", f"{W}赵庄乡商业街 45 号"), c("亿康药房", "赵庄乡商业街45号")),
    (c("德仁堂药店"), c("得仁堂药店")),
    (c("韩家营村卫生室", "高岭乡韩家营村"), c("韩佳营卫生室", "高岭乡韩家营村")),
    (c("同济堂药店", phone="15930218877"), c("同记堂药店", phone="15930218877")),
]

# The same customer, entered twice.
TRUE_PAIRS: list[tuple[Profile, Profile]] = [
    (c("王庄村卫生室", f"{W}寺庄乡王庄村"), c("王庄卫生室", "寺庄乡王庄村")),
    (c("寺庄乡王庄村卫生室"), c("王庄村卫生室", "望都县寺庄乡王庄村")),
    (c("仁和堂药店", f"{W}望都镇大街 12 号"), c("仁和堂大药房", "望都镇大街12号")),
    (c("康泰大药房"), c("康泰 大药房")),
    (c("百姓大药房（望都店）", f"{W}望都镇新华路 8 号"), c("百姓大药房", "望都镇新华路8号")),
    (c("东关李氏诊所", f"{W}望都镇东关村"), c("东关村李氏诊所", "望都镇东关村")),
    (c("李氏诊所", phone="13812345678"), c("李氏卫生室", phone="138 1234 5678")),
    (c("固店镇卫生院"), c("固店乡卫生院")),
    (c("望都县固店镇卫生院", f"{W}固店镇政府街 3 号"), c("固店卫生院", "固店镇政府街3号")),
    (c("刘庄村卫生室", phone="+86 139 0312 4455"), c("刘庄卫生室", phone="13903124455")),
    (c("张记诊所", phone="0312-7212345"), c("东马庄张大夫诊所", phone="7212345")),
    (c("济生药店", where=at(0, 0)), c("济生大药房", where=at(30, 20))),
    (c("ＨＭ惠民药店"), c("HM惠民药店")),
    (c("惠民药店", f"{W}赵庄乡赵庄村"), c("赵庄惠民药店", f"{W}赵庄乡赵庄村")),
    (c("北韩庄村卫生室", where=at(-5000, 6000)), c("北韩庄卫生室", where=at(-5040, 6010))),
    (c("中韩庄乡卫生院", phone="0312-7261234"), c("中韩庄卫生院", phone="03127261234")),
    (c("柳陀村卫生所"), c("柳陀村卫生室")),
    (c("石庄王氏诊所", f"{W}中韩庄乡石庄村"), c("王氏诊所", f"{W}中韩庄乡石庄村")),
    (c("贤城村卫生室", where=at(-4400, -6500)), c("寺庄乡贤城村卫生室", where=at(-4420, -6480))),
    (c("同济堂药店", phone="15930218877"), c("同济堂医药", phone="159-3021-8877")),
    (c("益康大药房", f"{W}赵庄乡商业街 45 号"), c("益康药房", "赵庄乡商业街45号")),
    (c("福瑞堂药店", where=at(100, 100)), c("福瑞堂大药房连锁", where=at(160, 120))),
    (c("南贾村卫生室", "赵庄乡南贾村", "13733219090"), c("南贾卫生室", "", "13733219090")),
    (c("西白尧村卫生室"), c("西白尧卫生室")),
    (c("韩家营村卫生室", where=at(0, -9500)), c("韩家营卫生室", where=at(20, -9490))),
    (c("黑堡乡卫生院"), c("黑堡卫生院", "望都县黑堡乡")),
    (c("孟庄赵氏诊所", f"{W}黑堡乡孟庄村", "18631245566"), c("孟庄村赵大夫诊所", "黑堡乡孟庄村", "18631245566")),
    (c("北石桥村卫生室"), c("北石桥村卫生所", "黑堡乡北石桥村")),
    (c("小王庄村卫生室", f"{W}黑堡乡小王庄村"), c("小王庄卫生室", "黑堡乡小王庄村")),
    (c("贾村乡卫生院", where=at(8300, -2600)), c("贾村卫生院", where=at(8310, -2590))),
    (c("北苑村卫生室", phone="0312 7288 001"), c("北苑卫生室", phone="7288001")),
    (c("高岭乡中心卫生院"), c("高岭乡卫生院")),
    (c("马坊村卫生室", f"{W}高岭乡马坊村"), c("马坊卫生室", "高岭乡马坊村")),
    (c("史家庄 卫生室"), c("史家庄村卫生室")),
    (c("李家庄村卫生室", "高岭乡李家庄村"), c("李家庄卫生室", "望都县高岭乡李家庄村")),
    (c("仁济诊所", where=at(300, 400)), c("仁济门诊", where=at(330, 380))),
    (c("德仁堂药店", "望都镇建设路 102 号"), c("德仁堂大药房", "望都镇建设路102号")),
    (c("望都县城东社区卫生服务站"), c("城东社区卫生服务站")),
    (c("城关仁和堂药店", f"{W}望都镇大街 12 号"), c("仁和堂药店", "")),
    (c("东阳村卫生室", phone="13012345678"), c("东阳卫生室", phone="130-1234-5678")),
    (c("大马庄村卫生室", where=at(-3000, -8000)), c("大马庄卫生室")),
    (c("固店村卫生室", f"{W}固店镇固店村"), c("固店卫生室", "固店镇固店村")),
    (c("吕家庄村卫生室"), c("吕家庄卫生室")),
    (c("杨各庄村卫生室", phone="0312-7255123"), c("杨各庄卫生室", phone="7255123")),
    (c("郭村卫生室", where=at(12000, 3300)), c("郭村卫生所", where=at(12030, 3310))),
    # A village has one 卫生室: the same name in the same village with another phone (the doctor's mobile).
    (c("柳陀村卫生室", phone="13100001111"), c("柳陀村卫生室", "望都县中韩庄乡柳陀村", "13722223333")),
    *HOMOPHONE_PAIRS,
]

# Names that sound the same, and something says they are two places (another township, kilometres apart,
# a clinic against a pharmacy, another street number, other phones and nothing else).
HOMOPHONE_NEAR_MISSES: list[tuple[Profile, Profile]] = [
    (c("惠民药店", "赵庄乡商业街 3 号"), c("慧民药店", "贾村乡商业街 3 号")),
    (c("李庄村卫生室", where=at(0, 0)), c("里庄村卫生室", where=at(12000, 0))),
    (c("惠民诊所", f"{W}赵庄乡赵庄村"), c("慧民诊所", f"{W}黑堡乡孟庄村")),
    (c("惠民诊所"), c("慧民药店")),
    (c("仁和堂药店", f"{W}固店镇大街 5 号"), c("人和堂药店", f"{W}望都镇大街 12 号")),
    (c("长城诊所", where=at(0, 0)), c("张城诊所", where=at(3000, 0))),
    (c("刘庄村卫生室", f"{W}固店镇刘庄村"), c("留庄村卫生室", f"{W}寺庄乡留庄村")),
    (c("惠民诊所", phone="13811112222"), c("慧民诊所", phone="13933334444")),
    (c("济生药店", "望都镇建设路 102 号"), c("继生药店", "望都镇建设路 7 号")),
    (c("大王庄村卫生室", "寺庄乡大王庄村"), c("大旺庄村卫生室", "黑堡乡大旺庄村")),
]

# Different customers that look alike.
NEAR_MISSES: list[tuple[Profile, Profile]] = [
    (c("城关镇卫生院", f"{W}城关镇"), c("城关镇卫生院", "河北省保定市清苑区城关镇")),
    (c("城关镇卫生院", where=at(0, 0)), c("城关镇卫生院", where=at(30000, 2000))),
    (c("王庄村卫生室", "寺庄乡王庄村"), c("小王庄村卫生室", "黑堡乡小王庄村")),
    (c("东马庄村卫生室"), c("西马庄村卫生室")),
    (c("仁和堂药店", f"{W}固店镇大街 5 号"), c("仁和堂药店", f"{W}望都镇大街 12 号")),
    (c("李氏诊所", f"{W}望都镇东关村"), c("李氏诊所", f"{W}望都镇南关村")),
    (c("张氏诊所", "寺庄乡王庄村"), c("王氏诊所", "寺庄乡王庄村")),
    (c("南贾村卫生室"), c("北贾村卫生室")),
    (c("北石桥村卫生室"), c("南石桥村卫生室")),
    (c("东韩庄村卫生室"), c("中韩庄村卫生室")),
    (c("百姓大药房", "望都镇新华路 8 号"), c("百姓大药房", "望都镇新华路 90 号")),
    (c("康泰大药房", where=at(0, 0)), c("康泰大药房", where=at(2500, 0))),
    (c("固店镇卫生院"), c("固店村卫生室")),
    (c("高岭村卫生室"), c("西高岭村卫生室")),
    (c("贾村卫生室"), c("西贾村卫生室")),
    (c("刘庄村卫生室", f"{W}固店镇刘庄村"), c("刘家庄村卫生室", f"{W}寺庄乡刘家庄村")),
    (c("惠民药店", "赵庄乡商业街 3 号"), c("惠民药店", "贾村乡商业街 3 号")),
    (c("济生药店", phone="13811112222"), c("济生堂诊所", phone="13933334444")),
    (c("赵庄村卫生室"), c("赵庄乡卫生院", "望都县赵庄乡政府街 1 号")),
    (c("南关村卫生室", where=at(-800, 0)), c("北关村卫生室", where=at(800, 0))),
    (c("东白尧村卫生室"), c("西白尧村卫生室")),
    (c("大白尧村卫生室"), c("东白尧村卫生室")),
    (c("马坊村卫生室", "高岭乡马坊村"), c("大马庄村卫生室", "寺庄乡大马庄村")),
    (c("孟庄村卫生室"), c("石庄村卫生室")),
    (c("同济堂药店", where=at(0, 0)), c("同济堂药店", where=at(0, 15000))),
    (c("福瑞堂药店", f"{W}望都镇"), c("福瑞堂药店", f"{W}固店镇")),
    (c("益康大药房", phone="15912345678"), c("益民大药房", phone="15987654321")),
    (c("仁济诊所", "望都镇东关村"), c("仁爱诊所", "望都镇东关村")),
    (c("中韩庄乡卫生院"), c("中韩庄村卫生室")),
    (c("城东村卫生室"), c("城东社区卫生服务中心")),
    (c("王氏诊所", f"{W}寺庄乡王庄村"), c("王氏诊所", f"{W}黑堡乡孟庄村")),
    (c("韩家营村卫生室"), c("韩家庄村卫生室")),
    (c("杨各庄村卫生室"), c("杨庄村卫生室", "赵庄乡杨庄村")),
    (c("德仁堂药店", "望都镇建设路 102 号"), c("德仁堂药店", "望都镇建设路 7 号")),
    (c("北苑村卫生室"), c("南苑村卫生室")),
    (c("史家庄村卫生室"), c("李家庄村卫生室")),
    (c("辛庄村卫生室", "贾村乡辛庄村"), c("南辛庄村卫生室", "寺庄乡南辛庄村")),
    (c("康泰大药房", f"{W}望都镇大街 1 号"), c("康泰大药房", "保定市满城区大街 1 号")),
    (c("石庄村卫生室", where=at(0, 0)), c("石庄村卫生室", where=at(0, 40000))),
    (c("沟里村卫生室"), c("黑堡村卫生室")),
    (c("李氏诊所", where=at(0, 0)), c("李氏诊所", where=at(3000, 0))),
    (c("寺庄乡卫生院"), c("赵庄乡卫生院")),
    (c("黑堡乡卫生院"), c("黑堡村卫生室", "黑堡乡黑堡村")),
    # The village's clinic room and a private clinic in the same village (the e2e test met this pair).
    (c("东关 卫生所", "望都镇东关村"), c("东关李氏诊所", f"{W}望都镇东关村")),
    (c("固店村卫生室"), c("固店赵氏诊所", f"{W}固店镇固店村")),
    *HOMOPHONE_NEAR_MISSES,
]

# Justified in docs/duplicates.md: a missed duplicate costs a merge later; a false alarm costs one tap
# (仍然新建) on the phone and one 不是重复 on the web. Recall first, then precision.
MIN_RECALL = 0.9
MIN_PRECISION = 0.9


def test_labelled_pairs_precision_and_recall() -> None:
    caught = [pair for pair in TRUE_PAIRS if score(*pair).likely]
    false_alarms = [pair for pair in NEAR_MISSES if score(*pair).likely]
    recall = len(caught) / len(TRUE_PAIRS)
    precision = len(caught) / (len(caught) + len(false_alarms))
    missed = [(a.name, b.name, score(a, b)) for a, b in TRUE_PAIRS if not score(a, b).likely]
    alarms = [(a.name, b.name, score(a, b)) for a, b in false_alarms]
    print(
        f"\nduplicates: {len(TRUE_PAIRS)} true pairs, {len(NEAR_MISSES)} near-misses; "
        f"recall {recall:.3f}, precision {precision:.3f}\nmissed: {missed}\nfalse alarms: {alarms}"
    )
    assert len(TRUE_PAIRS) >= 40 and len(NEAR_MISSES) >= 40
    assert recall >= MIN_RECALL, missed
    assert precision >= MIN_PRECISION, alarms


@pytest.mark.parametrize("pair", HOMOPHONE_PAIRS, ids=lambda pair: f"{pair[0].name}-{pair[1].name}")
def test_a_name_typed_by_its_sound_is_a_likely_duplicate_and_says_so(pair: tuple[Profile, Profile]) -> None:
    match = score(*pair)
    assert match.likely, match
    assert match.text("zh-CN").startswith("同音")
    assert score(pair[1], pair[0]).score == match.score


@pytest.mark.parametrize("pair", HOMOPHONE_NEAR_MISSES, ids=lambda pair: f"{pair[0].name}-{pair[1].name}")
def test_the_same_sound_is_outweighed_by_evidence_of_two_places(pair: tuple[Profile, Profile]) -> None:
    match = score(*pair)
    assert "duplicates.for.same_pronunciation" in [reason.key for reason in match.reasons]
    assert not match.likely, match


def test_the_same_sound_alone_counts_as_much_as_the_same_name_nearly() -> None:
    alone = score(c("惠民诊所"), c("慧民诊所"))
    assert alone.score == 0.5 and alone.likely
    assert [reason.text("zh-CN") for reason in alone.reasons] == ["同音"]
    assert [reason.text("en") for reason in alone.reasons] == ["same pronunciation"]
    assert score(c("惠民诊所"), c("惠民诊所")).score > alone.score  # the same name says a little more
    # One character is too often another name (李 / 里); sounds that differ in one place are not alike.
    assert not score(c("李诊所"), c("里诊所")).likely
    assert not score(c("惠民诊所"), c("惠明诊所")).likely  # min / ming
    # A village typed by its sound is neither for nor against: 李庄村 is not "another village" than 里庄村.
    reasons = [reason.key for reason in score(c("李庄村卫生室"), c("里庄村卫生室")).reasons]
    assert reasons == ["duplicates.for.same_pronunciation"]


def test_a_homophone_with_no_character_in_common_is_still_scored() -> None:
    new = c("惠民药店")
    found = likely_duplicates(new, [("a", c("会敏药店")), ("b", c("百姓大药房")), ("c", c("惠民药店", "贾村乡"))])
    assert [record_id for record_id, _ in found] == ["c", "a"]


def test_the_pinyin_table_covers_gb2312_with_every_reading() -> None:
    from shared.pinyin import _readings
    from shared.pinyin_table import TABLE

    gb2312 = [bytes((row, cell)).decode("gb2312", "ignore") for row in range(0xB0, 0xF8) for cell in range(0xA1, 0xFF)]
    hanzi = [char for char in gb2312 if char]
    assert len(hanzi) == 6763
    assert set(hanzi) <= set(_readings())
    assert readings("长") == {"chang", "zhang"}  # heteronyms: every reading
    assert readings("行") == {"xing", "hang", "heng"}
    assert readings("重") >= {"zhong", "chong"}
    assert readings("绿") >= {"lv"}  # ü is written v, as pypinyin's NORMAL style does
    assert readings("惠") == readings("慧") == {"hui"}
    # Outside the table (a rare hanzi, a letter, a digit): the character itself.
    assert readings("𠀀") == {"𠀀"} and readings("h") == {"h"} and readings("7") == {"7"}
    assert sounds("hm惠民") == (frozenset("h"), frozenset("m"), frozenset({"hui"}), frozenset({"min"}))
    assert texts_sound_alike("长城", "张城") and texts_sound_alike("长城", "常城")
    assert not texts_sound_alike("长城", "长城镇") and not texts_sound_alike("东马庄", "西马庄")
    assert not texts_sound_alike("", "")  # nothing to hear is not a homophone
    # Small enough for the phone: the table's source is under 100 KB (docs/duplicates.md gives its size).
    import shared.pinyin_table

    assert Path(shared.pinyin_table.__file__).stat().st_size < 100_000
    assert all(len(entry.split(" ")) == 2 for entry in TABLE)


def test_the_phone_and_the_server_compare_sounds_without_pypinyin() -> None:
    """pypinyin only generated the table (scripts/make_pinyin_table.py): the scorer never imports it."""
    import subprocess
    import sys

    code = "import sys, shared.duplicates as d; d.score(d.profile('惠民'), d.profile('慧民'))"
    code += "; print('pypinyin' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert ran.stdout.strip() == "False"


@pytest.mark.parametrize("pair", TRUE_PAIRS[:6], ids=lambda pair: f"{pair[0].name}-{pair[1].name}")
def test_a_pair_scores_the_same_both_ways(pair: tuple[Profile, Profile]) -> None:
    assert score(*pair).score == score(pair[1], pair[0]).score


def test_names_are_normalised() -> None:
    assert normalise("ＨＭ　惠民 药店（东关）") == "hm惠民药店东关"
    assert profile("寺庄乡王庄村卫生室").core == "王庄"
    assert profile("王庄卫生室").core == "王庄"
    assert profile("城关镇卫生院").core == "城关"
    assert profile("百姓大药房连锁有限公司").core == "百姓"
    assert profile("仁和堂大药房").kind == "pharmacy"
    assert name_similarity(profile("仁和堂药店"), profile("城关仁和堂大药房")) == 0.85


def test_phone_digits() -> None:
    assert phone_digits("+86 138-1234-5678") == ("13812345678",)
    assert phone_digits("0312-7212345 / 13812345678") == ("03127212345", "13812345678")
    assert phone_digits("无") == ()


def test_reasons_read_as_a_person_would() -> None:
    a = c("济生药店", "", "13812345678", at(0, 0))
    b = c("济生大药房", "", "138 1234 5678", at(80, 0))
    match = score(a, b)
    assert match.text("zh-CN") == "同名、电话相同、相距 80 m"
    assert match.text("en") == "same name, same phone, 80 m apart".replace(", ", "、")
    far = score(c("城关镇卫生院", where=at(0, 0)), c("城关镇卫生院", where=at(12_300, 0)))
    assert not far.likely
    assert [reason.text("zh-CN") for reason in far.reasons] == ["同名", "相距 12.3 km"]


def test_great_circle_distance() -> None:
    assert metres_between(*at(0, 0), *at(1000, 0)) == pytest.approx(1000, rel=0.01)
    assert metres_between(39.9042, 116.4074, 31.2304, 121.4737) == pytest.approx(1_067_000, rel=0.01)


def test_likely_duplicates_of_two_thousand_local_customers_is_fast() -> None:
    import time

    customers: list[tuple[str, dict[str, Any]]] = []
    for i in range(2000):
        customers.append(
            (f"c{i}", {"name": f"第{i}村卫生室", "address": f"{W}某乡第{i}村", "phone": f"1380000{i:04d}"})
        )
    customers.append(("target", {"name": "王庄村卫生室", "address": f"{W}寺庄乡王庄村"}))
    from shared.duplicates import profile_of

    started = time.perf_counter()
    profiles = [(record_id, profile_of(record)) for record_id, record in customers]
    found = likely_duplicates(profile("王庄卫生室", "寺庄乡王庄村"), profiles)
    elapsed = time.perf_counter() - started
    assert [record_id for record_id, _ in found] == ["target"]
    assert found[0][1].score >= LIKELY
    assert elapsed < 1.0, elapsed
