"""Turning request bodies and query strings into models, and their errors into field errors."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from dispatch.errors import BadRequest, FieldError, ValidationFailed
from mobile_api import jsonio

M = TypeVar("M", bound=BaseModel)


def field_errors(exc: PydanticError, prefix: str = "") -> list[FieldError]:
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(_printable(part) for part in err["loc"]) or "body"
        msg = err["msg"].removeprefix("Value error, ")
        out.append(FieldError(prefix + loc, msg))
    return out


def _printable(part: Any) -> str:
    """A location part as text that any response can carry (an unknown key may hold anything)."""
    return str(part).encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def validate(model: type[M], data: Any, prefix: str = "") -> M:
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        errors = field_errors(exc, prefix)
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise ValidationFailed(detail, errors) from None


def parse_json(raw: str | bytes, field: str) -> Any:
    """JSON text as data: malformed, or nested deeper than jsonio.MAX_DEPTH, is a 400 naming
    `field`, never a RecursionError."""
    try:
        return jsonio.loads(raw)
    except jsonio.TooDeep as exc:
        raise BadRequest(f"{field}: {exc}", [FieldError(field, str(exc))]) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"malformed JSON: {exc}", [FieldError(field, "malformed JSON")]) from None


def json_body(model: type[M]) -> M:
    """The JSON body as `model`; malformed JSON is a 400 naming the body, not a 500."""
    raw = request.get_data(cache=True)
    if not raw:
        raise BadRequest("a JSON body is required", [FieldError("body", "empty")])
    return validate(model, parse_json(raw, "body"))


def query_args(model: type[M]) -> M:
    return validate(model, request.args.to_dict(), prefix="")
