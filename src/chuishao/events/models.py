"""The event log: one row per change, hash-chained per subject, with signed checkpoints.

Every case has its own chain (``chain = "case:<id>"``), so intakes across the city never wait on one
chain head; other subjects (imports, calendars, memberships) use their own chains. A ``Checkpoint``
signs the digest of every event id and hash since the previous checkpoint, so an event inserted,
changed or deleted under a checkpoint — a whole case's chain included — is detected.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Event(models.Model):
    chain = models.CharField(max_length=64)
    seq = models.PositiveIntegerField()
    verb = models.CharField(max_length=64, db_index=True)
    city_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="events",
    )
    # Hashed into the chain, so it must never change: no constraint, and deleting a user touches nothing.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=120)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="event_chain_seq_unique")]
        indexes = [models.Index(fields=["case", "seq"])]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.verb}"


class ChainHead(models.Model):
    """The last event of a chain that is not a case (a case keeps its head on its own row)."""

    chain = models.CharField(max_length=64, unique=True)
    seq = models.PositiveIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq}"


class Checkpoint(models.Model):
    """Seals every event with ``first_event_id <= id <= last_event_id``; chained and signed."""

    first_event_id = models.BigIntegerField()
    last_event_id = models.BigIntegerField()
    event_count = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    prev_signature = models.CharField(max_length=64)
    signature = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"checkpoint {self.first_event_id}–{self.last_event_id}"
