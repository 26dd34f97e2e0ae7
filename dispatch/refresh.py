"""When to re-read what administrators change rarely but every report needs."""

from __future__ import annotations

import time
from collections.abc import Callable


class Refresh:
    """Due at most every `seconds`, and at once after `invalidate()` (a change this process
    made itself). The caller serialises access with its own lock."""

    def __init__(self, seconds: float = 5.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._seconds, self._monotonic = seconds, monotonic
        self._at: float | None = None

    def due(self) -> bool:
        now = self._monotonic()
        if self._at is None or now - self._at >= self._seconds:
            self._at = now
            return True
        return False

    def invalidate(self) -> None:
        self._at = None
