"""Idempotency-Key handling: the same key from the same user returns the first result.

A key is claimed first, in the transaction that creates its resource: concurrent requests with
the same key wait for the first to finish (the database's unique key, not a check in Python),
then replay what it committed; a refused request rolls its claim back with everything else.

A claim may also expire (`window`): Open311 recognises a client's retry without a key by a key
derived from the request's own fields, which must stop matching after a short while, since the
same report sent again a day later is a new case.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dispatch.errors import ValidationFailed
from dispatch.ports import UnitOfWork


def request_fingerprint(scope: str, payload: Any) -> str:
    blob = json.dumps([scope, payload], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def claim(uow: UnitOfWork, user_id: str, key: str | None, scope: str, fingerprint: str,
          resource_id: str, at: datetime, window: timedelta | None = None) -> str | None:
    """None when the request goes on (no key, or the key is now this transaction's, for
    `resource_id`); else the id of the resource the key's first request produced, to replay.

    Call it before anything else the request writes, so that a replay waits at the key rather
    than on the locks the first request holds. `window`: a claim older than that (strictly) is
    free again; at exactly `window` it still replays.
    """
    if key is None:
        return None
    held = uow.idempotency.claim(user_id, key, scope, fingerprint, resource_id, at,
                                 None if window is None else at - window)
    if held is None:
        return None
    if held.scope != scope or held.request_hash != fingerprint:
        raise ValidationFailed.on("Idempotency-Key",
                                  "this key was already used for a different request")
    return str(held.resource_id)


@dataclass(frozen=True)
class Retry:
    """How a use case recognises a retry of its request: the key to claim in its transaction,
    its scope and the request's fingerprint, and how long the claim holds (None: for ever)."""

    key: str
    scope: str
    fingerprint: str
    window: timedelta | None = None

    def claim(self, uow: UnitOfWork, user_id: str, resource_id: str, at: datetime) -> str | None:
        """`claim` with these: None when the request goes on, else the resource to replay."""
        return claim(uow, user_id, self.key, self.scope, self.fingerprint, resource_id, at,
                     self.window)
