"""The scrubber of the public text (dispatch.scrubbing), form by form, at its limits, and over the
corpus of personal data in many spellings kept in tests/data/pii_corpus.json."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from dispatch.scrubbing import (
    EMAIL_MARK, HANDLE_MARK, ID_MARK, NAME_MARK, NUMBER_MARK, PHONE_MARK, NameBook, Names,
    Scrubber, normalize, scrub,
)
from tests.unit.ids import ascii_id

CORPUS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "data" / "pii_corpus.json").read_text(encoding="utf-8"))
RECORD_NAMES = [n for u in CORPUS["records"]["users"] for n in (u["display_name"], u["username"])
                ] + [n for s in CORPUS["records"]["sites"] for n in (s["name"], s["address"])]
_NUMERALS = str.maketrans("〇零一二三四五六七八九幺", "001234567891")


def collapse(text: str) -> str:
    """What a reader could still piece a secret together from: NFKC, digits of every script
    as ASCII, Chinese numerals as digits, lower case, letters and digits only."""
    text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c
                   for c in unicodedata.normalize("NFKC", text))
    return "".join(c for c in text.translate(_NUMERALS).lower() if c.isalnum())


# -- the corpus --------------------------------------------------------------------------------
def test_the_corpus_is_wide() -> None:
    assert len(CORPUS["personal"]) >= 100 and len(CORPUS["survives"]) >= 50


@pytest.mark.parametrize("entry", CORPUS["personal"], ids=lambda e: ascii_id(e["form"]))
def test_no_secret_of_the_corpus_survives(entry: dict[str, Any]) -> None:
    out = scrub(entry["text"], RECORD_NAMES) or ""
    for secret in entry["secrets"]:
        assert collapse(secret) not in collapse(out), (entry["text"], out)
    assert "[" in out  # a mark says where something went


@pytest.mark.parametrize("text", CORPUS["survives"])
def test_dates_times_category_words_and_ordinary_text_survive(text: str) -> None:
    assert scrub(text, RECORD_NAMES) == normalize(text)


def test_the_whole_corpus_in_one_text_leaves_no_secret() -> None:
    """Entries side by side do not shield one another."""
    text = "；".join(e["text"] for e in CORPUS["personal"])
    out = collapse(scrub(text, RECORD_NAMES) or "")
    for entry in CORPUS["personal"]:
        for secret in entry["secrets"]:
            assert collapse(secret) not in out, entry["form"]


# -- numbers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("number", [
    "13812345678", "19912345678", "138 1234 5678", "138-1234-5678", "+8613812345678",
    "+86 13812345678", "+86-138-1234-5678", "0086 13812345678", "008613812345678",
    "0391-6612345", "0391 66123456", "03916612345", "(0391)6612345", "(0391) 6612345",
    "（0391）66123456", "010-22345678", "6612345", "66123456", "400-123-4567",
])
def test_phone_numbers_in_every_common_form_go_as_phones(number: str) -> None:
    assert scrub(f"请联系{number}谢谢") == f"请联系{PHONE_MARK}谢谢"


@pytest.mark.parametrize("text", [
    "12345678901234",  # too long for a phone
    "54321", "123456", "0123456", "1381234567", "138123456789", "4108811990010112345",
])
def test_other_runs_of_five_digits_or_more_go_as_numbers(text: str) -> None:
    assert scrub(f"编号{text}号") == f"编号{NUMBER_MARK}号"


def test_four_digits_stay_and_five_go() -> None:
    assert scrub("共5432人") == "共5432人"
    assert scrub("共54321人") == f"共{NUMBER_MARK}人"


def test_up_to_three_separators_join_digits_and_four_do_not() -> None:
    assert scrub("543   21") == NUMBER_MARK
    assert scrub("543    21") == "543    21"
    assert scrub("5-4/3.2") == "5-4/3.2"  # four digits, whatever joins them
    assert scrub("5-4-3/2.1") == NUMBER_MARK


def test_six_chinese_numerals_stay_and_seven_go() -> None:
    assert scrub("一二三四五六") == "一二三四五六"
    assert scrub("一二三四五六七") == NUMBER_MARK


def test_public_hotlines_stay_unless_glued_to_letters() -> None:
    assert scrub("打12345或95598") == "打12345或95598"
    assert scrub("豫U12345") == f"豫U{NUMBER_MARK}"


@pytest.mark.parametrize("text", [
    "2026-12-07", "2026/12/7", "2026.12.07", "2026-12", "2026-12-07 08:00", "2026-12-07T08:00:00",
    "2026-12-07至2026-12-14", "12:30", "10:00-11:00", "8:00~12:00", "08:30 - 17:30",
    "2026年12月7日", "1999-01-31",
])
def test_dates_and_times_stay(text: str) -> None:
    assert scrub(f"于{text}到场") == f"于{text}到场"


@pytest.mark.parametrize("text", [
    "2026-12-07 13812345678",  # a date with a number glued on through a space
    "2026-12-07-5678", "12:30 13812345678", "2026-13-07", "2026-12-32",
])
def test_a_date_with_digits_glued_to_it_or_no_date_at_all_goes(text: str) -> None:
    assert (scrub(text) or "").count("[") >= 1 and "5678" not in (scrub(text) or "")


def test_id_cards_go_whole_with_their_x_and_split_ones_too() -> None:
    for number in ("410881199001011234", "41088119900101123X", "41088119900101123x",
                   "410881 19900101 123X", "4108-8119-9001-0112-3x",
                   "４１０８８１１９９００１０１１２３Ｘ"):
        assert scrub(f"身份证{number}号") == f"身份证{ID_MARK}号", number
    assert ID_MARK not in (scrub("41088119900101123") or "")  # 17 digits: a number, not an ID


# -- e-mails and handles --------------------------------------------------------------------------
@pytest.mark.parametrize("address", [
    "zhang.san@example.com", "a_b+c@mail.example.com.cn", "13812345678@163.com",
    "zhangsan＠163.com", "zhangsan（at）qq.com", "zhangsan [at] qq [dot] com",
    "zhangsan at qq dot com", "zhangsan#qq.com", "zhangsan 艾特 qq.com", "zhangsan@qq",
    "ZhangSan@Example.COM",
])
def test_e_mail_addresses_go_in_every_spelling(address: str) -> None:
    assert scrub(f"邮箱 {address}。") == f"邮箱 {EMAIL_MARK}。"


@pytest.mark.parametrize(("text", "label"), [
    ("QQ:123456789", "QQ:"), ("QQ号 987654321", "QQ号 "), ("qq：10001234", "qq:"),
    ("微信 zhang_san88", "微信 "), ("微信号：wxid_abc123", "微信号:"),
    ("WeChat: Zhang-San", "WeChat: "),
    ("wx: lisi2024", "wx: "), ("vx lisi_2024", "vx "), ("V信wangwu777", "V信"),
    ("威信wangwu888", "威信"), ("扣扣 55667788", "扣扣 "), ("ＶＸ：ＡＢＣ１２３", "VX:"),
    ("WeChat ID wangwei_jy", "WeChat ID "),
])
def test_contact_handles_go_and_their_label_stays(text: str, label: str) -> None:
    assert scrub(f"加{text}。") == f"加{label}{HANDLE_MARK}。"


def test_a_label_alone_or_before_chinese_text_takes_nothing() -> None:
    for text in ("微信同号", "微信群里说", "QQ群", "wx", "加微信"):
        assert scrub(text) == text


# -- names -------------------------------------------------------------------------------------
def test_names_on_record_go_ignoring_case_inner_spaces_and_width() -> None:
    names = ["Zhang San", "王氏钢铁厂", "demo-reporter"]
    for text in ("Zhang San", "zhangsan", "ZHANG  SAN", "ｚｈａｎｇ　ｓａｎ", "Zhang-San",
                 "王氏钢铁厂", "王氏 钢铁厂", "王 氏 钢 铁 厂", "DEMO REPORTER", "demoreporter"):
        assert scrub(f"见 {text} 处", names) == f"见 {NAME_MARK} 处", text


def test_the_longest_name_goes_whole() -> None:
    assert scrub("王氏钢铁厂的王氏", ["王氏", "王氏钢铁厂"]) == f"{NAME_MARK}的{NAME_MARK}"


def test_latin_names_go_as_whole_words_only() -> None:
    assert scrub("Ann said: annual plan, ANN", ["ann"]) == \
        f"{NAME_MARK} said: annual plan, {NAME_MARK}"
    assert scrub("demo-reporter2 and demo-reporter", ["demo-reporter"]) == \
        f"demo-reporter2 and {NAME_MARK}"


def test_short_names_are_not_scrubbed_as_such() -> None:
    # One Chinese character or two Latin ones would blank every word holding them.
    assert scrub("王先到了,li 说 police", ["王", "li", "A"]) == "王先到了,li 说 police"
    assert scrub("刘洋到了,liu 说", ["刘洋", "liu"]) == f"{NAME_MARK}到了,{NAME_MARK} 说"


def test_a_name_made_of_regex_characters_is_matched_literally() -> None:
    assert scrub("找 a.b(c) 和 axb(c)", ["a.b(c)"]) == f"找 {NAME_MARK} 和 axb(c)"


def test_a_thousand_names_compile_into_one_pattern_that_finds_each() -> None:
    names = [f"企业{i:04d}号" for i in range(1000)] + [f"user{i:04d}x" for i in range(1000)]
    compiled = Names(names)
    assert compiled.count == 2000 and compiled.pattern is not None
    text = "企业0007号 与 USER0999X 和 企业1000号"
    assert compiled.sub(text) == f"{NAME_MARK} 与 {NAME_MARK} 和 企业1000号"


@pytest.mark.parametrize(("text", "out"), [
    ("联系人张三,电话", f"联系人{NAME_MARK},电话"), ("联系人：李四", f"联系人:{NAME_MARK}"),
    ("找王经理", f"找{NAME_MARK}经理"), ("张先生来电", f"{NAME_MARK}先生来电"),
    ("李女士", f"{NAME_MARK}女士"), ("负责人赵六已到场", f"负责人{NAME_MARK}已到场"),
    ("找郑大鹏", f"找{NAME_MARK}"), ("欧阳娜娜女士", f"{NAME_MARK}女士"),
    ("陈总说", f"{NAME_MARK}总说"), ("Mr. Wang", f"Mr. {NAME_MARK}"),
    ("联系人 Zhang Lei", f"联系人 {NAME_MARK}"),
])
def test_strangers_names_after_a_label_or_before_a_title_go(text: str, out: str) -> None:
    assert scrub(text) == out


# -- what the scrubber is built on -------------------------------------------------------------
def test_normalizing_makes_every_digit_ascii_and_drops_invisible_marks() -> None:
    assert normalize("１٣३\u200b８\u2060") == "1338"
    assert normalize("\u3000") == " "
    assert scrub(None) is None


def test_a_name_book_reads_the_names_only_when_their_version_changes() -> None:
    book, reads = NameBook(), []

    def read() -> list[str]:
        reads.append(1)
        return ["张三丰"]
    first = book.scrubber((1, 3), read)
    assert book.scrubber((1, 3), read) is first and len(reads) == 1
    again = book.scrubber((1, 3, "next minute"), read)  # read again, same names: kept
    assert again is first and len(reads) == 2
    other = book.scrubber((2, 6), lambda: ["张三丰", "李四光"])
    assert other is not first and other("李四光") == NAME_MARK


def test_a_scrubber_is_a_function_of_its_names() -> None:
    assert Scrubber(["张三丰"])("张三丰 13812345678") == f"{NAME_MARK} {PHONE_MARK}"
