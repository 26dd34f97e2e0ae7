"""Photos on a report: checked by their content, not by the name or type the phone claims.

A few kilobytes of PNG may claim 20000x20000 pixels (a decompression bomb). The size is read
from the header, before any pixel is decoded, and checked against `photo_max_pixels`; Pillow's
own guard (an error only above twice its global limit, a warning below) is not relied on.
"""

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
        out.append(PhotoUpload(content, _sniff(content, field, settings.photo_max_pixels)))
    return out


def _sniff(content: bytes, field: str, max_pixels: int) -> str:
    try:
        with Image.open(io.BytesIO(content)) as img:
            kind = img.format or ""
            width, height = img.size
            if width * height > max_pixels:
                raise _too_many_pixels(field, f"{width}x{height} pixels", max_pixels)
            img.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's guard tripped first (its limit is global): the same refusal.
        raise _too_many_pixels(field, "a size its header gives", max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationFailed.on(field, "not a readable JPEG, PNG or WebP image") from None
    if kind not in FORMATS:
        raise ValidationFailed.on(field, f"{kind or 'unknown'} images are not accepted; "
                                         "send JPEG, PNG or WebP")
    return FORMATS[kind]


def _too_many_pixels(field: str, claimed: str, max_pixels: int) -> ValidationFailed:
    return ValidationFailed.on(field, f"{claimed} is more than the {max_pixels} pixels "
                                      "accepted; send a smaller image")
