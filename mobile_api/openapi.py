"""The OpenAPI 3 document, generated from the registered routes and their pydantic models.

A view declares what it takes and returns with `@doc(...)`; `build(app)` walks Flask's URL map, so a
route cannot exist without appearing here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from pydantic import BaseModel

REF = "#/components/schemas/{model}"
F = Callable[..., Any]


def doc(summary: str, *, body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None, response: type[BaseModel] | None = None,
        status: int = 200, roles: str = "", multipart: bool = False,
        content_type: str = "application/json", public: bool = False) -> Callable[[F], F]:
    def mark(view: F) -> F:
        view._openapi = dict(summary=summary, body=body, query=query, response=response,  # type: ignore[attr-defined]
                             status=status, roles=roles, multipart=multipart,
                             content_type=content_type, public=public)
        return view
    return mark


def build(app: Flask) -> dict[str, Any]:
    schemas: dict[str, Any] = {"Problem": PROBLEM}
    paths: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        meta = getattr(app.view_functions[rule.endpoint], "_openapi", None)
        if meta is None:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, meta, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Jiyuan 311 field incident response", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _ref(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template=REF)
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _operation(rule: Any, meta: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": meta["summary"], "operationId": rule.endpoint}
    if meta["roles"]:
        op["description"] = f"Roles: {meta['roles']}."
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
              for name in rule.arguments]
    if meta["query"] is not None:
        qs = meta["query"].model_json_schema(ref_template=REF)
        for name, prop in qs.get("properties", {}).items():
            params.append({"name": name, "in": "query",
                           "required": name in qs.get("required", []), "schema": prop})
    if params:
        op["parameters"] = params
    if meta["body"] is not None:
        content = {"application/json": {"schema": _ref(meta["body"], schemas)}}
        if meta["multipart"]:
            content["multipart/form-data"] = {"schema": {
                "type": "object",
                "properties": {"payload": {"type": "string",
                                           "description": "the JSON body, as text"},
                               "photos": {"type": "array",
                                          "items": {"type": "string", "format": "binary"}}},
                "required": ["payload"]}}
        op["requestBody"] = {"required": True, "content": content}
    ok: dict[str, Any] = {"description": "success"}
    if meta["response"] is not None:
        ok["content"] = {meta["content_type"]: {"schema": _ref(meta["response"], schemas)}}
    problem = {"content": {"application/problem+json": {
        "schema": {"$ref": REF.format(model="Problem")}}}}
    op["responses"] = {str(meta["status"]): ok,
                       "400": {"description": "malformed request", **problem},
                       "422": {"description": "validation failed", **problem}}
    if not meta["public"]:
        op["security"] = [{"bearer": []}]
        op["responses"]["401"] = {"description": "no valid token", **problem}
        op["responses"]["403"] = {"description": "not for your role", **problem}
    return op


PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
    },
    "required": ["type", "title", "status"],
}
