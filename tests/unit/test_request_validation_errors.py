"""How a refused request body reads: each field named by its dotted path (with the prefix the
caller gives), pydantic's "Value error, " taken off, unprintable keys made printable, and the
detail joining them all."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError, field_validator, model_validator

from dispatch.errors import BadRequest, FieldError, ValidationFailed
from mobile_api import schemas
from mobile_api.validation import _printable, field_errors, parse_json, validate


class Inner(BaseModel):
    lat: float

    @field_validator("lat")
    @classmethod
    def _range(cls, value: float) -> float:
        if not -90 <= value <= 90:
            raise ValueError("latitude must lie in [-90, 90]")
        return value


class Outer(BaseModel):
    location: Inner
    note: str


class Whole(BaseModel):
    a: int | None = None

    @model_validator(mode="after")
    def _needs_a(self) -> Whole:
        if self.a is None:
            raise ValueError("give a")
        return self


def _errors(model: type[BaseModel], data: object, prefix: str | None = None) -> list[FieldError]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    if prefix is None:  # the caller's default: no prefix
        return field_errors(caught.value)
    return field_errors(caught.value, prefix)


def test_nested_fields_are_dotted_and_value_error_prefix_is_dropped() -> None:
    errors = _errors(Outer, {"location": {"lat": 91.0}, "note": "x"})
    assert errors == [FieldError("location.lat", "latitude must lie in [-90, 90]")]


def test_prefix_is_put_before_every_field() -> None:
    errors = _errors(Outer, {"location": {"lat": 91.0}, "note": "x"}, prefix="positions.0.")
    assert [e.field for e in errors] == ["positions.0.location.lat"]


def test_a_whole_model_error_is_on_the_body() -> None:
    assert _errors(Whole, {}) == [FieldError("body", "give a")]


def test_a_message_that_merely_contains_value_error_is_kept() -> None:
    class Odd(BaseModel):
        x: int

        @field_validator("x")
        @classmethod
        def _odd(cls, value: int) -> int:
            raise ValueError("bad. Value error, ")

    [err] = _errors(Odd, {"x": 1})
    assert err.message == "bad. Value error, "


def test_validate_raises_422_with_every_field_and_a_joined_detail() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate(Outer, {"location": {"lat": 91.0}}, prefix="p.")
    err = caught.value
    assert [e.field for e in err.errors] == ["p.location.lat", "p.note"]
    assert err.detail == "; ".join(f"{e.field}: {e.message}" for e in err.errors)
    assert err.detail.startswith("p.location.lat: latitude must lie in [-90, 90]; p.note: ")
    assert "errors.pydantic.dev" not in err.detail  # no documentation links in answers
    assert validate(Inner, {"lat": 90.0}).lat == 90.0


def test_unprintable_key_parts_are_escaped() -> None:
    assert _printable("a\x00b") == "a\\x00b"
    assert _printable("\udcff") == "\\udcff"
    assert _printable("济源") == "济源"
    assert _printable(3) == "3"


def test_parse_json_names_the_field_for_malformed_and_too_deep_input() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_json(b"{", "body")
    assert caught.value.errors == [FieldError("body", "malformed JSON")]
    with pytest.raises(BadRequest) as deep:
        parse_json("[" * 10_000 + "]" * 10_000, "meta")
    assert [e.field for e in deep.value.errors] == ["meta"]
    assert deep.value.detail.startswith("meta: ")
    assert parse_json('{"a": [1]}', "body") == {"a": [1]}


def test_a_time_with_no_utc_instant_is_refused_naming_why() -> None:
    edge = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    with pytest.raises(ValueError, match="^out of range once converted to UTC$"):
        schemas._utc(edge)


def test_refusal_built_by_schemas_carries_model_location_and_input() -> None:
    exc = schemas._refuse("IncidentCreate", ("location", "lat"), "range", "too far north", 91)
    [err] = exc.errors()
    assert exc.title == "IncidentCreate"
    assert err["loc"] == ("location", "lat") and err["input"] == 91
    assert err["msg"] == "too far north" and err["type"] == "range"
