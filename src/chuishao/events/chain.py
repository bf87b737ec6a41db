"""How an event's hash is computed; shared by the writer and ``audit verify``.

Two versions live side by side, told apart by ``Event.hash_version``:

1. (events written before erasable texts) the hash covers ``reason`` itself;
2. the hash covers ``text_digest`` instead: SHA-256 of a random per-event salt and the text. The text
   can then be erased (text and salt blanked, ``text_erased`` set) while the digest, still covered by
   the hash, keeps the chain verifying. Without its salt an erased digest cannot be used to confirm a
   guessed text (a phone number, a short comment).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

GENESIS = "0" * 64
LEGACY = 1
SALTED_TEXT = 2


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def new_salt() -> str:
    return secrets.token_hex(16)


def text_digest(salt: str, text: str) -> str:
    """The commitment to an event's text; "" for an event without text (and without salt)."""
    if not salt and not text:
        return ""
    return hashlib.sha256(f"{salt}\x00{text}".encode()).hexdigest()


def event_hash(
    *,
    chain: str,
    seq: int,
    prev_hash: str,
    verb: str,
    case_id: int | None,
    city_id: int | None,
    actor_id: int | None,
    actor_label: str,
    before: dict,
    after: dict,
    reason: str = "",
    created_at: str,
    version: int = LEGACY,
    text: str = "",
) -> str:
    """The hash of one event: ``reason`` for version 1, ``text`` (its text digest) for version 2."""
    body: dict[str, Any] = {
        "chain": chain,
        "seq": seq,
        "prev": prev_hash,
        "verb": verb,
        "case": case_id,
        "city": city_id,
        "actor": actor_id,
        "actor_label": actor_label,
        "before": before,
        "after": after,
        "at": created_at,
    }
    if version == LEGACY:
        body["reason"] = reason
    else:
        body["v"] = version
        body["text"] = text
    return hashlib.sha256(canonical(body).encode()).hexdigest()


def range_digest(pairs: list[tuple[int, str]]) -> str:
    """Digest of (event id, event hash) pairs in id order: what a checkpoint seals."""
    h = hashlib.sha256()
    for event_id, digest in pairs:
        h.update(f"{event_id}:{digest}\n".encode())
    return h.hexdigest()


def sign(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()
