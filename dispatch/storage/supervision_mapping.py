"""Maps the supervision cycle's complaints onto their table, as `incident.complaints`.

Kept apart from `orm.start_mappers` (whose module numbers the event log) so the two change
independently; `database.make_session_factory` calls both, and this one is idempotent too.
"""

from __future__ import annotations

from sqlalchemy.orm import class_mapper, relationship

from dispatch import model
from dispatch.storage import tables
from dispatch.storage.orm import mapper_registry, start_mappers

_mapped = False


def map_complaints() -> None:
    global _mapped
    if _mapped:
        return
    start_mappers()
    mapper_registry.map_imperatively(model.Complaint, tables.complaints)
    class_mapper(model.Incident).add_property("complaints", relationship(
        model.Complaint, lazy="selectin", cascade="all, delete-orphan",
        order_by=tables.complaints.c.number))
    _mapped = True
