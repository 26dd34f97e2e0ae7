"""Photos of a report, kept as files beside the database; the database keeps their metadata."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dispatch.model import Photo

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


@dataclass(frozen=True)
class PhotoUpload:
    """Bytes already checked by content at the edge; `content_type` is what they really are."""

    content: bytes
    content_type: str


def save(root: Path, incident_id: str, upload: PhotoUpload, at: datetime) -> Photo:
    photo = Photo(content_type=upload.content_type, size=len(upload.content),
                  sha256=hashlib.sha256(upload.content).hexdigest(), path="", created_at=at)
    relative = Path(incident_id) / f"{photo.id}.{EXTENSIONS[upload.content_type]}"
    target = root / relative
    # Private from creation (people's premises and faces), wherever the folder lives.
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(upload.content)
    tmp.replace(target)
    photo.path = str(relative)
    return photo


def discard(root: Path, photos: list[Photo]) -> None:
    """Undo `save` when the report that carried the photos was refused: a refusal writes nothing."""
    for photo in photos:
        (root / photo.path).unlink(missing_ok=True)
    for parent in {(root / p.path).parent for p in photos}:
        if parent.exists() and not any(parent.iterdir()):
            parent.rmdir()
