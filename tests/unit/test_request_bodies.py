"""How a request body and a query string become a model, inside a bare Flask request (no app
wiring, no database): an empty or malformed body is a 400 naming `body`, a body or query that
does not fit is a 422 naming each field by its own name, and a too-deep document is refused
before it is decoded."""

from __future__ import annotations

import flask
import pytest
from pydantic import BaseModel

from dispatch.errors import BadRequest, FieldError, ValidationFailed
from mobile_api import jsonio
from mobile_api.validation import json_body, parse_json, query_args, validate


class Note(BaseModel):
    text: str
    count: int = 0


class Page(BaseModel):
    limit: int = 10
    q: str | None = None


_app = flask.Flask(__name__)


def _post(body: bytes | str) -> flask.ctx.RequestContext:
    return _app.test_request_context("/", method="POST", data=body,
                                     content_type="application/json")


def test_a_valid_body_becomes_the_model() -> None:
    with _post(b'{"text": "hello", "count": 3}'):
        note = json_body(Note)
    assert note == Note(text="hello", count=3)


def test_the_body_stays_readable_after_it_was_parsed() -> None:
    raw = b'{"text": "kept"}'
    with _post(raw):
        json_body(Note)
        assert flask.request.get_data() == raw


def test_an_empty_body_is_a_400_naming_the_body() -> None:
    with _post(b""), pytest.raises(BadRequest) as caught:
        json_body(Note)
    assert caught.value.status == 400
    assert str(caught.value.detail) == "a JSON body is required"
    assert caught.value.errors == [FieldError("body", "empty")]


def test_a_malformed_body_is_a_400_naming_the_body() -> None:
    with _post(b'{"text": '), pytest.raises(BadRequest) as caught:
        json_body(Note)
    assert caught.value.errors == [FieldError("body", "malformed JSON")]
    assert caught.value.detail.startswith("malformed JSON: ")


def test_a_body_that_does_not_fit_is_a_422_naming_its_fields_without_a_prefix() -> None:
    with _post(b'{"count": "many"}'), pytest.raises(ValidationFailed) as caught:
        json_body(Note)
    fields = [e.field for e in caught.value.errors]
    assert fields == ["text", "count"]
    assert caught.value.detail == "; ".join(f"{e.field}: {e.message}"
                                             for e in caught.value.errors)
    assert caught.value.detail.startswith("text: Field required; count: ")


def test_a_too_deep_body_is_a_400_naming_the_body_and_the_limit() -> None:
    deep = "[" * (jsonio.MAX_DEPTH + 1) + "]" * (jsonio.MAX_DEPTH + 1)
    with _post(deep), pytest.raises(BadRequest) as caught:
        json_body(Note)
    message = f"nested deeper than {jsonio.MAX_DEPTH} levels"
    assert caught.value.errors == [FieldError("body", message)]
    assert caught.value.detail == f"body: {message}"


def test_parse_json_names_the_field_it_was_given() -> None:
    deep = "{\"a\":" * (jsonio.MAX_DEPTH + 1) + "1" + "}" * (jsonio.MAX_DEPTH + 1)
    with pytest.raises(BadRequest) as caught:
        parse_json(deep, "payload")
    assert caught.value.detail == f"payload: nested deeper than {jsonio.MAX_DEPTH} levels"
    assert [e.field for e in caught.value.errors] == ["payload"]
    with pytest.raises(BadRequest) as caught:
        parse_json(b"\xff\xfe\x00", "payload")
    assert caught.value.errors == [FieldError("payload", "malformed JSON")]
    assert parse_json(b'{"a": [1, 2]}', "payload") == {"a": [1, 2]}


def test_parse_json_accepts_exactly_the_maximum_depth() -> None:
    at_limit = "[" * jsonio.MAX_DEPTH + "]" * jsonio.MAX_DEPTH
    assert parse_json(at_limit, "body") is not None


def test_query_arguments_become_the_model() -> None:
    with _app.test_request_context("/?limit=5&q=water"):
        page = query_args(Page)
    assert page == Page(limit=5, q="water")
    with _app.test_request_context("/"):
        assert query_args(Page) == Page()


def test_a_bad_query_argument_is_a_422_naming_the_argument_as_sent() -> None:
    with _app.test_request_context("/?limit=lots"), pytest.raises(ValidationFailed) as caught:
        query_args(Page)
    assert [e.field for e in caught.value.errors] == ["limit"]
    assert caught.value.detail.startswith("limit: ")


def test_a_repeated_query_argument_is_read_as_its_first_value() -> None:
    with _app.test_request_context("/?limit=3&limit=4"):
        assert query_args(Page).limit == 3


def test_validate_without_a_prefix_names_fields_as_they_are() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate(Note, {"text": 5})
    assert [e.field for e in caught.value.errors] == ["text"]
    assert caught.value.detail.startswith("text: ")
    with pytest.raises(ValidationFailed) as caught:
        validate(Note, {"text": 5}, prefix="note.")
    assert caught.value.detail.startswith("note.text: ")
