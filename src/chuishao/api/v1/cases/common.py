"""What the cases endpoints add to the shared base: multipart bodies (photos) and photo answers."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser, MultiPartParser

from chuishao.api.v1.common import ApiView
from chuishao.cases.models import CaseMedia


class CasesApiView(ApiView):
    """Base of the cases endpoints: JSON or multipart bodies (photos travel as multipart)."""

    parser_classes = [JSONParser, MultiPartParser]
    content_negotiation_class = DefaultContentNegotiation


def media_response(media: CaseMedia) -> FileResponse:
    """A case photo; anything that is not an image is offered as a download, never rendered inline."""
    is_image = media.content_type.startswith("image/") and media.content_type != "image/svg+xml"
    try:
        handle: Any = media.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise exceptions.NotFound("The file is missing.") from exc
    response = FileResponse(
        handle,
        content_type=media.content_type if is_image else "application/octet-stream",
        as_attachment=not is_image,
        filename=media.file.name.rsplit("/", 1)[-1],
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
