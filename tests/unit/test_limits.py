"""Each limit on a text is named once (dispatch/limits.py) and every door reads it there: the
phone API's schemas (and so its OpenAPI document), Open311's form and the domain's checks."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from dispatch import disclosure, limits
from dispatch.errors import ValidationFailed
from mobile_api import schemas as s
from mobile_api.open311 import params
from mobile_api.validation import validate

ROOT = Path(__file__).resolve().parents[2]

# (model, field, limit): every free text and every identifier a client sends in a JSON body.
FIELDS = [
    (s.IncidentCreate, "description", limits.DESCRIPTION_MAX_CHARS),
    (s.IncidentCreate, "site_id", limits.ID_MAX_CHARS),
    (s.NoteRequest, "note", limits.NOTE_MAX_CHARS),
    (s.FeedbackRequest, "comment", limits.NOTE_MAX_CHARS),
    (s.ExtendRequest, "reason", limits.REASON_MAX_CHARS),
    (s.ComplaintRequest, "text", limits.COMPLAINT_MAX_CHARS),
    (s.ComplaintReplyRequest, "reply", limits.COMPLAINT_MAX_CHARS),
    (s.WithholdRequest, "reason", limits.WITHHOLD_REASON_MAX_CHARS),
    (s.SiteCreate, "lead_department", limits.ID_MAX_CHARS),
    (s.SiteCreate, "owner_id", limits.ID_MAX_CHARS),
    (s.AssignRequest, "unit", limits.ID_MAX_CHARS),
    (s.AssignRequest, "person", limits.ID_MAX_CHARS),
    (s.IncidentListQuery, "unit", limits.ID_MAX_CHARS),
    (s.MapQuery, "unit", limits.ID_MAX_CHARS),
]


def _max_length(model: type[BaseModel], field: str) -> int:
    prop: dict[str, Any] = model.model_json_schema()["properties"][field]
    found = [p["maxLength"] for p in [prop, *prop.get("anyOf", [])] if "maxLength" in p]
    assert len(found) == 1, (model, field, prop)
    return int(found[0])


@pytest.mark.parametrize(("model", "field", "limit"), FIELDS,
                         ids=[f"{m.__name__}.{f}" for m, f, _ in FIELDS])
def test_the_schemas_and_the_api_document_carry_the_named_limit(model: type[BaseModel],
                                                                field: str, limit: int) -> None:
    assert _max_length(model, field) == limit


@pytest.mark.parametrize(("model", "field", "limit", "rest"), [
    (s.NoteRequest, "note", limits.NOTE_MAX_CHARS, {}),
    (s.ComplaintRequest, "text", limits.COMPLAINT_MAX_CHARS, {}),
    (s.WithholdRequest, "reason", limits.WITHHOLD_REASON_MAX_CHARS, {}),
    (s.IncidentCreate, "description", limits.DESCRIPTION_MAX_CHARS,
     {"category": "power_cut", "location": {"lat": 35.09, "lon": 112.6}}),
])
def test_a_text_at_the_limit_passes_and_one_past_it_is_refused_naming_the_field(
        model: type[BaseModel], field: str, limit: int, rest: dict[str, Any]) -> None:
    assert len(getattr(validate(model, {**rest, field: "长" * limit}), field)) == limit
    with pytest.raises(ValidationFailed) as err:
        validate(model, {**rest, field: "长" * (limit + 1)})
    assert [e.field for e in err.value.errors] == [field]


def _open311(**fields: str) -> dict[str, str]:
    return {"service_code": "power_cut", "lat": "35.09", "long": "112.6",
            "description": "停电", **fields}


@pytest.mark.parametrize(("field", "limit", "value"), [
    ("description", limits.DESCRIPTION_MAX_CHARS, "长"),
    ("media_url", limits.MEDIA_URL_MAX_CHARS, "x"),
    ("address_id", limits.ID_MAX_CHARS, "s"),
])
def test_open311_reads_the_same_limits(field: str, limit: int, value: str) -> None:
    form = _open311(**{field: value * limit})
    if field == "media_url":
        form[field] = "https://" + form[field][len("https://"):]
    if field == "address_id":
        del form["lat"], form["long"]
    assert len(getattr(params.new_request(form), field)) == limit
    with pytest.raises(ValidationFailed) as err:
        params.new_request({**form, field: form[field] + value})
    assert [e.field for e in err.value.errors] == [field]


def test_an_open311_attribute_reads_its_limit() -> None:
    at = params.new_request(_open311(**{"attribute[x]": "a" * limits.ATTRIBUTE_MAX_CHARS}))
    assert at.attributes == {"x": "a" * limits.ATTRIBUTE_MAX_CHARS}
    with pytest.raises(ValidationFailed) as err:
        params.new_request(_open311(**{"attribute[x]": "a" * (limits.ATTRIBUTE_MAX_CHARS + 1)}))
    assert [e.field for e in err.value.errors] == ["attribute[x]"]


def test_the_description_limit_is_written_once() -> None:
    """The number 2000 appears in the product's packages only in limits.py (and as the first
    year of the disclosure's periods, which is a year)."""
    assert disclosure.FIRST_YEAR == 2000
    found = []
    for package in ("dispatch", "geo", "mobile_api", "server"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "limits.py":
                continue
            text = path.read_text(encoding="utf-8")
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.Constant) and node.value == 2000:
                    line = text.splitlines()[node.lineno - 1]
                    if "FIRST_YEAR" not in line:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {line.strip()}")
    assert found == []
