"""The message a refused case-number prefix gives the operator who configured it, whole: it is
all they are told of what a prefix may be."""

from __future__ import annotations

import pytest

from dispatch.case_numbers import check_prefix


def test_a_refused_prefix_says_exactly_what_one_may_be() -> None:
    with pytest.raises(ValueError) as refused:
        check_prefix("jy311")
    assert str(refused.value) == ("'jy311': 1 to 12 upper-case letters and digits, starting "
                                  "with a letter (e.g. JY311)")
