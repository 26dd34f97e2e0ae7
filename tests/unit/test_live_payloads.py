"""The decoding of what a `/live` client sends (server/live_payloads.py): never an exception; a
packet that cannot be accepted becomes a refusal on its namespace, with its acknowledgement id."""

from __future__ import annotations

import engineio.packet
import pytest
from socketio import packet

from dispatch.errors import BadRequest, NotFound, ValidationFailed
from server.live_payloads import (MALFORMED, EnginePacket, LivePacket, incident_id, one_object,
                                  refusal)

DEEP = 100_000


def _refused(frame: str) -> tuple[str | None, int | None, dict]:
    pkt = LivePacket(encoded_packet=frame)
    assert pkt.packet_type == packet.EVENT and pkt.attachment_count == 0
    assert pkt.data[0] == MALFORMED, pkt.data
    return pkt.namespace, pkt.id, pkt.data[1]


@pytest.mark.parametrize("frame,status,field", [
    ('2/live,5["task.accept",{"incident_id":"\\ud800"}]', 422, "incident_id"),
    ('2/live,5["task.accept",{"a":{"b":["x\\u0000"]}}]', 422, "a.b.0"),
    ('2/live,5["resync",{"\\udfff":0}]', 422, "payload"),
    ('2/live,5["resync","\\u0000"]', 422, "payload"),
    ('2/live,5["\\ud800",{}]', 422, "event"),
    ('2/live,5["resync",' + "[" * DEEP + "]" * DEEP + "]", 400, "payload"),
    ('2/live,5["resync",' + "[" * DEEP, 400, "payload"),
    ('2/live,5["resync",{"since_seq":' + "9" * 5000 + "}]", 400, "payload"),
    ("2/live,5not json", 400, "payload"),
    ('2/live,5{"a":1}', 400, "event"),
    ("2/live,5[]", 400, "event"),
    ("2/live,5[1]", 400, "event"),
    ('2/live,5[{"a":1}]', 400, "event"),
    ('2/live,5"resync"', 400, "event"),
    ("2/live,5null", 400, "event"),
    ("2/live,5", 400, "event"),
    ('2/live,5["*",{}]', 404, "event"),
    ('5/live,5["resync",{}]', 400, "payload"),
    ('51-/live,5["resync",{"_placeholder":true,"num":0}]', 400, "payload"),
    ('4/live,5"x"', 400, "packet"),
    ('9/live,5["resync",{}]', 400, "packet"),
])
def test_a_packet_that_cannot_be_accepted_becomes_a_refusal_with_its_id(frame, status, field):
    namespace, ack_id, problem = _refused(frame)
    assert (namespace, ack_id) == ("/live", 5)
    assert (problem["status"], problem["field"]) == (status, field), problem


@pytest.mark.parametrize("frame", [
    "", "x", "/live,", "\u202e2", "2/live," + "9" * 200 + "[]", "99-/live,[]", "2x",
])
def test_a_frame_with_no_readable_header_is_refused_too(frame):
    _refused(frame)


@pytest.mark.parametrize("encoded", [None, 0, b"\x00\x01", b"2/live,1[]", [], {}, ["2"]])
def test_what_engineio_hands_over_instead_of_text_is_refused(encoded):
    namespace, _, problem = _refused(encoded)
    assert namespace is None and problem["field"] == "packet"


def test_good_packets_decode_as_before_and_outgoing_ones_encode_as_before():
    pkt = LivePacket(encoded_packet='2/live,7["task.accept",{"incident_id":"abc"}]')
    assert (pkt.packet_type, pkt.namespace, pkt.id) == (packet.EVENT, "/live", 7)
    assert pkt.data == ["task.accept", {"incident_id": "abc"}]
    assert LivePacket(encoded_packet='0/live,{"token":"t"}').data == {"token": "t"}
    assert LivePacket(encoded_packet="1/live,").packet_type == packet.DISCONNECT
    assert LivePacket(encoded_packet="3/live,4[1]").data == [1]
    out = LivePacket(packet.ACK, data=[{"ok": True}], namespace="/live", id=3)
    assert out.encode() == '3/live,3[{"ok":true}]'


def test_a_connect_or_ack_that_does_not_decode_loses_its_data_only():
    connect = LivePacket(encoded_packet='0/live,{"token":"\\ud800"}')
    assert (connect.packet_type, connect.namespace, connect.data) == (packet.CONNECT, "/live", None)
    assert LivePacket(encoded_packet="0/live," + "[" * DEEP).data is None
    ack = LivePacket(encoded_packet='3/live,4{"a":1}')
    assert (ack.packet_type, ack.id, ack.data) == (packet.ACK, 4, [])


@pytest.mark.parametrize("frame,data", [
    ("", ""), ("x", ""), ("\u202e4", ""), ("babc", ""),  # bad base64: incorrect padding
    ("b!!!", b""),  # base64 that decodes leniently to nothing: a binary message, refused above
    ("4hello", "hello"), ("42/live,1[]", "2/live,1[]"),
])
def test_an_engineio_frame_that_does_not_decode_is_an_empty_message(frame, data):
    pkt = EnginePacket(encoded_packet=frame)
    assert (pkt.packet_type, pkt.data) == (engineio.packet.MESSAGE, data)


def test_refusals_keep_their_status_and_field():
    assert isinstance(refusal({"status": 422, "field": "x", "message": "m"}), ValidationFailed)
    assert isinstance(refusal({"status": 404, "field": "event", "message": "m"}), NotFound)
    assert isinstance(refusal({"status": 400, "field": "payload", "message": "m"}), BadRequest)
    assert refusal("anything else").errors[0].field == "payload"


def test_one_object_and_incident_ids_at_their_limits():
    assert one_object(({"a": 1},)) == {"a": 1}
    for args in ((), (None,), ([],), ("x",), ({}, {})):
        with pytest.raises(ValidationFailed) as refused:
            one_object(args)
        assert refused.value.errors[0].field == "payload"
    assert incident_id({"incident_id": "a" * 32}) == "a" * 32
    assert incident_id({"incident_id": "no-such_incident"}) == "no-such_incident"
    for bad in ("a" * 33, "", None, 5, "abc\u200e", "\u202eabc", "\u2066a\u2069", "a\u200bb",
                "a\x00", "ａｂｃ", "abc\n", "a b"):
        with pytest.raises(ValidationFailed) as refused:
            incident_id({"incident_id": bad})
        assert refused.value.errors[0].field == "incident_id"
