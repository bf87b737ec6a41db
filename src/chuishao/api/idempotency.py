"""``Idempotency-Key``: a retried POST gets the first answer and creates nothing new.

The remembered answer is written in the same transaction as what the request created, and the
unique (sender, key) row is inserted first: a second request with the same key, even one arriving at
the same moment, waits for the first to commit, then finds the row and replays it. Only successful
answers are remembered; a refused request can be corrected and sent again under the same key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable

from django.conf import settings
from django.core.files import uploadhandler
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError

from chuishao import clock
from chuishao.api.models import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY = 200


class _Refused(Exception):
    """Unwinds the transaction of a request that did not succeed, carrying its answer out."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _rendered(response: HttpResponse) -> HttpResponse:
    if getattr(response, "is_rendered", True) is False:
        if getattr(response, "accepted_renderer", None) is None:
            from rest_framework.renderers import JSONRenderer

            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = "application/json"
            response.renderer_context = {}
        response.render()
    return response


def _fresh_handlers(request: HttpRequest) -> list:
    return [uploadhandler.load_handler(name, request) for name in settings.FILE_UPLOAD_HANDLERS]


def fingerprint(request: HttpRequest) -> str:
    """What makes two requests the same one: method, path, content type and what the body says.

    A multipart body is compared by its fields and the contents of its files, not byte for byte: a
    client's retry draws a new boundary, and is still the same report.
    """
    digest = hashlib.sha256()
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    digest.update(request.method.encode() + b" " + request.path.encode() + b"\n")
    digest.update(content_type.encode() + b"\n")
    body = request.body
    if content_type == "multipart/form-data":
        try:
            fields, files = MultiPartParser(
                request.META, io.BytesIO(body), _fresh_handlers(request), request.encoding
            ).parse()
        except MultiPartParserError:
            digest.update(body)  # unreadable: the bytes are all there is to compare
        else:
            for name in sorted(fields):
                for value in fields.getlist(name):
                    digest.update(f"field {name}={value}\n".encode())
            for name in sorted(files):
                for upload in files.getlist(name):
                    content = hashlib.sha256()
                    for chunk in upload.chunks():
                        content.update(chunk)
                    upload.close()
                    digest.update(f"file {name}={content.hexdigest()}\n".encode())
        return digest.hexdigest()
    digest.update(body)
    return digest.hexdigest()


def idempotency_key(request: HttpRequest) -> str | None:
    """The request's key, None without one; raises ValueError for a key that cannot be one."""
    key = request.headers.get(HEADER)
    if key is None or not key.strip():
        return None
    key = key.strip()
    if len(key) > MAX_KEY or not key.isprintable():
        raise ValueError(f"{HEADER} must be at most {MAX_KEY} printable characters.")
    return key


def idempotent(
    request: HttpRequest,
    *,
    owner: str,
    run: Callable[[], HttpResponse],
    refuse: Callable[[int, str, str], HttpResponse] | None = None,
) -> HttpResponse:
    """Run ``run`` once per (owner, Idempotency-Key); without a key just run it.

    ``refuse(status, code, message)`` shapes this module's own errors in the caller's format.
    """
    refuse = refuse or (
        lambda status, code, message: JsonResponse({"code": code, "detail": message}, status=status)
    )
    try:
        key = idempotency_key(request)
    except ValueError as exc:
        return refuse(400, "idempotency.invalid_key", str(exc))
    if key is None:
        return _rendered(run())
    body_print = fingerprint(request)
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotentRequest.objects.create(
                        owner=owner,
                        key=key,
                        fingerprint=body_print,
                        status=0,
                        content_type="",
                        body=b"",
                        created_at=clock.now(),
                    )
            except IntegrityError:
                return _replay(owner, key, body_print, refuse)
            response = _rendered(run())
            if not 200 <= response.status_code < 300:
                raise _Refused(response)
            record.status = response.status_code
            record.content_type = response.get("Content-Type", "")
            record.body = bytes(response.content)
            record.save(update_fields=["status", "content_type", "body"])
            return response
    except _Refused as refused:
        return refused.response


def _replay(owner: str, key: str, body_print: str, refuse: Callable[..., HttpResponse]) -> HttpResponse:
    record = IdempotentRequest.objects.get(owner=owner, key=key)
    if record.fingerprint != body_print:
        return refuse(
            422,
            "idempotency.mismatch",
            f"This {HEADER} was used for a different request; use a new key for a new report.",
        )
    response = HttpResponse(bytes(record.body), status=record.status, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotency_forget(*, before: dt.datetime | None = None) -> int:
    """Drop remembered answers older than the configured window; returns how many."""
    before = before or clock.now() - dt.timedelta(hours=settings.CHUISHAO_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=before).delete()
    return deleted
