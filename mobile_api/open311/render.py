"""Open311 answers in the two formats of GeoReport v2: JSON, and XML (mandatory in the standard).

Pure: a body (a dict, or a list of dicts) and the names the standard gives the XML elements go
in, bytes and a content type come out. XML is built with `xml.etree` (text is escaped by it) and
written as UTF-8 after an XML declaration naming it; a list nested in an item (a service's
attributes, an attribute's values, discovery's endpoints and formats) takes the singular of its
name for its elements, as in the standard's examples. `xml.etree` writes a control character as
it is, which no parser then reads: each text drops what XML 1.0 cannot carry
(`mobile_api.characters.for_xml`), whether stored before input refused it or echoed in an error.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from mobile_api.characters import for_xml

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
FORMATS = ("json", "xml")

# The form the GeoReport v2 pages ask for (double quotes, the encoding named UTF-8), rather than
# ElementTree's own `<?xml version='1.0' encoding='utf-8'?>`.
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
SINGULAR = {"services": "service", "service_requests": "request", "errors": "error",
            "attributes": "attribute", "values": "value", "endpoints": "endpoint",
            "formats": "format"}


def render(fmt: str, root: str, body: dict[str, Any] | list[dict[str, Any]]) -> tuple[bytes, str]:
    """`root`: the XML document element (`services`, `service_requests`, `errors`,
    `service_definition`, `discovery`); a list body puts each item in its singular."""
    if fmt == "json":
        return json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8"), JSON_TYPE
    element = ET.Element(root)
    if isinstance(body, list):
        for item in body:
            _fill(ET.SubElement(element, SINGULAR[root]), item)
    else:
        _fill(element, body)
    return DECLARATION + ET.tostring(element, encoding="unicode").encode("utf-8"), XML_TYPE


def _fill(parent: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(ET.SubElement(parent, key), inner)
    elif isinstance(value, list):
        name = SINGULAR.get(parent.tag, "item")
        for inner in value:
            _fill(ET.SubElement(parent, name), inner)
    elif isinstance(value, bool):
        parent.text = "true" if value else "false"
    elif value is not None:
        parent.text = for_xml(str(value))


def errors(fmt: str, status: int, descriptions: list[str]) -> tuple[bytes, str]:
    """The standard's error list: one `{code, description}` per problem."""
    return render(fmt, "errors", [{"code": status, "description": d} for d in descriptions])
