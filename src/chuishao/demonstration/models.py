"""The demonstration programme (示范创建): programmes, their quotas per region, named units and the
yearly review of each unit with its evidence frozen as a snapshot.

Rows are written only by ``demonstration.services`` (each write with its event).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chuishao.geo.models import Jurisdiction


class Level(models.TextChoices):
    """The kind of node a programme's units are; the region of a unit is its parent node."""

    DISTRICT = "district", _("district")
    STREET = "street", _("street")
    COMMUNITY = "community", _("community")


class Outcome(models.TextChoices):
    KEEP = "keep", _("keep")
    WARN = "warn", _("warn")
    DROP = "drop", _("drop")


class Programme(models.Model):
    """A demonstration programme, e.g. "2026 城市基层党建示范社区", owned by a city or a district."""

    name = models.CharField(max_length=120)
    name_en = models.CharField(max_length=200, blank=True)
    # The city (its centre or leader runs it) or a district (its centre runs it for the district).
    owner_node = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=12, choices=Level.choices)
    # Units per region (the parent node of a unit) unless a QuotaOverride says otherwise.
    quota = models.PositiveSmallIntegerField()
    # {indicator code: minimum value}; only indicators listed here are judged (per cent, higher is better).
    targets = models.JSONField(default=dict)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class QuotaOverride(models.Model):
    """A region's own quota in a programme (more or fewer places than the default)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="overrides")
    region = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    quota = models.PositiveSmallIntegerField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "region"], name="quota_one_per_region")]

    def __str__(self) -> str:
        return f"{self.programme_id}/{self.region_id}: {self.quota}"


class Unit(models.Model):
    """A node named as a demonstration unit of a programme (once per programme, even after a drop)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="units")
    node = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    # The unit's own targets, {indicator code: minimum}; never looser than the programme's.
    goals = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    named_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    named_at = models.DateTimeField()
    active = models.BooleanField(default=True)
    dropped_at = models.DateTimeField(null=True, blank=True)
    dropped_year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["region__code", "node__code"]
        constraints = [models.UniqueConstraint(fields=["programme", "node"], name="unit_once_per_programme")]
        indexes = [models.Index(fields=["programme", "region", "active"])]

    def __str__(self) -> str:
        return f"{self.programme_id}/{self.node_id}"

    def targets(self) -> dict[str, float]:
        """The targets the unit is judged by: the programme's, made stricter or extended by its goals."""
        return {**self.programme.targets, **self.goals}


class Review(models.Model):
    """One unit's review for one year: the rule's proposal with its evidence, then the reviewer's decision."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="reviews")
    year = models.PositiveSmallIntegerField()
    proposed = models.CharField(max_length=8, choices=Outcome.choices)
    # Every figure and its source, the targets and the rule's reasoning, frozen when computed.
    evidence = models.JSONField()
    computed_at = models.DateTimeField()
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "unit__node__code"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="review_once_per_unit_year"),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(decided_at__isnull=False), name="review_decided_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year}: {self.outcome or self.proposed + '?'}"

    @property
    def decided(self) -> bool:
        return bool(self.outcome)

    @property
    def overridden(self) -> bool:
        return bool(self.outcome) and self.outcome != self.proposed
