"""JSON in and out, with the limits a hostile client cannot get round.

Why this exists: the standard decoder recurses once per nesting level, so a body of a few thousand
`[` raises RecursionError (a 500, or a dropped socket packet with a traceback), and the standard
encoder writes `NaN` and `Infinity`, which no browser's `JSON.parse` accepts. Every JSON the
service reads (HTTP bodies, multipart payloads, Socket.IO packets) is measured for depth before it
is decoded, and everything it writes is encoded with `allow_nan=False`, so a NaN that slipped in
somewhere fails loudly in the tests rather than silently in a browser.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 64

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


class TooDeep(ValueError):
    """The document nests arrays and objects deeper than MAX_DEPTH."""


class BadText(ValueError):
    """A string holds a NUL character or a lone surrogate, which no database column accepts."""


def too_deep(text: str | bytes, max_depth: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest deeper than `max_depth` in a JSON text, measured without
    recursion and vectorised (a few milliseconds for a megabyte, hostile or not).

    A bracket inside a string is text, not structure: a quote opens or closes a string unless an
    odd run of backslashes precedes it. The depth is the highest running sum of openings minus
    closings outside strings. On a malformed text the measure may be off, but only past the
    point where the decoder stops with an error anyway (a backslash outside a string, say).
    """
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    codes = np.frombuffer(raw, dtype=np.uint8)  # UTF-8: no ASCII byte inside a multi-byte char
    opening = (codes == ord("[")) | (codes == ord("{"))
    if np.count_nonzero(opening) <= max_depth:
        return False
    quote = codes == ord('"')
    backslash = codes == ord("\\")
    if backslash.any():
        index = np.arange(len(codes), dtype=np.int32)
        last_other = np.maximum.accumulate(np.where(backslash, np.int32(-1), index))
        run_before = np.zeros(len(codes), dtype=np.int32)  # backslashes just before each byte
        run_before[1:] = (index - last_other)[:-1]
        quote &= (run_before & 1) == 0
    outside = (np.cumsum(quote, dtype=np.int32) & 1) == 0
    closing = (codes == ord("]")) | (codes == ord("}"))
    steps = (opening & outside).astype(np.int8) - (closing & outside)
    return bool(np.cumsum(steps, dtype=np.int32).max() > max_depth)


def loads(s: str | bytes | bytearray, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """`json.loads`, refusing (TooDeep, a ValueError) what nests deeper than `max_depth`."""
    if isinstance(s, bytes | bytearray):
        s = bytes(s).decode(json.detect_encoding(s), "surrogatepass")
    if too_deep(s, max_depth):
        raise TooDeep(f"nested deeper than {max_depth} levels")
    return json.loads(s, **kwargs)


def dumps(obj: Any, **kwargs: Any) -> str:
    """`json.dumps` that refuses NaN and infinities (ValueError) instead of writing them."""
    kwargs["allow_nan"] = False
    return json.dumps(obj, **kwargs)


def text_problem(text: str) -> str | None:
    """Why a single string cannot be accepted (a NUL or a lone surrogate in it), or None."""
    found = _BAD_TEXT.search(text)
    return f"contains {_describe(found.group())}" if found else None


def bad_text_path(data: Any) -> tuple[list[str | int], str] | None:
    """The path to the first string (value or key) with a NUL or a lone surrogate, and why.

    Iterative, so that a structure of any depth is walked without recursion."""
    stack: list[tuple[list[str | int], Any]] = [([], data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            found = _BAD_TEXT.search(value)
            if found:
                return path, f"contains {_describe(found.group())}"
        elif isinstance(value, dict):
            items = list(value.items())
            for key, item in reversed(items):
                if isinstance(key, str) and (found := _BAD_TEXT.search(key)):
                    return path, f"a key contains {_describe(found.group())}"
                stack.append(([*path, key], item))
        elif isinstance(value, list | tuple):
            stack.extend(([*path, i], item) for i, item in reversed(list(enumerate(value))))
    return None


def _describe(char: str) -> str:
    if char == "\x00":
        return "a NUL character, which is not accepted"
    return "a lone surrogate (not valid Unicode), which is not accepted"


class SocketJSON:
    """The json module given to Socket.IO: depth-limited and text-checked in, no NaN out.

    A packet refused here is dropped by python-socketio (and logged); it never reaches a
    handler, so no handler can pass a NUL or a lone surrogate on to the database."""

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        return dumps(obj, **kwargs)

    @staticmethod
    def loads(s: str | bytes, **kwargs: Any) -> Any:
        data = loads(s, **kwargs)
        bad = bad_text_path(data)
        if bad is not None:
            where = ".".join(str(p) for p in bad[0]) or "payload"
            raise BadText(f"{where}: {bad[1]}")
        return data


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, through the functions above (responses are UTF-8, not ASCII escapes)."""

    ensure_ascii = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs["allow_nan"] = False
        return super().dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)
