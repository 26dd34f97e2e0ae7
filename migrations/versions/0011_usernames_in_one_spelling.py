"""user names in their one spelling (dispatch/usernames.py)

Sign-in, its throttle and every command now look a name up in one spelling (NFKC, no invisible
format characters, spaces collapsed and trimmed, case folded), so the stored names are brought
to it: `Alice` becomes `alice` and still signs in as `Alice`, `ALICE` or `ａｌｉｃｅ`. Two accounts
whose names differ only by spelling cannot both keep theirs; the upgrade then stops, changing
nothing, and names them, for an administrator to rename one (it will not merge accounts, nor
guess which of the two people is which).

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

from dispatch.usernames import normalize


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

users = sa.table('users', sa.column('id', sa.String), sa.column('username', sa.String))


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(users.c.id, users.c.username).order_by(users.c.username)).all()
    spellings: dict[str, list[str]] = {}
    for _, name in rows:
        spellings.setdefault(normalize(name), []).append(name)
    clashes = [names for names in spellings.values() if len(names) > 1]
    if clashes:
        raise RuntimeError(
            "user names that differ only by spelling (case, spaces, full-width letters) name "
            "one account from now on; rename all but one of each group, then upgrade again: "
            + "; ".join(" / ".join(repr(n) for n in names) for names in clashes))
    for user_id, name in rows:
        spelled = normalize(name)
        if spelled != name and spelled:
            conn.execute(sa.update(users).where(users.c.id == user_id).values(username=spelled))


def downgrade() -> None:
    # The former spellings are not kept: the names stay in their one spelling, which the older
    # code (an exact match) signs in as typed.
    pass
