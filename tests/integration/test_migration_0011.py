"""Migration 0011 (user names in their one spelling) on both databases: every stored name is
brought to the spelling sign-in looks up, and names that would become one stop the upgrade,
changing nothing and naming them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dispatch.storage import tables as t


def _user(user_id: str, name: str) -> dict[str, object]:
    return dict(id=user_id, username=name, password_hash="x", role="reporter", display_name="",
                active=True, token_version=0)


def _names(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(t.users.c.id, t.users.c.username)).all())


@pytest.mark.parametrize("store", ["sqlite", "postgis"])
def test_migration_0011_respells_the_names_and_refuses_two_that_would_become_one(store,
                                                                                  tmp_path):
    from dispatch.storage import migrate
    from dispatch.storage.database import make_engine
    from tests.conftest import scratch_database

    with scratch_database(store, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine, "0010")
        before = {"u1": "Alice", "u2": " Bob\t", "u3": "ｃａｒｏｌ", "u4": "dave",
                  "u5": "Eve", "u6": "eve\u3000", "u7": "Zhang  San"}
        with engine.begin() as conn:
            conn.execute(sa.insert(t.users), [_user(i, n) for i, n in before.items()])
        with pytest.raises(RuntimeError, match="'Eve' / 'eve\\\\u3000'") as refused:
            migrate.upgrade(engine, "0011")
        assert "Alice" not in str(refused.value)  # only the clash is named
        assert migrate.current(engine) == "0010" and _names(engine) == before  # nothing changed
        with engine.begin() as conn:  # an administrator renames one of them
            conn.execute(sa.update(t.users).where(t.users.c.id == "u6").values(username="eve2"))
        migrate.upgrade(engine, "0011")
        assert _names(engine) == {"u1": "alice", "u2": "bob", "u3": "carol", "u4": "dave",
                                  "u5": "eve", "u6": "eve2", "u7": "zhang san"}
        engine.dispose()
