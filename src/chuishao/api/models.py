"""What the APIs keep for themselves: responses remembered under an ``Idempotency-Key``.

This is interface state (which answer a client already got), not domain state; the case a request
created is written by the intake service in the same transaction as this row.
"""

from __future__ import annotations

from django.db import models


class IdempotentRequest(models.Model):
    # Who sent it: "key:<id>", "user:<id>" or "addr:<ip>"; keys are unique per sender.
    owner = models.CharField(max_length=64)
    key = models.CharField(max_length=200)
    # SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotent_request_unique")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"
