"""Reading an Open311 client's form fields and query parameters, refusing what cannot be used.

Every refusal is a `ValidationFailed` naming the standard's field (`lat`, `service_code`,
`attribute[blocked_since]`...), which the blueprint answers as an Open311 400. Personal fields
the standard allows (`email`, `first_name`, `last_name`, `phone`, `device_id`, `account_id`) and
`address_string` are read by no one here: the product keeps no more about a person than it needs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime

from shapely.geometry import Point

from dispatch.utc import CST
from dispatch.errors import ValidationFailed
from dispatch.limits import (ATTRIBUTE_MAX_CHARS, DESCRIPTION_MAX_CHARS, ID_MAX_CHARS,
                             MEDIA_URL_MAX_CHARS)
from dispatch.open311 import MAX_REQUESTS, SERVICES, STATUSES, NewRequest, RequestFilters
from mobile_api import characters
from mobile_api.jsonio import text_problem
from mobile_api.numbers import whole_number

MAX_IDS = MAX_REQUESTS
MAX_PAGE = 1_000_000
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]{1,64})\]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def text(form: Mapping[str, str], name: str, max_length: int = DESCRIPTION_MAX_CHARS) -> str | None:
    value = form.get(name)
    if value is None:
        return None
    if why := text_problem(value):
        raise ValidationFailed.on(name, why)
    if len(value) > max_length:
        raise ValidationFailed.on(name, f"at most {max_length} characters")
    return value


def free_text(form: Mapping[str, str], name: str, max_length: int, one_line: bool = False
              ) -> str | None:
    """A field that is stored and written out again: `text`, and no control character
    (`mobile_api.characters`)."""
    value = text(form, name, max_length)
    if value is not None and (why := characters.problem(value, one_line)):
        raise ValidationFailed.on(name, why)
    return value


def _coordinate(form: Mapping[str, str], name: str, limit: float) -> float | None:
    raw = text(form, name, 50)
    if raw is None or raw.strip() == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValidationFailed.on(name, "a decimal number") from None
    if not (math.isfinite(value) and -limit <= value <= limit):
        raise ValidationFailed.on(name, f"between -{limit:g} and {limit:g}")
    return value


def new_request(form: Mapping[str, str]) -> NewRequest:
    """A POST's fields. The api_key is checked before this is called."""
    code = text(form, "service_code", ID_MAX_CHARS)
    if not code:
        raise ValidationFailed.on("service_code", "required")
    lat, lon = _coordinate(form, "lat", 90.0), _coordinate(form, "long", 180.0)
    if (lat is None) != (lon is None):
        raise ValidationFailed.on("long" if lon is None else "lat",
                                  "give both lat and long")
    address_id = text(form, "address_id", ID_MAX_CHARS) or None
    if lat is not None and address_id is not None:
        raise ValidationFailed.on("address_id", "give lat and long, or an address_id, not both")
    if lat is None and address_id is None:
        raise ValidationFailed.on("lat", "give lat and long, or an address_id")
    description = free_text(form, "description", DESCRIPTION_MAX_CHARS)
    if description is None or not description.strip():
        raise ValidationFailed.on("description", "required")
    attributes: dict[str, str] = {}
    for key in form:
        m = _ATTRIBUTE.fullmatch(key)
        if m:
            attributes[m[1]] = free_text(form, key, ATTRIBUTE_MAX_CHARS, one_line=True) or ""
        elif key.startswith("attribute"):
            raise ValidationFailed.on(key, "attributes are sent as attribute[code]")
    media_url = free_text(form, "media_url", MEDIA_URL_MAX_CHARS, one_line=True) or None
    if media_url is not None and not re.match(r"https?://", media_url):
        raise ValidationFailed.on("media_url", "an http or https URL")
    return NewRequest(service_code=code, description=description,
                      location=None if lat is None or lon is None else Point(lon, lat),
                      address_id=address_id, media_url=media_url, attributes=attributes)


def _datetime(args: Mapping[str, str], name: str) -> datetime | None:
    """A W3C datetime with its offset (`Z` or `+08:00`); a date alone is midnight in China
    Standard Time."""
    raw = text(args, name, 40)
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace(" ", "+", 1) if "T" in raw else raw)
    except ValueError:
        raise ValidationFailed.on(name, "a W3C datetime such as 2026-11-27T08:00:00+08:00"
                                  ) from None
    if value.tzinfo is None:
        if not _DATE.fullmatch(raw.strip()):
            raise ValidationFailed.on(name, "a datetime needs its offset (Z or +08:00)")
        value = value.replace(tzinfo=CST)
    return value


def _integer(args: Mapping[str, str], name: str, default: int, high: int) -> int:
    raw = text(args, name, 20)
    if raw is None or raw == "":
        return default
    number = whole_number(raw)
    if number is None or not 1 <= number <= high:
        raise ValidationFailed.on(name, f"a whole number from 1 to {high} (digits 0-9)")
    return number


def _choices(args: Mapping[str, str], name: str, known: tuple[str, ...]) -> list[str] | None:
    """A comma-delimited list of known values (`status=open,closed`), as the standard allows
    for `status` and `service_code`; blanks around and empty items are ignored; absent or
    empty: None (every value). An unknown value is refused, naming it."""
    raw = text(args, name, 70 * (len(known) + 1))
    if not raw or not raw.strip():
        return None
    values = [v.strip() for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v not in known]
    if unknown or not values:
        raise ValidationFailed.on(name, f"not {', '.join(unknown or [raw])}: a comma-delimited "
                                        f"list of {', '.join(known)}")
    return values


def filters(args: Mapping[str, str]) -> RequestFilters:
    ids_raw = text(args, "service_request_id", 70_000)
    ids = None
    if ids_raw:
        ids = [i.strip() for i in ids_raw.split(",") if i.strip()]
        if not ids or len(ids) > MAX_IDS or any(len(i) > ID_MAX_CHARS for i in ids):
            raise ValidationFailed.on("service_request_id",
                                      f"1 to {MAX_IDS} ids of at most {ID_MAX_CHARS} characters, "
                                      "separated by commas")
    return RequestFilters(
        ids=ids, service_codes=_choices(args, "service_code", tuple(SERVICES)),
        start=_datetime(args, "start_date"), end=_datetime(args, "end_date"),
        statuses=_choices(args, "status", STATUSES),
        page_size=_integer(args, "page_size", MAX_REQUESTS, MAX_REQUESTS),
        page=_integer(args, "page", 1, MAX_PAGE))


def idempotency_key(raw: str | None) -> str | None:
    """The `Idempotency-Key` header's value, as the REST API takes it: 1 to 200 characters once
    the blanks around are stripped; absent, None."""
    if raw is None:
        return None
    key = text({"Idempotency-Key": raw.strip()}, "Idempotency-Key", 200)
    if not key:
        raise ValidationFailed.on("Idempotency-Key", "1 to 200 characters")
    return key
