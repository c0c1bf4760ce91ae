from shared.enums import Attitude, CustomerKind, CustomerStatus, Importance, Role, VisitType
from shared.i18n import CATALOGUE, label, t


def test_both_languages_have_the_same_keys() -> None:
    assert set(CATALOGUE["zh-CN"]) == set(CATALOGUE["en"])


def test_every_enum_member_has_a_label_in_both_languages() -> None:
    for enum in (Role, CustomerKind, CustomerStatus, Importance, VisitType, Attitude):
        for member in enum:
            for lang in ("zh-CN", "en"):
                assert label(member, lang) != f"enum.{enum.__name__}.{member.value}"


def test_lookup_defaults_to_chinese_and_never_crashes_on_a_missing_key() -> None:
    assert t("rate.completion") == "拜访完成率"
    assert t("rate.completion", "en") == "Visit completion rate"
    assert t("no.such.key", "en") == "no.such.key"
    assert label(VisitType.EARLY) == "早访"
