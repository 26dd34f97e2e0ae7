"""Our cases and categories in GeoReport v2's words; pure, so each field's rule is tested alone.

- a service is a category (`dispatch.open311.SERVICES`), `metadata: true` where it has
  attributes;
- a service request is an incident (`service_request_id` its internal id, and `case_number`, not
  in the standard, the number people read out): `status` is `closed` once the case is closed,
  else `open`;
  `expected_datetime` is the resolution deadline; `agency_responsible` the territory's name;
  `status_notes` the latest note (solved, else order restored);
- the outside system that created a request reads it whole; anyone else reads it as the public
  disclosure shows it: as `description` the text a commander reviewed, scrubbed
  (`dispatch.disclosure.public_problem`), else the category's words; as `status_notes` the
  reviewed result, else the status's words; the place only to its territory, no coordinates,
  no site, no media link.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dispatch.disclosure import Scrub, public_problem, public_result, status_name
from dispatch.model import Incident
from dispatch.open311 import Service, open311_status
from dispatch.utc import iso_utc

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's behaviour last changed (discovery's `changeset`).
CHANGESET = "2026-11-28T00:00:00Z"


def discovery(endpoint_url: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": "济源市 311 指挥中心 (Jiyuan 311 command center)",
        "key_service": "API keys are issued by the operator: python -m server open311-key "
                       "issue NAME",
        "endpoints": [{"specification": SPECIFICATION, "url": endpoint_url,
                       "changeset": CHANGESET, "type": "production",
                       "formats": ["text/xml", "application/json"]}],
    }


def service(svc: Service) -> dict[str, Any]:
    return {"service_code": svc.code, "service_name": svc.name, "description": svc.description,
            "metadata": bool(svc.attributes), "type": "realtime", "keywords": svc.keywords,
            "group": "311"}


def definition(svc: Service) -> dict[str, Any]:
    return {"service_code": svc.code, "attributes": [
        {"variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
         "datatype_description": None, "order": a.order, "description": a.description}
        for a in svc.attributes]}


def updated_at(inc: Incident) -> datetime:
    """The latest change of the case that the clocks know of."""
    times = [inc.received_at, inc.restored_at, inc.resolved_at, inc.closed_at, inc.reopened_at]
    for a in inc.assignments:
        times += [a.accepted_at, a.arrived_at]
    return max(t for t in times if t is not None)


def request(inc: Incident, service_name: str, whole: bool, scrubber: Scrub) -> dict[str, Any]:
    """`whole`: for the outside system that created it; else as published (see the module)."""
    if whole:
        note, description = inc.resolve_note or inc.restore_note or None, inc.description
    else:
        note = public_result(inc, scrubber) or status_name(str(inc.status))
        description = public_problem(inc, scrubber)
    return {
        "service_request_id": inc.id,
        # Not the standard's: the number people read out on the phone (`dispatch.case_numbers`).
        "case_number": inc.case_number,
        "status": open311_status(inc),
        "status_notes": note,
        "service_name": service_name,
        "service_code": inc.category,
        "description": description,
        "agency_responsible": inc.territory_name,
        "service_notice": None,
        "requested_datetime": iso_utc(inc.received_at),
        "updated_datetime": iso_utc(updated_at(inc)),
        "expected_datetime": iso_utc(inc.resolve_due),
        "address": inc.territory_name,
        "address_id": inc.site_id if whole else None,
        "zipcode": None,
        "lat": inc.location.y if whole else None,
        "long": inc.location.x if whole else None,
        "media_url": inc.media_url if whole else None,
    }


def created(inc: Incident, notice: str | None = None) -> dict[str, Any]:
    """The answer to a POST: created at once, so the id is known (the token is the same id, for
    clients that follow tokens)."""
    return {"service_request_id": inc.id, "token": inc.id, "service_notice": notice,
            "account_id": None, "case_number": inc.case_number}


def token(inc: Incident) -> dict[str, Any]:
    return {"service_request_id": inc.id, "token": inc.id}
