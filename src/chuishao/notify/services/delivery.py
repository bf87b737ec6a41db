"""The sender: claims due ``Delivery`` rows, sends them outside any transaction, records the outcome.

At least once: a row is claimed (state ``sending``, a lease, a token) in a short transaction, then
sent, then marked ``delivered`` — or ``pending`` again with exponential backoff, or ``failed`` after
the last attempt. A worker that dies mid-send leaves its rows ``sending``; once the lease runs out
another worker claims them again, so an endpoint may receive one delivery twice and de-duplicates by
the ``X-Chuishao-Delivery`` header. Two live workers never send the same row at once: claims use
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite ``select_for_update`` is a no-op and the
claim transaction holds the database write lock (``transaction_mode=IMMEDIATE``), which serialises
claims just as well.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import translation

from chuishao import clock
from chuishao.cases.models import Whistle
from chuishao.notify.models import ChannelKind, Delivery, DeliveryState
from chuishao.notify.payloads import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    link_of,
    sign,
    webhook_body,
    whistle_id_of,
)
from chuishao.notify.rules import RULES, Directory, Subject, message

# Defaults; each may be overridden by a setting of the same name prefixed CHUISHAO_NOTIFY_.
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 60
BACKOFF_CAP_SECONDS = 6 * 3600
WEBHOOK_TIMEOUT_SECONDS = 10
# How long a claim lasts without news from its worker; renewed after every send, so it only has to
# outlast one send (the webhook timeout) with a margin.
LEASE_SECONDS = 60


def _setting(name: str, default: float) -> float:
    return getattr(settings, f"CHUISHAO_NOTIFY_{name}", default)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt ``attempts + 1``: 1 min, 2, 4, … capped (defaults)."""
    base, cap = (
        _setting("BACKOFF_SECONDS", BACKOFF_SECONDS),
        _setting("BACKOFF_CAP_SECONDS", BACKOFF_CAP_SECONDS),
    )
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


@dataclass
class DeliverResult:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


class DeliveryError(Exception):
    """The endpoint did not take the delivery (the message is kept as ``last_error``)."""


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def deliver_pending(*, batch: int = 100, worker: str = "", lease: float | None = None) -> DeliverResult:
    """Claim up to ``batch`` due deliveries, send each, and record the outcome."""
    lease_s = lease if lease is not None else _setting("LEASE_SECONDS", LEASE_SECONDS)
    token = uuid.uuid4().hex
    claimed = _claim(batch=batch, token=token, worker=worker or default_worker(), lease=lease_s)
    result = DeliverResult(claimed=len(claimed))
    for i, delivery in enumerate(claimed):
        try:
            _send(delivery)
        except Exception as exc:  # noqa: BLE001 — any failure of one send is recorded, the batch goes on
            outcome = _fail(delivery, token, exc)
            if outcome == DeliveryState.FAILED:
                result.failed += 1
            else:
                result.retrying += 1
        else:
            _done(delivery, token)
            result.delivered += 1
        if i + 1 < len(claimed):
            Delivery.objects.filter(lease_token=token, state=DeliveryState.SENDING).update(
                next_attempt_at=clock.now() + dt.timedelta(seconds=lease_s)
            )
    return result


def _claim(*, batch: int, token: str, worker: str, lease: float) -> list[Delivery]:
    now = clock.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(state__in=[DeliveryState.PENDING, DeliveryState.SENDING], next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:batch]
        )
        if not ids:
            return []
        Delivery.objects.filter(id__in=ids).update(
            state=DeliveryState.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + dt.timedelta(seconds=lease),
            lease_token=token,
            claimed_by=worker[:120],
        )
    return list(
        Delivery.objects.filter(id__in=ids, lease_token=token)
        .select_related("channel", "event", "event__case", "event__case__category")
        .order_by("next_attempt_at", "id")
    )


def _done(delivery: Delivery, token: str) -> None:
    Delivery.objects.filter(pk=delivery.pk, lease_token=token, state=DeliveryState.SENDING).update(
        state=DeliveryState.DELIVERED, delivered_at=clock.now(), last_error="", lease_token=""
    )


def _fail(delivery: Delivery, token: str, exc: Exception) -> str:
    error = str(exc) or type(exc).__name__
    give_up = delivery.attempts >= _setting("MAX_ATTEMPTS", MAX_ATTEMPTS) or isinstance(exc, _Permanent)
    state = DeliveryState.FAILED if give_up else DeliveryState.PENDING
    Delivery.objects.filter(pk=delivery.pk, lease_token=token, state=DeliveryState.SENDING).update(
        state=state,
        last_error=error[:2000],
        lease_token="",
        next_attempt_at=clock.now() + backoff(delivery.attempts),
    )
    return state


class _Permanent(DeliveryError):
    """Retrying cannot help (the channel was switched off, or its kind is unknown)."""


def _send(delivery: Delivery) -> None:
    channel = delivery.channel
    if not channel.active:
        raise _Permanent("the channel is no longer active")
    event = delivery.event
    wid = whistle_id_of(event)
    whistle = Whistle.objects.filter(pk=wid).first() if wid else None
    if channel.kind == ChannelKind.WEBHOOK:
        _post(delivery, whistle)
    elif channel.kind == ChannelKind.EMAIL:
        _email(delivery, whistle)
    else:
        raise _Permanent(f"unknown channel kind {channel.kind!r}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook answers itself; following a redirect would re-send the body elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(delivery: Delivery, whistle: Whistle | None) -> None:
    channel, event = delivery.channel, delivery.event
    if not channel.target.lower().startswith(("http://", "https://")):
        raise _Permanent("a webhook target must be an http(s) URL")
    body = webhook_body(
        delivery_id=delivery.pk,
        event=event,
        case_number=event.case.number if event.case_id and event.case else None,
        whistle_number=whistle.number if whistle else None,
    )
    request = urllib.request.Request(  # noqa: S310 — the scheme is checked above
        channel.target,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Chuishao-Webhook/1",
            EVENT_HEADER: event.verb,
            DELIVERY_HEADER: str(delivery.pk),
            SIGNATURE_HEADER: sign(channel.secret, body),
        },
    )
    timeout = _setting("WEBHOOK_TIMEOUT_SECONDS", WEBHOOK_TIMEOUT_SECONDS)
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        detail = exc.read(200).decode("utf-8", "replace")
        raise DeliveryError(f"HTTP {exc.code}: {detail}".strip()) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"could not reach the endpoint: {getattr(exc, 'reason', exc)}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}")


def _email(delivery: Delivery, whistle: Whistle | None) -> None:
    event = delivery.event
    rule = RULES.get(event.verb)
    if rule is None:
        raise _Permanent(f"no message for {event.verb}")
    subject = Subject(event, event.case if event.case_id else None, whistle, Directory())
    language = getattr(settings, "CHUISHAO_NOTIFY_LANGUAGE", settings.LANGUAGE_CODE)
    with translation.override(language):
        title, body = message(rule, subject)
    link = link_of(case_id=event.case_id, whistle_id=whistle.pk if whistle else None)
    base = getattr(settings, "CHUISHAO_NOTIFY_BASE_URL", "")
    footer = f"\n\n{base.rstrip('/')}{link}" if base and link else ""
    text = f"{body}{footer}\n\n— Chuishao ({event.verb}, event {event.pk}, delivery {delivery.pk})"
    send_mail(f"[Chuishao] {title}", text, None, [delivery.channel.target])
