"""The users of bearer tokens, kept in process memory for a few seconds.

Why: every REST request read its user's row (a pool checkout, a round trip, an ORM object) to
learn whether the account is active and the token unrevoked: about a tenth of the CPU of a
report (bench/profile_ingest.py with py-spy). Here a user read once is reused for
`USER_CACHE_SECONDS` (default 5 s).

What still holds:
- in this process, a revocation or a deactivation made through the storage (sign-out, the
  `deactivate-user` command, any ORM path) forgets the user when it commits, so the next request
  is refused at once (`dispatch.storage.orm.on_user_change`);
- in every other web process, as soon as it hears the user's id on Redis (`server.realtime`:
  the process that committed the change publishes it);
- without Redis, or after a plain SQL update, within `USER_CACHE_SECONDS`: that is the bound;
- a token newer than the cached user (signed in again after a revocation) is never refused on
  the cache's word: a version that does not match is read again from the database;
- a socket signs in from it (its connect), then re-checks the row on every event it sends
  (server/live.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from dispatch.model import User

MAX_USERS = 50_000  # a bound on memory: past it, the cache starts afresh


class UserCache:
    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl_seconds
        self.clock = clock
        self._users: dict[str, tuple[float, User]] = {}

    def get(self, user_id: str, version: int) -> User | None:
        """The user read less than `ttl` seconds ago, if its token version is `version`."""
        hit = self._users.get(user_id)
        if hit is None:
            return None
        read_at, user = hit
        if self.clock() - read_at >= self.ttl or user.token_version != version:
            return None
        return user

    def put(self, user: User) -> None:
        if self.ttl <= 0:
            return
        if len(self._users) >= MAX_USERS:
            self._users.clear()
        self._users[user.id] = (self.clock(), user)

    def forget(self, user_ids: set[str] | list[str]) -> None:
        for user_id in user_ids:
            self._users.pop(user_id, None)
