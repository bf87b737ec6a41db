"""What leaves the system: the webhook body and its signature, and the text of an email.

Bodies carry identifiers, states, levels and deadlines. Anything personal — a reporter's name,
phone, address or own words, and every free-text field (notes, reasons, comments) — is left out.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

from django.conf import settings

from chuishao.events.models import Event

# Keys of an event's ``after`` never sent out: personal data and free text that may hold it.
PERSONAL_KEY = re.compile(
    r"reporter|name|phone|mobile|email|address|contact|id_card|person|username|"
    r"lat|lng|note|comment|reason|description|result|text|evidence|media",
    re.IGNORECASE,
)
SIGNATURE_HEADER = "X-Chuishao-Signature"
EVENT_HEADER = "X-Chuishao-Event"
DELIVERY_HEADER = "X-Chuishao-Delivery"
# Page paths of what a notification is about (the web app's URLs).
LINKS = {"case": "/cases/{pk}/", "whistle": "/whistles/{pk}/"}


def public_after(value: Any) -> Any:
    """``after`` without personal or free-text keys, at any depth."""
    if isinstance(value, dict):
        return {k: public_after(v) for k, v in value.items() if not PERSONAL_KEY.search(str(k))}
    if isinstance(value, list):
        return [public_after(v) for v in value]
    return value


def whistle_id_of(event: Event) -> int | None:
    """The whistle an event is about, from its chain (``whistle:<id>``)."""
    prefix, _, rest = event.chain.partition(":")
    return int(rest) if prefix == "whistle" and rest.isdigit() else None


def link_of(*, case_id: int | None, whistle_id: int | None) -> str:
    """The path of the case's or whistle's page.

    A template rather than ``reverse``: the domain app does not load the web URLconf (a test checks
    that the case template still matches ``web:case_detail``).
    """
    links = {**LINKS, **getattr(settings, "CHUISHAO_NOTIFY_LINKS", {})}
    if case_id:
        return links["case"].format(pk=case_id)
    if whistle_id:
        return links["whistle"].format(pk=whistle_id)
    return ""


def webhook_body(
    *, delivery_id: int, event: Event, case_number: str | None, whistle_number: str | None
) -> bytes:
    """The exact bytes POSTed (and signed): compact, key-sorted UTF-8 JSON."""
    payload = {
        "delivery": delivery_id,
        "event": {
            "id": event.pk,
            "verb": event.verb,
            "created_at": event.created_at.isoformat(),
            "city_id": event.city_id,
        },
        "case": case_number,
        "whistle": whistle_number,
        "after": public_after(event.after or {}),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(secret: str, body: bytes) -> str:
    """The ``X-Chuishao-Signature`` header value: ``sha256=<hex HMAC-SHA256 of the body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (documented in docs/notifications.md); constant-time comparison."""
    return hmac.compare_digest(sign(secret, body), header or "")
