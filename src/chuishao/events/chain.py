"""How an event's hash is computed; shared by the writer and ``audit verify``."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


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
    reason: str,
    created_at: str,
) -> str:
    body = canonical(
        {
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
            "reason": reason,
            "at": created_at,
        }
    )
    return hashlib.sha256(body.encode()).hexdigest()


def range_digest(pairs: list[tuple[int, str]]) -> str:
    """Digest of (event id, event hash) pairs in id order: what a checkpoint seals."""
    h = hashlib.sha256()
    for event_id, digest in pairs:
        h.update(f"{event_id}:{digest}\n".encode())
    return h.hexdigest()


def sign(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()
