"""No 500 from a parameter, on PostGIS and SQLite: every whole number a query takes (the list's
`page` and `per_page`, Open311's `page` and `page_size`, and any integer parameter the OpenAPI
document will describe later) is ASCII digits or a refusal naming it. Python's `int()` reads
other scripts' digits and `str.isdigit()` takes superscripts that `int()` then refuses, so both
were tried: a superscript was a 500 on Open311, an Arabic-Indic or full-width digit a silent 3.
The parameters that carry digits inside text (dates, weeks, months, the bbox) are tried with the
same characters and refused as well."""

from __future__ import annotations

from typing import Any

import pytest

from mobile_api.numbers import whole_number

V2 = "/open311/v2"
KEY = "demo-open311-key"
# Superscripts (isdigit() but not int()), other scripts' digits (int() reads them), full width,
# and ASCII spellings int() or pydantic would accept that are not a plain run of digits.
NOT_DIGITS = ["²", "¹", "³", "٣", "۳", "१", "１", "１0", "1１", "①", "Ⅻ", "𝟙", "1_0", "+1",
              "-1", " 1", "1 ", "1.0", "1e1", "0x1", "\t1", "9" * 19, "9" * 1500]


def _o311_errors(r) -> str:  # type: ignore[no-untyped-def]
    body = r.get_json()
    assert isinstance(body, list) and body[0]["code"] == 400, body
    return " ".join(e["description"] for e in body)


def _integer_query_parameters(client) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    spec = client.get("/api/v1/openapi.json").get_json()
    return {(path, p["name"]) for path, ops in spec["paths"].items()
            for method, op in ops.items() if method == "get"
            for p in op.get("parameters", [])
            if p.get("in") == "query" and p.get("schema", {}).get("type") == "integer"}


def test_the_ascii_parser_reads_digits_0_to_9_and_nothing_else():
    assert [whole_number(v) for v in ("0", "7", "0042", "9" * 18)] == [0, 7, 42, 10**18 - 1]
    for raw in [*NOT_DIGITS, "", "9" * 5000]:  # 5000: past int()'s own limit of 4300 digits
        assert whole_number(raw) is None, repr(raw)


@pytest.mark.parametrize("raw", NOT_DIGITS, ids=[repr(r)[:12] for r in NOT_DIGITS])
def test_every_integer_parameter_of_the_api_refuses_what_is_not_ascii_digits(client, login,
                                                                            raw):
    headers = login("demo-commander")
    found = _integer_query_parameters(client)
    assert {("/api/v1/incidents", "page"), ("/api/v1/incidents", "per_page")} <= found
    for path, name in sorted(found):
        r = client.get(path, query_string={name: raw}, headers=headers)
        assert r.status_code == 422, (path, name, raw, r.status_code, r.data[:300])
        assert r.mimetype == "application/problem+json"
        assert [e["field"] for e in r.get_json()["errors"]] == [name], r.get_json()


@pytest.mark.parametrize("name", ["page", "page_size"])
@pytest.mark.parametrize("raw", NOT_DIGITS, ids=[repr(r)[:12] for r in NOT_DIGITS])
def test_open311_page_and_page_size_refuse_what_is_not_ascii_digits(client, name, raw):
    for fmt in ("json", "xml"):
        r = client.get(f"{V2}/requests.{fmt}", query_string={name: raw})
        assert r.status_code == 400, (name, raw, fmt, r.status_code, r.data[:300])
        if fmt == "json":
            assert _o311_errors(r).startswith(f"{name}:"), r.get_json()


def test_the_bounds_of_the_integer_parameters_still_hold(client, login):
    """The same parser on both sides of each bound: at it accepted, one past it refused."""
    headers = login("demo-commander")
    for query, status in ((dict(page="1", per_page="1"), 200), (dict(per_page="200"), 200),
                          (dict(page="100000"), 200), (dict(page="0"), 422),
                          (dict(per_page="201"), 422), (dict(page="100001"), 422)):
        r = client.get("/api/v1/incidents", query_string=query, headers=headers)
        assert r.status_code == status, (query, r.get_json())
    for query, status in (({"page": "1", "page_size": "1"}, 200), ({"page_size": "1000"}, 200),
                          ({"page": "1000000"}, 200), ({"page": "0"}, 400),
                          ({"page_size": "1001"}, 400), ({"page": "1000001"}, 400)):
        r = client.get(f"{V2}/requests.json", query_string=query)
        assert r.status_code == status, (query, r.data[:300])


DIGITS_IN_TEXT: list[tuple[str, dict[str, str], str]] = [
    ("/api/v1/incidents", {"since": "２０２６-11-27T00:00:00Z"}, "since"),
    ("/api/v1/incidents", {"bbox": "١١٢,35,113,36"}, "bbox"),
    ("/api/v1/map/incidents", {"bbox": "112,35,113,３6"}, "bbox"),
    ("/api/v1/stats/units", {"from": "2026-1１-01"}, "from"),
    ("/api/v1/stats/units", {"to": "2026-11-３0"}, "to"),
    ("/api/v1/public/cases", {"week": "2026-W４8"}, "week"),
    ("/api/v1/public/cases", {"month": "２026-11"}, "month"),
]


@pytest.mark.parametrize("path,query,field", DIGITS_IN_TEXT, ids=[f for _, _, f in DIGITS_IN_TEXT])
def test_digits_of_other_scripts_inside_dates_weeks_and_boxes_are_refused_naming_them(
        client, login, path, query, field):
    r = client.get(path, query_string=query, headers=login("demo-commander"))
    assert r.status_code == 422, (path, query, r.status_code, r.data[:300])
    body: Any = r.get_json()
    assert body["errors"][0]["field"].split(".")[0] == field, body


@pytest.mark.parametrize("name", ["start_date", "end_date"])
def test_open311_dates_with_other_scripts_digits_are_refused_naming_them(client, name):
    for raw in ("２０２６-11-27", "2026-11-2٧", "2026-11-27T08:00:00+0８:00"):
        r = client.get(f"{V2}/requests.json", query_string={name: raw})
        assert r.status_code == 400 and _o311_errors(r).startswith(f"{name}:"), (raw, r.data)
