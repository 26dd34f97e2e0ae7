"""Schemathesis against the served document: every operation, every role, both databases.

Each request must get no 5xx, a status the document declares for the operation, a Content-Type it
declares for that status, and a body that validates against its schema. Besides what Schemathesis
generates from the document (examples, coverage and fuzzing phases, valid and invalid data), every
field, query and path parameter of the document is fed, some of the time, from dictionaries of
hostile values (NUL, lone surrogates, dates that overflow in UTC, the edges of the coordinate
ranges), and every body from a list of hostile raw bodies (nested thousands deep, megabytes long,
not UTF-8). Runs are derandomized with a fixed seed, so CI fails on the same input every time;
the request counts are printed at the end of the run (tests/contract/conftest.py).

Why not `schemathesis.pytest.from_fixture`: with pytest 9.2 its lazy tests fail before the first
request (it sets `Function._nodeid`, which pytest 9.2 no longer has). The same per-operation
Hypothesis tests are built here with the function `from_fixture` uses, and run in a loop that
reports every failing operation at once.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.contract.conftest import USERS
from tests.contract.summary import REQUESTS

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]
SEED = 20261127
MAX_EXAMPLES = 8            # per operation, role and backend, in the fuzzing phase
MIN_REQUESTS_PER_RUN = 100  # x 6 roles x 2 backends: a full run makes well over 1,000
SETTINGS = settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=False)
SESSION_ENDING = {"/api/v1/auth/sign-out"}  # after it, the role signs in again
HOSTILE_RATE = 0.25         # how often a field takes a dictionary value instead of a generated one

TEXT = ["a\x00b", "\x00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
        "2026-11-27T02:00:00Z", "2026-11-27T10:00:00+08:00", "\u202e\ufeff", "' OR '1'='1",
        "../../etc/passwd", "%00", " ", "x" * 201]
NUMBERS: list[str | int | float] = [
    90, -90, 180, -180, 89.99999999, -179.99999999, 0, 0.0, 1e-300, 100_000, 1e308, -1e308,
    2**53 + 1, 2**63]
DICTIONARIES = {
    "hostile-body": {"values": [*TEXT, *NUMBERS]},  # lone surrogates: RAW_BODIES (no codec)
    "hostile-parameter": {"values": [*TEXT, *NUMBERS]},
    "hostile-header": {"values": ["  ", "x" * 201, "key-\u00e9", "9999-12-31T23:59:59-14:00"]},
}
DICTIONARY_FOR = {"body": "hostile-body", "query": "hostile-parameter",
                  "path": "hostile-parameter", "header": "hostile-header"}

DEEP = 100_000
RAW_BODIES = {  # what a parser, not the schema, has to survive
    "nested 100,000 deep": b"[" * DEEP + b"]" * DEEP,
    "objects nested 100,000 deep": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "2 MB of text": b'{"description": "' + b"x" * 2_000_000 + b'"}',
    "not UTF-8": b'{"description": "\xff\xfe"}',
    "an escaped NUL key": b'{"\\u0000": "\\u0000"}',
    "a lone surrogate": b'{"description": "\\ud800"}',
    "a number too long to parse": b'{"lat": ' + b"9" * 5000 + b"}",
    "an infinite number": b'{"lat": 1e999, "lon": -1e999}',
    "empty": b"",
    "null": b"null",
}


@pytest.mark.parametrize("role", list(USERS))
def test_the_api_keeps_its_contract(backend, role, contract_app, live_case, sign_in):  # type: ignore[no-untyped-def]
    incident_id, photo_id = live_case
    headers: dict[str, str] | None = None

    def fresh_token() -> None:
        nonlocal headers
        token = sign_in(role)
        # Uncompressed: the in-process transport hands Schemathesis the encoded bytes without
        # decoding them. Compression is the transport's business, tested on its own
        # (tests/integration/test_compression.py).
        headers = {"Accept-Encoding": "identity"}
        if token:
            headers["Authorization"] = f"Bearer {token}"

    fresh_token()
    made = 0

    def live(params: dict[str, Any]) -> None:
        """Two generated ids in three become the live case's, so that requests reach a real
        case (200, 403, 409, 422) and not only the 404 of an unknown id."""
        if params and zlib.crc32(repr(sorted(params.items())).encode()) % 3:
            params["incident_id"] = incident_id
            if "photo_id" in params:
                params["photo_id"] = photo_id

    def call(case: Any) -> None:
        nonlocal made
        live(case.path_parameters or {})
        made += 1
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        finally:
            if case.operation.path in SESSION_ENDING:
                fresh_token()  # signing out revoked every token of the user

    document = contract_app.test_client().get("/api/v1/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(document, config=_config(document, role))
    schema.app = contract_app
    failures = []
    operations = 0
    for result in get_all_tests(schema=schema, test_func=call, settings=SETTINGS,
                                given_kwargs={}):
        assert isinstance(result, Ok), f"the document is not usable: {result.err()}"
        operation, run_operation = result.ok()
        operations += 1
        try:
            run_operation()
        except (Exception, FailureGroup) as exc:  # noqa: BLE001 - report all, then fail once
            failures.append(f"--- {operation.label} as {role} on {backend}:\n{exc}")
        for name, case in _raw_bodies(operation):
            live(case.path_parameters or {})
            made += 1
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            except (Exception, FailureGroup) as exc:  # noqa: BLE001
                failures.append(f"--- {operation.label} with a body {name}, as {role} on "
                                f"{backend}:\n{exc}")
    REQUESTS[backend, role] += made
    assert operations == len(_operations(document))
    assert not failures, f"{len(failures)} failing:\n" + "\n".join(failures)
    assert made >= MIN_REQUESTS_PER_RUN, f"{backend}/{role}: only {made} requests were made"


def _raw_bodies(operation: Any) -> Iterator[tuple[str, Any]]:
    if operation.definition.raw.get("requestBody") is None:
        return
    params = {p["name"]: "nope" for p in operation.definition.raw.get("parameters", [])
              if p["in"] == "path"}
    for name, body in RAW_BODIES.items():
        yield name, operation.Case(body=body, media_type="application/json",
                                   path_parameters=dict(params))


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for ops in document["paths"].values() for op in ops.values()}


def _coverage_role(op: dict[str, Any]) -> str:
    """Who runs an operation's coverage phase: someone whose requests get past the role check."""
    if "security" not in op:
        return "anonymous"
    return str(op.get("x-roles", ["commander"])[0])


def _config(document: dict[str, Any], role: str) -> SchemathesisConfig:
    """Every operation is fuzzed for every role. The coverage phase (boundary and negative values
    of every field: some hundred requests for a large body) sends the same requests whoever
    asks, so it runs once per operation, as a role that may call it."""
    others = [op_id for op_id, op in _operations(document).items() if _coverage_role(op) != role]
    operations = [{"include-operation-id": others, "phases": {"coverage": {"enabled": False}}}]
    return SchemathesisConfig.from_dict({
        "seed": SEED, "operations": operations if others else [],
        "dictionaries": DICTIONARIES,
        "parameters": {key: {"dictionary": DICTIONARY_FOR[key.split(".", 1)[0]],
                             "probability": HOSTILE_RATE} for key in _fields(document)},
    })


def _fields(document: dict[str, Any]) -> set[str]:
    """Every parameter and every leaf of every JSON body, as Schemathesis names them."""
    out: set[str] = set()
    for op in _operations(document).values():
        for param in op.get("parameters", []):
            out.add(f"{param['in']}.{param['name']}")
        body = op.get("requestBody", {}).get("content", {})
        for media in body.values():
            _leaves(media["schema"], document["components"]["schemas"], "body", out, set())
    return out


def _leaves(schema: dict[str, Any], named: dict[str, Any], path: str, out: set[str],
            seen: set[str]) -> None:
    ref = schema.get("$ref")
    if ref is not None:
        name = ref.rsplit("/", 1)[1]
        if name not in seen:
            _leaves(named[name], named, path, out, seen | {name})
        return
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        _leaves(option, named, path, out, seen)
    kind = schema.get("type")
    if kind == "object":
        for name, sub in schema.get("properties", {}).items():
            _leaves(sub, named, f"{path}.{name}", out, seen)
    elif kind == "array" and "items" in schema:
        _leaves(schema["items"], named, path + (".[*]" if path == "body" else "[*]"), out, seen)
    elif kind in ("string", "number", "integer") and path != "body" \
            and schema.get("format") != "binary":
        out.add(path)
