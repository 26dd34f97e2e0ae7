"""The catalogue in each language (`dispatch.labels.catalogue`): English where English is asked,
zh-CN otherwise, and every entry the same as `labels.name` gives for it."""

from __future__ import annotations

import pytest

from dispatch import labels


def test_english_is_english_and_chinese_chinese() -> None:
    assert labels.catalogue("en")["categories"]["power_cut"] == "Power cut"
    assert labels.catalogue("zh-CN")["categories"]["power_cut"] == "断电"


@pytest.mark.parametrize("lang", ["en", "zh-CN", "fr"])
def test_every_entry_is_the_name_in_that_language(lang: str) -> None:
    for kind, names in labels.catalogue(lang).items():
        assert names == {code: labels.name(kind, code, lang) for code in names}
    assert labels.catalogue(lang) == labels.catalogue(labels.language(lang))
