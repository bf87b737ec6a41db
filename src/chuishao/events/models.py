"""The event log: one row per change, hash-chained per subject, with signed checkpoints.

Every case has its own chain (``chain = "case:<id>"``), so intakes across the city never wait on one
chain head; other subjects (imports, calendars, memberships) use their own chains. A ``Checkpoint``
signs the digest of every event id and hash since the previous checkpoint, so an event inserted,
changed or deleted under a checkpoint — a whole case's chain included — is detected.

Personal data stays erasable although the log is append-only: a resident acts under the label
``resident #<id>`` (``actors.actor_label``), never their login; and an event's free text (``reason``) is
hashed through a salted digest (``chain.text_digest``), so erasing it (``services.texts_erase``) keeps
the chain verifying. Every erasure is listed in a later event's ``after["erased_texts"]``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Event(models.Model):
    chain = models.CharField(max_length=64)
    seq = models.PositiveIntegerField()
    verb = models.CharField(max_length=64)  # indexed in Meta
    city_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="events",
        db_index=False,  # the (case, seq) index in Meta leads with it
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
    # 1: the hash covers ``reason`` (events written before texts were erasable, and the bulk demo
    # loader's); 2: it covers ``text_digest``. The database default keeps old writers on version 1.
    hash_version = models.PositiveSmallIntegerField(default=1, db_default=1)
    # Version 2: SHA-256 of salt and reason ("" without text). Erasing blanks reason and salt, sets
    # ``text_erased`` and keeps the digest, which the hash still covers.
    text_salt = models.CharField(max_length=32, blank=True, default="", db_default="")
    text_digest = models.CharField(max_length=64, blank=True, default="", db_default="")
    text_erased = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="event_chain_seq_unique")]
        indexes = [
            models.Index(fields=["case", "seq"]),
            # Declared here rather than with db_index: PostgreSQL then gets no second, pattern-matching
            # copy of it (nothing filters verbs by a prefix).
            models.Index(fields=["verb"], name="event_verb"),
            # A person's erasure finds the texts they wrote outside their cases; only events with
            # text are indexed, so the intake's events (no text) pay nothing for it.
            models.Index(fields=["actor"], condition=~Q(text_digest=""), name="event_actor_text_idx"),
        ]
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
