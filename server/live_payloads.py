"""What a `/live` client sends, made safe to hand to a handler, or turned into the reason it is not.

Why this exists: python-socketio decodes a packet before any handler runs, and whatever it cannot
decode (malformed JSON, 100,000 levels of nesting, a lone surrogate, a packet of no known type, an
event that is not `[name, ...]`) it raises on, so the client never hears an answer and the log
gets a traceback. `LivePacket` is the packet class given to Socket.IO: its decoding never raises.
A packet it cannot accept becomes an event named `MALFORMED` whose one argument says why (status,
field, message), on the packet's namespace and with its acknowledgement id when those could be
read, so the `/live` handler of that name answers it like any other refusal. A name with a NUL in
it cannot come from a client: a NUL anywhere in a packet is itself refused here.

The payload checks every `/live` request shares are here too: one JSON object, and an incident id
of the form the service gives (letters, digits, `-`, `_`; at most 32, the id column's width), so a
NUL, a direction mark or a zero-width space in an id is a 422 naming `incident_id` and never
reaches the database.
"""

from __future__ import annotations

import json
import re
from typing import Any

import engineio.packet
from socketio import packet

from dispatch.errors import BadRequest, DispatchError, FieldError, NotFound, ValidationFailed
from mobile_api import jsonio

MALFORMED = "\x00malformed"
REQUESTS = ("task.accept", "position", "resync")
UNKNOWN = "no such request; the requests are " + ", ".join(REQUESTS)
ID_PATTERN = re.compile(r"[0-9A-Za-z_-]{1,32}")
_OUTGOING = object()  # no encoded packet given: the server is building one to send


class _KeepText:
    """Stands in for the json module while the base class reads a packet's header: it keeps the
    JSON text, which is then decoded here with errors told apart."""

    def __init__(self) -> None:
        self.text: str | None = None

    def loads(self, text: str) -> None:
        self.text = text


class LivePacket(packet.Packet):
    """A Socket.IO packet whose decoding of what a client sent never raises (see the module)."""

    def __init__(self, packet_type: int = packet.EVENT, data: Any = None,
                 namespace: str | None = None, id: int | None = None,
                 binary: bool | None = None, encoded_packet: Any = _OUTGOING) -> None:
        if encoded_packet is _OUTGOING:
            super().__init__(packet_type, data, namespace, id, binary)
            return
        super().__init__()
        self.data: Any = None
        self._read(encoded_packet)

    def _read(self, encoded: Any) -> None:
        keep = _KeepText()
        self.json = keep  # for the base class's decode only; the class's json encodes
        try:
            if not isinstance(encoded, str) or not encoded:
                raise ValueError("not text")
            super().decode(encoded)
        except (ValueError, TypeError, AttributeError):
            self._refuse(400, "packet", "not a Socket.IO packet")
            return
        finally:
            del self.json
        if self.packet_type in (packet.BINARY_EVENT, packet.BINARY_ACK):
            self._refuse(400, "payload", "binary attachments are not accepted")
            return
        if self.packet_type not in (packet.CONNECT, packet.DISCONNECT, packet.EVENT,
                                    packet.ACK):
            self._refuse(400, "packet", "a client sends packets of type 0 to 3 only")
            return
        decoded = _decode(keep.text)
        if isinstance(decoded, tuple):  # JSON gives lists, never tuples: this is a refusal
            if self.packet_type == packet.EVENT:
                self._refuse(*decoded)
            else:  # a refused CONNECT is answered as one without auth; the rest are dropped
                self.data = None if self.packet_type != packet.ACK else []
            return
        self.data = decoded
        if self.packet_type == packet.EVENT and not (
                isinstance(self.data, list) and self.data and isinstance(self.data[0], str)):
            self._refuse(400, "event", 'an event is a JSON array ["name", payload]')
        elif self.packet_type == packet.EVENT and self.data[0] == "*":
            self._refuse(404, "event", UNKNOWN)  # python-socketio's catch-all's own name
        elif self.packet_type == packet.ACK and not isinstance(self.data, list):
            self.data = []

    def _refuse(self, status: int, field: str, message: str) -> None:
        self.packet_type = packet.EVENT
        self.attachment_count = 0
        self.data = [MALFORMED, {"status": status, "field": field, "message": message}]


class EnginePacket(engineio.packet.Packet):
    """An Engine.IO packet (the frame under Socket.IO's) whose decoding never raises: a frame
    that is empty, starts with no packet type or is not base64 where it says so becomes an empty
    message, which `LivePacket` then refuses and, having no namespace to answer on, drops.

    Engine.IO has no setting for its packet class, so `install_engine_packet` puts this one in
    its module's place; without it such a frame ends a websocket, or fails a polling POST, with a
    traceback in the log. (Not a NOOP: on the polling transport Engine.IO answers an unknown
    packet by closing the session and waiting for a poll to flush it, which holds the POST.)"""

    def decode(self, encoded_packet: Any) -> None:
        try:
            super().decode(encoded_packet)
        except (ValueError, TypeError, IndexError):  # binascii.Error is a ValueError
            self.packet_type, self.data, self.binary = engineio.packet.MESSAGE, "", False


def install_engine_packet() -> None:
    engineio.packet.Packet = EnginePacket


def _decode(text: str | None) -> Any:
    """The JSON text of a packet as data, or (status, field, message) saying why not."""
    if text is None:
        return None
    try:
        data = jsonio.loads(text)
    except jsonio.TooDeep as exc:
        return 400, "payload", str(exc)
    except ValueError:  # malformed, or an integer of more digits than Python converts
        return 400, "payload", "malformed JSON"
    bad = jsonio.bad_text_path(data)
    if bad is None:
        return data
    path, message = bad
    if isinstance(data, list) and path[:1] == [0]:
        return 422, "event", message
    field = ".".join(str(p) for p in path[1:]) if len(path) > 1 and path[0] == 1 else "payload"
    return 422, field, message


def refusal(problem: Any) -> DispatchError:
    """The error a MALFORMED event carries, as the handlers raise it."""
    if not (isinstance(problem, dict) and isinstance(problem.get("field"), str)
            and isinstance(problem.get("message"), str)):
        return BadRequest("payload: not a Socket.IO packet",
                          [FieldError("payload", "not a Socket.IO packet")])
    field, message = problem["field"], problem["message"]
    if problem.get("status") == 422:
        return ValidationFailed.on(field, message)
    if problem.get("status") == 404:
        return NotFound(f"{field}: {message}", [FieldError(field, message)])
    return BadRequest(f"{field}: {message}", [FieldError(field, message)])


def one_object(args: tuple[Any, ...]) -> dict[str, Any]:
    """The request's one argument, which must be a JSON object."""
    if len(args) > 1:
        raise ValidationFailed.on("payload", f"one JSON object is expected, not {len(args)} "
                                             "arguments")
    if not args or not isinstance(args[0], dict):
        raise ValidationFailed.on("payload", "a JSON object is expected")
    return args[0]


def incident_id(payload: dict[str, Any]) -> str:
    value = payload.get("incident_id")
    if not isinstance(value, str) or not value:
        raise ValidationFailed.on("incident_id", "the id of the incident to accept")
    if not ID_PATTERN.fullmatch(value):
        raise ValidationFailed.on("incident_id", "an incident id is 1 to 32 letters, digits, "
                                                 "'-' or '_'")
    return value


def event_name(event: Any) -> str:
    """An event name fit to quote in an answer: escaped, and cut at 64 characters."""
    text = json.dumps(event, ensure_ascii=True) if isinstance(event, str) else repr(event)
    return text if len(text) <= 66 else text[:64] + "…"
