"""What a case accepts as photos: the same limits for a report, handling evidence and a check.

Every file is opened with Pillow: the declared type must match what the bytes are, and the image must
decode. What is stored is the image saved afresh from its pixels, never the uploaded bytes; a photo's
GPS position (EXIF) is removed unless the reporter allowed it to be kept.

Decoding costs memory in proportion to the pixels (Pillow holds 4 bytes a pixel): a 48 MP JPEG took
370 MB to check. The budget is about 100 MB a photo. A baseline JPEG over MAX_DECODED_PIXELS is
decoded at half (or a quarter…) its size by libjpeg itself (``Image.draft``), never whole, and stored
at that size: 12 MP is more than a case's evidence needs. The other formats cannot be decoded reduced,
so they are refused above MAX_DECODED_PIXELS (phone cameras write baseline JPEG; 24 MP leaves room for
a long PNG screenshot); a progressive JPEG keeps every coefficient of the whole image while it decodes,
reduced or not, so it is refused above half that.
"""

from __future__ import annotations

import io
import struct
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
# Decompression bombs: a 5 MB file may claim a billion pixels, or a GIF hundreds of frames of millions
# each (a 500 kB GIF of 40 frames of 4000×4000 took 30 s to re-encode): the pixels of all frames count.
MAX_PIXELS = 50_000_000
# The most pixels decoded at once (about 100 MB for Pillow): a baseline JPEG above it is decoded
# reduced; any other photo is refused above it (a progressive JPEG above half of it).
MAX_DECODED_PIXELS = 24_000_000
# What a hostile file may make Pillow raise while its header, EXIF or frames are read and written again
# (a damaged EXIF entry fails in ``struct.pack`` when the EXIF is written back, for one).
UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError)
UNREADABLE += (struct.error, EOFError, Image.DecompressionBombError)
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


def _pixel_limit(img: Image.Image) -> int:
    """The most pixels (all frames together) that ``img`` may have: what decodes within the budget."""
    if img.format != "JPEG":
        return MAX_DECODED_PIXELS
    if img.info.get("progressive") or img.info.get("progression"):
        return MAX_DECODED_PIXELS // 2
    return MAX_PIXELS  # decoded reduced above MAX_DECODED_PIXELS


def _image_format(data: bytes, name: str) -> str:
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            if img.width * img.height * getattr(img, "n_frames", 1) > _pixel_limit(img):
                raise CaseInvalid(_("%(name)s has too many pixels.") % {"name": name})
            img.seek(0)
            img.verify()
    except UNREADABLE as exc:
        raise CaseInvalid(
            _("%(name)s is not a photo Chuishao can read (JPEG, PNG, WebP or GIF).") % {"name": name}
        ) from exc
    if fmt not in FORMATS:
        raise CaseInvalid(_("%(name)s is not a photo (JPEG, PNG, WebP or GIF).") % {"name": name})
    return fmt


def _reencoded(data: bytes, fmt: str, name: str, *, keep_location: bool) -> bytes:
    """The image decoded and saved afresh, so only pixels and EXIF reach storage: whatever else a file
    carries (trailing bytes, scripts in comments, a second format hidden behind the first) is left
    behind. The GPS position goes too unless the reporter keeps it. JPEG keeps its quantisation and
    subsampling, so the re-save loses nothing visible."""
    try:
        return _save_afresh(data, fmt, keep_location=keep_location)
    except UNREADABLE as exc:  # e.g. a truncated file whose header verified, or a damaged EXIF
        raise CaseInvalid(
            _("%(name)s is not a photo Chuishao can read (JPEG, PNG, WebP or GIF).") % {"name": name}
        ) from exc


def _decoding_scale(width: int, height: int) -> int:
    """The JPEG scale (1, 2, 4 or 8) that decodes at most MAX_DECODED_PIXELS."""
    for scale in (1, 2, 4, 8):
        if -(-width // scale) * -(-height // scale) <= MAX_DECODED_PIXELS:
            return scale
    return 8


def _save_afresh(data: bytes, fmt: str, *, keep_location: bool) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        scale = _decoding_scale(img.width, img.height) if fmt == "JPEG" else 1
        # libjpeg decodes at 1/scale straight from the coefficients: the whole image never exists.
        if scale > 1 and img.draft(img.mode, (img.width // scale, img.height // scale)) is None:
            raise ValueError("this JPEG cannot be decoded reduced")
        # Decoded here, before ``save``: left to it, a lazily loaded image took twice the memory.
        img.load()
        exif = img.getexif()
        if not keep_location and GPS_IFD in exif:
            del exif[GPS_IFD]
        # The colour profile is pixels' meaning, not a hiding place: a wide-gamut phone photo keeps it.
        options: dict[str, Any] = (
            {"icc_profile": img.info["icc_profile"]} if img.info.get("icc_profile") else {}
        )
        if fmt == "JPEG":
            options |= {"quality": "keep", "subsampling": "keep", "exif": exif.tobytes()}
        elif fmt == "WEBP":
            options |= {"quality": 90, "exif": exif.tobytes()}
        elif fmt == "PNG" and len(exif):
            options |= {"exif": exif.tobytes()}
        elif fmt == "GIF":
            options = {"save_all": True}
        out = io.BytesIO()
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
        clean = _reencoded(data, fmt, name, keep_location=keep_location)
        checked.append(SimpleUploadedFile(name, clean, content_type))
    return checked
