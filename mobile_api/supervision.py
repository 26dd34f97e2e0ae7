"""The supervision cycle's routes: feedback, extensions, complaints and replies, central
assignment. Thin: parse, call one use case (`dispatch.supervision`), serialize."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import Field

from dispatch import supervision
from dispatch.limits import ID_MAX_CHARS, NOTE_MAX_CHARS
from dispatch.model import Incident
from mobile_api import schemas as s
from mobile_api import serializers
from mobile_api.context import dispatch_context
from mobile_api.openapi import doc
from mobile_api.tokens import current_user
from mobile_api.validation import json_body

bp = Blueprint("supervision", __name__)


class RemindRequest(s.Strict):
    """The reminder's body, beside its only route (mobile_api/schemas.py is at its size)."""

    unit: Annotated[s.OneLine, Field(min_length=1, max_length=ID_MAX_CHARS,
                                     description="a responsible unit of the case")]
    note: Annotated[s.FreeText, Field(max_length=NOTE_MAX_CHARS,
                                      description="what command asks of the unit")] = ""


def _one(incident: Incident) -> ResponseReturnValue:
    return jsonify(serializers.incident(incident, dispatch_context().clock()))


@bp.post("/incidents/<incident_id>/feedback")
@doc("The reporter's verdict on the solution: satisfied closes the case, not satisfied reopens "
     "it with new resolve deadlines", body=s.FeedbackRequest, response=s.IncidentOut,
     roles="reporter", errors=(404, 409))
def feedback(incident_id: str) -> ResponseReturnValue:
    body = json_body(s.FeedbackRequest)
    return _one(supervision.give_feedback(dispatch_context(), current_user(), incident_id,
                                          body.satisfied, body.rating, body.comment))


@bp.post("/incidents/<incident_id>/extend")
@doc("Extend the resolve deadline, with a reason the reporter is told at once",
     body=s.ExtendRequest, response=s.IncidentOut, roles="dispatcher", errors=(404, 409))
def extend(incident_id: str) -> ResponseReturnValue:
    body = json_body(s.ExtendRequest)
    return _one(supervision.extend(dispatch_context(), current_user(), incident_id, body.until,
                                   body.reason))


@bp.post("/incidents/<incident_id>/complaints")
@doc("Complain about the handling of your case; command owes a reply by its deadline",
     body=s.ComplaintRequest, response=s.ComplaintOut, status=201, roles="reporter",
     errors=(404,))
def complain(incident_id: str) -> ResponseReturnValue:
    body = json_body(s.ComplaintRequest)
    _, complaint = supervision.complain(dispatch_context(), current_user(), incident_id,
                                        body.text)
    return jsonify(serializers.complaint(complaint)), 201


@bp.post("/incidents/<incident_id>/complaints/<number>/reply")
@doc("Command's reply to a complaint", body=s.ComplaintReplyRequest, response=s.ComplaintOut,
     roles="commander", errors=(404, 409))
def reply(incident_id: str, number: str) -> ResponseReturnValue:
    """`number`: the complaint's number on the case (1, 2...); anything else is no complaint."""
    body = json_body(s.ComplaintReplyRequest)
    n = int(number) if number.isdecimal() and len(number) <= 6 else 0
    _, complaint = supervision.reply_to_complaint(dispatch_context(), current_user(),
                                                  incident_id, n, body.reply)
    return jsonify(serializers.complaint(complaint))


@bp.post("/incidents/<incident_id>/assign")
@doc("Central assignment (集中交办): a named person of a responsible unit, with a deadline",
     body=s.AssignRequest, response=s.IncidentOut, roles="commander", errors=(404, 409))
def assign(incident_id: str) -> ResponseReturnValue:
    body = json_body(s.AssignRequest)
    return _one(supervision.assign_centrally(dispatch_context(), current_user(), incident_id,
                                             body.unit, body.person, body.due))


@bp.post("/incidents/<incident_id>/remind")
@doc("Remind a responsible unit of the case (催办): `incident.reminded` on `/live` to the unit's "
     "room and command, and a line in the timeline", body=RemindRequest, response=s.IncidentOut,
     roles="commander", errors=(404, 409))
def remind(incident_id: str) -> ResponseReturnValue:
    body = json_body(RemindRequest)
    return _one(supervision.remind(dispatch_context(), current_user(), incident_id, body.unit,
                                   body.note))
