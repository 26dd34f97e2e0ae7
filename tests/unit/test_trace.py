"""The request id that follows a piece of work (`dispatch.trace`): which incoming ids are kept,
and that a bound id is seen inside its block only."""

from __future__ import annotations

import pytest

from dispatch import trace


@pytest.mark.parametrize("given", ["a", "0af3-11.x:y@z/w+q=r_s", "x" * trace.MAX_LENGTH,
                                   pytest.param(trace.new_id(), id="a-new-id")])
def test_an_id_of_header_safe_characters_is_kept(given: str) -> None:
    assert trace.sane(given) == given


@pytest.mark.parametrize("given", ["", "x" * (trace.MAX_LENGTH + 1), "a b", 'a"b', "a\nb",
                                   "编号", "a;b", None, 12, b"abc"])
def test_anything_else_is_replaced(given: object) -> None:
    assert trace.sane(given) is None


def test_new_ids_are_fresh_and_sane() -> None:
    first, second = trace.new_id(), trace.new_id()
    assert first != second and trace.sane(first) == first and len(first) == 32


def test_a_bound_id_is_current_inside_its_block_and_the_outer_one_comes_back() -> None:
    assert trace.current() is None
    with trace.bound("outer") as outer:
        assert (outer, trace.current()) == ("outer", "outer")
        with trace.bound(None) as inner:
            assert (inner, trace.current()) == (None, None)
        assert trace.current() == "outer"
        with pytest.raises(RuntimeError), trace.bound("failing"):
            raise RuntimeError("the block failed")
        assert trace.current() == "outer"
    assert trace.current() is None


def test_bind_and_unbind_from_two_hooks() -> None:
    token = trace.bind("req-1")
    assert trace.current() == "req-1"
    trace.unbind(token)
    assert trace.current() is None
