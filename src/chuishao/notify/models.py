"""Notifications and their delivery: the in-app inbox, organisations' channels and the sending queue.

``Notification`` is one person's inbox entry for one event. ``Channel`` is an organisation's email
address or webhook URL. ``Delivery`` is the work of sending one event to one channel: a row with a
state, claimed by a worker, retried on failure (the FixMyStreet sending queue). ``Cursor`` remembers
how far the fan-out reader has read the events table. Rows are written only by ``notify.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # Events are append-only and hashed: point at them without a constraint, as events point at cases.
    event = models.ForeignKey(
        "events.Event", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    verb = models.CharField(max_length=64)
    city_id = models.BigIntegerField(null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    whistle = models.ForeignKey(
        "cases.Whistle",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Rendered at fan-out; never a reporter's name or phone.
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=200, blank=True)
    # When the event happened.
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "event"], name="notification_once_per_event")
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.title}"


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("email")
    WEBHOOK = "webhook", _("webhook")


class Channel(models.Model):
    """Where an organisation wants the events that concern it sent, besides its staff's inboxes."""

    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(max_length=8, choices=ChannelKind.choices)
    # An email address or an http(s) URL.
    target = models.CharField(max_length=300)
    # Signs webhook bodies (HMAC-SHA256); set once, never shown back.
    secret = models.CharField(max_length=128, blank=True)
    active = models.BooleanField(default=True)
    # Verbs the channel wants; empty: every verb that concerns the organisation.
    verbs = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["organisation", "id"]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.kind} {self.target}"

    def wants(self, verb: str) -> bool:
        return self.active and (not self.verbs or verb in self.verbs)


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")


class Delivery(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(
        "events.Event", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    city_id = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    # Claims so far (a claim counts even if the worker died before it could send).
    attempts = models.PositiveSmallIntegerField(default=0)
    # Pending: when the next attempt is due. Sending: when the claim's lease runs out, after which
    # another worker takes the row again (its worker is presumed dead).
    next_attempt_at = models.DateTimeField()
    # Identifies one claim: only the worker holding it records the outcome.
    lease_token = models.CharField(max_length=32, blank=True)
    claimed_by = models.CharField(max_length=120, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "event"], name="delivery_once_per_channel_event")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"delivery {self.pk}: event {self.event_id} → channel {self.channel_id} ({self.state})"


class Cursor(models.Model):
    """How far a reader of the events table has got (see ``notify.services.fanout``).

    Every event with ``id <= last_event_id`` is done for good. Events up to ``seen_event_id`` have
    been read; ``holes`` lists the id ranges ``[lo, hi]`` below it that were not visible when read
    (a transaction still open, or rolled back) and are looked at again until they settle.
    """

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    seen_event_id = models.BigIntegerField(default=0)
    holes = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_event_id}"
