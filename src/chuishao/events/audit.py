"""``audit verify``: recompute every chain and checkpoint and name the first break.

What it catches:
- a changed event: its recomputed hash differs from the stored one;
- an inserted or deleted event inside a chain: ``seq`` skips or ``prev_hash`` does not link;
- a deleted tail of a case's chain: the case row's head (``chain_seq``/``chain_hash``) is ahead;
- a whole deleted case with its events, or an event slipped in under a seal: a checkpoint's digest
  over the ids and hashes it sealed no longer matches;
- a forged checkpoint: signatures are chained with the audit key;
- a changed text of a version 2 event: it no longer matches its digest (and a changed digest, the hash);
- a text blanked by hand: an erased text that no erasure event lists, or one written again after its
  erasure.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings

from chuishao.events.chain import GENESIS, range_digest, sign
from chuishao.events.models import ChainHead, Checkpoint, Event
from chuishao.events.services import ERASED_TEXTS, stored_hash, text_intact


@dataclass
class Problem:
    kind: str
    message: str
    event_id: int | None = None
    chain: str | None = None


@dataclass
class Report:
    events_checked: int = 0
    chains_checked: int = 0
    checkpoints_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _events(batch: int = 5000) -> Iterator[Event]:
    last = 0
    while True:
        rows = list(Event.objects.filter(id__gt=last).order_by("id")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def _check_erasures(report: Report, erased: list[Event], listed: set[int]) -> None:
    """An erased text is trusted to its digest, so the erasure itself must be on record: listed by a
    later event (which the chain covers), with text and salt really gone."""
    for event in erased:
        where = f"event {event.id} ({event.chain}#{event.seq} {event.verb})"
        if event.id not in listed:
            report.problems.append(
                Problem(
                    "erasure",
                    f"{where}: its text is marked erased, but no erasure event lists it",
                    event.id,
                    event.chain,
                )
            )
        elif event.reason or event.text_salt:
            report.problems.append(
                Problem(
                    "erasure",
                    f"{where}: its text was erased and has been written again",
                    event.id,
                    event.chain,
                )
            )


def audit_verify() -> Report:
    report = Report()
    heads: dict[str, tuple[int, str]] = {}
    listed: set[int] = set()
    erased: list[Event] = []
    for event in _events():
        report.events_checked += 1
        seq, prev = heads.get(event.chain, (0, GENESIS))
        if event.seq != seq + 1:
            what = "missing" if event.seq > seq + 1 else "duplicated or inserted"
            report.problems.append(
                Problem(
                    "sequence",
                    f"event {event.id} in {event.chain} has seq {event.seq}, expected {seq + 1} "
                    f"(an event is {what})",
                    event.id,
                    event.chain,
                )
            )
        elif event.prev_hash != prev:
            report.problems.append(
                Problem(
                    "link",
                    f"event {event.id} in {event.chain} does not link to the previous event's hash",
                    event.id,
                    event.chain,
                )
            )
        if stored_hash(event) != event.hash:
            report.problems.append(
                Problem(
                    "content",
                    f"event {event.id} ({event.chain}#{event.seq} {event.verb}) was changed after it "
                    "was written",
                    event.id,
                    event.chain,
                )
            )
        elif not text_intact(event):
            report.problems.append(
                Problem(
                    "content",
                    f"event {event.id} ({event.chain}#{event.seq} {event.verb}): its text was changed "
                    "after it was written",
                    event.id,
                    event.chain,
                )
            )
        if event.text_erased:
            erased.append(event)
        if isinstance(event.after, dict) and isinstance(event.after.get(ERASED_TEXTS), list):
            listed.update(i for i in event.after[ERASED_TEXTS] if isinstance(i, int))
        heads[event.chain] = (event.seq, event.hash)
    _check_erasures(report, erased, listed)

    case_model = apps.get_model("cases", "Case")
    for pk, seq, digest in case_model.objects.filter(chain_seq__gt=0).values_list(
        "pk", "chain_seq", "chain_hash"
    ):
        chain = f"case:{pk}"
        report.chains_checked += 1
        have = heads.pop(chain, None)
        if have is None:
            report.problems.append(Problem("missing", f"every event of case {pk} is missing", None, chain))
        elif have != (seq, digest):
            report.problems.append(
                Problem(
                    "head",
                    f"case {pk}'s last event is #{have[0]}, but the case records #{seq}: "
                    "events were deleted or added",
                    None,
                    chain,
                )
            )
    for head in ChainHead.objects.all():
        report.chains_checked += 1
        have = heads.pop(head.chain, None)
        if have != (head.seq, head.hash):
            report.problems.append(
                Problem(
                    "head",
                    f"chain {head.chain} ends at #{have[0] if have else 0}, but its head records #{head.seq}",
                    None,
                    head.chain,
                )
            )
    for chain in heads:
        if chain.startswith("case:"):
            report.problems.append(Problem("orphan", f"events of {chain} belong to no case", None, chain))
        else:
            report.problems.append(Problem("orphan", f"chain {chain} has events but no head", None, chain))

    prev_signature, expected_first = "0" * 64, 1
    for cp in Checkpoint.objects.order_by("id"):
        report.checkpoints_checked += 1
        pairs = list(
            Event.objects.filter(id__gte=cp.first_event_id, id__lte=cp.last_event_id)
            .order_by("id")
            .values_list("id", "hash")
        )
        message = f"{cp.first_event_id}:{cp.last_event_id}:{cp.event_count}:{cp.digest}:{cp.prev_signature}"
        if cp.prev_signature != prev_signature or sign(settings.CHUISHAO_AUDIT_KEY, message) != cp.signature:
            report.problems.append(
                Problem(
                    "checkpoint",
                    f"checkpoint {cp.id} is not signed by this deployment's "
                    "audit key or does not follow the previous one",
                )
            )
        if cp.first_event_id != expected_first:
            report.problems.append(
                Problem("checkpoint", f"checkpoint {cp.id} does not start where checkpoint before it ended")
            )
        if len(pairs) != cp.event_count or range_digest(pairs) != cp.digest:
            report.problems.append(
                Problem(
                    "checkpoint",
                    f"events {cp.first_event_id}–{cp.last_event_id} sealed by checkpoint {cp.id} were "
                    f"changed, deleted or inserted ({len(pairs)} found, {cp.event_count} sealed)",
                )
            )
        prev_signature, expected_first = cp.signature, cp.last_event_id + 1
    report.problems.sort(key=lambda p: (p.event_id is None, p.event_id or 0))
    return report
