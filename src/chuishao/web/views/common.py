"""What the page views share: turning case errors into HTTP answers and messages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from chuishao.cases.errors import CaseConflict, CaseError, CaseNotFound, CasePermissionDenied
from chuishao.cases.models import CaseMedia


def raise_http(exc: CaseError) -> None:
    """Re-raise a read error as the HTTP error it stands for."""
    if isinstance(exc, CaseNotFound):
        raise Http404(exc.message) from exc
    if isinstance(exc, CasePermissionDenied):
        raise PermissionDenied(exc.message) from exc
    raise exc


def action_message(exc: CaseError) -> str:
    """A refusal as a person reads it; a conflict says what to do next."""
    if isinstance(exc, CaseConflict):
        return _(
            "Someone acted on this case first, so nothing was changed. Reload the page. (%(detail)s)"
        ) % {"detail": exc.message}
    return exc.message


def media_response(media: CaseMedia) -> FileResponse:
    """A case photo; anything that is not an image is offered as a download, never rendered inline."""
    is_image = media.content_type.startswith("image/") and media.content_type != "image/svg+xml"
    try:
        handle: Any = media.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(_("The file is missing.")) from exc
    response = FileResponse(
        handle,
        content_type=media.content_type if is_image else "application/octet-stream",
        as_attachment=not is_image,
        filename=media.file.name.rsplit("/", 1)[-1],
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response
