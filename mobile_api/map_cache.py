"""The map's document kept per event-log position, judged again at every answer.

Why: the command center's first load reads every open case (5,000 on a busy day) and writes a
few megabytes of GeoJSON; reading, judging and writing it cost a web process about a quarter of
a second of CPU for each page that opens or reloads, while the document changes only when an
event is written. Every change to a case is an event (its timeline), so while the log's last
seq stays the same the cases do too, and only what depends on the instant of the answer moves:
each case's `state` (near, late, ...) and `generated_at`.

So a web process keeps, per scope (who may see what, the filters: `queries.map_scope`) and for
the seq it was read at, the document's text cut around those values, with each case's clock
instants (`dispatch.board.CaseInstants`). An answer reads the seq (one statement); at the same
seq it judges each case at `now` with the very comparison the uncached read uses
(`CaseInstants.state`) and joins the pieces; at another seq (or after `MAX_AGE_S`, a net for a
change written without an event) it reads and writes the document anew and keeps it. The bytes
are those the uncached read writes at the same instant (tests/integration/test_map_cache.py).

Bounded: `SIZE` scopes, least recently used out first (a command center, a few dispatchers).
Per process, in memory: nothing to invalidate across processes, each reads the log's seq.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from dispatch.board import CaseInstants, ClockState
from dispatch.queries import OpenCases
from dispatch.utc import iso_utc
from mobile_api import jsonio, serializers

SIZE = 8
MAX_AGE_S = 60.0
_QUOTED = {state: f'"{state}"' for state in ClockState}


@dataclass(frozen=True)
class _Entry:
    seq: int
    built: float  # time.monotonic()
    # The document's text cut at each case's state and at generated_at: len(instants) + 2.
    pieces: tuple[str, ...]
    instants: tuple[CaseInstants, ...]


def _cut(view: OpenCases) -> _Entry | None:
    """The document of `view` cut around the values judged at each answer; None if the mark
    could not be told apart (it cannot occur in practice: 128 random bits)."""
    mark = f"\x00{secrets.token_hex(16)}"
    text = jsonio.dumps(serializers.open_cases(view, mark), ensure_ascii=False,
                        separators=(",", ":"))
    pieces = text.split(jsonio.dumps(mark))
    if len(pieces) != len(view.cases) + 2:
        return None
    return _Entry(view.seq, time.monotonic(), tuple(pieces),
                  tuple(c.instants for c in view.cases))


def _join(entry: _Entry, now: datetime) -> str:
    pieces = entry.pieces
    out = [pieces[0]]
    for i, instants in enumerate(entry.instants, 1):
        out.append(_QUOTED[instants.state(now)])
        out.append(pieces[i])
    out.append(f'"{iso_utc(now)}"')
    out.append(pieces[-1])
    return "".join(out)


class MapCache:
    """The web process's map documents (see the module's docstring); thread- and greenlet-safe
    (a lock around the dictionary only: two answers missing at once both read, the later
    kept)."""

    def __init__(self, size: int = SIZE, max_age_s: float = MAX_AGE_S) -> None:
        self.size, self.max_age_s = size, max_age_s
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def document(self, key: Hashable, seq: int, now: datetime,
                 read: Callable[[], OpenCases]) -> str:
        """The map's text for `key` at `now`: from the entry kept at `seq`, or from `read()`
        (which reads the seq again, then the cases, and judges them at its own `now`)."""
        with self._lock:
            entry = self._entries.get(key)
            fresh = (entry is not None and entry.seq == seq
                     and time.monotonic() - entry.built < self.max_age_s)
            if fresh:
                self._entries.move_to_end(key)
                self.hits += 1
        if fresh and entry is not None:
            return _join(entry, now)
        self.misses += 1
        view = read()
        entry = _cut(view)
        if entry is None:
            return jsonio.dumps(serializers.open_cases(view), ensure_ascii=False,
                                separators=(",", ":"))
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return _join(entry, view.generated_at)

    def clear(self) -> None:
        """Forget every document (a test that empties the database keeps the log's seq)."""
        with self._lock:
            self._entries.clear()
