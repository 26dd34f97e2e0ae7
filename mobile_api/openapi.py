"""The OpenAPI 3.1 document, generated from the registered routes and their pydantic models.

A view declares what it takes, returns and refuses with `@doc(...)`; `build(app)` walks Flask's
URL map, so a route cannot exist without appearing here, and the models that validate a request
are the ones that describe it. What every route of a kind can answer (413/414/422 for any
request, 401/403 behind a token, 400 with a body, 503 when the database is lost) is added here
once, not per view, so a new route cannot forget it. tests/contract/ fuzzes the served document
against the app.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask
from pydantic import BaseModel

REF = "#/components/schemas/{model}"
F = Callable[..., Any]
Schema = type[BaseModel] | dict[str, Any]

TITLES = {400: "malformed request", 401: "no valid token", 403: "not for your role",
          404: "no such resource that you may see",
          409: "the case is not in a state that allows it",
          413: "the body is larger than this route accepts",
          414: "the URL is longer than the server reads",
          422: "validation failed: a field, or a path, query or header value that cannot be "
               "stored (NUL, a lone surrogate)",
          429: "too many attempts; retry after Retry-After seconds",
          503: "the server is at capacity, or the database or the boundaries are unavailable; "
               "retry after Retry-After seconds"}
# What any request can be refused for before its view runs (server/intake.py, http_policy.py):
# a body larger than the route's limit, an over-long URL, unstorable text in the path, query or
# headers. Every operation declares them, so a client is never surprised by them.
AT_THE_EDGE = frozenset({413, 414, 422})


def doc(summary: str, *, body: type[BaseModel] | tuple[type[BaseModel], ...] | None = None,
        query: type[BaseModel] | None = None, response: Schema | None = None,
        status: int = 200, also: Mapping[int, str] | None = None, roles: str = "",
        errors: Iterable[int] = (), multipart: bool = False, idempotent: bool = False,
        content_type: str | tuple[str, ...] = "application/json", public: bool = False,
        storage: bool = True) -> Callable[[F], F]:
    """Describe a view.

    `body`: the model of the JSON body, or a tuple of the forms it may take.
    `also`: other statuses answered with the `response` schema (e.g. 200 for an Idempotency-Key
    replay of a 201), with their description. `roles`: who may call it, comma-separated (also
    given as `x-roles`); when set, 403 is declared. Unset: any signed-in user.
    `errors`: the route's own problem statuses (404, 409, 429...). `idempotent`: the route takes
    an `Idempotency-Key` header. `storage`: the route reads the database, so it may answer 503.
    """
    def mark(view: F) -> F:
        view._openapi = dict(  # type: ignore[attr-defined]  # the view function carries its doc
            summary=summary, body=body, query=query, response=response, status=status,
            also=dict(also or {}), roles=roles, errors=tuple(errors), multipart=multipart,
            idempotent=idempotent, public=public, storage=storage,
            content_types=(content_type,) if isinstance(content_type, str) else content_type)
        return view
    return mark


def build(app: Flask) -> dict[str, Any]:
    components = Components()
    paths: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        meta = getattr(app.view_functions[rule.endpoint], "_openapi", None)
        if meta is None:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, meta, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Jiyuan 311 field incident response", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": components.schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


class Components:
    """The named schemas, with every `$defs` a model brings along, so that each `$ref` resolves."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {"Problem": PROBLEM}

    def add(self, name: str, schema: dict[str, Any]) -> None:
        if self.schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two different schemas are named {name}")

    def inline(self, model: type[BaseModel], mode: str = "validation") -> dict[str, Any]:
        """The model's schema, its nested models moved to the components."""
        schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]  # mode is one of pydantic's two literals
        for name, sub in schema.pop("$defs", {}).items():
            self.add(name, sub)
        return schema

    def ref(self, model: Schema, mode: str = "validation") -> dict[str, Any]:
        if isinstance(model, dict):
            return model
        self.add(model.__name__, self.inline(model, mode))
        return {"$ref": REF.format(model=model.__name__)}


PHOTO_FILES = {"type": "array", "items": {"type": "string", "format": "binary"}}


def _operation(rule: Any, meta: dict[str, Any], components: Components) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": meta["summary"], "operationId": rule.endpoint}
    if meta["roles"]:
        op["description"] = f"Roles: {meta['roles']}."
        op["x-roles"] = [role.strip() for role in meta["roles"].split(",")]
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in sorted(rule.arguments)]
    if meta["query"] is not None:
        params += _query_parameters(components.inline(meta["query"]), components)
    if meta["idempotent"]:
        params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                       "description": "the same key from the same user returns the first "
                                      "result and creates nothing new",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 200}})
    if params:
        op["parameters"] = params

    problems: set[int] = set(meta["errors"]) | AT_THE_EDGE
    if meta["body"] is not None:
        op["requestBody"] = {"required": True, "content": _body(meta, components)}
        problems.add(400)  # malformed JSON
    elif meta["multipart"]:  # photos alone, no JSON part
        op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "properties": {"photos": PHOTO_FILES}, "required": ["photos"]}}}}
    if meta["idempotent"]:
        problems.add(400)  # a malformed key (422: a key reused for another request)
    if not meta["public"]:
        op["security"] = [{"bearer": []}]
        problems.add(401)
        if meta["roles"]:
            problems.add(403)
    if meta["storage"]:
        problems.add(503)

    responses: dict[str, Any] = {}
    for code, description in {meta["status"]: "success", **meta["also"]}.items():
        responses[str(code)] = {"description": description}
        if meta["response"] is not None:
            schema = components.ref(meta["response"], "serialization")
            responses[str(code)]["content"] = {ct: {"schema": schema}
                                              for ct in meta["content_types"]}
    for code in sorted(problems - set(meta["also"]) - {meta["status"]}):
        responses[str(code)] = _problem(code)
    op["responses"] = dict(sorted(responses.items()))
    return op


def _body(meta: dict[str, Any], components: Components) -> dict[str, Any]:
    forms = meta["body"] if isinstance(meta["body"], tuple) else (meta["body"],)
    refs = [components.ref(form) for form in forms]
    schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if meta["multipart"]:
        content["multipart/form-data"] = {"schema": {
            "type": "object",
            "properties": {"payload": {"type": "string", "description": "the JSON body, as text"},
                           "photos": PHOTO_FILES},
            "required": ["payload"]}}
    return content


def _problem(code: int) -> dict[str, Any]:
    out: dict[str, Any] = {"description": TITLES.get(code, "error"), "content": {
        "application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}}}
    if code in (429, 503):
        out["headers"] = {"Retry-After": {"description": "seconds to wait",
                                          "schema": {"type": "integer", "minimum": 0}}}
    return out


def _query_parameters(schema: dict[str, Any], components: Components) -> list[dict[str, Any]]:
    """Query parameters as the server reads them: a query string holds strings, so an optional
    field is simply absent (never null), and a list is one comma-separated string."""
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = _not_null(prop)
        if prop.get("type") == "array":
            prop = _comma_separated(prop, components)
        out.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    return out


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    options = [o for o in prop.get("anyOf", []) if o != {"type": "null"}]
    if len(options) != 1:
        return prop
    rest = {k: v for k, v in prop.items()
            if k != "anyOf" and not (k == "default" and v is None)}
    return {**rest, **options[0]}


NUMBER = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?"


def _comma_separated(prop: dict[str, Any], components: Components) -> dict[str, Any]:
    """`a,b,c` for a list of enum values; `x1,y1,x2,y2` for a fixed tuple of numbers."""
    if "prefixItems" in prop:
        items = [_resolve(i, components) for i in prop["prefixItems"]]
        if all(i.get("type") in ("number", "integer") for i in items):
            pattern = "^" + ",".join([NUMBER] * len(items)) + "$"
        else:
            raise ValueError(f"cannot declare a query tuple of {items}")
    else:
        item = _resolve(prop.get("items", {}), components)
        if "enum" in item:
            one = "(" + "|".join(re.escape(str(v)) for v in item["enum"]) + ")"
        elif item.get("type") in ("number", "integer"):
            one = NUMBER
        else:
            raise ValueError(f"cannot declare a query list of {item}")
        pattern = f"^{one}(,{one})*$"
    keep = {k: v for k, v in prop.items() if k in ("title", "description")}
    return {**keep, "type": "string", "pattern": pattern}


def _resolve(schema: dict[str, Any], components: Components) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = components.schemas[ref.rsplit("/", 1)[1]]
    return resolved


PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "properties": {"field": {"type": "string"},
                                             "message": {"type": "string"}},
            "required": ["field", "message"]}},
    },
    "required": ["type", "title", "status"],
}
