"""The checks every value passes where it enters, as pure functions: JSON depth and text, device
times, coordinates after conversion, times in UTC, and the settings that tune them."""

from __future__ import annotations

import inspect
import json
import math
import random
import sys
from datetime import UTC, datetime, timedelta

import pytest

from dispatch.device_time import DeviceTimeWindow, check_device_times, problem
from dispatch.errors import ValidationFailed
from mobile_api import schemas as s
from mobile_api.validation import validate
from mobile_api import jsonio

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


# -- JSON depth ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text,deep", [
    ("[" * 64 + "]" * 64, False),
    ("[" * 65 + "]" * 65, True),
    ('{"a":' * 64 + "1" + "}" * 64, False),
    ('{"a":' * 65 + "1" + "}" * 65, True),
    ('["' + "[" * 1000 + '"]', False),                 # brackets inside a string are text
    ('["\\"' + "[" * 1000 + '"]', False),              # ... past an escaped quote too
    ('["\\\\"' + ",[" * 65, True),                     # an escaped backslash ends no string
    ('"' + '\\"' * 10_000, False),                     # an unterminated string: no structure
    ("", False), ("1", False),
])
def test_depth_is_measured_without_recursion(text, deep):
    assert jsonio.too_deep(text) is deep


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


def test_depth_agrees_with_the_structure_of_any_valid_document():
    rng = random.Random(11)
    leaves = ['a[\\"{', "\\", '"]]', 1, None, "路", "\\\\", '\\"[']

    def build(levels: int) -> object:
        if levels == 0 or rng.random() < 0.3:
            return rng.choice(leaves)
        if rng.random() < 0.5:
            return [build(levels - 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(["k", "[", '"{', "\\"]) + str(i): build(levels - 1)
                for i in range(rng.randint(0, 3))}

    for _ in range(2000):
        doc, limit = build(rng.randint(0, 12)), rng.randint(0, 10)
        for ascii_only in (True, False):
            text = json.dumps(doc, ensure_ascii=ascii_only)
            assert jsonio.too_deep(text, limit) is (_depth(doc) > limit), (text, limit)


def test_what_passes_the_depth_check_never_recurses_deeply_even_when_malformed():
    """Malformed text may be measured loosely, but never so that the decoder then recurses
    past the limit: decoding runs here with only ~80 frames to spare."""
    rng = random.Random(5)
    pieces = ["[", "]", "{", "}", '"', "\\", '\\"', "a", ",", ":", "1", "[" * 10, '{"x":', " "]

    frames = len(inspect.stack(0)) + 1

    def decode_with_few_frames(text: str) -> str:
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(frames + 80)
        try:
            json.loads(text)
            return "ok"
        except RecursionError:
            return "recursion"
        except ValueError:
            return "malformed"
        finally:
            sys.setrecursionlimit(old)

    assert decode_with_few_frames("[" * 100 + "]" * 100) == "recursion"  # the harness bites
    accepted = 0
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 2000)))
        if not jsonio.too_deep(text):
            accepted += 1
            assert decode_with_few_frames(text) != "recursion", text
    assert accepted > 100


def test_a_million_levels_are_refused_not_a_recursion_error():
    with pytest.raises(jsonio.TooDeep):
        jsonio.loads("[" * 1_000_000 + "]" * 1_000_000)
    with pytest.raises(jsonio.TooDeep):
        jsonio.loads(b"[" * 100_000)
    assert jsonio.loads(b'{"a": [1, {"b": "[[["}]}') == {"a": [1, {"b": "[[["}]}


def test_nothing_nan_or_infinite_is_written():
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError):
            jsonio.dumps({"lat": value})
        with pytest.raises(ValueError):
            jsonio.SocketJSON.dumps(["officer.position", {"lat": value}])
    assert jsonio.dumps({"lat": 35.0}) == '{"lat": 35.0}'


# -- text that no column can hold ----------------------------------------------------------------
@pytest.mark.parametrize("data,path", [
    ({"a": "ok", "b": ["x", {"c": "y\x00"}]}, ["b", 1, "c"]),
    ({"a": ["\ud800"]}, ["a", 0]),
    ({"a": {"\x00": 1}}, ["a"]),                       # a bad key names its object
    (["\udfff"], [0]),
    ("\x00", []),
])
def test_the_first_bad_string_is_found_with_its_path(data, path):
    found = jsonio.bad_text_path(data)
    assert found is not None and found[0] == path


def test_good_text_passes_astral_characters_included():
    assert jsonio.bad_text_path({"名": ["路被堵了 🚧", "\u2028", "\ufffd", 1, None, 2.5]}) is None
    assert jsonio.text_problem("😀") is None
    assert jsonio.text_problem("a\x00") and jsonio.text_problem("\ud83d")


def test_a_socket_packet_with_bad_text_is_refused_at_decoding():
    with pytest.raises(jsonio.BadText, match="1.incident_id"):
        jsonio.SocketJSON.loads('["task.accept", {"incident_id": "\\u0000"}]')
    assert jsonio.SocketJSON.loads('["resync", {"since_seq": 0}]') == ["resync", {"since_seq": 0}]


# -- device times --------------------------------------------------------------------------------
@pytest.mark.parametrize("offset,ok", [
    (timedelta(0), True),
    (timedelta(minutes=5), True), (timedelta(minutes=5, microseconds=1), False),
    (-timedelta(hours=24), True), (-timedelta(hours=24, microseconds=1), False),
])
def test_a_device_time_is_believed_within_the_window_bounds_included(offset, ok):
    assert (problem(NOW + offset, NOW, DeviceTimeWindow()) is None) is ok


def test_the_window_names_every_time_outside_it_and_is_configurable():
    window = DeviceTimeWindow(ahead=timedelta(seconds=10), max_age=timedelta(minutes=1))
    with pytest.raises(ValidationFailed) as err:
        check_device_times([("p.0", NOW), ("p.1", NOW + timedelta(seconds=11)),
                            ("p.2", None), ("p.3", NOW - timedelta(seconds=61))], NOW, window)
    assert [e.field for e in err.value.errors] == ["p.1", "p.3"]
    check_device_times([("p.0", NOW + timedelta(seconds=10))], NOW, window)


def test_a_device_time_in_any_offset_is_compared_in_utc():
    from datetime import timezone
    plus14 = timezone(timedelta(hours=14))
    assert problem(NOW.astimezone(plus14), NOW, DeviceTimeWindow()) is None
    assert problem(datetime.min.replace(tzinfo=plus14), NOW, DeviceTimeWindow()) is not None


# -- coordinates after datum conversion ----------------------------------------------------------
EDGES_LAT = (-90.0, -89.9999, -45.0, 0.0, 35.0, 89.9999, 90.0)
EDGES_LON = (-180.0, -179.9999, -0.0, 112.6, 179.9999, 180.0)


@pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09"])
def test_every_accepted_point_is_finite_and_on_the_earth_in_wgs84(crs):
    """For the whole edge of the input ranges: either refused naming lat or lon, or accepted
    as a finite WGS-84 point inside the ranges."""
    refused = []
    for lat in EDGES_LAT:
        for lon in EDGES_LON:
            try:
                fix = validate(s.LocationIn, {"lat": lat, "lon": lon, "crs": crs})
            except ValidationFailed as exc:
                refused.append((lat, lon, exc.errors[0].field))
                continue
            point = fix.wgs84_point()
            assert math.isfinite(point.x) and math.isfinite(point.y)
            assert -180 <= point.x <= 180 and -90 <= point.y <= 90, (lat, lon, crs, point)
    if crs == "bd09":  # Baidu's shift takes the south pole and the antimeridian off the earth
        assert (-90.0, 112.6, "lat") in refused and (35.0, -180.0, "lon") in refused
        assert {f for _, _, f in refused} == {"lat", "lon"}
    else:
        assert refused == []


def test_accuracy_is_bounded_at_10_km():
    assert validate(s.LocationIn, {"lat": 35.0, "lon": 112.6, "accuracy_m": 10_000}).accuracy_m \
        == 10_000
    with pytest.raises(ValidationFailed) as err:
        validate(s.LocationIn, {"lat": 35.0, "lon": 112.6, "accuracy_m": 10_000.0001})
    assert err.value.errors[0].field == "accuracy_m"


# -- times in UTC --------------------------------------------------------------------------------
@pytest.mark.parametrize("when,ok", [
    ("0001-01-01T00:00:00+14:00", False), ("9999-12-31T23:59:59-14:00", False),
    ("0001-01-01T00:00:00Z", True), ("9999-12-31T23:59:59Z", True),
    ("0001-01-01T14:00:00+14:00", True), ("9999-12-31T09:59:59-14:00", True),
    ("2026-11-27T10:00:00", False),  # no offset
])
def test_every_input_time_exists_in_utc(when, ok):
    for model, data, field in ((s.CheckInRequest, {"location": {"lat": 35, "lon": 112.6},
                                                   "recorded_at": when}, "recorded_at"),
                               (s.IncidentListQuery, {"since": when}, "since"),
                               (s.PositionFix, {"lat": 35, "lon": 112.6, "recorded_at": when},
                                "recorded_at")):
        if ok:
            value = getattr(validate(model, data), field)
            assert value.tzinfo is UTC
        else:
            with pytest.raises(ValidationFailed) as err:
                validate(model, data)
            assert err.value.errors[0].field == field


def test_every_request_model_refuses_bad_text_in_every_string():
    """The class, not the examples: any string field of any request model."""
    from pydantic import BaseModel

    models = [m for m in vars(s).values()
              if isinstance(m, type) and issubclass(m, BaseModel) and issubclass(m, s.Strict)
              and m is not s.Strict]
    assert len(models) >= 8
    for model in models:
        for name in model.model_fields:
            with pytest.raises(ValidationFailed) as err:
                validate(model, {name: "x\x00"})
            assert name in [e.field for e in err.value.errors], (model, name)


# -- the settings --------------------------------------------------------------------------------
def test_the_limits_come_from_the_environment(tmp_path):
    from server.bootstrap import bootstrap
    from server.config import load

    cfg = load({"INSTANCE_PATH": str(tmp_path)}, environ={
        "DISPATCH_DEVICE_TIME_AHEAD_SECONDS": "60", "DISPATCH_POSITION_MAX_AGE_SECONDS": "3600",
        "DISPATCH_PHOTO_MAX_PIXELS": "1000", "DISPATCH_JSON_MAX_BYTES": "1024"})
    assert cfg.JSON_MAX_BYTES == 1024
    ctx = bootstrap(cfg, tmp_path)
    try:
        assert ctx.settings.device_time == DeviceTimeWindow(timedelta(seconds=60),
                                                            timedelta(hours=1))
        assert ctx.settings.photo_max_pixels == 1000
    finally:
        ctx.engine.dispose()
