"""What a case accepts as photos: the same limits for a report, handling evidence and a check."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from chuishao.cases.errors import CaseInvalid

MAX_MEDIA = 3
MAX_MEDIA_BYTES = 5 * 1024 * 1024
MEDIA_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif", "image/heic"}


def check_media(files: list[Any]) -> None:
    if len(files) > MAX_MEDIA:
        raise CaseInvalid(_("At most %(n)s photos per report.") % {"n": MAX_MEDIA})
    for f in files:
        content_type = getattr(f, "content_type", "")
        if content_type not in MEDIA_TYPES:
            raise CaseInvalid(
                _("%(name)s is not a photo (JPEG, PNG, WebP, GIF or HEIC).")
                % {"name": getattr(f, "name", "file")}
            )
        if getattr(f, "size", 0) > MAX_MEDIA_BYTES:
            raise CaseInvalid(_("%(name)s is larger than 5 MB.") % {"name": getattr(f, "name", "file")})
