"""Idempotency-Key handling: the same key from the same user returns the first result."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from dispatch.errors import ValidationFailed


def request_fingerprint(scope: str, payload: Any) -> str:
    blob = json.dumps([scope, payload], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def replayed(uow: Any, user_id: str, key: str | None, scope: str, fingerprint: str) -> str | None:
    """The resource id the key produced before, or None when the key is new (or absent)."""
    if key is None:
        return None
    row = uow.idempotency.get(user_id, key)
    if row is None:
        return None
    if row.scope != scope or row.request_hash != fingerprint:
        raise ValidationFailed.on("Idempotency-Key",
                                  "this key was already used for a different request")
    return str(row.resource_id)


def remember(uow: Any, user_id: str, key: str | None, scope: str, fingerprint: str,
             resource_id: str, at: datetime) -> None:
    if key is not None:
        uow.idempotency.add(user_id, key, scope, fingerprint, resource_id, at)
