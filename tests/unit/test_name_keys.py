"""How a name on record is matched (`dispatch.scrubbing.name_key`, `long_enough`), called
directly: `name_keys` is cached, so a test through it may only read what an earlier call
computed. A key is the name normalized, lower-cased, without its inner gaps; a key is long
enough at 2 characters with a Chinese one in it, else at 3."""

from __future__ import annotations

import pytest

from dispatch import scrubbing
from dispatch.scrubbing import Scrubber, long_enough, name_key


@pytest.mark.parametrize("name, key", [
    ("Zhang San", "zhangsan"), ("ZHANG-SAN", "zhangsan"), ("zhang_san.", "zhangsan"),
    ("欧阳·娜娜", "欧阳娜娜"), ("王\u3000建国", "王建国"), ("Ｚｈａｎｇ", "zhang"),
    ("İlker", "İlker"),  # a capital whose lower case is two characters stays as it is
    ("张三", "张三"), ("", ""),
])
def test_a_name_s_key(name: str, key: str) -> None:
    assert name_key(name) == key


@pytest.mark.parametrize("key, enough", [
    ("张三", True), ("张", False), ("a张", True), ("abc", True), ("ab", False), ("", False),
    ("\U00020000x", True),
])
def test_a_key_is_long_enough_at_two_with_chinese_else_at_three(key: str, enough: bool) -> None:
    assert long_enough(key) is enough


@pytest.mark.parametrize("c, cjk", [
    ("\u33ff", False), ("\u3400", True), ("\u4e00", True), ("\u9fff", True), ("\ua000", False),
    ("\uf8ff", False), ("\uf900", True), ("\ufaff", True), ("\ufb00", False),
    ("\U0001ffff", False), ("\U00020000", True), ("\U0002a6d6", True),
    ("a", False), ("Z", False), ("0", False), (" ", False),
])
def test_the_chinese_characters_are_the_unified_ideographs_and_their_extensions(
        c: str, cjk: bool) -> None:
    assert scrubbing._cjk(c) is cjk


@pytest.mark.parametrize("c, gap", [(" ", True), ("-", True), ("_", True), (".", True),
                                    ("\u00b7", True), ("\u30fb", True), ("\u2010", True),
                                    ("a", False), ("张", False), ("0", False)])
def test_the_gaps_inside_a_name(c: str, gap: bool) -> None:
    assert scrubbing._is_gap(c) is gap


def test_a_name_never_seen_before_is_scrubbed_in_any_spacing_and_case() -> None:
    scrubbing.name_keys.cache_clear()
    scrub = Scrubber(["Qiao Feng-Test", "司马懿仲"])
    assert scrub("met QIAO fengtest and 司马 懿仲 today") == (
        f"met {scrubbing.NAME_MARK} and {scrubbing.NAME_MARK} today")


def test_a_latin_name_inside_a_longer_word_is_kept_and_a_name_ending_in_chinese_is_not() -> None:
    mark = scrubbing.NAME_MARK
    wang = Scrubber(["Wang Wei"])
    assert wang("xwangwei") == "xwangwei"  # the word starts one letter before the name
    assert wang("wangweix") == "wangweix"
    assert wang("x wangwei") == f"x {mark}"
    li = Scrubber(["Li伟"])
    assert li("Li伟x") == f"{mark}x"  # ends in a Chinese character: no word to be inside
    assert li("aLi伟") == "aLi伟"
