"""What a dispatcher reads when a trail is refused as not found (the 404's detail): the id
asked for, and that it is not an officer they may oversee -- the same words whether the id is
no one's, not an officer's, or another unit's officer's, so the answer tells nothing more."""

from __future__ import annotations

import pytest

from dispatch.errors import NotFound
from dispatch.officers import officer_trail
from tests.unit.fakes import new_world


@pytest.mark.parametrize(("reader", "target"), [
    ("dispatcher_power", "officer"), ("commander", "dispatcher"), ("commander", None)])
def test_the_refusal_names_the_id_and_says_no_more(reader: str, target: str | None) -> None:
    w = new_world()
    wanted = w.user(target).id if target else "no-such-id"
    with pytest.raises(NotFound) as refused:
        officer_trail(w.ctx, w.user(reader), wanted)
    assert refused.value.detail == f"no officer {wanted} that you may oversee"
