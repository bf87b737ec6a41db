"""Appending events, erasing their texts, and sealing them with checkpoints.

``event_append`` must run inside the caller's transaction, after the state it records is written:
the event and the change commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from chuishao import clock
from chuishao.actors import actor_label, actor_user_id
from chuishao.events.chain import (
    GENESIS,
    LEGACY,
    SALTED_TEXT,
    canonical,
    event_hash,
    new_salt,
    range_digest,
    sign,
    text_digest,
)
from chuishao.events.models import ChainHead, Checkpoint, Event

# Events younger than this are left for the next checkpoint, so that a transaction still open
# with a lower id cannot commit into a range that is already sealed.
CHECKPOINT_SETTLE = dt.timedelta(seconds=60)


def _jsonable(value: dict | None) -> dict:
    import json

    return json.loads(canonical(value or {}))


def _timestamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_append(
    *,
    verb: str,
    actor: Any,
    case: Any = None,
    chain: str | None = None,
    city_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    at: dt.datetime | None = None,
) -> Event:
    """Append one event to the case's chain (or to ``chain``), inside the current transaction.

    For a case, the caller holds the case row locked; its ``chain_seq``/``chain_hash`` are advanced
    here and saved. Other chains keep their head in ``ChainHead``, locked here.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_append must run inside the transaction that makes the change")
    at = at or clock.now()
    before, after = _jsonable(before), _jsonable(after)
    head: ChainHead | None = None
    if case is None:
        if not chain:
            raise ValueError("an event needs a case or a chain")
        head, _ = ChainHead.objects.select_for_update().get_or_create(chain=chain, defaults={"hash": GENESIS})
    event = _chained(
        verb=verb,
        actor=actor,
        case=case,
        head=head,
        city_id=city_id,
        before=before,
        after=after,
        reason=reason,
        at=at,
    )
    event.save(force_insert=True)
    if case is not None:
        type(case).objects.filter(pk=case.pk).update(chain_seq=case.chain_seq, chain_hash=case.chain_hash)
    else:
        assert head is not None
        head.save(update_fields=["seq", "hash"])
    return event


def _chained(
    *,
    verb: str,
    actor: Any,
    case: Any,
    head: ChainHead | None,
    city_id: int | None,
    before: dict,
    after: dict,
    reason: str,
    at: dt.datetime,
) -> Event:
    """The next event of a case's chain (or of ``head``'s), unsaved; advances the head in memory."""
    if case is not None:
        chain = f"case:{case.pk}"
        prev_seq, prev_hash = case.chain_seq, case.chain_hash or GENESIS
        city_id = city_id if city_id is not None else case.city_id
    else:
        chain, prev_seq, prev_hash = head.chain, head.seq, head.hash
    seq = prev_seq + 1
    uid, label = actor_user_id(actor), actor_label(actor)
    salt = new_salt() if reason else ""
    committed = text_digest(salt, reason)
    digest = event_hash(
        chain=chain,
        seq=seq,
        prev_hash=prev_hash,
        verb=verb,
        case_id=case.pk if case is not None else None,
        city_id=city_id,
        actor_id=uid,
        actor_label=label,
        before=before,
        after=after,
        created_at=_timestamp(at),
        version=SALTED_TEXT,
        text=committed,
    )
    if case is not None:
        case.chain_seq, case.chain_hash = seq, digest
    else:
        head.seq, head.hash = seq, digest
    return Event(
        chain=chain,
        seq=seq,
        verb=verb,
        city_id=city_id,
        case_id=case.pk if case is not None else None,
        actor_id=uid,
        actor_label=label,
        before=before,
        after=after,
        reason=reason,
        created_at=at,
        prev_hash=prev_hash,
        hash=digest,
        hash_version=SALTED_TEXT,
        text_salt=salt,
        text_digest=committed,
    )


def case_events_append_many(
    items: list[tuple[Any, str, dict]], *, actor: Any, at: dt.datetime
) -> list[Event]:
    """Append ``(case, verb, after)`` events in one insert, for bulk work such as the deadline sweep.

    Like ``event_append`` it runs inside the caller's transaction with the case rows locked; several
    events of one case chain in the order given. The cases' new ``chain_seq``/``chain_hash`` are set
    on the instances only: the caller saves them together with its own change (one bulk update).
    """
    if not items:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events must be appended inside the transaction that makes the change")
    events = [
        _chained(
            verb=verb,
            actor=actor,
            case=case,
            head=None,
            city_id=None,
            before={},
            after=_jsonable(after),
            reason="",
            at=at,
        )
        for case, verb, after in items
    ]
    return Event.objects.bulk_create(events)


def stored_hash(event: Event) -> str:
    """Recompute an event's hash from its stored columns (for verification).

    A version 2 event's hash covers its stored ``text_digest``; whether the stored text still matches
    that digest is ``text_intact``'s question.
    """
    return event_hash(
        chain=event.chain,
        seq=event.seq,
        prev_hash=event.prev_hash,
        verb=event.verb,
        case_id=event.case_id,
        city_id=event.city_id,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        before=event.before,
        after=event.after,
        reason=event.reason,
        created_at=_timestamp(event.created_at),
        version=event.hash_version,
        text=event.text_digest,
    )


def text_intact(event: Event) -> bool:
    """Whether a version 2 event's text is the one its digest commits to (an erased text is trusted
    to the digest: ``audit verify`` checks the erasure is on record instead)."""
    if event.hash_version == LEGACY or event.text_erased:
        return True
    return text_digest(event.text_salt, event.reason) == event.text_digest


# Key of an event's ``after`` that lists the ids of the events whose texts it erased.
ERASED_TEXTS = "erased_texts"


@dataclass
class Erased:
    """What ``texts_erase`` did: the events whose texts went, and texts it could not erase because
    their events were written before texts were erasable (their hash covers the text itself)."""

    ids: list[int] = field(default_factory=list)
    legacy: int = 0

    def record(self) -> dict[str, Any]:
        """What the erasure's own event lists (ids and counts, never the texts)."""
        record: dict[str, Any] = {"texts": len(self.ids), ERASED_TEXTS: self.ids}
        if self.legacy:
            record["legacy_texts_kept"] = self.legacy
        return record


def texts_erase(events: Any) -> Erased:
    """Erase the texts of ``events`` (a queryset or list of events): text and salt blanked, the digest
    kept. Runs inside the caller's transaction, which must append an event whose ``after`` carries
    ``Erased.record()``: ``audit verify`` reports an erased text that no event lists."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("texts must be erased inside the transaction that records the erasure")
    done = Erased()
    for pk, version, digest, erased, text in (
        events.values_list("pk", "hash_version", "text_digest", "text_erased", "reason")
        if hasattr(events, "values_list")
        else [(e.pk, e.hash_version, e.text_digest, e.text_erased, e.reason) for e in events]
    ):
        if version == LEGACY:
            done.legacy += bool(text)
        elif digest and not erased:
            done.ids.append(pk)
    done.ids.sort()
    if done.ids:
        Event.objects.filter(pk__in=done.ids).update(reason="", text_salt="", text_erased=True)
    return done


def _checkpoints_locked() -> None:
    """Let one checkpoint be written at a time, until this transaction ends.

    Several workers run the checkpoint job at once. Locking the newest checkpoint row is not enough:
    there is none before the first one, and a second writer that waited for that row still reads it
    as the newest (PostgreSQL re-reads only the locked row, not rows committed meanwhile), so both
    would seal the same range. ``EXCLUSIVE`` conflicts with itself and with writes, not with reads:
    ``audit verify`` and the event writers go on. SQLite needs nothing: every transaction takes the
    database's single write lock when it begins (``transaction_mode=IMMEDIATE``).
    """
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Checkpoint._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


@transaction.atomic
def checkpoint_create(*, settle: dt.timedelta = CHECKPOINT_SETTLE) -> Checkpoint | None:
    """Seal every event written since the last checkpoint and older than ``settle``."""
    _checkpoints_locked()
    # Read after the lock: a checkpoint committed while this one waited is the newest now.
    last = Checkpoint.objects.order_by("-id").first()
    start = (last.last_event_id + 1) if last else 1
    cutoff = clock.now() - settle
    pairs = list(
        Event.objects.filter(id__gte=start, created_at__lte=cutoff).order_by("id").values_list("id", "hash")
    )
    if not pairs:
        return None
    # Stop before the first event still too young, so the sealed range has no holes left to fill.
    young = (
        Event.objects.filter(id__gte=start, created_at__gt=cutoff).order_by("id").values_list("id", flat=True)
    )
    first_young = young.first()
    if first_young is not None:
        pairs = [p for p in pairs if p[0] < first_young]
        if not pairs:
            return None
    digest = range_digest(pairs)
    prev_signature = last.signature if last else "0" * 64
    first_id, last_id = start, pairs[-1][0]
    signature = sign(
        settings.CHUISHAO_AUDIT_KEY, f"{first_id}:{last_id}:{len(pairs)}:{digest}:{prev_signature}"
    )
    return Checkpoint.objects.create(
        first_event_id=first_id,
        last_event_id=last_id,
        event_count=len(pairs),
        digest=digest,
        prev_signature=prev_signature,
        signature=signature,
        created_at=clock.now(),
    )
