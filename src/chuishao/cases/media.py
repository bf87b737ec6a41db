"""What a case accepts as photos: the same limits for a report, handling evidence and a check.

Every file is opened with Pillow: the declared type must match what the bytes are, and the image must
decode. A photo's GPS position (EXIF) is removed unless the reporter allowed it to be kept.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from chuishao.cases.errors import CaseInvalid

MAX_MEDIA = 3
MAX_MEDIA_BYTES = 5 * 1024 * 1024
# Pillow format → the content type a photo of that format is stored with.
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
MEDIA_TYPES = set(FORMATS.values())
# Decompression bombs: a 5 MB file may claim a billion pixels.
MAX_PIXELS = 50_000_000
GPS_IFD = 0x8825


def _name(f: Any) -> str:
    return getattr(f, "name", None) or "file"


def _read(f: Any) -> bytes:
    if hasattr(f, "seek"):
        f.seek(0)
    data = f.read()
    if hasattr(f, "seek"):
        f.seek(0)
    return data


def _image_format(data: bytes, name: str) -> str:
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            if img.width * img.height > MAX_PIXELS:
                raise CaseInvalid(_("%(name)s has too many pixels.") % {"name": name})
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise CaseInvalid(
            _("%(name)s is not a photo Chuishao can read (JPEG, PNG, WebP or GIF).") % {"name": name}
        ) from exc
    if fmt not in FORMATS:
        raise CaseInvalid(_("%(name)s is not a photo (JPEG, PNG, WebP or GIF).") % {"name": name})
    return fmt


def _without_location(data: bytes, fmt: str, name: str) -> bytes | None:
    """The image re-saved without its GPS tags, or None when it has none."""
    with Image.open(io.BytesIO(data)) as img:
        exif = img.getexif()
        if GPS_IFD not in exif:
            return None
        del exif[GPS_IFD]
        out = io.BytesIO()
        options: dict[str, Any] = {"exif": exif.tobytes()}
        if fmt == "JPEG":
            options["quality"] = "keep"  # the same quantisation: no visible loss from the re-save
        img.save(out, format=fmt, **options)
        return out.getvalue()


def check_media(files: list[Any], *, keep_location: bool = False) -> list[Any]:
    """The files checked, with GPS positions removed unless ``keep_location``; raises ``CaseInvalid``."""
    if len(files) > MAX_MEDIA:
        raise CaseInvalid(_("At most %(n)s photos per report.") % {"n": MAX_MEDIA})
    checked = []
    for f in files:
        name = _name(f)
        if getattr(f, "size", 0) > MAX_MEDIA_BYTES:
            raise CaseInvalid(_("%(name)s is larger than 5 MB.") % {"name": name})
        content_type = getattr(f, "content_type", "")
        if content_type not in MEDIA_TYPES:
            raise CaseInvalid(_("%(name)s is not a photo (JPEG, PNG, WebP or GIF).") % {"name": name})
        data = _read(f)
        if len(data) > MAX_MEDIA_BYTES:
            raise CaseInvalid(_("%(name)s is larger than 5 MB.") % {"name": name})
        fmt = _image_format(data, name)
        if FORMATS[fmt] != content_type:
            raise CaseInvalid(
                _("%(name)s says it is %(said)s but is %(is)s.")
                % {"name": name, "said": content_type, "is": FORMATS[fmt]}
            )
        stripped = None if keep_location else _without_location(data, fmt, name)
        checked.append(f if stripped is None else SimpleUploadedFile(name, stripped, content_type))
    return checked
