"""Photos on a report: checked by their content, not by the name or type the phone claims."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from dispatch.errors import FieldError, PayloadTooLarge, ValidationFailed
from dispatch.photos import PhotoUpload
from dispatch.settings import Settings

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def read_photos(files: list[FileStorage], settings: Settings) -> list[PhotoUpload]:
    if len(files) > settings.photo_max_count:
        raise ValidationFailed.on("photos", f"at most {settings.photo_max_count} photos")
    out = []
    for i, f in enumerate(files):
        field = f"photos[{i}]"
        content = f.read(settings.photo_max_bytes + 1)
        if len(content) > settings.photo_max_bytes:
            raise PayloadTooLarge(f"{field}: larger than {settings.photo_max_bytes} bytes",
                                  [FieldError(field, "too large")])
        out.append(PhotoUpload(content, _sniff(content, field)))
    return out


def _sniff(content: bytes, field: str) -> str:
    try:
        with Image.open(io.BytesIO(content)) as img:
            kind = img.format or ""
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationFailed.on(field, "not a readable JPEG, PNG or WebP image") from None
    if kind not in FORMATS:
        raise ValidationFailed.on(field, f"{kind or 'unknown'} images are not accepted; "
                                         "send JPEG, PNG or WebP")
    return FORMATS[kind]

